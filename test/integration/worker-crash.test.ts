import type { ChildProcess } from 'node:child_process';
import { startTask } from '../../src/client/submit-task';
import type { CallRecord } from '../../src/llm/offline';
import { openMemoryStore } from '../../src/memory/open-store';
import { closedResult } from '../../src/tasks/closed-outcome';
import { TaskInputSchema } from '../../src/tasks/task-input';
import { budgetQuery } from '../../src/budget/ledger-defs';
import type { TaskOutcome } from '../../src/workflows/task-state';
import { killWorkerProcess, workerFleetSuite } from '../support/worker-process';
import { billed } from '../support/billed';

/**
 * A worker process is killed with SIGKILL while 30+ tasks are in flight; a new worker starts.
 * Heartbeat timeouts move the dead worker's activities to the new one: every task ends, none is
 * lost, no memory record is written twice, and each specialist run resumes from its last
 * checkpointed iteration instead of paying again for the ones it finished. A few of the tasks
 * cannot finish within their iteration limit and are dead-lettered after the kill.
 */
const TASKS = 32;
/** Work items per task; the offline specialist takes one step per item plus a final one. */
const ITEMS = ['created_at', 'customer_id', 'status', 'region'];
const STEPS = ITEMS.length + 1;
/** The last few tasks have more items than their iteration limit allows: killed mid-run like the
 * others, they go on and are dead-lettered at the limit, so the kill's bill reaches failure records too. */
const FAILING = 4;
const LONG_ITEMS = [...ITEMS, 'tenant_id', 'updated_at'];
const FAILING_LIMIT = LONG_ITEMS.length;
const failing = (i: number) => i >= TASKS - FAILING;
/** Iterations a task's run pays for (each once): all its steps, or its limit. */
const iterationsOf = (taskId: string) => (failing(Number(taskId.split('-').at(-1))) ? FAILING_LIMIT : STEPS);
/** Iterations each run has finished (and checkpointed) before the kill, so a restart would show. */
const DONE_BEFORE_KILL = 3;
// Longer than the worker's heartbeat throttle (1 s): each checkpoint then leaves the worker at
// once, so a kill at any moment finds the previous iteration on the server.
const LATENCY_MS = 1_200;
/**
 * How soon before the kill a call may have left for its iteration's predecessor still to be
 * repaid. A checkpoint goes out asynchronously (the SDK encodes it on the event loop, core sends
 * it to the server) while the activity already sends its next call, and nothing tells the
 * activity it arrived; a kill in that moment finds the one before it on the server. A kill right
 * after the test saw a call arrive landed in that moment now and then on loaded cores (1 run in
 * ~10). Well under one iteration (1.2 s): a checkpoint held back a whole iteration, as the SDK's
 * default throttle would, still fails the test.
 */
const CHECKPOINT_IN_TRANSIT_MS = 500;
/**
 * A call the dead worker sent just before the kill can reach the provider just after it was sent
 * (seen in CI on busy cores: at the very millisecond). No worker that starts after the kill calls
 * this soon (the survivor picks the run up seconds later), so such a call is the one in flight.
 */
const KILL_LANDING_MS = 100;
/** When the SIGKILL was sent (this process's clock, as the provider's call log). */
let killSentAt = 0;
const suite = workerFleetSuite('crash', { latencyMs: LATENCY_MS });
const { fleet } = suite;
const { taskQueue, ledgerId, memoryFile } = fleet;
const startWorkerProcess = (): ChildProcess => fleet.start(suite.provider.url);

