import Database from 'better-sqlite3';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createBackfillMemory } from '../../src/activities/backfill-memory';
import { memoryConsolidation } from '../../src/workflows/memory-consolidation';
import { createStoreMemory } from '../../src/activities/store-memory';
import { startTask } from '../../src/client/submit-task';
import { backfillIdFor } from '../../src/client/commands/memory';
import { closedResult } from '../../src/tasks/closed-outcome';
import { TaskInputSchema, type TaskInput } from '../../src/tasks/task-input';
import { TaskMemoryPending } from '../../src/workflows/search-attributes';
import type { TaskOutcome } from '../../src/workflows/task-state';
import { runCli } from '../support/cli';
import { startHarness, testAddress, type Harness } from '../support/harness';
import { maybeRecordHistory } from '../support/history';
import { startWebhookReceiver } from '../support/webhook';

/**
 * Memory never costs a result: the store is taken down for real (another connection holds the
 * SQLite file's write lock, so every write waits out its busy timeout, shortened here, and fails SQLITE_BUSY), a
 * task ends as its work decided, marked PantheonMemoryPending with an alert, and its record is
 * written by the backfill once the lock is gone.
 */
let h: Harness;
let webhook: Awaited<ReturnType<typeof startWebhookReceiver>>;

beforeAll(async () => {
  webhook = await startWebhookReceiver();
  // A locked write fails after 300 ms instead of the default 5 s: the same failure, sooner.
  h = await startHarness('memory-outage', { alertWebhookUrl: webhook.url, memoryBusyTimeoutMs: 300 });
});

afterAll(async () => {
  await h?.stop();
  await webhook?.close();
});

const DB_TASK = 'Add a unique index on users.email in the Postgres database';
let seq = 0;
const newId = (name: string) => `memout-${name}-${Date.now()}-${++seq}`;

/** Holds the memory file's write lock until released: the worker's store cannot write meanwhile. */
function lockStore(): { release(): void } {
  const db = new Database(h.memoryFile);
  db.exec('BEGIN EXCLUSIVE');
  return {
    release() {
      db.exec('ROLLBACK');
      db.close();
    },
  };
}

async function run(id: string, input: TaskInput): Promise<TaskOutcome> {
  return closedResult(await startTask(h.client, h.taskQueue, TaskInputSchema.parse(input), id));
}

const pendingMark = async (id: string) => (await h.client.workflow.getHandle(id).describe()).typedSearchAttributes.get(TaskMemoryPending);

/** The backfill activity on its own, as a worker would run it, against the suite's dev server. */
const backfill = () =>
  new MockActivityEnvironment().run(createBackfillMemory({ client: h.client, storeMemory: createStoreMemory({ memory: h.memory, roster: h.roster }) }), { taskQueue: h.taskQueue });

