import { Context, log } from '@temporalio/activity';
import type { ActivityDeps } from './deps';
import type { StoreMemoryInput, StoreMemoryResult } from './types';

/**
 * Writes a task's outcome to shared memory. Keyed by workflow id, so a retried or re-executed
 * activity never writes a second record for the same task.
 */
export function createStoreMemory({ memory }: Pick<ActivityDeps, 'memory'>) {
  return async function storeMemory(input: StoreMemoryInput): Promise<StoreMemoryResult> {
    const id = `${input.taskId}:outcome`;
    const { stored } = await memory.put({
      id,
      taskId: input.taskId,
      specialist: input.specialist,
      objective: input.task.objective,
      approach: input.approach,
      result: input.result,
      success: input.success,
      costUsd: input.costUsd,
      lessons: input.lessons,
      createdAt: new Date().toISOString(),
    });
    log.info('memory stored', { taskId: input.taskId, id, stored, attempt: Context.current().info.attempt });
    return { id, stored };
  };
}
