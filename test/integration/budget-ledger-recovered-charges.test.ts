import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startTask } from '../../src/client/submit-task';
import { TaskInputSchema } from '../../src/tasks/task-input';
import { createBudgetGate, type BudgetGate } from '../../src/budget/gate';
import { budgetQuery, ledgerBatchUpdate, ledgerStateQuery, restoreUpdate } from '../../src/budget/ledger-defs';
import { findTemporalCli } from '../../src/runtime/temporal-cli';
import type { TaskOutcome } from '../../src/workflows/task-state';
import { billed } from '../support/billed';
import { startHarness, testAddress, type Harness } from '../support/harness';
import { maybeRecordHistory } from '../support/history';
import { chatRequest } from '../support/chat-request';
import { limitsWith } from '../support/limits';

/**
 * An operator terminates the budget ledger while a worker holds leases and its tasks' calls are in
 * flight. The successor resumes the books and charges every outstanding reservation at its worst
 * case (a caller may have died with its call billed); the live worker's settles and lease returns
 * then correct those charges to what was spent (ledger-recovered.ts). A lease whose holder is dead
 * is never returned, and its charge stands: that, and only that, is what the ledger counts beyond
 * the provider's own bill.
 */

const run = promisify(execFile);
const DEAD_LEASE_USD = 0.05;

let h: Harness;
beforeAll(async () => {
  h = await startHarness('recovered-charges', { leases: true });
});
afterAll(async () => {
  await h?.stop();
});

const until = async (what: string, ok: () => boolean | Promise<boolean>, ms = 60_000) => {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

it("after a terminate mid-run, the ledger's settled spend is the provider's bill plus the lease of a dead worker, and the tasks' bills agree", async () => {
  h.provider.setLatency(2000);
  const ledger = h.client.workflow.getHandle(h.gate.ledgerId);
  const handles = await Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      startTask(h.client, h.taskQueue, TaskInputSchema.parse({ objective: `Add an index on orders_${i}.created_at in the Postgres database` }), `${h.taskQueue}-t${i}`),
    ),
  );
  // Mid-run: calls granted from the worker's leases, and calls in flight at the provider.
  await until('calls granted from leases', () => h.gate.stats().leased >= 4);
  const held = await ledger.query(budgetQuery);
  expect(held.leases?.count).toBeGreaterThan(0);
  // A worker that dies holding its lease: taken, never booked against, never returned.
  const dead = 'lease:dead:1';
  await ledger.executeUpdate(ledgerBatchUpdate, { args: [{ finishes: [], reserves: [{ key: dead, taskId: dead, agent: 'DatabaseAgent', usd: DEAD_LEASE_USD, tokens: 5000, leaseTtlMs: 30_000 }] }] });
  const firstRun = (await ledger.describe()).runId;

  await run(await findTemporalCli({ install: false }), ['workflow', 'terminate', '--workflow-id', h.gate.ledgerId, '--reason', 'operator mistake', '--address', testAddress(), '--namespace', 'default']);

  // The worker's next ledger update finds the run ended and opens the successor.
  let successor = '';
  await until('the successor', async () => {
    const latest = await ledger.describe();
    successor = latest.runId;
    return latest.runId !== firstRun && latest.status.name === 'RUNNING';
  });
  const outcomes = (await Promise.all(handles.map((x) => x.result()))) as TaskOutcome[];
  expect(outcomes.map((o) => o.status)).toEqual(Array(8).fill('completed'));
  await h.gate.flush();

  const snapshot = await ledger.query(budgetQuery);
  const recover = snapshot.audit.find((a) => a.action === 'recover')!;
  // The successor charged the live worker's leases and calls in flight, and the dead lease, in full...
  expect(recover.details.count as number).toBeGreaterThan(1);
  expect(recover.details.usd as number).toBeGreaterThan(DEAD_LEASE_USD + 0.01);
  expect(snapshot.outstanding.count).toBe(0);
  expect(snapshot.leases).toMatchObject({ count: 0 });
  const day = snapshot.scopes.find((s) => s.scope === 'system:day')!;
  const bill = billed(h.provider.calls());
  // What is truly unknown: the dead worker's lease, still charged in full.
  expect(snapshot.leases?.expiredToday.usd ?? NaN).toBeCloseTo(DEAD_LEASE_USD, 9);
  expect(day.settledUsd).toBeCloseTo(bill + DEAD_LEASE_USD, 9);
  // The tasks' bills are what the provider billed them.
  expect(outcomes.reduce((sum, o) => sum + o.costUsd, 0)).toBeCloseTo(bill, 9);
  // The live worker's leases came back, and their charge with them.
  expect(snapshot.audit.filter((a) => a.action === 'refundLease' && a.details.recovered).length).toBeGreaterThan(0);
  // The successor run that resumed the books and corrected them (the 'budget-ledger-corrects-recovered-charges' patch).
  await maybeRecordHistory(h.gate.ledgerId, 'budget-ledger-corrects-recovered-charges', successor);
}, 180_000);

/** One call of a task as a specialist loop makes it: reserve with the task's books, then settle. */
async function callAndSettle(gate: BudgetGate, taskId: string, n: number, spent: { usd: number; tokens: number }, cost = { usd: 0.0003, tokens: 120 }) {
  const r = await gate.reserve(chatRequest({ taskId, taskSpent: { ...spent } }), `${taskId}:run:5:1:${n}`);
  await gate.settle(r.id, cost);
  spent.usd += cost.usd;
  spent.tokens += cost.tokens;
}

it('a restore of the current state (the restore update) charges a live worker\'s lease in full, and its return hands the charge back', async () => {
  const ledgerId = `ledger-restore-live-${process.pid}-${Date.now()}`;
  const gate = createBudgetGate({ client: h.client, taskQueue: `${h.taskQueue}-budget`, limits: limitsWith({ perTaskUsd: 1 }), ledgerId, leases: true });
  const ledger = h.client.workflow.getHandle(ledgerId);
  try {
    const spent = { usd: 0, tokens: 0 };
    for (let n = 1; n <= 4; n++) await callAndSettle(gate, 'restored-task', n, spent);
    expect(gate.stats().leased).toBeGreaterThan(0);
    // The state exported now and restored at once (the README's Temporal CLI recipe, the query's whole answer).
    const carried = await ledger.query(ledgerStateQuery);
    await ledger.executeUpdate(restoreUpdate, { args: [{ who: 'alice', why: 'restore the current state', state: carried } as never] });
    const charged = await ledger.query(budgetQuery);
    expect(charged.leases?.count).toBe(0);
    expect(charged.leases!.expiredToday.usd).toBeGreaterThan(0);

    // The worker goes on: its next answer names the new epoch, and its lease goes back (at the latest at its flush).
    await callAndSettle(gate, 'restored-task', 5, spent);
    await gate.flush();
    const after = await ledger.query(budgetQuery);
    const day = after.scopes.find((s) => s.scope === 'system:day')!;
    expect(after.leases?.expiredToday.usd).toBeCloseTo(0, 9);
    expect(day.settledUsd).toBeCloseTo(spent.usd, 9);
    expect(day.reservedUsd).toBeCloseTo(0, 9);
    expect(after.audit.map((a) => a.action)).toEqual(expect.arrayContaining(['restore', 'refundLease']));
  } finally {
    await gate.flush();
    await ledger.terminate('test over').catch(() => undefined);
  }
});
