import type { ChildProcess } from 'node:child_process';
import type { WorkflowHandle } from '@temporalio/client';
import { startTask } from '../../src/client/submit-task';
import { openMemoryStore } from '../../src/memory/open-store';
import { closedResult } from '../../src/tasks/closed-outcome';
import { TaskInputSchema } from '../../src/tasks/task-input';
import { budgetQuery, ledgerBatchUpdate } from '../../src/budget/ledger-defs';
import type { TaskOutcome } from '../../src/workflows/task-state';
import { workerFleetSuite } from '../support/worker-process';
import { billed } from '../support/billed';

/**
 * A worker process stalls (SIGSTOP: a paused VM, a debugger, a swap storm) with tasks mid-run and
 * the budget ledger's workflow cached on it; another worker starts. The server still holds the
 * stalled worker's polls, so the ledger answers nothing until it gives up on that worker: a new
 * worker must not wait for the ledger to start (it once failed its start-up on a limits query
 * that timed out, and no task moved). Every task ends on the new worker, and when the stalled
 * one resumes, the books still close: the tasks' costs, the leases its stall let expire and
 * anything it charged after a task's close add up to the ledger's settled spend, which covers the
 * provider's own log.
 */
const TASKS = 6;
const ITEMS = ['created_at', 'customer_id', 'status', 'region'];
const LATENCY_MS = 1_000;
const suite = workerFleetSuite('stall', { latencyMs: LATENCY_MS });
const { taskQueue, ledgerId, memoryFile } = suite.fleet;

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The task's end, or after `ms` a failure naming what it still waits for (its pending activities). */
async function endOf(handle: WorkflowHandle, ms: number): Promise<TaskOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(async () => {
      const pending = (await handle.describe()).raw.pendingActivities ?? [];
      reject(new Error(`${handle.workflowId} did not end within ${ms} ms; pending: ${pending.map((p) => `${p.activityType?.name} attempt ${p.attempt}, last failure: ${p.lastFailure?.message ?? 'none'}`).join('; ')}`));
    }, ms);
  });
  try {
    return (await Promise.race([closedResult(handle), late])) as TaskOutcome;
  } finally {
    clearTimeout(timer);
  }
}

it('a worker started while another is stalled (SIGSTOP) takes its tasks over, and the books close once the stalled one resumes', async () => {
  const stalled: ChildProcess = suite.fleet.start(suite.provider.url);
  const handles = await Promise.all(
    Array.from({ length: TASKS }, (_, i) =>
      startTask(suite.client, taskQueue, TaskInputSchema.parse({ objective: `Add these indexes to the Postgres table shard_${i}:\n${ITEMS.map((c) => `- ${c}`).join('\n')}` }), `${taskQueue}-task-${i}`),
    ),
  );
  // Every task two iterations into its specialist's loop, the ledger busy with their calls.
  const specialistCalls = () => suite.provider.calls().filter((c) => c.purpose === 'specialist');
  await until(() => new Set(specialistCalls().map((c) => c.task)).size >= TASKS && specialistCalls().length >= TASKS * 2, 60_000, 'every task mid-run');
  await new Promise((r) => setTimeout(r, LATENCY_MS / 2));
  stalled.kill('SIGSTOP');
  try {
    suite.fleet.start(suite.provider.url);
    // Heartbeat timeouts (15 s) move the runs; attempts the stalled worker's held polls took time out too.
    const outcomes = await Promise.all(handles.map((h) => endOf(h, 150_000)));
    expect(outcomes.map((o) => o.status)).toEqual(Array(TASKS).fill('completed'));
  } finally {
    stalled.kill('SIGCONT');
  }
  // The stalled worker resumes: whatever it still held (calls answered meanwhile, bookings, lease
  // returns) reaches the ledger now.
  await new Promise((r) => setTimeout(r, 5_000));

  // The ledger looks for ended leases on its own updates: a bystander's reserve, released at once, brings its clock on.
  const ledger = suite.client.workflow.getHandle(ledgerId);
  let poke = 0;
  await until(
    async () => {
      const key = `bystander:run:1:1:${++poke}`;
      await ledger.executeUpdate(ledgerBatchUpdate, { args: [{ finishes: [], reserves: [{ key, taskId: 'bystander', agent: 'DatabaseAgent', usd: 0.000001, tokens: 1 }] }] as never });
      await ledger.executeUpdate(ledgerBatchUpdate, { args: [{ finishes: [{ op: 'release', reservationId: key }], reserves: [] }] as never });
      const s = await ledger.query(budgetQuery);
      return s.outstanding.count === 0 && (s.leases?.count ?? 0) === 0;
    },
    90_000,
    'the ledger to hold no reservation and no lease',
  );
  const snapshot = await ledger.query(budgetQuery);
  const day = snapshot.scopes.find((s) => s.scope === 'system:day')!;
  const outcomes = await Promise.all(handles.map((h) => endOf(h, 1_000)));
  const expired = snapshot.leases?.expiredToday ?? { usd: 0, tokens: 0 };
  const late = snapshot.chargedAfterCloseToday ?? { usd: 0, tokens: 0 };
  const tasks = outcomes.reduce((sum, o) => ({ usd: sum.usd + o.costUsd, tokens: sum.tokens + o.tokens }), { usd: 0, tokens: 0 });
  expect(tasks.usd + expired.usd + late.usd).toBeCloseTo(day.settledUsd, 9);
  expect(tasks.tokens + expired.tokens + late.tokens).toBe(day.settledTokens);
  expect(day.settledUsd).toBeGreaterThanOrEqual(billed(suite.provider.calls()) - 1e-9);
  // Each charge after a close named its task in an alert.
  if (late.usd > 0) expect(snapshot.alerts.some((a) => a.kind === 'charged_after_close')).toBe(true);
  const memory = await openMemoryStore({ kind: 'sqlite', file: memoryFile });
  try {
    for (const o of outcomes) expect(await memory.count({ taskId: o.taskId })).toBe(1);
  } finally {
    await memory.close();
  }
  console.info(
    `after a stall: tasks $${tasks.usd.toFixed(6)}, leases expired in the stall $${expired.usd.toFixed(6)}, charged after a close $${late.usd.toFixed(6)}, ledger $${day.settledUsd.toFixed(6)}, provider $${billed(suite.provider.calls()).toFixed(6)}`,
  );
}, 300_000);
