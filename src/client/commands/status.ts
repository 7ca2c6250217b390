import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../config/env';
import type { agentTask } from '../../workflows';
import { stateQuery } from '../../workflows/agent-task-api';
import { TaskCostUsd, TaskSpecialist, TaskStatus } from '../../workflows/search-attributes';
import type { TaskState } from '../../workflows/task-state';
import { connectClient, workflowUrl } from '../connection';
import { formatUsd, printOutcome } from '../format';

/** The state of one task: its live query answer while running, its outcome once ended. */
export async function taskState(client: Client, workflowId: string): Promise<{ execution: string; state?: TaskState }> {
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

/** Counts per Pantheon status over the most recent tasks, and the ones still in progress. */
export async function overview(client: Client, limit: number) {
  const counts: Record<string, number> = {};
  const inProgress: ReturnType<typeof taskRow>[] = [];
  let seen = 0;
  for await (const info of client.workflow.list({ query: "WorkflowType = 'agentTask'", pageSize: 200 })) {
    const row = taskRow(info);
    counts[row.status] = (counts[row.status] ?? 0) + 1;
    if (info.status.name === 'RUNNING') inProgress.push(row);
    if (++seen >= limit) break;
  }
  return { counts, inProgress, seen };
}

export async function statusCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { limit: { type: 'string', default: '1000' } } });
  const config = loadConfig();
  const { client, close } = await connectClient(config);
  try {
    if (positionals[0]) {
      const { execution, state } = await taskState(client, positionals[0]);
      console.log(`task        ${positionals[0]}  (${execution.toLowerCase()})`);
      console.log(`web ui      ${workflowUrl(config, positionals[0])}`);
      if (state) printOutcome(state);
      return;
    }
    const { counts, inProgress, seen } = await overview(client, Number(values.limit));
    console.log(`tasks (most recent ${seen})`);
    for (const [status, n] of Object.entries(counts).sort()) console.log(`  ${status.padEnd(16)} ${n}`);
    console.log(`in progress: ${inProgress.length}`);
    for (const row of inProgress) console.log(`  ${row.id}  ${row.status.padEnd(12)} ${row.specialist.padEnd(16)} ${formatUsd(row.cost)}  since ${row.started.toISOString()}`);
  } finally {
    await close();
  }
}
