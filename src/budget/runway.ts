import { laneShare, LANES, type Lane } from './lanes';
import type { LaneRunway, LedgerRunway } from './ledger-types';
import { limitUsdOf, scopes } from './scopes';
import type { BudgetSnapshot } from './snapshot';
import { windowEndMs, windowKeys, windowStartMs } from './windows';

/**
 * The runway the God orchestrator plans with, read off a ledger snapshot at the reader's `nowMs`.
 * A snapshot is the ledger's state as of its last update: after a quiet spell its day may have
 * ended, so a day that has rolled over reads as unspent (as the ledger's next update will roll
 * it), an override that has lapsed no longer counts, and a breaker past its end reads closed.
 * Pure, so it is unit-tested without a server.
 */
export function runwayOf(snapshot: BudgetSnapshot, nowMs: number): LedgerRunway {
  const { limits } = snapshot;
  const timezone = limits.timezone;
  const dayKey = windowKeys(nowMs, timezone).day;
  const sameDay = dayKey === snapshot.windows.day;
  const budgetUsd = limitUsdOf(scopes.systemDay, limits, { overrides: snapshot.overrides }, nowMs);
  const systemDay = snapshot.scopes.find((s) => s.scope === scopes.systemDay);
  const spentUsd = sameDay ? (systemDay?.settledUsd ?? 0) : 0;
  const sameHour = windowKeys(nowMs, timezone).hour === snapshot.windows.hour;
  const systemHour = snapshot.scopes.find((s) => s.scope === scopes.systemHour);
  const breaker = snapshot.breaker;

  const lane = (name: Lane): LaneRunway => {
    const seen = snapshot.lanes?.[name];
    // A ledger older than the lanes counts everything as main.
    const share = seen?.share ?? laneShare(name, limits);
    const spent = seen ? seen.spentUsd : name === 'main' ? spentUsd : 0;
    // A lease's room is a worker's standing claim, not spend: counted as held, it kept God from
    // starting anything under a tight day (its own generation's lease, 16 calls' worst case, read
    // as spent at every tick). Each call granted from it is booked as a reservation of its own.
    const leased = seen?.leasedUsd ?? 0;
    const reserved = seen ? Math.max(0, seen.reservedUsd - leased) : name === 'main' ? snapshot.outstanding.usd : 0;
    return { share, budgetUsd: share * budgetUsd, spentUsd: sameDay ? spent : 0, reservedUsd: reserved, leasedUsd: leased };
  };

  const lanes = Object.fromEntries(LANES.map((name) => [name, lane(name)])) as Record<Lane, LaneRunway>;
  return {
    dayKey,
    dayStartMs: windowStartMs(nowMs, timezone, 'day'),
    dayEndMs: windowEndMs(nowMs, timezone, 'day'),
    timezone,
    budgetUsd,
    spentUsd,
    // What the lanes' calls hold (leases apart, as above): the day's total agrees with its lanes,
    // and what is left today is read from it. The ledger itself counts leases in full.
    reservedUsd: snapshot.lanes ? LANES.reduce((sum, name) => sum + lanes[name].reservedUsd, 0) : snapshot.outstanding.usd,
    breakerOpen: breaker.open && !(breaker.untilMs !== undefined && nowMs >= breaker.untilMs),
    lanes,
    asOfMs: nowMs,
    perTaskUsd: limits.perTaskUsd,
    hourStartMs: windowStartMs(nowMs, timezone, 'hour'),
    hourSpentUsd: sameHour ? (systemHour?.settledUsd ?? 0) : 0,
  };
}
