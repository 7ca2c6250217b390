import type { QueuedTask } from './types';

/** Tasks assessed per tick: a burst of submissions is spread over ticks, not one giant one. */
export const ASSESS_PER_TICK = 20;

/** The first wait after a failed assessment; each failure in a row doubles it, up to the cap. */
export const ASSESS_BACKOFF_FIRST_MS = 30_000;
export const ASSESS_BACKOFF_MAX_MS = 15 * 60_000;

/** How long a task waits before its next assessment after `failures` failed ones in a row. Pure. */
export function assessBackoffMs(failures: number): number {
  if (failures <= 0) return 0;
  return Math.min(ASSESS_BACKOFF_MAX_MS, ASSESS_BACKOFF_FIRST_MS * 2 ** (failures - 1));
}

/**
 * The tasks to assess this tick, at most `limit`: those assessing and not backing off, the ones
 * that never failed first (queue order otherwise). A task whose assessment keeps failing waits
 * longer each time and goes behind the rest, so a handful of them can no longer take every
 * tick's places while newer tasks wait unassessed. With no failures this is the queue's first
 * `limit` assessing tasks, as before. Pure.
 */
export function dueForAssessment(queue: readonly QueuedTask[], nowMs: number, limit: number): QueuedTask[] {
  return queue
    .filter((q) => q.status === 'assessing' && (q.assessAfterMs ?? 0) <= nowMs)
    .map((q, i) => ({ q, i }))
    .sort((a, b) => (a.q.assessFailures ?? 0) - (b.q.assessFailures ?? 0) || a.i - b.i)
    .slice(0, limit)
    .map(({ q }) => q);
}

/** The task after one more failed assessment: when to try again, and why it waits. Pure. */
export function afterFailedAssessment(item: QueuedTask, nowMs: number, error: string): Pick<QueuedTask, 'assessFailures' | 'assessAfterMs' | 'waitReason'> {
  const failures = (item.assessFailures ?? 0) + 1;
  const waitMs = assessBackoffMs(failures);
  return {
    assessFailures: failures,
    assessAfterMs: nowMs + waitMs,
    waitReason: `assessment failed ${failures} time${failures === 1 ? '' : 's'} in a row (${error.slice(0, 200)}); tried again in ${Math.round(waitMs / 1000)} s`,
  };
}

/** The wait reason afterFailedAssessment writes, read back; the error is the part between its parentheses. */
const FAILED_REASON = /^assessment failed \d+ times? in a row \(([\s\S]*)\); tried again in \d+ s$/;

/**
 * The error of a task's last failed assessment, as its wait reason keeps it (the first 200
 * characters), or undefined when the reason is another. God's state keeps the error nowhere else,
 * and a field for it would grow the state God carries. Pure.
 *
 * @example assessErrorOf('assessment failed 2 times in a row (quota exhausted); tried again in 60 s') // 'quota exhausted'
 */
export function assessErrorOf(waitReason: string | undefined): string | undefined {
  return waitReason === undefined ? undefined : FAILED_REASON.exec(waitReason)?.[1] || undefined;
}
