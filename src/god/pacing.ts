import type { LaneView, RunwayView } from './views';
import { LANES, type Lane } from '../tasks/task-input';
import type { GodConfig, InFlightTask } from './types';

/**
 * The daily budget as a runway: how much pacing allows spent by now, what each lane may still
 * commit, and the view `pantheon god status` prints. Pure; the ledger's numbers come in as data.
 *
 * @example
 *   const headroom = laneHeadroom(runway, { main: 0.02, experimental: 0 }, config, nowMs);
 *   // { main: 0.031, experimental: 0.012 }: start nothing expected to cost more than that
 */

/** One lane of the ledger's day, as the ledger reports it. */
export interface LaneRunwayLike {
  share?: number;
  budgetUsd: number;
  spentUsd: number;
  reservedUsd: number;
}

/** The ledger's day as God reads it; structurally a subset of src/budget's `LedgerRunway`. */
export interface LedgerRunwayLike {
  dayKey: string;
  dayStartMs: number;
  dayEndMs: number;
  /** For clock times in reasons ("by 14:00"); UTC when absent. */
  timezone?: string;
  budgetUsd: number;
  spentUsd: number;
  reservedUsd: number;
  breakerOpen: boolean;
  lanes: Record<Lane, LaneRunwayLike>;
  asOfMs: number;
  /** The ledger's per-task limit: no task costs more (absent from ledgers' answers before it). */
  perTaskUsd?: number;
  /** The current hour's start and the system's spend in it (absent from ledgers' answers before it). */
  hourStartMs?: number;
  hourSpentUsd?: number;
}

/** The shortest span the current hour's pace is read over: a minute into the hour, one call would read as a torrent. */
export const RECENT_RATE_MIN_SPAN_MS = 15 * 60_000;

/**
 * Dollars an hour the day is burning: the larger of the day's average (its spend over the hours
 * gone by) and the current hour's pace (its spend over the time gone by in it, at least
 * {@link RECENT_RATE_MIN_SPAN_MS}). The average alone says a fleet started at 13:00 that spent
 * $0.10 in ten minutes burns $0.007/h and "lasts the day".
 */
export function burnRateUsdPerHour(runway: LedgerRunwayLike, nowMs: number): number {
  const hours = Math.max(0, nowMs - runway.dayStartMs) / HOUR;
  const average = hours > 0 ? runway.spentUsd / hours : 0;
  if (runway.hourStartMs === undefined || runway.hourSpentUsd === undefined) return average;
  const recent = runway.hourSpentUsd / (Math.max(nowMs - runway.hourStartMs, RECENT_RATE_MIN_SPAN_MS) / HOUR);
  return Math.max(average, recent);
}

type PacingConfig = Pick<GodConfig, 'pacing' | 'pacingBurst'>;

const HOUR = 3_600_000;

/** The share of the day gone by at `nowMs`, 0–1. */
export function elapsedFraction(dayStartMs: number, dayEndMs: number, nowMs: number): number {
  if (dayEndMs <= dayStartMs) return 1;
  return Math.min(1, Math.max(0, (nowMs - dayStartMs) / (dayEndMs - dayStartMs)));
}

/**
 * How much of `budgetUsd` may be spent (or committed) by `nowMs`. 'even' keeps spending level with
 * the clock plus a burst of `burst` of the day (so work can start at midnight); 'none' allows the
 * whole budget at once.
 */
export function pacedAllowance(args: { budgetUsd: number; dayStartMs: number; dayEndMs: number; nowMs: number; pacing: GodConfig['pacing']; burst: number }): number {
  if (args.pacing === 'none') return args.budgetUsd;
  return args.budgetUsd * Math.min(1, elapsedFraction(args.dayStartMs, args.dayEndMs, args.nowMs) + Math.max(0, args.burst));
}

function lanePaced(runway: LedgerRunwayLike, lane: Lane, config: PacingConfig, nowMs: number): number {
  return pacedAllowance({ budgetUsd: runway.lanes[lane].budgetUsd, dayStartMs: runway.dayStartMs, dayEndMs: runway.dayEndMs, nowMs, pacing: config.pacing, burst: config.pacingBurst });
}

/**
 * What each lane may still commit now: the smaller of what is left of the lane's budget and what
 * is left of its share of the paced allowance, less what tasks already in flight are expected to
 * cost; never negative. A lane never borrows from the other. Conservative on purpose: an in-flight
 * task's spend so far is in the ledger's numbers and in its expected cost both.
 */
export function laneHeadroom(runway: LedgerRunwayLike, inFlightExpected: Record<Lane, number>, config: PacingConfig, nowMs: number): Record<Lane, number> {
  const out = { main: 0, experimental: 0 } as Record<Lane, number>;
  for (const lane of LANES) {
    const l = runway.lanes[lane];
    const used = l.spentUsd + l.reservedUsd;
    const room = Math.min(l.budgetUsd - used, lanePaced(runway, lane, config, nowMs) - used) - (inFlightExpected[lane] ?? 0);
    out[lane] = Math.max(0, room);
  }
  return out;
}

/**
 * What each lane can still commit today, pacing aside: what is left of its budget less what tasks
 * in flight are expected to cost; never negative. A task that needs more cannot start today.
 */
