import type { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createBudgetGate, type BudgetGate, type BudgetGateOptions } from '../../src/budget/gate';
import type { Limits } from '../../src/budget/limits';
import { startTask } from '../../src/client/submit-task';
import { TaskInputSchema } from '../../src/tasks/task-input';
import { budgetQuery, ledgerBatchUpdate } from '../../src/budget/ledger-defs';
import type { TaskOutcome } from '../../src/workflows/task-state';
import { benchTask } from '../../bench/tasks';
import { billed } from '../support/billed';
import { chatRequest } from '../support/chat-request';
import { startHarness, type Harness } from '../support/harness';
import { startLedgerTestWorker, type LedgerTestWorker } from '../support/ledger-worker';
import { limitsWith } from '../support/limits';
import { maybeRecordHistory } from '../support/history';
import { testAddress } from '../support/harness';
import { renderBudget } from '../../src/client/budget-view';
import { LEASE_FRESH_MS } from '../../src/budget/gate-leases';

/**
 * Leases on the real ledger workflow (gate-leases.ts, ledger-lease.ts): a gate grants its calls
 * from a lease without a round trip each, and still books every call to its task; a lease whose
 * holder died is charged in full at its end; an operator's breaker stops lease grants; tight
 * room gets no lease. Then the composition: tasks on real workers, the real SDK and the offline
 * provider, with leases as a worker has them: the provider's own bill, the tasks' bills and the
 * ledger agree.
 */

let ledgers: LedgerTestWorker;
let client: Client;

beforeAll(async () => {
  ledgers = await startLedgerTestWorker(`budget-leases-${process.pid}-${Date.now()}`);
  client = ledgers.client;
});

afterAll(async () => {
  await ledgers?.stop();
});

/** Two gates on one ledger, as two workers have them. */
function twoGates(name: string, limits: Limits = limitsWith({ perTaskUsd: 1 })): [BudgetGate, BudgetGate] {
  const ledgerId = ledgers.newLedgerId(name);
  return [ledgers.gateOn(ledgerId, limits, { leases: true }), ledgers.gateOn(ledgerId, limits, { leases: true })];
}

function leasingGate(name: string, limits: Limits = limitsWith({ perTaskUsd: 1 }), extra: Partial<BudgetGateOptions> = {}): { gate: BudgetGate; ledgerId: string } {
  return ledgers.gate(name, limits, { leases: true, ...extra });
}

/** One call of a task as a specialist loop makes it: reserve with the task's books, then settle. */
async function callAndSettle(gate: BudgetGate, taskId: string, n: number, spent: { usd: number; tokens: number }, cost = { usd: 0.0003, tokens: 120 }) {
  const r = await gate.reserve(chatRequest({ taskId, taskSpent: { ...spent } }), `${taskId}:run:5:1:${n}`);
  await gate.settle(r.id, cost);
  spent.usd += cost.usd;
  spent.tokens += cost.tokens;
  return r;
}

/** Sends raw batch updates to a ledger, as a worker's gate (or the Temporal CLI) sends them. */
function rawUpdates(ledgerId: string) {
  const handle = client.workflow.getHandle(ledgerId);
  return (update: { finishes: { op: 'settle' | 'release'; reservationId: string; usd?: number; tokens?: number }[]; reserves: object[] }) =>
    handle.executeUpdate(ledgerBatchUpdate, { args: [update as never] });
}

/** The ledger's snapshot once it holds no lease: it looks for ended leases on its prune cadence
 * (5 s here), on its next update, so a bystander task's calls bring its clock on meanwhile.
 *
 * The tests that wait out a lease's end or a ledger's stall (seconds of the ledger's clock, not
 * of work) run concurrently with the others (it.concurrent): each has a ledger of its own (the
 * stall test a queue and worker of its own too), and no test reads another's. */
async function untilLeasesEnded(gate: BudgetGate) {
  let snapshot = await gate.snapshot();
  const deadline = Date.now() + 30_000;
  while (snapshot.leases?.count !== 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    await callAndSettle(gate, 'bystander', Date.now(), { usd: 0, tokens: 0 });
    snapshot = await gate.snapshot();
  }
  return snapshot;
}

