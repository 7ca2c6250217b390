import type { Client } from '@temporalio/client';
import { taskRow, taskState } from '../tasks';
import { parseArgs } from '../parse-args';
import { loadConfig } from '../../config/env';
import { PantheonError } from '../../errors';
import { connectClient, workflowUrl } from '../connection';
import { formatUsd, printOutcome } from '../format';
import { liveRunLines } from '../live-run';
import { retryingLines } from '../retrying-activities';

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
  if (positionals.length > 1) throw PantheonError.of('invalid_input', `task-id: one task at a time, got ${positionals.length} ("${positionals[1]}" and more)`, { details: { field: 'task-id' } });
  const config = loadConfig();
  const { client, close } = await connectClient(config);
  try {
    if (positionals[0]) {
      const { execution, state, retrying, live } = await taskState(client, positionals[0]);
      console.log(`task        ${positionals[0]}  (${execution.toLowerCase()})`);
      console.log(`web ui      ${workflowUrl(config, positionals[0])}`);
      if (state) printOutcome(state);
      for (const line of liveRunLines(live ?? [], formatUsd)) console.log(line);
      for (const line of retryingLines(retrying ?? [])) console.log(line);
      return;
    }
    const { counts, inProgress, seen } = await overview(client, Number(values.limit));
    console.log(`tasks (most recent ${seen})`);
    for (const [status, n] of Object.entries(counts).sort()) console.log(`  ${status.padEnd(16)} ${n}`);
    console.log(`in progress: ${inProgress.length}`);
    const idW = Math.max(0, ...inProgress.map((row) => row.id.length));
    for (const row of inProgress) console.log(`  ${row.id.padEnd(idW)}  ${row.status.padEnd(14)} ${row.specialist.padEnd(16)} ${formatUsd(row.cost)}  since ${row.started.toISOString()}`);
  } finally {
    await close();
  }
}
