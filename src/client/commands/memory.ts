import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { WorkflowIdConflictPolicy } from '@temporalio/common';
import { parseArgs, positiveInteger } from '../parse-args';
import { unknownSubcommand } from '../unknown-subcommand';
import { workflowPollers } from '../pollers';
import { DEFAULT_TASK_QUEUE } from '../sweeper-schedule';
import { loadConfig } from '../../config/env';
import { PantheonError } from '../../errors';
import type { memoryBackfill } from '../../workflows';
import { connectClient } from '../connection';
import { openCliEmbedder } from '../cli-embedder';
import { reembedSqlite } from '../../memory/reembed-sqlite';
import { checkMemoryFile } from '../../workers/local-paths';

export const MEMORY_USAGE = `pantheon memory backfill [--limit N] [--task-queue Q]   write the records of tasks that ended while the store was down
pantheon memory reembed                                 rebuild the store's vectors with PANTHEON_EMBEDDER (workers stopped)`;

/** One backfill at a time per task queue: a second command joins the pass already running. */
export const MEMORY_BACKFILL_ID = 'pantheon-memory-backfill';

/**
 * `pantheon memory backfill`: runs one backfill pass (src/activities/backfill-memory.ts) on a
 * worker of PANTHEON_TASK_QUEUE, which holds the memory store, and prints what it wrote. Exits 75
 * (store_unavailable) when a record still could not be written.
 */
export async function memoryCommand(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub === 'reembed') return reembed(rest);
  // No default: both subcommands write.
  if (sub === undefined) throw PantheonError.of('invalid_input', `memory: give a subcommand, backfill or reembed\n${MEMORY_USAGE}`, { details: { field: 'subcommand' } });
  if (sub !== 'backfill') throw unknownSubcommand('memory', sub, ['backfill', 'reembed'], MEMORY_USAGE);
  const { values } = parseArgs({ args: rest, options: { limit: { type: 'string', default: '500' }, 'task-queue': { type: 'string' } } });
  const limit = positiveInteger(values.limit, '--limit');
  const tasksOf = values['task-queue'];
  // As PANTHEON_TASK_QUEUE: blank or padded is a typo, which would find no task and say "0 pending".
  if (tasksOf !== undefined && (tasksOf.trim() === '' || tasksOf.trim() !== tasksOf)) {
    throw PantheonError.of('invalid_input', `--task-queue: "${tasksOf}" must not be blank or start or end with spaces`, { details: { field: '--task-queue' } });
  }
  const config = loadConfig();
  const { client, close } = await connectClient(config);
  try {
    // The pass runs on the queue whose tasks it writes: that queue's workers hold its store (a
    // fleet writes only its own tasks into its own store). Until 2026-12-07 `--task-queue Q` ran
    // on PANTHEON_TASK_QUEUE and wrote Q's records into that fleet's store.
    const taskQueue = tasksOf ?? config.temporal.taskQueue;
    const field = tasksOf === undefined ? 'PANTHEON_TASK_QUEUE' : '--task-queue';
    const workflowId = backfillIdFor(taskQueue);
    await ensureBackfillCanRun(client, config.temporal.namespace, taskQueue, workflowId, field);
    const report = await client.workflow.execute<typeof memoryBackfill>('memoryBackfill', {
      workflowId,
      taskQueue,
      args: [{ limit, taskQueue }],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      // A pass whose worker went away ends instead of holding the id (and every later command) for ever.
      workflowExecutionTimeout: BACKFILL_TIMEOUT,
    });
    console.log(`pending tasks ${report.found}: ${report.written} written, ${report.alreadyStored} already stored, ${report.failed.length} failed`);
    for (const f of report.failed) console.log(`  ${f.taskId}: ${f.error}`);
    if (report.stoppedEarly === 'store_down') console.log('  the pass stopped at the store\'s first failed write: more tasks are pending (PantheonMemoryPending = true); they wait for the next pass');
    if (report.stoppedEarly === 'limit') console.log(`  the pass stopped at --limit ${limit}: more tasks are pending; run it again for the next ones`);
    // Exit 75 (EX_TEMPFAIL), as for every store_unavailable: the store is down, not the input wrong.
    if (report.failed.length > 0) throw PantheonError.of('store_unavailable', `${report.failed.length} memory record(s) still not written; run again once the store is back`);
  } finally {
    await close();
  }
}

