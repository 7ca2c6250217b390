import { PendingStarts } from '../../src/god/pending-starts';
import type { TaskFinished } from '../../src/god/types';

const finished = (taskId: string, status: TaskFinished['status'] = 'rejected'): TaskFinished => ({ taskId, status, costUsd: 0, tokens: 0, durationMs: 5, reason: 'r' });

describe('God\'s pending starts', () => {
  it('hands a finish heard during the start to the start, once', () => {
    const starts = new PendingStarts();
    starts.begin('t1');
    expect(starts.starting('t1')).toBe(true);
    starts.hold(finished('t1'));
    expect(starts.end('t1')).toEqual(finished('t1'));
    expect(starts.starting('t1')).toBe(false);
    expect(starts.end('t1')).toBeUndefined();
  });

  it('keeps nothing for a task it is not starting (a stray or repeated report)', () => {
    const starts = new PendingStarts();
    starts.hold(finished('stray'));
    starts.begin('stray');
    expect(starts.end('stray')).toBeUndefined();
  });

  it('keeps the latest report of a task, and each task\'s apart', () => {
    const starts = new PendingStarts();
    starts.begin('a');
    starts.begin('b');
    starts.hold(finished('a', 'cancelled'));
    starts.hold(finished('a', 'completed'));
    expect(starts.end('b')).toBeUndefined();
    expect(starts.end('a')?.status).toBe('completed');
  });
});
