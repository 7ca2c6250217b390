import type { Client } from '@temporalio/client';

/**
 * How many workers poll a task queue for workflow tasks (the server's recent pollers), or
 * undefined when the server could not say. A workflow started on a queue nobody polls waits
 * silently for ever: commands that start one and wait for it ask first.
 */
export async function workflowPollers(client: Client, namespace: string, taskQueue: string): Promise<number | undefined> {
  try {
    // taskQueueType 1: workflow tasks.
    const res = await client.workflowService.describeTaskQueue({ namespace, taskQueue: { name: taskQueue }, taskQueueType: 1 });
    return res.pollers?.length ?? 0;
  } catch {
    return undefined;
  }
}
