import { afterFailedAssessment, assessBackoffMs, ASSESS_BACKOFF_MAX_MS, assessErrorOf, dueForAssessment } from '../../src/god/assess-backoff';
import { queueItemView } from '../../src/god/views';
import type { QueuedTask } from '../../src/god/types';
import { assessing } from '../support/god-fixtures';

const NOW = Date.parse('2026-12-04T12:00:00Z');
const queued = (taskId: string, extra: Partial<QueuedTask> = {}): QueuedTask => assessing(taskId, NOW, extra);

describe('God\'s assessment back-off', () => {
  it('with no failures, assesses the queue\'s first assessing tasks in order, as before', () => {
    const queue = [queued('a'), queued('b', { status: 'queued' }), queued('c'), queued('d')];
    expect(dueForAssessment(queue, NOW, 2).map((q) => q.taskId)).toEqual(['a', 'c']);
  });

  it('does not let tasks whose assessment keeps failing take every place: they wait, then go behind the rest', () => {
    const poison = Array.from({ length: 20 }, (_, i) => queued(`poison-${i}`));
    const failedOnce = poison.map((q) => ({ ...q, ...afterFailedAssessment(q, NOW, 'ApplicationFailure: classifier answer did not parse') }));
    const queue = [...failedOnce, queued('fresh')];
    // Backing off: only the fresh task is due at the next tick.
    expect(dueForAssessment(queue, NOW + 1_000, 20).map((q) => q.taskId)).toEqual(['fresh']);
    // Due again later, they come after the task that never failed.
    const due = dueForAssessment(queue, NOW + assessBackoffMs(1), 20);
    expect(due[0].taskId).toBe('fresh');
    expect(due).toHaveLength(20);
  });

  it('doubles the wait with each failure in a row, up to its cap, and says why the task waits', () => {
    expect([1, 2, 3].map(assessBackoffMs)).toEqual([30_000, 60_000, 120_000]);
    expect(assessBackoffMs(30)).toBe(ASSESS_BACKOFF_MAX_MS);
    const twice = afterFailedAssessment({ ...queued('x'), assessFailures: 1 }, NOW, 'boom');
    expect(twice).toEqual({ assessFailures: 2, assessAfterMs: NOW + 60_000, waitReason: 'assessment failed 2 times in a row (boom); tried again in 60 s' });
  });

  it('shows in God\'s queue view how often the assessment failed, when it is tried again and the last error', () => {
    const error = 'ApplicationFailure: quota_exhausted (router); retry after 60 s';
    const once = { ...queued('x'), ...afterFailedAssessment(queued('x'), NOW, error) };
    const twice = { ...once, ...afterFailedAssessment(once, NOW + 30_000, error) };
    expect(queueItemView(twice)).toMatchObject({ status: 'assessing', assessFailed: { failures: 2, retryAtMs: NOW + 30_000 + 60_000, lastError: error } });
    // Never failed: nothing to show.
    expect(queueItemView(queued('y')).assessFailed).toBeUndefined();
    // A wait reason God wrote over (not the failure's): the count and time still, no error made up.
    expect(queueItemView({ ...twice, waitReason: 'paused: freeze' }).assessFailed).toEqual({ failures: 2, retryAtMs: NOW + 90_000 });
  });

  it('reads the error back from the wait reason a failed assessment wrote, parentheses and all', () => {
    expect(assessErrorOf(afterFailedAssessment(queued('x'), NOW, 'Error: bad (json) answer (at 3)').waitReason)).toBe('Error: bad (json) answer (at 3)');
    expect(assessErrorOf('waiting for runway: needs ~$0.010')).toBeUndefined();
    expect(assessErrorOf(undefined)).toBeUndefined();
  });
});
