import type { temporal } from '@temporalio/proto';

type PendingActivity = temporal.api.workflow.v1.IPendingActivityInfo;
type Failure = temporal.api.failure.v1.IFailure;

/** The server's stand-in for a retried attempt's failure over its size limit (4 KiB by default). */
const OVER_SIZE_LIMIT = 'Failure exceeds size limit.';

/**
 * The failure to tell of a failed attempt. The server keeps a retried attempt's failure only up to
 * a size limit, and in its place keeps one of its own saying so, with the original (details cut) as
 * its cause: a specialist run's failure carries the run's history in its details (the workflow
 * resumes from it), so a run that failed a few iterations in is over that limit.
 */
function attemptFailure(failure: Failure): Failure {
  return failure.serverFailureInfo && failure.message === OVER_SIZE_LIMIT && failure.cause ? failure.cause : failure;
}

/** An activity of a running task that has failed at least once and is being retried. */
export interface RetryingActivity {
  activity: string;
  /** The activity's id in its workflow: a later run of the same type (a reassignment) has another. */
  activityId: string;
  /** The attempt scheduled or running now (the server counts from 1). */
  attempt: number;
  /** 0: no limit. */
  maximumAttempts: number;
  /** The last failed attempt's type and message, e.g. `god_unavailable: God ("pantheon-god") did not answer …`. */
  lastFailure: string;
  /** Until the next attempt is due; undefined when one runs or is due already. */
  nextInMs?: number;
  /** A worker runs the attempt now (else it waits for its time or for a worker). */
  running: boolean;
}

/** PendingActivityState.PENDING_ACTIVITY_STATE_STARTED */
const STARTED = 2;

function millis(ts: temporal.api.workflow.v1.IPendingActivityInfo['nextAttemptScheduleTime']): number | undefined {
  if (!ts?.seconds) return undefined;
  return Number(ts.seconds) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
}

/**
 * The activities a task is retrying, from the server's description of it: the workflow itself
 * cannot see an activity's failed attempts (only its final failure), so this is the one place a
 * user learns why a task has stood in one phase for minutes (God not answering for validation,
 * a provider failing every call).
 */
export function retryingActivities(pending: readonly PendingActivity[] | null | undefined, nowMs: number): RetryingActivity[] {
  return (pending ?? [])
    .filter((p) => (p.attempt ?? 1) > 1 && p.lastFailure)
    .map((p) => {
      const failure = attemptFailure(p.lastFailure!);
      const type = failure.applicationFailureInfo?.type;
      const message = (failure.message ?? '').slice(0, 300);
      const next = millis(p.nextAttemptScheduleTime);
      return {
        activity: p.activityType?.name ?? 'activity',
        activityId: p.activityId ?? '',
        attempt: p.attempt ?? 1,
        maximumAttempts: p.maximumAttempts ?? 0,
        lastFailure: type ? `${type}: ${message}` : message,
        running: p.state === STARTED,
        ...(next !== undefined && next > nowMs && { nextInMs: next - nowMs }),
      };
    });
}

/** `retrying    validateTask: attempt 4 of 12 in 8 s; the last failed with god_unavailable: …` */
export function retryingLines(retrying: readonly RetryingActivity[]): string[] {
  return retrying.map((r, i) => {
    const of = r.maximumAttempts > 0 ? ` of ${r.maximumAttempts}` : '';
    const when = r.running ? 'running' : r.nextInMs !== undefined ? `in ${Math.ceil(r.nextInMs / 1000)} s` : 'waiting for a worker';
    return `${i === 0 ? 'retrying   ' : '           '} ${r.activity}: attempt ${r.attempt}${of} ${when}; the last failed with ${r.lastFailure}`;
  });
}
