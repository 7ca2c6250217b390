import { parseArgs } from 'node:util';
import { WorkflowIdConflictPolicy } from '@temporalio/common';
import { loadConfig } from '../../config/env';
import { PantheonError } from '../../errors';
import type { memoryBackfill } from '../../workflows';
import { connectClient } from '../connection';

export const MEMORY_USAGE = `pantheon memory backfill [--limit N] [--task-queue Q]   write the records of tasks that ended while the store was down`;

/** One backfill at a time: a second command joins the pass already running. */
export const MEMORY_BACKFILL_ID = 'pantheon-memory-backfill';

/**
 * `pantheon memory backfill`: runs one backfill pass (src/activities/backfill-memory.ts) on a
 * worker of PANTHEON_TASK_QUEUE, which holds the memory store, and prints what it wrote. Exits 1
 * when a record still could not be written.
 */
export async function memoryCommand(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub !== 'backfill') throw PantheonError.of('invalid_input', `memory: unknown subcommand "${sub ?? ''}"\n${MEMORY_USAGE}`, { details: { field: 'subcommand' } });
  const { values } = parseArgs({ args: rest, options: { limit: { type: 'string', default: '500' }, 'task-queue': { type: 'string' } } });
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) throw PantheonError.of('invalid_input', `--limit: expected a positive integer, got "${values.limit}"`, { details: { field: '--limit' } });
  const config = loadConfig();
  const { client, close } = await connectClient(config);
  try {
    const report = await client.workflow.execute<typeof memoryBackfill>('memoryBackfill', {
      workflowId: MEMORY_BACKFILL_ID,
      taskQueue: config.temporal.taskQueue,
      args: [{ limit, ...(values['task-queue'] ? { taskQueue: values['task-queue'] } : {}) }],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    });
    console.log(`pending tasks ${report.found}: ${report.written} written, ${report.alreadyStored} already stored, ${report.failed.length} failed`);
    for (const f of report.failed) console.log(`  ${f.taskId}: ${f.error}`);
    if (report.failed.length > 0) throw PantheonError.of('store_unavailable', `${report.failed.length} memory record(s) still not written; run again once the store is back`);
  } finally {
    await close();
  }
}