/** The longest a backfill pass may take: its activity's own attempts (3 × 10 min) and their waits. */
export const BACKFILL_TIMEOUT = '45m';

/**
 * A pass runs on a worker of the queue: with none polling it, the command would wait for ever, so
 * it refuses, naming PANTHEON_TASK_QUEUE. A pass already running on another queue (an earlier
 * command's) is not joined from here: the command says where it runs and how to end it.
 */
async function ensureBackfillCanRun(client: Client, namespace: string, taskQueue: string, workflowId: string, field: string): Promise<void> {
  const running = await client.workflow
    .getHandle(workflowId)
    .describe()
    .then((d) => (d.status.name === 'RUNNING' ? d : undefined))
    .catch((err: unknown) => {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    });
  if (running && running.taskQueue !== taskQueue) {
    throw PantheonError.of(
      'invalid_input',
      `${field}: a backfill pass started ${running.startTime.toISOString()} is running on task queue ${running.taskQueue}, not ${taskQueue}; wait for it, or end it: temporal workflow terminate --workflow-id ${workflowId}`,
      { details: { field } },
    );
  }
  if (!running && (await workflowPollers(client, namespace, taskQueue)) === 0) {
    throw PantheonError.of('invalid_input', `${field}: no worker polls task queue ${taskQueue}; start one there (npm run worker) or name the queue your workers poll`, {
      details: { field },
    });
  }
}

/** One pass per queue: `pantheon-memory-backfill` on the default queue, `pantheon-memory-backfill-<queue>` on another. */
export function backfillIdFor(taskQueue: string): string {
  return taskQueue === DEFAULT_TASK_QUEUE ? MEMORY_BACKFILL_ID : `${MEMORY_BACKFILL_ID}-${taskQueue}`;
}

/** What a re-embedding run is charged to in the budget ledger (one owner per run). */
export const REEMBED_OWNER = 'memory-reembed';

/**
 * `pantheon memory reembed`: the embedded store's vectors rebuilt with the configured embedder
 * (src/memory/reembed-sqlite.ts). OpenAI embeddings are paid through the budget ledger, charged to
 * `memory-reembed`, so this needs the Temporal server the ledger runs on; the hashing embedder needs none.
 */
async function reembed(argv: string[]): Promise<void> {
  parseArgs({ args: argv, options: {} });
  const config = loadConfig();
  if (config.memory.kind !== 'sqlite') {
    throw PantheonError.of('invalid_input', 'memory reembed: rebuilds the embedded SQLite store only; for Qdrant, start a new collection with the new embedder', { details: { field: 'PANTHEON_MEMORY' } });
  }
  checkMemoryFile(config.memory, 'write');
  const file = config.memory.file;
  const { embedder, close } = await openCliEmbedder(config, REEMBED_OWNER, { embeds: true });
  try {
    const report = await reembedSqlite(file, embedder, (done, total) => process.stderr.write(`\rre-embedded ${done}/${total}`));
    if (report.embedded > 0) process.stderr.write('\n');
    const lessons = `${report.lessons} lesson${report.lessons === 1 ? '' : 's'}`;
    if (report.from !== report.to) console.log(`${file}: ${report.records} records and ${lessons} re-embedded, ${report.from} → ${report.to}`);
    else if (report.lessons > 0) console.log(`${file}: already in ${report.to} (${report.records} records); ${lessons} an earlier reembed left in another space re-embedded`);
    else console.log(`${file}: already in ${report.to} (${report.records} records)`);
  } finally {
    await close();
  }
}
