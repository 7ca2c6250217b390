import type { FullRoom } from './admission';
import { EPSILON_USD } from './ledger-breaker';
import type { LedgerState, Override } from './ledger-types';
import { laneShare } from './lanes';
import type { Limits } from './limits';
import { limitUsdOf, scopes } from './scopes';
import { windowEndMs } from './windows';

/**
 * When a full system window (or lane of the day) has room for a request again, for sure: when the
 * window rolls over, or sooner when an operator's override LOWERS its limit and the configured
 * limit, back when the override lapses, affords the request. (An override that raises a limit
 * gives less room when it lapses, never more.) Pure: the ledger workflow runs it.
 */

export interface RoomDue extends FullRoom {
  atMs: number;
  /** Set when the lapse of this override, not the rollover, brings the room. */
  lapses?: Override;
}

export function roomDue(full: FullRoom, requestUsd: number, state: Pick<LedgerState, 'overrides'>, limits: Limits, nowMs: number): RoomDue {
  const { room } = full;
  const kind = room.scope === scopes.systemHour ? 'hour' : 'day';
  const rollover = windowEndMs(nowMs, limits.timezone, kind);
  // A lane's limit is its share of system:day's: the day's override sets it.
  const overridden = room.lane === undefined ? room.scope : scopes.systemDay;
  const override = state.overrides.find((o) => o.scope === overridden && o.untilMs > nowMs);
  if (override && override.untilMs < rollover) {
    const configured = limitUsdOf(overridden, limits, { overrides: [] }, nowMs) * (room.lane === undefined ? 1 : laneShare(room.lane, limits));
    if (requestUsd <= full.freeLaterUsd + configured - room.limitUsd + EPSILON_USD) return { ...full, atMs: override.untilMs, lapses: override };
  }
  return { ...full, atMs: rollover };
}

/**
 * The window the request waits for: the one whose room comes last (the first in order on a tie:
 * the hour's before the day's, a system window's before a lane's), and the others worth saying, in
 * order (a lane is not said beside system:day: a full day fills its lanes).
 */
export function bindingRoom(due: RoomDue[]): { binding: RoomDue; others: RoomDue[] } {
  const binding = due.reduce((a, b) => (b.atMs > a.atMs ? b : a));
  const dayFull = due.some((d) => d.room.scope === scopes.systemDay);
  return { binding, others: due.filter((d) => d !== binding && !(dayFull && d.room.lane !== undefined)) };
}

/** `the window rolls over at …`, or `its override ($0.003000, until …) lapses at …`. */
export function describeDue(d: RoomDue): string {
  const at = new Date(d.atMs).toISOString();
  return d.lapses ? `the override of ${d.lapses.scope} (to $${d.lapses.limitUsd.toFixed(6)}) lapses at ${at}` : `the window rolls over at ${at}`;
}
