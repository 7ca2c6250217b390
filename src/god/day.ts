import { windowEndMs, windowKeys } from '../budget/windows';
import type { GodState, QueuedTask } from './types';

/**
 * God's calendar day: the same local day the budget ledger counts in, and what changes when it
 * turns. Pure; the time zone's rules come from Intl.
 *
 * @example
 *   const { state: next, dropped } = rollDay(state, dayOf(nowMs, 'Europe/Berlin'));
 */

export interface Day {
  /** YYYY-MM-DD in the time zone. */
  key: string;
  /** The day's first instant, and the first instant of the next day (23 or 25 hours on DST days). */
  startMs: number;
  endMs: number;
}

const HOUR = 3_600_000;

/** The local calendar day holding `nowMs` in `timeZone`. */
export function dayOf(nowMs: number, timeZone: string): Day {
  const key = windowKeys(nowMs, timeZone).day;
  // Step back by hours into the previous day (no day is shorter than 23 hours, so this lands in
  // the one just before); that day's end is this day's start.
  let t = nowMs;
  while (windowKeys(t, timeZone).day === key) t -= HOUR;
  return { key, startMs: windowEndMs(t, timeZone, 'day'), endMs: windowEndMs(nowMs, timeZone, 'day') };
}

/**
 * Turns the state to `day` if it is a different day: the day's counters start again, every goal's
 * spend and starts for today return to zero, and generated tasks still queued from earlier days are dropped
 * (they were made for a day that is over; the goal generates fresh ones). Submitted tasks, tasks
 * awaiting review and tasks being assessed stay. The same day returns the state unchanged.
 *
 * Returns the dropped tasks as they were (their `waitReason` says what they last waited for);
 * the new day's `dropped` counts them (they are dropped as it begins); the audit line and the
 * lifetime counter are the caller's, so nothing is counted twice.
 */
export function rollDay(state: GodState, day: Day): { state: GodState; dropped: QueuedTask[] } {
  if (day.key === state.day.key) return { state, dropped: [] };
  const stale = (q: QueuedTask) => q.source === 'generated' && q.status === 'queued' && q.submittedAtMs < day.startMs;
  const dropped = state.queue.filter(stale);
  return {
    state: {
      ...state,
      queue: state.queue.filter((q) => !stale(q)),
      goals: state.goals.map((g) => (g.spentTodayUsd === 0 && !g.startedToday ? g : { ...g, spentTodayUsd: 0, ...(g.startedToday !== undefined && { startedToday: 0 }) })),
      day: { key: day.key, startMs: day.startMs, admitted: 0, dropped: dropped.length, finishedUsd: { main: 0, experimental: 0 } },
    },
    dropped,
  };
}
