import { isGrpcDeadlineError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';

/** gRPC status codes. */
const CANCELLED = 1;
const DEADLINE_EXCEEDED = 4;

/**
 * Whether a call to a workflow (God, the budget ledger) failed because nothing answered for it: the
 * deadline passed (the SDK reports a query cut by its deadline as DEADLINE_EXCEEDED or, through
 * some connections, as CANCELLED once `deadlineMs` is reached), the update's call timed out, or the
 * server says no worker has polled the workflow's task queue lately. Such a failure is temporary
 * (exit 75): the same command works once a worker runs.
 */
export function noAnswer(err: unknown, deadlineMs = Number.POSITIVE_INFINITY, nowMs = Date.now()): boolean {
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isGrpcDeadlineError(err)) return true;
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === DEADLINE_EXCEEDED || (code === CANCELLED && nowMs >= deadlineMs)) return true;
    if (/no poller seen for task queue/i.test(e.message)) return true;
  }
  return false;
}