/** The provider's own log of specialist calls, by the task header each call carried. */
function specialistCallsByTask(): Map<string, CallRecord[]> {
  const byTask = new Map<string, CallRecord[]>();
  for (const call of suite.provider.calls()) {
    if (call.purpose !== 'specialist' || call.task === null) continue;
    byTask.set(call.task, [...(byTask.get(call.task) ?? []), call]);
  }
  return byTask;
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const kill = killWorkerProcess;

it('survives a worker killed with SIGKILL mid-run: every task ends, none is lost, no memory record is duplicated', async () => {
  const started = Date.now();
  const first = startWorkerProcess();
  const handles = await Promise.all(
    Array.from({ length: TASKS }, (_, i) =>
      startTask(
        suite.client,
        taskQueue,
        TaskInputSchema.parse({
          objective: `Add these indexes to the Postgres table shard_${i}:\n${(failing(i) ? LONG_ITEMS : ITEMS).map((c) => `- ${c}`).join('\n')}`,
          // No reassignment: a run at its limit would hand the task on (each other specialist then
          // runs to the limit too); here the task is to end dead-lettered after the one run.
          ...(failing(i) && { maxIterations: FAILING_LIMIT, maxReassignments: 0 }),
        }),
        `${taskQueue}-task-${i}`,
      ),
    ),
  );
  // Kill the worker once most tasks are mid-run, several iterations into their specialist's loop.
  await until(() => [...specialistCallsByTask().values()].filter((calls) => calls.length > DONE_BEFORE_KILL).length >= 30, 90_000, '30 tasks mid-run');
  // Tasks started together call in step: the kill comes halfway through their calls, not just as
  // one leaves (when the checkpoint before it may still be in transit: CHECKPOINT_IN_TRANSIT_MS).
  await new Promise((r) => setTimeout(r, LATENCY_MS / 2));
  killSentAt = Date.now();
  await kill(first);
  const callsAtKill = suite.provider.calls().length;
  const killedAt = Date.now();

  startWorkerProcess();
  const outcomes = (await Promise.all(handles.map((h) => closedResult(h)))) as TaskOutcome[];
  console.info(`SIGKILL ${((killedAt - started) / 1000).toFixed(1)} s after the first worker started; all tasks ended ${((Date.now() - killedAt) / 1000).toFixed(1)} s later`);

  expect(suite.provider.calls().length).toBeGreaterThan(callsAtKill);
  expect(outcomes).toHaveLength(TASKS);
  // Each task that ended otherwise, with why (a CI run once dead-lettered one completing task, and
  // the bare list of statuses did not say why).
  const unexpected = outcomes.flatMap((o, i) => (o.status === (failing(i) ? 'dead_lettered' : 'completed') ? [] : [`${o.taskId}: ${o.status}: ${o.reasons.join('; ')} (failures: ${JSON.stringify(o.failures)})`]));
  expect(unexpected).toEqual([]);
  const memory = await openMemoryStore({ kind: 'sqlite', file: memoryFile });
  try {
    expect(await memory.count()).toBe(TASKS);
    for (const o of outcomes) expect(await memory.count({ taskId: o.taskId })).toBe(1);
  } finally {
    await memory.close();
  }
});

it('reconciles one bill after the kill: the tasks\' costs add up to the ledger, which covers the provider\'s own log', async () => {
  const outcomes = (await Promise.all(Array.from({ length: TASKS }, (_, i) => closedResult(suite.client.workflow.getHandle(`${taskQueue}-task-${i}`))))) as TaskOutcome[];
  const snapshot = await suite.client.workflow.getHandle(ledgerId).query(budgetQuery);
  const ledger = snapshot.scopes.find((s) => s.scope === 'system:day')!;
  expect(snapshot.outstanding.count).toBe(0);
  // Every task closed its bill, so every charge the ledger holds is some task's, but for the
  // leases the killed worker held: charged in full at their end (if that came yet), in no bill.
  const leasesCharged = snapshot.leases?.expiredToday ?? { usd: 0, tokens: 0 };
  const tasksTotal = outcomes.reduce((sum, o) => sum + o.costUsd, 0);
  expect(tasksTotal + leasesCharged.usd).toBeCloseTo(ledger.settledUsd, 9);
  expect(outcomes.reduce((sum, o) => sum + o.tokens, 0) + leasesCharged.tokens).toBe(ledger.settledTokens);
  for (const o of outcomes) expect(o.bill).toMatchObject({ known: true });
  // The provider's own bill, from its call log and the pinned prices: the ledger holds all of it,
  // plus, for each call that died with the worker, the worst case it held instead of the usage.
  const providerUsd = billed(suite.provider.calls());
  expect(ledger.settledUsd).toBeGreaterThanOrEqual(providerUsd - 1e-9);
  const diedInFlight = outcomes.reduce((n, o) => n + (o.bill?.chargedOutstanding ?? 0), 0);
  // A call's worst case here is about $0.001; an unexplained excess would mean double charging.
  expect(ledger.settledUsd - providerUsd).toBeLessThanOrEqual(diedInFlight * 0.005 + leasesCharged.usd + 1e-9);
  // What `pantheon history` shows is the same bill: each task's memory record, its outcome's or
  // its failure's, carries its cost and tokens as the outcome reports them, the calls that died in
  // flight with the killed worker included.
  expect(outcomes.filter((o) => o.status === 'completed' && (o.bill?.chargedOutstanding ?? 0) > 0)).not.toEqual([]);
  expect(outcomes.filter((o) => o.status === 'dead_lettered' && (o.bill?.chargedOutstanding ?? 0) > 0)).not.toEqual([]);
  const memory = await openMemoryStore({ kind: 'sqlite', file: memoryFile });
  try {
    const recorded = await Promise.all(outcomes.map(async (o) => memory.get(`${o.taskId}:${o.status === 'completed' ? 'outcome' : 'failure'}`)));
    expect(recorded.map((r) => ({ task: r?.taskId, usd: r?.costUsd, tokens: r?.tokens }))).toEqual(outcomes.map((o) => ({ task: o.taskId, usd: o.costUsd, tokens: o.tokens })));
  } finally {
    await memory.close();
  }
  console.info(
    `after SIGKILL: tasks $${tasksTotal.toFixed(6)}, ledger $${ledger.settledUsd.toFixed(6)} ($${leasesCharged.usd.toFixed(6)} of it the dead worker's leases), ` +
      `provider $${providerUsd.toFixed(6)}, ${diedInFlight} calls died in flight`,
  );
});

it('resumes each specialist run from its last iteration: the provider saw no iteration paid twice beyond the one in flight', async () => {
  const outcomes = (await Promise.all(Array.from({ length: TASKS }, (_, i) => closedResult(suite.client.workflow.getHandle(`${taskQueue}-task-${i}`))))) as TaskOutcome[];
  const byTask = specialistCallsByTask();
  let repaid = 0;
  const overpaid: string[] = [];
  for (const o of outcomes) {
    const calls = byTask.get(o.taskId) ?? [];
    // An iteration's prompt is the task plus the history so far, which grows by one step each
    // iteration (no compression within STEPS): its size, as the provider metered it, names the
    // iteration. The same size twice is the same iteration paid twice.
    const paid = new Map<number, number>();
    for (const c of calls) paid.set(c.inputTokens, (paid.get(c.inputTokens) ?? 0) + 1);
    const again = calls.length - paid.size;
    // The kill may cost a run the one call it had in flight, never an iteration it had finished,
    // but the one whose checkpoint was still on its way when the kill came (just after its
    // successor's call left: CHECKPOINT_IN_TRANSIT_MS).
    const before = calls.filter((c) => Date.parse(c.at) <= killSentAt + KILL_LANDING_MS);
    const inFlight = before.at(-1);
    const mayRepay = new Set([inFlight?.inputTokens]);
    if (inFlight && killSentAt - Date.parse(inFlight.at) <= CHECKPOINT_IN_TRANSIT_MS) mayRepay.add(before.at(-2)?.inputTokens);
    const repaidIterations = [...paid].filter(([, n]) => n > 1).map(([size]) => size);
    if (paid.size !== iterationsOf(o.taskId) || repaidIterations.some((size) => !mayRepay.has(size)) || [...paid.values()].some((n) => n > 2)) {
      const when = calls.map((c) => `${c.inputTokens}@${Date.parse(c.at) - killSentAt}ms`).join(' ');
      overpaid.push(`${o.taskId}: ${paid.size} iterations, ${calls.length} calls (${[...paid.values()].join(' ')}; prompt size@arrival from the kill: ${when})`);
    }
    repaid += again;
  }
  expect(overpaid).toEqual([]);
  console.info(`after SIGKILL: ${repaid} calls paid again over ${TASKS} runs (the calls in flight, and checkpoints in transit), none for an iteration checkpointed before`);
});
