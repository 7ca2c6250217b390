import { Context } from '@temporalio/activity';
import { ApplicationFailure, ApplicationFailureCategory, CancelledFailure } from '@temporalio/common';
import { isWaitType } from '../budget/waiting';
import { PantheonError, isPantheonError } from './index';

/**
 * Converts any thrown value into the ApplicationFailure Temporal should see: typed, retryable or
 * not as the taxonomy says, with a provider's retry-after as the next retry delay. Unknown errors
 * stay retryable: a bug that heals on another worker should get that chance, bounded by policy.
 */
export function toApplicationFailure(err: unknown, context: Record<string, unknown> = {}): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  if (isPantheonError(err)) {
    return ApplicationFailure.create({
      message: err.message,
      type: err.type,
      nonRetryable: !err.retryable,
      details: [{ ...err.details, ...context }],
      nextRetryDelay: err.retryAfterMs === undefined ? undefined : err.retryAfterMs,
      // "Wait for budget" is routine, not a failure: the SDK logs a benign one at debug, not a
      // warning each time a waiting task asks again (the task logs its wait, rate-limited).
      ...(isWaitType(err.type) && { category: ApplicationFailureCategory.BENIGN }),
    });
  }
  return ApplicationFailure.create({ message: messageOf(err), type: 'unexpected', nonRetryable: false, details: [context] });
}

/**
 * What an unknown failure says, never nothing: an Error with an empty message (some gRPC and
 * socket errors during a Temporal outage) is named by its class and code, so the worker's
 * "Activity failed" line and the task's failure chain say what it was.
 */
function messageOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err) || 'a thrown value with no text';
  if (err.message) return err.message;
  const code = (err as { code?: unknown }).code;
  return `${err.name} with no message${code === undefined ? '' : ` (code ${String(code)})`}`;
}

/**
 * Runs an activity body so every failure leaves it as a typed ApplicationFailure carrying the
 * attempt it failed on. A cancelled activity leaves as a CancelledFailure (the worker then reports
 * it cancelled, not failed, and a workflow awaiting the cancellation sees it as one), carrying
 * what the body had spent when it stopped (a PantheonError's run details) for the task's totals.
 */
export async function asActivity<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    const ctx = Context.current();
    if (ctx.cancellationSignal.aborted) throw asCancelled(err);
    throw toApplicationFailure(err, { attempt: ctx.info.attempt });
  }
}

function asCancelled(err: unknown): CancelledFailure {
  if (err instanceof CancelledFailure) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new CancelledFailure(`activity cancelled: ${message}`, isPantheonError(err) ? [err.details] : [], err instanceof Error ? err : undefined);
}

export { PantheonError };
