import { ASSESS_PER_TICK } from '../god/assess-backoff';
import type { QueueItemView } from '../workflows/god-api';

/**
 * When God decides a task it is still assessing (no decision, no failed assessment), from its
 * queue as the queue query lists it: each tick assesses the first {@link ASSESS_PER_TICK} tasks
 * that never failed, in queue order (src/god/assess-backoff.ts dueForAssessment), and a submit
 * starts a tick at once. So a task with fewer than that ahead is decided in the tick under way or
 * the next; one further back waits a tick per {@link ASSESS_PER_TICK} ahead of it. (Until
 * 2026-12-08 `status` said "God decides on its next tick" however many waited ahead.)
 */
export function assessmentWait(item: QueueItemView, queue: readonly QueueItemView[]): string {
  const at = queue.findIndex((q) => q.taskId === item.taskId);
  const ahead = queue.slice(0, Math.max(0, at)).filter((q) => q.status === 'assessing' && !q.decision && !q.assessFailed).length;
  if (ahead < ASSESS_PER_TICK) return 'not decided yet; God assesses it in its tick under way or the next (a submit starts one at once)';
  const later = Math.floor(ahead / ASSESS_PER_TICK);
  return `not decided yet; ${ahead} tasks wait to be assessed ahead of it and God assesses ${ASSESS_PER_TICK} a tick, so about ${later} ${later === 1 ? 'tick goes' : 'ticks go'} by before the one that assesses it`;
}
