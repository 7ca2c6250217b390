import { Context, log } from '@temporalio/activity';
import type { ActivityDeps } from './deps';
import type { CloseTaskBillInput, TaskBillResult } from './types';

/**
 * Asks the budget ledger for everything it charged the task (calls the task's own books missed:
 * iterations re-paid after a worker was killed, calls that died in flight and were charged at
 * their worst case) and lets the ledger forget the task. Idempotent: a retried close (the first
 * applied, its answer lost) is answered the same bill while the ledger remembers it (10 minutes,
 * ledger-closed.ts); after that it answers `known: false`, and the workflow keeps the larger total.
 */
export async function closeBillOf(bills: ActivityDeps['bills'], taskId: string, books?: { usd: number; tokens: number }): Promise<TaskBillResult> {
  const bill = await bills.closeTask(taskId, books, closingRun(taskId));
  if (bill.chargedOutstanding > 0) {
    log.warn('task ended with calls still reserved (their callers died); charged at their worst case', { taskId, calls: bill.chargedOutstanding });
  }
  return { usd: bill.usd, tokens: bill.tokens, known: bill.known, chargedOutstanding: bill.chargedOutstanding };
}

/**
 * The run of the task's workflow asking for its bill: the activity's own workflow when that is the
 * task's (a task's id is its workflow's). The same id can be used again for a new task once the
 * earlier run has ended, and the ledger remembers a closed bill for a while: the run tells the
 * earlier task's bill from this one's.
 */
function closingRun(taskId: string): string | undefined {
  const { workflowExecution } = Context.current().info;
  return workflowExecution?.workflowId === taskId ? workflowExecution.runId : undefined;
}

/** The task's bill, asked once every other activity of the task is over (see {@link closeBillOf}). */
export function createCloseTaskBill({ bills }: Pick<ActivityDeps, 'bills'>) {
  return async function closeTaskBill({ taskId }: CloseTaskBillInput): Promise<TaskBillResult> {
    return closeBillOf(bills, taskId);
  };
}