describe('memory outage', () => {
  let completedId: string;

  it('completes a task whose store is down, marks it PantheonMemoryPending and alerts; backfill writes its record once the store is back', async () => {
    completedId = newId('done');
    const lock = lockStore();
    let outcome: TaskOutcome;
    try {
      // Two bounded attempts (the default is five, backed off): enough to show the retry without a long test.
      outcome = await run(completedId, { objective: DB_TASK, retry: { storeMemory: { maximumAttempts: 2, initialIntervalMs: 100 } } });
    } finally {
      lock.release();
    }
    expect(outcome.status).toBe('completed');
    expect(outcome.result).toBeTruthy();
    expect(outcome.memoryId).toBeUndefined();
    expect(outcome.memoryPending).toMatchObject({ input: { taskId: completedId, success: true, result: outcome.result } });
    expect(outcome.memoryPending!.error).toMatch(/SQLITE_BUSY|database is locked/);
    expect(await pendingMark(completedId)).toBe(true);
    expect(webhook.received).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'memory_pending', id: `${completedId}:memory_pending` })]));
    expect(await h.memory.count({ taskId: completedId })).toBe(0);
    await maybeRecordHistory(completedId, 'completed-task-memory-pending');

    const first = await backfill();
    expect(first).toEqual({ found: 1, written: 1, alreadyStored: 0, failed: [] });
    const record = await h.memory.get(`${completedId}:outcome`);
    expect(record).toMatchObject({ taskId: completedId, success: true, result: outcome.result, specialist: 'DatabaseAgent', kind: 'database', tokens: outcome.memoryPending!.input.tokens });
    // Dated when the task ended, not when the backfill wrote it.
    expect(record!.createdAt).toBe(outcome.memoryPending!.input.endedAt);
    expect(record!.durationMs).toBeGreaterThan(0);
    // Idempotent: a second pass finds the same task and writes nothing.
    expect(await backfill()).toEqual({ found: 1, written: 0, alreadyStored: 1, failed: [] });
    expect(await h.memory.count({ taskId: completedId })).toBe(1);
  });

  it('keeps a dead letter\'s record too, and `pantheon memory backfill` writes it on a worker (exit 75 while the store is still down)', async () => {
    const id = newId('dlq');
    h.provider.addFault({ kind: 'quota_exhausted', match: { task: id, purpose: 'specialist' }, times: 1 });
    const lock = lockStore();
    // The worker's store: `status` reads it (read-only) to tell whether a backfill wrote the record since.
    const env = { TEMPORAL_ADDRESS: testAddress(), PANTHEON_TASK_QUEUE: h.taskQueue, PANTHEON_MEMORY_FILE: h.memoryFile };
    try {
      const outcome = await run(id, { objective: DB_TASK, retry: { storeMemory: { maximumAttempts: 1 } } });
      expect(outcome.status).toBe('dead_lettered');
      expect(outcome.memoryPending).toMatchObject({ input: { taskId: id, success: false } });
      expect(await pendingMark(id)).toBe(true);
      expect(webhook.received).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'memory_pending', id: `${id}:memory_pending` })]));
      await maybeRecordHistory(id, 'dead-lettered-task-memory-pending');
      // Both while the store is down; the failed pass leaves the task as it was, so they run at once.
      const [status, stillDown] = await Promise.all([runCli(['status', id], env), runCli(['memory', 'backfill', '--task-queue', h.taskQueue], env)]);
      expect(status.stdout).toMatch(/\nmemory +pending: the store failed \(.*database is locked.*\); `pantheon memory backfill` writes it\n/);

      // The store is down, not the input wrong: a script may run it again later.
      expect(stillDown.code).toBe(75);
      expect(stillDown.stdout).toContain(`${id}:`);
      expect(stillDown.stderr).toMatch(/still not written/);
      // The newest pending task (this one) failed first; the other test's, still marked, was not
      // looked at, and the command says more are pending rather than "1 pending".
      expect(stillDown.stdout).toMatch(/^pending tasks 1: 0 written, 0 already stored, 1 failed\n/);
      expect(stillDown.stdout).toContain("the pass stopped at the store's first failed write: more tasks are pending");
    } finally {
      lock.release();
    }
    // A pass at its limit with more pending says so too.
    const limited = await runCli(['memory', 'backfill', '--task-queue', h.taskQueue, '--limit', '1'], env);
    expect(limited.code).toBe(0);
    // This task's record, the newest, is written; the other test's task (already backfilled) is left.
    expect(limited.stdout).toMatch(/^pending tasks 1: 1 written, 0 already stored, 0 failed\n/);
    expect(limited.stdout).toContain('the pass stopped at --limit 1: more tasks are pending');
    const cli = await runCli(['memory', 'backfill', '--task-queue', h.taskQueue], env);
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    // A whole pass: both tasks' records are in the store already, and nothing is left behind.
    expect(cli.stdout).toBe('pending tasks 2: 0 written, 2 already stored, 0 failed\n');
    expect(await h.memory.get(`${id}:failure`)).toMatchObject({ taskId: id, success: false });
    // The task's state still says pending (an ended workflow's cannot change); status reads the store.
    const after = await runCli(['status', id], env);
    expect(after.stdout).toMatch(/\nmemory +written by a backfill since \(the store failed when the task ended: .*database is locked.*\)\n/);
    const elsewhere = await runCli(['status', id], { ...env, PANTHEON_MEMORY_FILE: `${h.memoryFile}.not-here` });
    expect(elsewhere.stdout).toMatch(/\nmemory +pending: .*writes it \(as the task ended: a backfill pass may have written it since\)\n/);
    const runs = h.client.workflow.list({ query: `WorkflowId = '${backfillIdFor(h.taskQueue)}'` });
    for await (const info of runs) {
      if (info.status.name === 'COMPLETED') await maybeRecordHistory(backfillIdFor(h.taskQueue), 'memory-backfill', info.runId);
      break;
    }
  });

  it('the scheduled consolidation backfills a pending record before it looks at lessons', async () => {
    const id = newId('consolidated');
    const lock = lockStore();
    try {
      const outcome = await run(id, { objective: DB_TASK, retry: { storeMemory: { maximumAttempts: 1 } } });
      expect(outcome.status).toBe('completed');
      expect(outcome.memoryPending).toBeDefined();
    } finally {
      lock.release();
    }
    const report = await h.client.workflow.execute(memoryConsolidation, { taskQueue: h.taskQueue, workflowId: `${id}-consolidation`, args: [{ taskQueue: h.taskQueue }] });
    expect(report.backfill).toMatchObject({ written: 1, failed: [] });
    expect(await h.memory.get(`${id}:outcome`)).toMatchObject({ taskId: id, success: true });
  });

  it('memory backfill refuses, naming PANTHEON_TASK_QUEUE, a queue no worker polls and a pass still running on another queue, instead of waiting for ever', async () => {
    const nobody = `${h.taskQueue}-nobody-${Date.now()}`;
    const env = { TEMPORAL_ADDRESS: testAddress(), PANTHEON_TASK_QUEUE: nobody };
    const none = await runCli(['memory', 'backfill'], env);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(new RegExp(`PANTHEON_TASK_QUEUE: no worker polls task queue ${nobody}`));
    // Nothing started: no pass runs on that queue.
    await expect(h.client.workflow.getHandle(backfillIdFor(nobody)).describe()).rejects.toThrow();
    // --task-queue names the queue the pass runs on (its workers hold its store): refused the same way.
    const named = await runCli(['memory', 'backfill', '--task-queue', nobody], { ...env, PANTHEON_TASK_QUEUE: h.taskQueue });
    expect(named.code).toBe(1);
    expect(named.stderr).toMatch(new RegExp(`--task-queue: no worker polls task queue ${nobody}`));

    // A pass an earlier command left under this queue's id on a queue nobody polls: the next command says where it runs.
    const stuck = await h.client.workflow.start('memoryBackfill', { taskQueue: nobody, workflowId: backfillIdFor(h.taskQueue), args: [{}] });
    try {
      const joined = await runCli(['memory', 'backfill'], { ...env, PANTHEON_TASK_QUEUE: h.taskQueue });
      expect(joined.code).toBe(1);
      expect(joined.stderr).toMatch(new RegExp(`PANTHEON_TASK_QUEUE: a backfill pass started .* is running on task queue ${nobody}, not ${h.taskQueue}; wait for it, or end it: temporal workflow terminate --workflow-id ${backfillIdFor(h.taskQueue)}`));
    } finally {
      await stuck.terminate('test over');
    }
  });

  it("memory backfill --task-queue Q runs on Q's workers, which hold Q's store, whatever PANTHEON_TASK_QUEUE says", async () => {
    // The shell names a queue nobody polls: before, the pass ran there (and was refused), or on
    // another fleet's queue, writing Q's records into that fleet's store.
    const env = { TEMPORAL_ADDRESS: testAddress(), PANTHEON_TASK_QUEUE: `${h.taskQueue}-elsewhere-${Date.now()}` };
    const run = await runCli(['memory', 'backfill', '--task-queue', h.taskQueue], env);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^pending tasks \d+: /);
    const pass = await h.client.workflow.getHandle(backfillIdFor(h.taskQueue)).describe();
    expect(pass.taskQueue).toBe(h.taskQueue);
  });

  it('names a bad flag and exits 1', async () => {
    const bad = await runCli(['memory', 'backfill', '--limit', '0'], { TEMPORAL_ADDRESS: testAddress() });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--limit: expected a positive integer/);
    const unknown = await runCli(['memory', 'wipe'], { TEMPORAL_ADDRESS: testAddress() });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/memory: unknown subcommand "wipe"/);
    const none = await runCli(['memory'], { TEMPORAL_ADDRESS: testAddress() });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/memory: give a subcommand, backfill or reembed/);
  });
});
