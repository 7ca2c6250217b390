import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import type { agentTask } from '../workflows';
import { stateQuery } from '../workflows/agent-task-api';
import { TaskCostUsd, TaskSpecialist, TaskStatus } from '../workflows/search-attributes';
import type { ChainState } from '../tasks/chain';
import type { TaskState } from '../workflows/task-state';

/** The state of one task (or chain: its `state` query has the same name): its live query answer
 * while running, its outcome once ended. */
export async function taskState(client: Client, workflowId: string): Promise<{ execution: string; state?: TaskState | ChainState }> {
  const handle = client.workflow.getHandle<typeof agentTask>(workflowId);
  const description = await handle.describe();
  if (description.status.name === 'RUNNING') return { execution: 'RUNNING', state: await handle.query(stateQuery) };
  if (description.status.name === 'COMPLETED') return { execution: 'COMPLETED', state: await handle.result() };
  return { execution: description.status.name };
}

export function taskRow(info: WorkflowExecutionInfo): { id: string; status: string; specialist: string; cost: number; started: Date } {
  const attrs = info.typedSearchAttributes;
  return {
    id: info.workflowId,
    status: attrs.get(TaskStatus) ?? info.status.name.toLowerCase(),
    specialist: attrs.get(TaskSpecialist) ?? '-',
    cost: attrs.get(TaskCostUsd) ?? 0,
    started: info.startTime,
  };
}