it('grants a task\'s calls from a lease without a round trip each, books every one to its task, and hands the lease back', async () => {
  const { gate } = leasingGate('grants');
  const tasks = ['lease-a', 'lease-b', 'lease-c'];
  for (const taskId of tasks) {
    const spent = { usd: 0, tokens: 0 };
    for (let n = 0; n < 6; n++) await callAndSettle(gate, taskId, n, spent);
  }
  const stats = gate.stats();
  expect(stats.reserve.count).toBe(18);
  expect(stats.leasesTaken).toBeGreaterThanOrEqual(1);
  // The first call asks the ledger (no lease yet, and it asks for one); the rest come from the lease.
  expect(stats.leased).toBeGreaterThanOrEqual(15);
  for (const taskId of tasks) {
    const bill = await gate.closeTask(taskId);
    expect(bill).toMatchObject({ known: true, chargedOutstanding: 0, tokens: 720 });
    expect(bill.usd).toBeCloseTo(0.0018, 12);
  }
  expect((await gate.snapshot()).leases?.count).toBeGreaterThanOrEqual(1);
  await gate.flush();
  const snapshot = await gate.snapshot();
  expect(snapshot.leases).toMatchObject({ count: 0, usd: 0 });
  expect(snapshot.outstanding.count).toBe(0);
  const day = snapshot.scopes.find((s) => s.scope === 'system:day')!;
  expect(day.settledUsd).toBeCloseTo(3 * 0.0018, 12);
  expect(day.reservedUsd).toBeCloseTo(0, 12);
});

it.concurrent('charges a lease whose holder died in full at its end, in no task\'s bill, with an alert', async () => {
  // The bystander that brings the ledger's clock on takes no leases of its own.
  const { gate, ledgerId } = leasingGate('dead-holder', undefined, { leases: false });
  await gate.ensureLedger();
  // What a worker sends for a lease, from a "process" that then dies without returning it.
  const lease = { key: 'lease:dead:1', taskId: 'lease:dead:1', agent: 'DatabaseAgent', usd: 0.05, tokens: 5000, leaseTtlMs: 1000 };
  const answer = await client.workflow.getHandle(ledgerId).executeUpdate(ledgerBatchUpdate, { args: [{ finishes: [], reserves: [lease] }] });
  expect(answer.reserves[0]).toMatchObject({ granted: true, lease: { epoch: expect.any(Number) } });
  expect((await gate.snapshot()).leases).toMatchObject({ count: 1, usd: 0.05 });
  const snapshot = await untilLeasesEnded(gate);
  expect(snapshot.leases).toMatchObject({ count: 0, expiredToday: { usd: 0.05, tokens: 5000 } });
  expect(snapshot.alerts.map((a) => [a.kind, a.scope])).toContainEqual(['reservation_expired', 'lease:dead:1']);
  const bystander = await gate.closeTask('bystander');
  const day = snapshot.scopes.find((s) => s.scope === 'system:day')!;
  expect(day.settledUsd).toBeCloseTo(0.05 + bystander.usd, 12);
});

it.concurrent('hands back what a lease\'s end charged when its holder returns it after the end (through the Temporal CLI path: raw updates)', async () => {
  const { gate, ledgerId } = leasingGate('late-return', undefined, { leases: false });
  await gate.ensureLedger();
  const handle = client.workflow.getHandle(ledgerId);
  const lease = { key: 'lease:late:1', taskId: 'lease:late:1', agent: 'DatabaseAgent', usd: 0.05, tokens: 5000, leaseTtlMs: 1000 };
  expect((await handle.executeUpdate(ledgerBatchUpdate, { args: [{ finishes: [], reserves: [lease] }] })).reserves[0]).toMatchObject({ granted: true });
  let snapshot = await untilLeasesEnded(gate);
  expect(snapshot.leases?.expiredToday).toEqual({ usd: 0.05, tokens: 5000 });
  const returned = await handle.executeUpdate(ledgerBatchUpdate, { args: [{ finishes: [{ op: 'release', reservationId: 'lease:late:1' }], reserves: [] }] });
  expect(returned.finishes[0]).toMatchObject({ applied: true, status: 'released' });
  snapshot = await gate.snapshot();
  expect(snapshot.leases?.expiredToday.usd).toBeCloseTo(0, 12);
  expect(snapshot.audit.at(-1)).toMatchObject({ who: 'ledger', action: 'refundLease' });
  const bystander = await gate.closeTask('bystander');
  expect(snapshot.scopes.find((s) => s.scope === 'system:day')!.settledUsd).toBeCloseTo(bystander.usd, 12);
  // A ledger run that handed a late-returned lease back (the 'budget-ledger-refunds-late-leases' patch).
  await maybeRecordHistory(ledgerId, 'budget-ledger-refunds-late-leases');
});

