import { LANES, type Lane } from '../tasks/task-input';
import { DEFAULT_EXPERIMENTAL_SHARE, type Limits } from './limits';
import type { LedgerState, Reservation, Spend, Window } from './ledger-types';
import { limitUsdOf, scopes } from './scopes';

/**
 * The day's two lanes. The experimental lane gets `experimentalShare` of the system day's limit
 * (an operator's override of system:day included), the main lane the rest; neither borrows from
 * the other, so exploration can never eat the day's real work, nor the real work starve
 * exploration. Pure: the ledger workflow, the snapshot and the runway all use it.
 *
 * @example
 *   laneLimitUsd('experimental', limits, state, now) // 0.15 × $20 = $3 with the shipped limits
 */

export { LANES, type Lane };

/** The scope name of a lane's day, e.g. `lane:experimental:day`. */
export function laneScope(lane: Lane): string {
  return `lane:${lane}:day`;
}

/** A request's or reservation's lane: absent (every call from before the lanes) means main. */
export function laneOf(x: { lane?: Lane }): Lane {
  return x.lane === 'experimental' ? 'experimental' : 'main';
}

/** The configured share; limits handed over raw (an update's argument) may predate the field. */
export function experimentalShareOf(limits: Pick<Limits, 'experimentalShare'>): number {
  return limits.experimentalShare ?? DEFAULT_EXPERIMENTAL_SHARE;
}

/** The lane's share of the day: `experimentalShare`, or what is left of the day for main. */
export function laneShare(lane: Lane, limits: Pick<Limits, 'experimentalShare'>): number {
  const share = experimentalShareOf(limits);
  return lane === 'experimental' ? share : 1 - share;
}

/** The lane's USD limit today: its share of system:day's limit (configured, or overridden now). */
export function laneLimitUsd(lane: Lane, limits: Limits, state: Pick<LedgerState, 'overrides'>, nowMs: number): number {
  return laneShare(lane, limits) * limitUsdOf(scopes.systemDay, limits, state, nowMs);
}

/** Settled spend of the lane in a day window: experimental is counted, main is the rest. */
export function laneSettled(day: Window, lane: Lane): Spend {
  const experimental = day.experimental ?? { usd: 0, tokens: 0 };
  if (lane === 'experimental') return { usd: experimental.usd, tokens: experimental.tokens };
  // Float sums differ by ~1e-17; a lane never holds less than nothing.
  return { usd: Math.max(0, day.system.usd - experimental.usd), tokens: Math.max(0, day.system.tokens - experimental.tokens) };
}

/** Outstanding reservations summed per lane. */
export function laneHeld(reservations: Record<string, Reservation>): Record<Lane, Spend> {
  const held: Record<Lane, Spend> = { main: { usd: 0, tokens: 0 }, experimental: { usd: 0, tokens: 0 } };
  for (const id in reservations) {
    const r = reservations[id];
    const into = held[laneOf(r)];
    into.usd += r.usd;
    into.tokens += r.tokens;
  }
  return held;
}
