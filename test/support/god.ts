import type { Client, WorkflowHandle } from '@temporalio/client';
import type { GodConfig } from '../../src/god/types';
import type { GoalInput } from '../../src/god/messages';
import { godStatusQuery, godQueueQuery, godDecisionsQuery, type GodStatusView, type QueueItemView } from '../../src/workflows/god-api';
import type { DecisionRecord } from '../../src/god/types';

/** Starts a God workflow of its own for a test (its own id, the harness's task queue). */
export async function startTestGod(client: Client, options: { id: string; taskQueue: string; config?: Partial<GodConfig>; goals?: GoalInput[] }): Promise<WorkflowHandle> {
  return client.workflow.start('god', {
    workflowId: options.id,
    taskQueue: options.taskQueue,
    args: [{ config: { tickSeconds: 1, taskQueue: options.taskQueue, ...options.config }, ...(options.goals && { goals: options.goals }) }],
  });
}

export const godStatus = (handle: WorkflowHandle): Promise<GodStatusView> => handle.query(godStatusQuery);
export const godQueue = (handle: WorkflowHandle): Promise<QueueItemView[]> => handle.query(godQueueQuery);
export const godDecisions = (handle: WorkflowHandle): Promise<DecisionRecord[]> => handle.query(godDecisionsQuery);
