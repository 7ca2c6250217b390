import { noAnswer } from '../../src/client/no-answer';

/** An SDK-shaped error: a message, and the gRPC status below it as its cause. */
function failed(message: string, cause?: { code: number; message: string }): Error {
  const err = new Error(message);
  if (cause) err.cause = Object.assign(new Error(cause.message), { code: cause.code });
  return err;
}

describe('noAnswer', () => {
  it('takes a deadline passed, anywhere in the causes, for no answer', () => {
    expect(noAnswer(failed('Failed to query Workflow', { code: 4, message: 'DEADLINE_EXCEEDED: Deadline exceeded after 15.000s' }))).toBe(true);
  });

  it('takes a cancelled call for no answer only once the deadline is reached (else something else cancelled it)', () => {
    const cancelled = failed('Failed to query Workflow', { code: 1, message: 'CANCELLED: Call cancelled' });
    expect(noAnswer(cancelled, 15_000, 15_000)).toBe(true);
    expect(noAnswer(cancelled, 15_000, 3_000)).toBe(false);
    expect(noAnswer(cancelled)).toBe(false);
  });

  it('takes the server saying no worker polls the queue for no answer', () => {
    expect(noAnswer(failed('Failed to query Workflow', { code: 9, message: 'FAILED_PRECONDITION: no poller seen for task queue recently, worker may be down' }))).toBe(true);
  });

  it('leaves every other failure as it is', () => {
    expect(noAnswer(failed('Failed to query Workflow', { code: 5, message: 'NOT_FOUND: workflow not found' }))).toBe(false);
    expect(noAnswer(new Error('query handler threw'))).toBe(false);
    expect(noAnswer('a string')).toBe(false);
  });
});
