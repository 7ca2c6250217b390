import { ActivityFailure, ApplicationFailure, CancelledFailure, TimeoutFailure } from '@temporalio/common';
import { abandonedRunSpend, describeFailure, progressOf, stoppedWhileCancelling } from '../../src/workflows/failures';

/** The failure a workflow sees for an activity, as the SDK decodes it from history. */
const activityFailure = (retryState: ActivityFailure['retryState'], cause: Error) => new ActivityFailure('activity failed', 'runSpecialist', '7', retryState, 'worker-1', cause);
/** A specialist run's checkpoint as it rides in a heartbeat (src/activities/run-specialist.ts). */
const checkpoint = { history: [], iteration: 3, costUsd: 0.0123, tokens: 4567, promptTokens: [], lastNote: 'n' };
const heartbeatTimeout = () => new TimeoutFailure('activity Heartbeat timeout', checkpoint, 'HEARTBEAT');

describe('a run that ended with its cancel pending (CANCEL_REQUESTED)', () => {
  it('was stopped by the cancel when it timed out (its worker died) or failed retryably before the cancel reached it', () => {
    expect(stoppedWhileCancelling(activityFailure('CANCEL_REQUESTED', heartbeatTimeout()))).toBe(true);
    expect(stoppedWhileCancelling(activityFailure('CANCEL_REQUESTED', ApplicationFailure.retryable('429', 'rate_limited')))).toBe(true);
  });

  it('ended on its own failure when no retry could cure it: the task handles that failure', () => {
    expect(stoppedWhileCancelling(activityFailure('CANCEL_REQUESTED', ApplicationFailure.nonRetryable('over its limit', 'budget_exceeded')))).toBe(false);
    // Typed as non-retryable by the taxonomy, though raised without the flag.
    expect(stoppedWhileCancelling(activityFailure('CANCEL_REQUESTED', ApplicationFailure.retryable('no specialist named "X"', 'unknown_specialist')))).toBe(false);
  });

  it('is not the case for any other retry state', () => {
    expect(stoppedWhileCancelling(activityFailure('TIMEOUT', heartbeatTimeout()))).toBe(false);
    expect(stoppedWhileCancelling(activityFailure('MAXIMUM_ATTEMPTS_REACHED', ApplicationFailure.retryable('x', 'provider_unavailable')))).toBe(false);
    expect(stoppedWhileCancelling(new CancelledFailure('cancelled'))).toBe(false);
  });
});

describe('what an abandoned or failed run spent', () => {
  it('a run whose worker died: its last checkpoint, as the cancel path and the failure chain read it', () => {
    const err = activityFailure('CANCEL_REQUESTED', heartbeatTimeout());
    // And how far it got: the iteration of its checkpoint (a task cancelled there counts it).
    expect(abandonedRunSpend(err)).toEqual({ usd: 0.0123, tokens: 4567, iterations: 3 });
    expect(describeFailure(activityFailure('TIMEOUT', heartbeatTimeout()), 'runSpecialist')).toMatchObject({ runCostUsd: 0.0123, runTokens: 4567, retryState: 'TIMEOUT' });
  });

  it('a cancelled run: what its cancellation reported; a timeout with no heartbeat: nothing', () => {
    expect(abandonedRunSpend(activityFailure('CANCEL_REQUESTED', new CancelledFailure('cancelled', [{ runCostUsd: 0.5, runTokens: 10 }])))).toEqual({ usd: 0.5, tokens: 10 });
    expect(abandonedRunSpend(activityFailure('CANCEL_REQUESTED', new CancelledFailure('cancelled', [{ runCostUsd: 0.5, runTokens: 10, runIterations: 7 }])))).toEqual({ usd: 0.5, tokens: 10, iterations: 7 });
    expect(abandonedRunSpend(activityFailure('CANCEL_REQUESTED', new TimeoutFailure('start-to-close', undefined, 'START_TO_CLOSE')))).toEqual({ usd: 0, tokens: 0 });
    expect(describeFailure(activityFailure('TIMEOUT', new TimeoutFailure('start-to-close', undefined, 'START_TO_CLOSE')), 'runSpecialist').runCostUsd).toBeUndefined();
  });
});

describe('where a run that used up its retries had got to (progressOf)', () => {
  const history = [
    { role: 'assistant' as const, content: '{"step":1}' },
    { role: 'user' as const, content: 'continue' },
  ];
  const failedWith = (details: object, type = 'provider_unavailable') => ApplicationFailure.create({ message: '500', type, details: [details] });
  const reported = { runIterations: 3, runHistory: history, runPromptTokens: [100, 120], runCostUsd: 0.002, runTokens: 900 };

  it('is its last checkpoint when it advanced past where it started, from the failure or, if its worker died, the heartbeat', () => {
    expect(progressOf(activityFailure('MAXIMUM_ATTEMPTS_REACHED', failedWith(reported)), 1)).toEqual({ iteration: 3, history, promptTokens: [100, 120], usd: 0.002, tokens: 900 });
    expect(progressOf(activityFailure('MAXIMUM_ATTEMPTS_REACHED', heartbeatTimeout()), 2)).toEqual({ iteration: 3, history: [], promptTokens: [], usd: 0.0123, tokens: 4567 });
  });

  it('is nothing when it did not advance, could not be cured by a retry, was cancelled, or has no usable checkpoint', () => {
    expect(progressOf(activityFailure('MAXIMUM_ATTEMPTS_REACHED', failedWith(reported)), 3)).toBeUndefined();
    expect(progressOf(activityFailure('NON_RETRYABLE_FAILURE', failedWith(reported, 'quota_exhausted')), 0)).toBeUndefined();
    expect(progressOf(activityFailure('MAXIMUM_ATTEMPTS_REACHED', failedWith(reported, 'budget_exceeded')), 0)).toBeUndefined();
    expect(progressOf(activityFailure('CANCEL_REQUESTED', failedWith(reported)), 0)).toBeUndefined();
    expect(progressOf(activityFailure('TIMEOUT', heartbeatTimeout()), 0)).toBeUndefined();
    expect(progressOf(new CancelledFailure('cancelled'), 0)).toBeUndefined();
    // A failure from before runs reported their history, or a malformed one.
    expect(progressOf(activityFailure('MAXIMUM_ATTEMPTS_REACHED', failedWith({ runIterations: 3, runCostUsd: 0.002, runTokens: 900 })), 0)).toBeUndefined();
    expect(progressOf(activityFailure('MAXIMUM_ATTEMPTS_REACHED', failedWith({ ...reported, runHistory: [{ role: 'assistant' }] })), 0)).toBeUndefined();
  });
});
