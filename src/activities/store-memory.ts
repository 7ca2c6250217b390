import { Context, log } from '@temporalio/activity';
import type { ActivityDeps } from './deps';
import { kindOfSpecialist } from '../routing/kinds';
import { closeBillOf } from './close-task-bill';
import type { StoreOutcomeInput, StoreMemoryResult, TaskBillResult } from './types';
import { taskRecordId } from '../memory/record';

/**
 * Writes a task's outcome to shared memory. Keyed by workflow id and success, so a retried or
 * re-executed activity never writes a second record for the same task, while a failed task
 * that is reset (`temporal workflow reset`) and then completes keeps its failure's lessons and
 * adds its success instead of being ignored as a duplicate.
 */
export function createStoreMemory({ memory, roster, bills }: Pick<ActivityDeps, 'memory'> & Partial<Pick<ActivityDeps, 'roster' | 'bills'>>) {
  return async function storeMemory(input: StoreOutcomeInput): Promise<StoreMemoryResult> {
    const id = taskRecordId(input.taskId, input.success);
    // The bill before the record, so the record carries what the task cost: the workflow's books
    // miss calls re-paid after a killed worker and calls charged at their worst case.
    const books = { usd: input.costUsd, tokens: input.tokens ?? 0 };
    const bill = input.closeBill && bills ? await closedBill(bills, input.taskId, books) : undefined;
    const costUsd = Math.max(input.costUsd, bill?.usd ?? 0);
    const tokens = input.tokens === undefined && !bill ? undefined : Math.max(books.tokens, bill?.tokens ?? 0);
    const { stored } = await memory.put({
      id,
      taskId: input.taskId,
      specialist: input.specialist,
      objective: input.task.objective,
      approach: input.approach,
      result: input.result,
      success: input.success,
      costUsd,
      lessons: input.lessons,
      createdAt: input.endedAt ?? new Date().toISOString(),
      ...(input.success ? {} : { failureType: input.failureType }),
      routeMethod: input.routeMethod,
      policyVersion: input.policyVersion,
      iterations: input.iterations,
      // Task history's fields: the task's kind as God's routing policy decided it (a database task
      // the Generalist failed is a database failure, as `pantheon routing` counts it), else read
      // off the specialist as God's statistics count it; the task's totals.
      ...(input.kind !== undefined ? { kind: input.kind } : input.specialist !== 'none' && { kind: kindOfSpecialist(input.specialist, roster?.fallback.name) }),
      ...(input.durationMs !== undefined && { durationMs: Math.max(0, Math.round(input.durationMs)) }),
      ...(tokens !== undefined && { tokens }),
    });
    // Only with the record's first write: a retried activity must not count the same help twice.
    if (stored && input.success && input.lessonsShown?.length) {
      await memory.markLessonsHelped(input.lessonsShown).catch((err: unknown) => log.warn('lessons not marked helped', { taskId: input.taskId, error: String(err) }));
    }
    log.info('memory stored', { taskId: input.taskId, id, stored, attempt: Context.current().info.attempt });
    return { id, stored, ...(bill && { bill }) };
  };
}

/**
 * The task's bill, closed with its record (the task's last activity then, one fewer for every
 * task), from its books as the workflow counts them (the gate answers from the ledger's last tally
 * when it holds them). Idempotent, so a retried activity gets the same bill. A ledger that cannot
 * answer does not fail the record: the workflow asks again with closeTaskBill, which has retries
 * of its own.
 */
async function closedBill(bills: ActivityDeps['bills'], taskId: string, books: { usd: number; tokens: number }): Promise<TaskBillResult | undefined> {
  try {
    return await closeBillOf(bills, taskId, books);
  } catch (err) {
    if (Context.current().cancellationSignal.aborted) throw err;
    log.warn('task bill not closed with its memory record; the workflow asks again', { taskId, error: String(err) });
    return undefined;
  }
}
