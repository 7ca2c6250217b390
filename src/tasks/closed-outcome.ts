import { ApplicationFailure } from '@temporalio/common';
import { isTaskFailureType, TASK_FAILURE_TYPES, type FailedTaskStatus } from '../errors';
import type { TaskOutcome } from '../workflows/task-state';
import { REPORT_REASON_CHARS, trimText } from './report';

/**
 * A closed agentTask's outcome, wherever it sits: a completed run returns it (completed,
 * rejected, cancelled); a dead-lettered or budget-exceeded run fails its execution with it as
 * the first detail of a typed ApplicationFailure (see TASK_FAILURE_TYPES in src/errors), so the
 * Web UI lists it among failures and `temporal workflow reset` applies. Every reader of a task's
 * end (CLI, reconcile, chains, tests, benches) goes through here. Free of Node built-ins: the
 * taskChain workflow uses it too.
 *
 * @example
 *   const outcome = await closedResult(client.workflow.getHandle<typeof agentTask>(id));
 */

/** How many failure causes to follow before giving up (a client error wraps one, a child failure one). */
const MAX_CAUSE_DEPTH = 5;

/**
 * The outcome a task attached to the failure it closed with, found anywhere in the cause chain
 * (WorkflowFailedError → ApplicationFailure on a client; ChildWorkflowFailure → ApplicationFailure
 * in a parent workflow). Undefined for every other error: a real failure stays a failure.
 */
export function outcomeOfFailure<T = TaskOutcome>(err: unknown): T | undefined {
  let cause: unknown = err;
  for (let depth = 0; cause instanceof Error && depth < MAX_CAUSE_DEPTH; depth += 1) {
    if (cause instanceof ApplicationFailure && isTaskFailureType(cause.type)) return cause.details?.[0] as T | undefined;
    cause = cause.cause;
  }
  return undefined;
}

/**
 * Waits for a workflow's result and returns it, or the outcome a failed task attached to its
 * failure. Any other failure (terminated, timed out, a bug) is thrown as it came.
 */
export async function closedResult<T>(handle: { result(): Promise<T> }): Promise<T> {
  try {
    return await handle.result();
  } catch (err) {
    const outcome = outcomeOfFailure<T>(err);
    if (outcome === undefined) throw err;
    return outcome;
  }
}

/**
 * The failure an agentTask throws to close as failed: non-retryable, typed by its status, the
 * first reason (led by the status) as the message the Web UI shows, the whole outcome as its details.
 */
export function taskEndFailure(outcome: TaskOutcome & { status: FailedTaskStatus }): ApplicationFailure {
  const reason = trimText(outcome.reasons[0] ?? '', REPORT_REASON_CHARS);
  return ApplicationFailure.create({
    type: TASK_FAILURE_TYPES[outcome.status],
    // A budget stop's reason already starts with its status; say it once.
    message: reason.startsWith(`${outcome.status}:`) ? reason : `${outcome.status}: ${reason}`,
    nonRetryable: true,
    details: [outcome],
  });
}
