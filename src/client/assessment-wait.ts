import { ASSESS_PER_TICK } from '../god/assess-backoff';
import type { QueueItemView } from '../workflows/god-api';

/**
 * How many tasks God will assess before `item`, from its queue as the queue query lists it: each
 * tick assesses the first {@link ASSESS_PER_TICK} due tasks, fewest failed assessments first, then
 * in queue order (src/god/assess-backoff.ts dueForAssessment). A task whose failed assessment is
 * not due yet is no one's turn.
 */
export function assessingAhead(item: QueueItemView, queue: readonly QueueItemView[], nowMs: number): number {
  const at = queue.findIndex((q) => q.taskId === item.taskId);
  const failures = (q: QueueItemView) => q.assessFailed?.failures ?? 0;
  const due = (q: QueueItemView) => q.status === 'assessing' && !q.decision && (q.assessFailed?.retryAtMs ?? 0) <= nowMs;
  return queue.filter((q, i) => i !== at && due(q) && (failures(q) < failures(item) || (failures(q) === failures(item) && i < at))).length;
}

/** "about 2 ticks go by before the one that assesses it", for `ahead` tasks assessed first. */
export function ticksBefore(ahead: number): string {
  const later = Math.floor(ahead / ASSESS_PER_TICK);
  return `${ahead} tasks wait to be assessed ahead of it and God assesses ${ASSESS_PER_TICK} a tick, so about ${later} ${later === 1 ? 'tick goes' : 'ticks go'} by before the one that assesses it`;
}

/**
 * When God decides a task it is still assessing (no decision, no failed assessment): a submit
 * starts a tick at once, so a task with fewer than {@link ASSESS_PER_TICK} ahead is decided in the
 * tick under way or the next; one further back waits a tick per {@link ASSESS_PER_TICK} ahead of
 * it. (Until 2026-12-08 `status` said "God decides on its next tick" however many waited ahead.)
 */
export function assessmentWait(item: QueueItemView, queue: readonly QueueItemView[], nowMs = Date.now()): string {
  const ahead = assessingAhead(item, queue, nowMs);
  if (ahead < ASSESS_PER_TICK) return 'not decided yet; God assesses it in its tick under way or the next (a submit starts one at once)';
  return `not decided yet; ${ticksBefore(ahead)}`;
}