it.concurrent('closes the breaker a lease\'s end opened when the late return hands the charge back and the hour is under its limit again', async () => {
  const { gate, ledgerId } = leasingGate('late-return-trip', limitsWith({ systemHourlyUsd: 0.12, perTaskUsd: 1 }), { leases: false });
  await gate.ensureLedger();
  const send = rawUpdates(ledgerId);
  // A lease of 0.05, then a task's call that settles 0.07: the hour holds 0.12 of its 0.12.
  const lease = { key: 'lease:trip:1', taskId: 'lease:trip:1', agent: 'DatabaseAgent', usd: 0.05, tokens: 5000, leaseTtlMs: 1000 };
  expect((await send({ finishes: [], reserves: [lease] })).reserves[0]).toMatchObject({ granted: true });
  const spend = { key: 'spender:run:5:1:1', taskId: 'spender', agent: 'DatabaseAgent', usd: 0.07, tokens: 700 };
  expect((await send({ finishes: [], reserves: [spend] })).reserves[0]).toMatchObject({ granted: true });
  await send({ finishes: [{ op: 'settle', reservationId: spend.key, usd: 0.07, tokens: 700 }], reserves: [] });
  // The holder stalls past the lease's end: the end charges its 0.05, the hour's settled spend
  // reaches the limit and the breaker opens. (Each update brings the ledger's clock on; the poke
  // itself is denied, there is no room.)
  let snapshot = await gate.snapshot();
  for (let n = 0; !snapshot.breaker.open && n < 60; n++) {
    await new Promise((r) => setTimeout(r, 500));
    await send({ finishes: [], reserves: [{ key: `poker:run:5:1:${n}`, taskId: 'poker', agent: 'DatabaseAgent', usd: 0.001, tokens: 10 }] });
    snapshot = await gate.snapshot();
  }
  expect(snapshot.leases?.expiredToday.usd).toBeCloseTo(0.05, 12);
  expect(snapshot.breaker).toMatchObject({ open: true, reason: 'system_limit', scope: 'system:hour' });
  // Its return: every call under it booked (none here), so the charge goes back, and the trip with it.
  const returned = await send({ finishes: [{ op: 'release', reservationId: lease.key }], reserves: [] });
  expect(returned.finishes[0]).toMatchObject({ applied: true, status: 'released' });
  snapshot = await gate.snapshot();
  expect(snapshot.breaker).toEqual({ open: false });
  expect(snapshot.audit.slice(-2).map((a) => a.action)).toEqual(['refundLease', 'autoClose']);
  expect(snapshot.scopes.find((s) => s.scope === 'system:hour')!.settledUsd).toBeCloseTo(0.07, 12);
  // The hour has room again: a call is granted.
  const after = await send({ finishes: [], reserves: [{ key: 'spender:run:5:1:2', taskId: 'spender', agent: 'DatabaseAgent', usd: 0.01, tokens: 100 }] });
  expect(after.reserves[0]).toMatchObject({ granted: true });
  // A ledger run that closed a trip its late-returned lease undid (the 'budget-ledger-refund-undoes-trip' patch).
  await maybeRecordHistory(ledgerId, 'budget-ledger-refund-undoes-trip');
});

