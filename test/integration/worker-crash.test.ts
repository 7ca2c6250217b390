import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startTask } from '../../src/client/submit-task';
import { SWEEPER_SCHEDULE_ID } from '../../src/client/sweeper-schedule';
import { startOfflineProvider, type OfflineProvider } from '../../src/llm/offline';
import { openMemoryStore } from '../../src/memory/open-store';
import { TaskInputSchema } from '../../src/tasks/task-input';
import { budgetQuery } from '../../src/workflows/budget-ledger-defs';
import type { TaskOutcome } from '../../src/workflows/task-state';
import { testAddress } from '../support/harness';
import { killWorkerProcess, spawnWorkerProcess } from '../support/worker-process';
import { billed } from '../support/billed';

/**
 * A worker process is killed with SIGKILL while 30+ tasks are in flight; a new worker starts.
 * Heartbeat timeouts move the dead worker's activities to the new one: every task ends, none is
 * lost, and no memory record is written twice.
 */
const TASKS = 32;
let provider: OfflineProvider;
let connection: Connection;
let client: Client;
const children: ChildProcess[] = [];
const taskQueue = `crash-${process.pid}-${Date.now()}`;
const ledgerId = `${taskQueue}-ledger`;
const memoryFile = path.join(process.env.PANTHEON_TEST_DIR ?? '/tmp', `${taskQueue}.sqlite`);

function startWorkerProcess(): ChildProcess {
  const child = spawnWorkerProcess({
    PANTHEON_TASK_QUEUE: taskQueue,
    PANTHEON_LEDGER_ID: ledgerId,
    PANTHEON_BUDGET_TASK_QUEUE: `${taskQueue}-budget`,
    PANTHEON_OFFLINE_URL: provider.url,
    PANTHEON_MEMORY_FILE: memoryFile,
  });
  children.push(child);
  return child;
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  provider = await startOfflineProvider({ port: 0, latencyMs: 250 });
  connection = await Connection.connect({ address: testAddress() });
  client = new Client({ connection });
});

const kill = killWorkerProcess;

afterAll(async () => {
  await Promise.all(children.map(kill));
  await client.schedule.getHandle(SWEEPER_SCHEDULE_ID).delete().catch(() => undefined);
  await client.workflow.getHandle(ledgerId).terminate('test over').catch(() => undefined);
  await connection?.close();
  await provider?.close();
});

it('survives a worker killed with SIGKILL mid-run: every task ends, none is lost, no memory record is duplicated', async () => {
  const first = startWorkerProcess();
  const handles = await Promise.all(
    Array.from({ length: TASKS }, (_, i) =>
      startTask(
        client,
        taskQueue,
        TaskInputSchema.parse({ objective: `Add these indexes to the Postgres table shard_${i}:\n- created_at\n- customer_id\n- status` }),
        `${taskQueue}-task-${i}`,
      ),
    ),
  );
  // Kill the worker once most tasks are mid-run: some specialist calls made, none finished.
  await until(() => new Set(provider.calls().filter((c) => c.purpose === 'specialist').map((c) => c.task)).size >= 30, 90_000, '30 tasks in flight');
  await kill(first);
  const callsAtKill = provider.calls().length;

  startWorkerProcess();
  const outcomes = (await Promise.all(handles.map((h) => h.result()))) as TaskOutcome[];

  expect(provider.calls().length).toBeGreaterThan(callsAtKill);
  expect(outcomes).toHaveLength(TASKS);
  expect(outcomes.map((o) => o.status)).toEqual(Array(TASKS).fill('completed'));
  const memory = await openMemoryStore({ kind: 'sqlite', file: memoryFile });
  try {
    expect(await memory.count()).toBe(TASKS);
    for (const o of outcomes) expect(await memory.count({ taskId: o.taskId })).toBe(1);
  } finally {
    await memory.close();
  }
});

it('reconciles one bill after the kill: the tasks\' costs add up to the ledger, which covers the provider\'s own log', async () => {
  const outcomes = (await Promise.all(Array.from({ length: TASKS }, (_, i) => client.workflow.getHandle(`${taskQueue}-task-${i}`).result()))) as TaskOutcome[];
  const snapshot = await client.workflow.getHandle(ledgerId).query(budgetQuery);
  const ledger = snapshot.scopes.find((s) => s.scope === 'system:day')!;
  expect(snapshot.outstanding.count).toBe(0);
  // Every task closed its bill, so every charge the ledger holds is some task's.
  const tasksTotal = outcomes.reduce((sum, o) => sum + o.costUsd, 0);
  expect(tasksTotal).toBeCloseTo(ledger.settledUsd, 9);
  expect(outcomes.reduce((sum, o) => sum + o.tokens, 0)).toBe(ledger.settledTokens);
  for (const o of outcomes) expect(o.bill).toMatchObject({ known: true });
  // The provider's own bill, from its call log and the pinned prices: the ledger holds all of it,
  // plus, for each call that died with the worker, the worst case it held instead of the usage.
  const provider_ = billed(provider.calls());
  expect(ledger.settledUsd).toBeGreaterThanOrEqual(provider_ - 1e-9);
  const diedInFlight = outcomes.reduce((n, o) => n + (o.bill?.chargedOutstanding ?? 0), 0);
  // A call's worst case here is about $0.001; an unexplained excess would mean double charging.
  expect(ledger.settledUsd - provider_).toBeLessThanOrEqual(diedInFlight * 0.005 + 1e-9);
  console.info(`after SIGKILL: tasks $${tasksTotal.toFixed(6)}, ledger $${ledger.settledUsd.toFixed(6)}, provider $${provider_.toFixed(6)}, ${diedInFlight} calls died in flight`);
});
