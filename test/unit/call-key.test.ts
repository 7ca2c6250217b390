import { retriedAttempt } from '../../src/budget/call-key';

/** Reading an attempt back from a call key (`${workflowId}:${runId}:${activityId}:${attempt}:${n}`). */
describe('retriedAttempt', () => {
  it('is true for a call of an attempt after the first, whatever colons the workflow id holds', () => {
    expect(retriedAttempt('task-1:run-a:5:2:0')).toBe(true);
    expect(retriedAttempt('chain-7:step-1:run-a:5:3:4')).toBe(true);
  });

  it('is false for a first attempt and for keys of another shape (God\'s calls, a lease, a call ahead)', () => {
    expect(retriedAttempt('task-1:run-a:5:1:0')).toBe(false);
    expect(retriedAttempt('pantheon-god:generate:docs:12')).toBe(false);
    expect(retriedAttempt('lease:w1:1')).toBe(false);
    expect(retriedAttempt('task-1:run-a:5:2:0~ahead')).toBe(false);
  });
});
