import { msToTs } from '@temporalio/common/lib/time';
import { retryingActivities, retryingLines } from '../../src/client/retrying-activities';

const NOW = 1_764_000_000_000;
const at = (ms: number) => msToTs(ms);
const godDown = { message: 'God ("pantheon-god") did not answer for the standing constraints: deadline exceeded', applicationFailureInfo: { type: 'god_unavailable' } };

describe('the activities a running task is retrying', () => {
  test('an activity on its first attempt is not retrying, whatever its state', () => {
    expect(retryingActivities([{ activityType: { name: 'runSpecialist' }, attempt: 1, state: 2 }], NOW)).toEqual([]);
    expect(retryingActivities(undefined, NOW)).toEqual([]);
  });

  test('a failed attempt waiting for its next: the attempt, the limit, when, and why the last failed', () => {
    const [r] = retryingActivities([{ activityType: { name: 'validateTask' }, activityId: '1', attempt: 4, maximumAttempts: 12, state: 1, lastFailure: godDown, nextAttemptScheduleTime: at(NOW + 7_400) }], NOW);
    expect(r).toEqual({ activity: 'validateTask', activityId: '1', attempt: 4, maximumAttempts: 12, running: false, nextInMs: 7_400, lastFailure: `god_unavailable: ${godDown.message}` });
    expect(retryingLines([r])).toEqual([`retrying    validateTask: attempt 4 of 12 in 8 s; the last failed with god_unavailable: ${godDown.message}`]);
  });

  test('an attempt a worker runs now, one already due, and one with no limit read as such', () => {
    const rows = retryingActivities(
      [
        { activityType: { name: 'runSpecialist' }, attempt: 2, maximumAttempts: 5, state: 2, lastFailure: { message: 'provider answered 500', applicationFailureInfo: { type: 'provider_unavailable' } } },
        { activityType: { name: 'storeMemory' }, attempt: 3, maximumAttempts: 0, state: 1, lastFailure: { message: 'database is locked' }, nextAttemptScheduleTime: at(NOW - 1_000) },
      ],
      NOW,
    );
    expect(retryingLines(rows)).toEqual([
      'retrying    runSpecialist: attempt 2 of 5 running; the last failed with provider_unavailable: provider answered 500',
      '            storeMemory: attempt 3 waiting for a worker; the last failed with database is locked',
    ]);
  });

  test("a failure the server kept only as its size-limit stand-in is told by the original it keeps as the cause", () => {
    const original = { message: 'openai gpt-4.1-mini: 500 the offline provider failed', applicationFailureInfo: { type: 'provider_unavailable' } };
    const standIn = { message: 'Failure exceeds size limit.', source: 'History Service', serverFailureInfo: { nonRetryable: false }, cause: original };
    const [r] = retryingActivities([{ activityType: { name: 'runSpecialist' }, activityId: '5', attempt: 2, maximumAttempts: 5, state: 1, lastFailure: standIn }], NOW);
    expect(r.lastFailure).toBe(`provider_unavailable: ${original.message}`);
    // A failure of the same words that is not the server's own stand-in is told as it is.
    const [own] = retryingActivities([{ activityType: { name: 'storeMemory' }, attempt: 2, state: 1, lastFailure: { message: 'Failure exceeds size limit.', cause: original } }], NOW);
    expect(own.lastFailure).toBe('Failure exceeds size limit.');
  });
});
