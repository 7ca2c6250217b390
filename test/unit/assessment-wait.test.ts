import { assessingAhead, assessmentWait } from '../../src/client/assessment-wait';
import { assessFailedReason, renderQueue } from '../../src/client/god-view';
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
  const text = assessmentWait(views.find((v) => v.taskId === taskId)!, views, NOW);
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

describe('a task whose assessment failed, due again', () => {
  /** How many tasks God's own selection takes before `taskId`, ticks of ASSESS_PER_TICK apart. */
  function assessedBefore(queue: QueuedTask[], taskId: string): number {
    return dueForAssessment(queue, NOW, queue.length).findIndex((q) => q.taskId === taskId);
  }

  it("counts the tasks God's selection takes first: due ones with fewer failures, then earlier ones with as many, not ones not yet due", () => {
    const notDue = queued('later', { assessFailures: 1, assessAfterMs: NOW + 60_000 });
    const queue = [failing('f0'), queued('n0'), notDue, decided('d0'), failing('mine'), queued('n1'), queued('f3', { assessFailures: 3, assessAfterMs: NOW - 1 })];
    const views = queue.map((q) => queueItemView(q));
    for (const q of queue.filter((t) => t.status === 'assessing' && (t.assessAfterMs ?? 0) <= NOW)) {
      expect([q.taskId, assessingAhead(views.find((v) => v.taskId === q.taskId)!, views, NOW)]).toEqual([q.taskId, assessedBefore(queue, q.taskId)]);
    }
  });

  it(`says its next tick only while fewer than ${ASSESS_PER_TICK} due tasks go first (it said so however many did)`, () => {
    const fresh = Array.from({ length: ASSESS_PER_TICK }, (_, i) => queued(`n${i}`));
    const queue = [failing('mine'), ...fresh];
    const views = queue.map((q) => queueItemView(q));
    const mine = views[0];
    expect(dueForAssessment(queue, NOW, ASSESS_PER_TICK).some((q) => q.taskId === 'mine')).toBe(false);
    const reason = assessFailedReason(mine.assessFailed!, NOW, assessingAhead(mine, views, NOW));
    expect(reason).toMatch(new RegExp(`; tried again once its turn comes: ${ASSESS_PER_TICK} tasks wait to be assessed ahead of it and God assesses ${ASSESS_PER_TICK} a tick, so about 1 tick goes by before the one that assesses it$`));
    expect(renderQueue(views, NOW)).toContain(`waiting: ${reason}`);
    // One fewer fresh task: the next tick takes it.
    const fewer = [failing('mine'), ...fresh.slice(1)];
    const fewerViews = fewer.map((q) => queueItemView(q));
    expect(dueForAssessment(fewer, NOW, ASSESS_PER_TICK).some((q) => q.taskId === 'mine')).toBe(true);
    expect(assessFailedReason(fewerViews[0].assessFailed!, NOW, assessingAhead(fewerViews[0], fewerViews, NOW))).toMatch(/; tried again on its next tick$/);
  });
});