it("alerts and counts a call a stalled worker books under its lease after the task's bill closed (raw updates, as that worker sends them)", async () => {
  const { gate, ledgerId } = leasingGate('charged-after-close', undefined, { leases: false });
  await gate.ensureLedger();
  const send = rawUpdates(ledgerId);
  const lease = { key: 'lease:stalled:1', taskId: 'lease:stalled:1', agent: 'DatabaseAgent', usd: 0.05, tokens: 5000, leaseTtlMs: 60_000 };
  expect((await send({ finishes: [], reserves: [lease] })).reserves[0]).toMatchObject({ granted: true });
  // The task's own call through a gate, then its bill closes: the cost it reports.
  await callAndSettle(gate, 'closed-task', 1, { usd: 0, tokens: 0 });
  const bill = await gate.closeTask('closed-task');
  expect(bill).toMatchObject({ known: true, usd: 0.0003, tokens: 120 });
  // The stalled worker comes back with a call of the same run it granted under its lease.
  const late = { key: 'closed-task:run:5:2:1', taskId: 'closed-task', agent: 'DatabaseAgent', usd: 0.002, tokens: 400, lease: lease.key };
  const booked = (await send({ finishes: [], reserves: [late] })).reserves[0];
  expect(booked).toMatchObject({ granted: true });
  expect(booked.alerts.map((a) => [a.kind, a.scope])).toContainEqual(['charged_after_close', 'task:closed-task']);
  await send({ finishes: [{ op: 'settle', reservationId: late.key, usd: 0.0011, tokens: 300 }], reserves: [] });
  const snapshot = await gate.snapshot();
  expect(snapshot.chargedAfterCloseToday).toEqual({ usd: 0.0011, tokens: 300 });
  expect(snapshot.alerts.filter((a) => a.kind === 'charged_after_close')).toHaveLength(1);
  // The bill the task reported plus what came after it is what the system settled.
  expect(snapshot.scopes.find((s) => s.scope === 'system:day')!.settledUsd).toBeCloseTo(bill.usd + 0.0011, 12);
  expect(renderBudget(snapshot, { ledgerId, address: testAddress(), namespace: 'default' })).toMatch(/charged today after tasks' bills closed .*\(300 tokens\)/);
});

it.concurrent('charges nothing for a lease its holder returned through a ledger stall longer than the lease (the ledger\'s worker down)', async () => {
  // A ledger of its own on a queue of its own, so its worker can stop and start again.
  const queue = `late-lease-${process.pid}-${Date.now()}`;
  const ledgerId = ledgers.newLedgerId('stall');
  const startWorker = async () => {
    const worker = await Worker.create({ connection: native, namespace: 'default', taskQueue: queue, workflowBundle: { codePath: process.env.PANTHEON_TEST_BUNDLE! } });
    return { worker, running: worker.run() };
  };
  const native = await NativeConnection.connect({ address: testAddress() });
  let ledgerWorker = await startWorker();
  try {
    // Leases of 4 s: the holder grants from one for 2 s, then hands it back.
    const gate = createBudgetGate({ client, taskQueue: queue, limits: limitsWith({ perTaskUsd: 1 }), ledgerId, leases: true, leaseTtlMs: 4000 });
    const spent = { usd: 0, tokens: 0 };
    for (let n = 0; n < 4; n++) await callAndSettle(gate, 'stalled', n, spent);
    expect(gate.stats().leased).toBeGreaterThanOrEqual(2);
    await gate.closeTask('stalled', spent);
    const held = (await gate.snapshot()).leases!;
    expect(held.count).toBe(1);

    // The ledger stops answering before the holder hands the lease back, for longer than the lease lasts.
    ledgerWorker.worker.shutdown();
    await ledgerWorker.running;
    await new Promise((r) => setTimeout(r, 6000));
    ledgerWorker = await startWorker();
    // The return waited for the ledger: it comes after the lease's end, which charged it.
    await gate.flush();
    const snapshot = await gate.snapshot();
    expect(snapshot.leases).toMatchObject({ count: 0, usd: 0 });
    expect(snapshot.leases?.expiredToday.usd).toBeCloseTo(0, 12);
    expect(snapshot.audit.map((a) => a.action)).toContain('refundLease');
    // The day holds what the calls cost, nothing of the lease.
    expect(snapshot.scopes.find((s) => s.scope === 'system:day')!.settledUsd).toBeCloseTo(spent.usd, 12);
  } finally {
    ledgerWorker.worker.shutdown();
    await ledgerWorker.running.catch(() => undefined);
    await native.close();
  }
});

it('grants the first calls of a fresh gate, made together, from the lease the first one asked for: none reserves on its own', async () => {
  const { gate } = leasingGate('first-wave');
  const tasks = ['wave-a', 'wave-b', 'wave-c', 'wave-d', 'wave-e'];
  const calls = await Promise.all(tasks.map((taskId) => gate.reserve(chatRequest({ taskId, taskSpent: { usd: 0, tokens: 0 } }), `${taskId}:run:5:1:0`)));
  expect(gate.stats()).toMatchObject({ leased: 5, leasesTaken: 1 });
  for (const [i, taskId] of tasks.entries()) {
    await gate.settle(calls[i].id, { usd: 0.0003, tokens: 120 });
    expect(await gate.closeTask(taskId)).toMatchObject({ known: true, chargedOutstanding: 0, tokens: 120 });
  }
  await gate.flush();
  expect((await gate.snapshot()).leases).toMatchObject({ count: 0, usd: 0 });
});

it('reserves the first calls one by one when the ledger refuses the lease they waited for (room too tight for one)', async () => {
  // 16 worst cases do not fit in half the hour: the lease is refused quietly.
  const { gate } = leasingGate('first-wave-refused', limitsWith({ perTaskUsd: 1, systemHourlyUsd: 0.02 }));
  const tasks = ['tight-a', 'tight-b', 'tight-c'];
  const calls = await Promise.all(tasks.map((taskId) => gate.reserve(chatRequest({ taskId, taskSpent: { usd: 0, tokens: 0 } }), `${taskId}:run:5:1:0`)));
  expect(gate.stats()).toMatchObject({ leased: 0, leasesTaken: 0 });
  expect((await gate.snapshot()).outstanding.count).toBe(3);
  for (const [i, taskId] of tasks.entries()) {
    await gate.settle(calls[i].id, { usd: 0.0003, tokens: 120 });
    await gate.closeTask(taskId);
  }
  await gate.flush();
});

describe('a call that finds the ledger\'s last word stale (a quiet second) while an update is in flight', () => {
  /** A gate with a lease, a call granted from it, and the ledger's last word made stale. */
  async function staleWithCallOpen(name: string) {
    const { gate } = leasingGate(name);
    const spent = { usd: 0, tokens: 0 };
    for (let n = 0; n < 3; n++) await callAndSettle(gate, `${name}-warm`, n, spent);
    const open = await gate.reserve(chatRequest({ taskId: `${name}-a`, taskSpent: { usd: 0, tokens: 0 } }), `${name}-a:run:5:1:0`);
    await new Promise((r) => setTimeout(r, LEASE_FRESH_MS + 100));
    return { gate, open };
  }

  it('is granted from the lease once that update\'s answer confirms leases stand: no exact reserve of its own', async () => {
    const { gate, open } = await staleWithCallOpen('stale-wait');
    const leasedBefore = gate.stats().leased;
    // The open call's settle goes out at once (not lingering): the update in flight.
    const settled = gate.settle(open.id, { usd: 0.0003, tokens: 120 });
    await new Promise((r) => setImmediate(r));
    const next = await gate.reserve(chatRequest({ taskId: 'stale-wait-b', taskSpent: { usd: 0, tokens: 0 } }), 'stale-wait-b:run:5:1:0');
    await settled;
    expect(gate.stats().leased).toBe(leasedBefore + 1);
    await gate.settle(next.id, { usd: 0.0003, tokens: 120 });
    expect(await gate.closeTask('stale-wait-b')).toMatchObject({ known: true, chargedOutstanding: 0, tokens: 120 });
    await gate.flush();
  });

  it('is not granted from it when that answer says an operator opened the breaker: it is denied', async () => {
    const { gate, open } = await staleWithCallOpen('stale-breaker');
    await gate.openBreaker({ who: 'ops', why: 'stale lease test' });
    const leasedBefore = gate.stats().leased;
    const settled = gate.settle(open.id, { usd: 0.0003, tokens: 120 });
    await new Promise((r) => setImmediate(r));
    await expect(gate.reserve(chatRequest({ taskId: 'stale-breaker-b', taskSpent: { usd: 0, tokens: 0 } }), 'stale-breaker-b:run:5:1:0')).rejects.toMatchObject({ type: 'breaker_open' });
    await settled;
    expect(gate.stats().leased).toBe(leasedBefore);
    await gate.flush();
  });
});

it('stops granting from leases once the ledger says an operator opened the breaker: the next call is denied', async () => {
  const { gate } = leasingGate('breaker');
  const spent = { usd: 0, tokens: 0 };
  for (let n = 0; n < 3; n++) await callAndSettle(gate, 'brk', n, spent);
  expect(gate.stats().leased).toBeGreaterThanOrEqual(1);
  await gate.openBreaker({ who: 'ops', why: 'leases test' });
  // The gate learns of it from the ledger's next answer (at most this call's booking, within 0.5 s).
  await callAndSettle(gate, 'brk', 3, spent).catch(() => undefined);
  await expect(callAndSettle(gate, 'brk', 4, spent)).rejects.toMatchObject({ type: 'breaker_open' });
  await gate.flush();
  expect((await gate.snapshot()).leases?.count).toBe(0);
});

it('stops granting from leases once a call settles above its worst case and fills its agent\'s hour: the next call is denied', async () => {
  const { gate, ledgerId } = leasingGate('overrun', limitsWith({ perTaskUsd: 10, perAgentHourlyUsd: 1 }));
  const spent = { usd: 0, tokens: 0 };
  for (let n = 0; n < 3; n++) await callAndSettle(gate, 'ovr', n, spent);
  expect(gate.stats().leased).toBeGreaterThanOrEqual(1);
  // The provider bills more than the agent's whole hour for one call (usage far above the estimate).
  await callAndSettle(gate, 'ovr', 3, spent, { usd: 1.2, tokens: 150 });
  // The gate learns of it from the ledger's next answer (at most this call's booking, within 0.5 s).
  await callAndSettle(gate, 'ovr', 4, spent).catch(() => undefined);
  await expect(callAndSettle(gate, 'ovr', 5, spent)).rejects.toMatchObject({ type: 'agent_budget_exhausted' });
  const snapshot = await gate.snapshot();
  expect(snapshot.alerts.map((a) => a.kind)).toContain('reservation_exceeded');
  // What the agent's hour settled is what was billed: no call went through after the overrun's answer.
  const hour = snapshot.scopes.find((s) => s.scope === 'agent:DatabaseAgent:hour')!;
  expect(hour.settledUsd).toBeLessThanOrEqual(spent.usd + 1e-9);
  // A ledger run whose leases an overrun retired (the 'budget-ledger-overrun-retires-leases' patch).
  await maybeRecordHistory(ledgerId, 'budget-ledger-overrun-retires-leases');
});

it('grants a task no call from a lease once the ledger\'s tally of it passes half its limit, though its books miss the failed calls charged at their worst case', async () => {
  const worst = await ledgers.gate('worst-probe', limitsWith({ perTaskUsd: 1 }), { leases: false }).gate.reserve(chatRequest({ taskId: 'probe', taskSpent: { usd: 0, tokens: 0 } }), 'probe:run:5:1:0');
  // Room for three worst cases: a lease grants while the task's books plus the call stay within one and a half.
  const { gate } = leasingGate('hidden', limitsWith({ perTaskUsd: 1, perTaskTokens: 3 * worst.tokens }));
  await callAndSettle(gate, 'warm', 0, { usd: 0, tokens: 0 });
  const leasedBefore = gate.stats().leased;
  const books = { usd: 0, tokens: 0 };
  const first = await gate.reserve(chatRequest({ taskId: 'hidden', taskSpent: { ...books } }), 'hidden:run:5:1:0');
  expect(gate.stats().leased).toBe(leasedBefore + 1);
  // The call fails in a way that may have been billed: charged its worst case, its books unchanged.
  await gate.settle(first.id, { usd: first.usd, tokens: first.tokens });
  // Books of 0 plus one worst case fit the lease's share; the ledger's tally of one more does not.
  const second = await gate.reserve(chatRequest({ taskId: 'hidden', taskSpent: { ...books } }), 'hidden:run:5:1:1');
  expect(gate.stats().leased).toBe(leasedBefore + 1);
  await gate.settle(second.id, { usd: second.usd, tokens: second.tokens });
  expect((await gate.closeTask('hidden')).tokens).toBe(2 * worst.tokens);
});

it("asks the ledger for a retried attempt's first call on a worker that has no tally of the task, then grants from the lease", async () => {
  const { gate } = leasingGate('retried');
  await callAndSettle(gate, 'warm-r', 0, { usd: 0, tokens: 0 });
  const leased = gate.stats().leased;
  // Attempt 2 of an activity whose attempt 1 ran elsewhere: its books may miss what that attempt was charged.
  const first = await gate.reserve(chatRequest({ taskId: 'retried', taskSpent: { usd: 0, tokens: 0 } }), 'wf:run:5:2:0');
  expect(gate.stats().leased).toBe(leased);
  await gate.settle(first.id, { usd: 0.0001, tokens: 40 });
  // The settle's answer brought the ledger's tally of the task: its next call comes from the lease.
  await gate.reserve(chatRequest({ taskId: 'retried', taskSpent: { usd: 0.0001, tokens: 40 } }), 'wf:run:5:2:1');
  expect(gate.stats().leased).toBe(leased + 1);
});

it("asks the ledger for the first call on a worker of a task that spent elsewhere (its run handed on), and for no other task's first call", async () => {
  // Two workers' gates on one ledger; each has taken a lease.
  const [a, b] = twoGates('handed-on');
  await callAndSettle(a, 'warm-a', 0, { usd: 0, tokens: 0 });
  await callAndSettle(b, 'warm-b', 0, { usd: 0, tokens: 0 });
  // The task's run on worker A: a call, then one that failed in a way that may have been billed
  // (charged its worst case, which the task's books miss).
  const books = { usd: 0, tokens: 0 };
  await callAndSettle(a, 'moved', 1, books);
  const failed = await a.reserve(chatRequest({ taskId: 'moved', taskSpent: { ...books } }), 'moved:run:5:1:2');
  await a.settle(failed.id, { usd: failed.usd, tokens: failed.tokens });
  // The task is handed to a specialist on worker B: a new activity, its first attempt.
  const leasedB = b.stats().leased;
  const handed = await b.reserve(chatRequest({ taskId: 'moved', taskSpent: { ...books } }), 'moved:run:9:1:0');
  expect(b.stats().leased).toBe(leasedB);
  // Its next call, made before the first call's settle has answered: still no tally, the ledger again.
  const second = await b.reserve(chatRequest({ taskId: 'moved', taskSpent: { usd: books.usd + 0.0001, tokens: books.tokens + 40 } }), 'moved:run:9:1:1');
  expect(b.stats().leased).toBe(leasedB);
  await b.settle(handed.id, { usd: 0.0001, tokens: 40 });
  await b.settle(second.id, { usd: 0.0001, tokens: 40 });
  // The settles' answers brought the ledger's tally: the next call comes from B's lease.
  const next = await b.reserve(chatRequest({ taskId: 'moved', taskSpent: { usd: books.usd + 0.0002, tokens: books.tokens + 80 } }), 'moved:run:9:1:2');
  expect(b.stats().leased).toBe(leasedB + 1);
  await b.settle(next.id, { usd: 0.0001, tokens: 40 });
  // A task's first call anywhere (nothing spent) and a task's later calls on its own worker, before
  // any settle has answered, are granted from the lease as before.
  const fresh = await b.reserve(chatRequest({ taskId: 'fresh', taskSpent: { usd: 0, tokens: 0 } }), 'fresh:run:5:1:0');
  expect(b.stats().leased).toBe(leasedB + 2);
  await b.reserve(chatRequest({ taskId: 'fresh', taskSpent: { usd: 0.0002, tokens: 80 } }), 'fresh:run:5:1:1');
  expect(b.stats().leased).toBe(leasedB + 3);
  await b.settle(fresh.id, { usd: 0.0002, tokens: 80 });
  // The ledger holds the failed call's worst case in the task's bill.
  expect((await b.closeTask('moved')).tokens).toBe(120 + failed.tokens + 3 * 40);
});

it('takes no lease while room is tight: every call asks the ledger, and the limit denies as before', async () => {
  const { gate } = leasingGate('tight', limitsWith({ perTaskUsd: 1, systemHourlyUsd: 0.02 }));
  const spent = { usd: 0, tokens: 0 };
  let denied: unknown;
  for (let n = 0; n < 40 && !denied; n++) await callAndSettle(gate, 'tight', n, spent, { usd: 0.001, tokens: 100 }).catch((err) => (denied = err));
  expect(denied).toMatchObject({ type: 'system_budget_full' });
  expect(gate.stats()).toMatchObject({ leased: 0, leasesTaken: 0 });
  const day = (await gate.snapshot()).scopes.find((s) => s.scope === 'system:hour')!;
  expect(day.settledUsd + day.reservedUsd).toBeLessThanOrEqual(0.02 + 1e-9);
});

describe('tasks on real workers with leases', () => {
  // One harness (worker, gate, provider) for both: each test's tasks have ids of their own, and the
  // second counts only its own calls and grants (the first's leases are handed back at its flush).
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('leases', { leases: true });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('the provider\'s own bill, the tasks\' bills and the ledger agree, with calls granted from leases', async () => {
    const handles = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        startTask(h.client, h.taskQueue, TaskInputSchema.parse({ objective: `Add an index on orders_${i}.created_at in the Postgres database` }), `${h.taskQueue}-t${i}`),
      ),
    );
    const outcomes = (await Promise.all(handles.map((x) => x.result()))) as TaskOutcome[];
    expect(outcomes.map((o) => o.status)).toEqual(Array(8).fill('completed'));
    expect(h.gate.stats().leased).toBeGreaterThan(0);
    await h.gate.flush();
    const snapshot = await h.client.workflow.getHandle(h.gate.ledgerId).query(budgetQuery);
    expect(snapshot.leases).toMatchObject({ count: 0, usd: 0 });
    expect(snapshot.outstanding.count).toBe(0);
    const day = snapshot.scopes.find((s) => s.scope === 'system:day')!;
    const tasksUsd = outcomes.reduce((sum, o) => sum + o.costUsd, 0);
    expect(tasksUsd).toBeCloseTo(day.settledUsd, 9);
    expect(outcomes.reduce((sum, o) => sum + o.tokens, 0)).toBe(day.settledTokens);
    // Nothing died: the ledger holds exactly what the provider billed.
    expect(day.settledUsd).toBeCloseTo(billed(h.provider.calls()), 9);
  });

  it("a task's validation call is granted from a lease like its other calls (it names the task's books)", async () => {
    const before = { reserves: h.gate.stats().reserve.count, leased: h.gate.stats().leased, calls: h.provider.calls().length };
    // One after another, so the lease the first validation asks for is there for the next ones.
    for (let i = 0; i < 5; i++) {
      const handle = await startTask(h.client, h.taskQueue, TaskInputSchema.parse(benchTask(i)), `${h.taskQueue}-v${i}`);
      expect(((await handle.result()) as TaskOutcome).status).toBe('completed');
    }
    const calls = h.provider.calls().slice(before.calls);
    const validations = calls.filter((c) => c.purpose === 'validator').length;
    expect(validations).toBeGreaterThanOrEqual(3);
    // Were every other call leased, the leases would cover calls.length - validations: more
    // means validation calls came from a lease too (a call without the task's books never does).
    expect(h.gate.stats().reserve.count - before.reserves).toBe(calls.length);
    expect(h.gate.stats().leased - before.leased).toBeGreaterThan(calls.length - validations);
  });
});