export function laneDayLeft(runway: LedgerRunwayLike, inFlightExpected: Record<Lane, number>): Record<Lane, number> {
  return laneHeadroom(runway, inFlightExpected, { pacing: 'none', pacingBurst: 0 }, runway.dayStartMs);
}

/** Money as reasons show it: enough digits to tell small task costs apart. */
export function usd(value: number): string {
  // Rounded first, so 0.00999999 (float noise) reads as $0.010, not $0.0100.
  const abs = Math.round(Math.abs(value) * 1e6) / 1e6;
  return `$${value.toFixed(abs >= 100 ? 0 : abs >= 1 ? 2 : abs >= 0.01 || abs === 0 ? 3 : 4)}`;
}

const clockFormats = new Map<string, Intl.DateTimeFormat>();

/** Local wall-clock time, "14:00", in the ledger's zone. */
export function clockTime(ms: number, timeZone = 'UTC'): string {
  let f = clockFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    clockFormats.set(timeZone, f);
  }
  return f.format(ms);
}

/**
 * Why each lane's headroom is what it is, for waiting reasons:
 * "paced: $0.050 of $0.200 by 14:00; $0.046 spent or reserved; $0.010 expected in flight".
 */
export function headroomNotes(runway: LedgerRunwayLike, inFlightExpected: Record<Lane, number>, config: PacingConfig, nowMs: number): Record<Lane, string> {
  const out = { main: '', experimental: '' } as Record<Lane, string>;
  for (const lane of LANES) {
    const l = runway.lanes[lane];
    const parts = [
      config.pacing === 'even' ? `paced: ${usd(lanePaced(runway, lane, config, nowMs))} of ${usd(l.budgetUsd)} by ${clockTime(nowMs, runway.timezone)}` : `lane budget ${usd(l.budgetUsd)}`,
      `${usd(l.spentUsd + l.reservedUsd)} spent or reserved`,
    ];
    const flying = inFlightExpected[lane] ?? 0;
    if (flying > 0) parts.push(`${usd(flying)} expected in flight`);
    out[lane] = parts.join('; ');
  }
  return out;
}

/** What each lane's tasks in flight are expected to cost. */
export function inFlightByLane(inFlight: readonly InFlightTask[]): Record<Lane, number> {
  const out = { main: 0, experimental: 0 } as Record<Lane, number>;
  for (const t of inFlight) out[t.lane] += t.expectedCostUsd;
  return out;
}

export interface LaneDetailView extends LaneView {
  /** What tasks already started are expected to cost, and what the lane may still commit now. */
  inFlightExpectedUsd: number;
  headroomUsd: number;
}

export interface RunwayDetailView extends RunwayView {
  lanes: LaneDetailView[];
}

/**
 * The runway as God's `runway` query answers it. The burn rate is the larger of today's average
 * and the current hour's pace ({@link burnRateUsdPerHour}); `runsOutAtMs` is when the remaining
 * budget would be gone at that rate, shown only if that is before the day ends (or now, when
 * nothing is left).
 */
export function runwayView(runway: LedgerRunwayLike, inFlight: readonly InFlightTask[] | Record<Lane, number>, config: PacingConfig, nowMs: number): RunwayDetailView {
  const flying = Array.isArray(inFlight) ? inFlightByLane(inFlight) : (inFlight as Record<Lane, number>);
  const headroom = laneHeadroom(runway, flying, config, nowMs);
  const remainingUsd = Math.max(0, runway.budgetUsd - runway.spentUsd - runway.reservedUsd);
  const rate = burnRateUsdPerHour(runway, nowMs);
  let runsOutAtMs: number | undefined;
  if (remainingUsd <= 0 && runway.budgetUsd > 0) runsOutAtMs = nowMs;
  else if (rate > 0) {
    const at = nowMs + (remainingUsd / rate) * HOUR;
    if (at < runway.dayEndMs) runsOutAtMs = Math.round(at);
  }
  const lanes = LANES.map((lane): LaneDetailView => {
    const l = runway.lanes[lane];
    return {
      lane,
      share: l.share ?? (runway.budgetUsd > 0 ? l.budgetUsd / runway.budgetUsd : 0),
      budgetUsd: l.budgetUsd,
      spentUsd: l.spentUsd,
      reservedUsd: l.reservedUsd,
      remainingUsd: Math.max(0, l.budgetUsd - l.spentUsd - l.reservedUsd),
      inFlightExpectedUsd: flying[lane] ?? 0,
      headroomUsd: headroom[lane],
    };
  });
  return {
    dayKey: runway.dayKey,
    budgetUsd: runway.budgetUsd,
    spentUsd: runway.spentUsd,
    reservedUsd: runway.reservedUsd,
    remainingUsd,
    pacedAllowanceUsd: pacedAllowance({ budgetUsd: runway.budgetUsd, dayStartMs: runway.dayStartMs, dayEndMs: runway.dayEndMs, nowMs, pacing: config.pacing, burst: config.pacingBurst }),
    burnRateUsdPerHour: rate,
    ...(runsOutAtMs !== undefined && { runsOutAtMs }),
    lanes,
    breakerOpen: runway.breakerOpen,
    asOfMs: runway.asOfMs,
  };
}
