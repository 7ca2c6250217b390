import { assessmentWait } from '../../src/client/assessment-wait';
import { ASSESS_PER_TICK, dueForAssessment } from '../../src/god/assess-backoff';
import type { QueuedTask } from '../../src/god/types';
import { queueItemView } from '../../src/god/views';
import { assessing } from '../support/god-fixtures';

const NOW = Date.parse('2026-12-08T01:00:00Z');
const queued = (taskId: string, extra: Partial<QueuedTask> = {}): QueuedTask => assessing(taskId, NOW, extra);
const decided = (taskId: string): QueuedTask =>
  queued(taskId, { status: 'queued', decision: { kind: 'route', specialist: 'database', lane: 'main', reason: 'rules', expectedCostUsd: 0.01, expectedSuccess: 0.9 } as QueuedTask['decision'] });
const failing = (taskId: string): QueuedTask => queued(taskId, { assessFailures: 2, assessAfterMs: NOW - 1, waitReason: 'assessment failed 2 times in a row (quota); tried again in 60 s' });

/** What `status` says of `taskId`, and whether God's next tick would assess it (its own selection). */
function said(queue: QueuedTask[], taskId: string): { text: string; nextTick: boolean } {
  const views = queue.map((q) => queueItemView(q));
  const text = assessmentWait(views.find((v) => v.taskId === taskId)!, views);
  return { text, nextTick: dueForAssessment(queue, NOW, ASSESS_PER_TICK).some((q) => q.taskId === taskId) };
}

describe('status of a task God is still assessing', () => {
  it(`says a task with ${ASSESS_PER_TICK} never-failed tasks ahead is not assessed at the next tick (it said "God decides on its next tick")`, () => {
    const ahead = Array.from({ length: ASSESS_PER_TICK }, (_, i) => queued(`t${i}`));
    const { text, nextTick } = said([...ahead, queued('mine')], 'mine');
    expect(nextTick).toBe(false);
    expect(text).toBe(`not decided yet; ${ASSESS_PER_TICK} tasks wait to be assessed ahead of it and God assesses ${ASSESS_PER_TICK} a tick, so about 1 tick goes by before the one that assesses it`);
    expect(said([...ahead, ...ahead.map((q) => ({ ...q, taskId: `${q.taskId}b` })), queued('mine')], 'mine').text).toContain('so about 2 ticks go by');
  });

  it('says the tick under way or the next when fewer wait ahead, counting neither decided tasks nor failing ones (they go behind)', () => {
    const queue = [...Array.from({ length: 5 }, (_, i) => decided(`d${i}`)), ...Array.from({ length: ASSESS_PER_TICK }, (_, i) => failing(`f${i}`)), queued('mine')];
    const { text, nextTick } = said(queue, 'mine');
    expect(nextTick).toBe(true);
    expect(text).toBe('not decided yet; God assesses it in its tick under way or the next (a submit starts one at once)');
  });
});
