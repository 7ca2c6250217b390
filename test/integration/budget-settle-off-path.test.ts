import { createBudgetGate, type BudgetGate, type BudgetGateOptions } from '../../src/budget/gate';
import { ledgerBatchUpdate, ledgerStateQuery } from '../../src/budget/ledger-defs';
import { chatRequest } from '../support/chat-request';
import { maybeRecordHistory } from '../support/history';
import { startLedgerTestWorker, type LedgerTestWorker } from '../support/ledger-worker';
import { limitsWith } from '../support/limits';

/**
 * Settles off the LLM call's path, on the real ledger workflow: two gates on one ledger stand for
 * two worker processes. A task's bill closed by one waits for a settle the other has not
 * delivered yet; a settle that never comes (its process died) is charged at the worst case after
 * the grace, so the bill and the ledger still add up. Reserve-ahead (opt-in) hands back what its
 * loop did not use.
 */

let ledgers: LedgerTestWorker;

beforeAll(async () => {
  ledgers = await startLedgerTestWorker(`budget-off-path-${process.pid}-${Date.now()}`);
});

afterAll(async () => {
  await ledgers?.stop();
});

/** Two gates (two "processes") on one fresh ledger. */
function twoGates(name: string, extra: Partial<BudgetGateOptions> = {}): [BudgetGate, BudgetGate] {
  const ledgerId = ledgers.newLedgerId(name);
  const limits = limitsWith({ perTaskUsd: 1 });
  const { client, taskQueue } = ledgers;
  return [createBudgetGate({ client, taskQueue, limits, ledgerId, ...extra }), createBudgetGate({ client, taskQueue, limits, ledgerId, ...extra })];
}

it('closes a bill only after the settle another process sent arrives: the bill is the actual cost, nothing charged at worst case', async () => {
  const [a, b] = twoGates('late-settle');
  const reserved = await a.reserve(chatRequest({ taskId: 'task-late' }), 'wf:run:1:1:0');
  // Process A's settle is still on its way when process B closes the task's bill.
  const closing = b.closeTask('task-late');
  await new Promise((resolve) => setTimeout(resolve, 300));
  await a.settle(reserved.id, { usd: 0.0002, tokens: 90 });
  const bill = await closing;
  expect(bill).toMatchObject({ known: true, usd: 0.0002, tokens: 90, chargedOutstanding: 0 });
  const snapshot = await a.snapshot();
  expect(snapshot.outstanding.count).toBe(0);
  expect(snapshot.scopes.find((s) => s.scope === 'system:day')).toMatchObject({ settledUsd: 0.0002, settledTokens: 90 });
});

it('charges a settle that never comes (its process died) at the worst case after the grace: the bill equals the ledger', async () => {
  const [a, b] = twoGates('dead-settle', { closeGraceMs: 500 });
  const reserved = await a.reserve(chatRequest({ taskId: 'task-dead' }), 'wf:run:1:1:0');
  const bill = await b.closeTask('task-dead');
  expect(bill).toMatchObject({ known: true, chargedOutstanding: 1 });
  expect(bill.usd).toBeCloseTo(reserved.usd, 12);
  // A settle arriving after that is a no-op: the ledger keeps what the bill said.
  await expect(a.settle(reserved.id, { usd: 0.0001, tokens: 10 })).resolves.toMatchObject({ applied: false, status: 'expired' });
  const day = (await a.snapshot()).scopes.find((s) => s.scope === 'system:day')!;
  expect(day.settledUsd).toBeCloseTo(bill.usd, 12);
  expect(day.reservedUsd).toBe(0);
});

it('answers a close asked again (its first answer lost, the activity retried on another worker) with the same bill, the dead call\'s worst case included', async () => {
  const [a, b] = twoGates('closed-again', { closeGraceMs: 500 });
  const answered = await a.reserve(chatRequest({ taskId: 'task-again' }), 'task-again:run-1:runSpecialist:1:0');
  await a.settle(answered.id, { usd: 0.0001, tokens: 30 });
  // The second call's worker dies mid-call: its reservation is never settled.
  const dead = await a.reserve(chatRequest({ taskId: 'task-again' }), 'task-again:run-1:runSpecialist:1:1');
  const first = await b.closeTask('task-again');
  expect(first).toMatchObject({ known: true, chargedOutstanding: 1, tokens: 30 + dead.tokens });
  expect(first.usd).toBeCloseTo(0.0001 + dead.usd, 12);
  const daySpend = (await a.snapshot()).scopes.find((s) => s.scope === 'system:day')!.settledUsd;
  // The retried activity runs in a third process, which knows nothing of the first close.
  const retried = createBudgetGate({ client: ledgers.client, taskQueue: ledgers.taskQueue, limits: limitsWith({ perTaskUsd: 1 }), ledgerId: a.ledgerId });
  const again = await retried.closeTask('task-again');
  expect(again).toMatchObject({ known: true, repeated: true, chargedOutstanding: 0, tokens: first.tokens });
  expect(again.usd).toBeCloseTo(first.usd, 12);
  // Nothing was charged twice.
  expect((await a.snapshot()).scopes.find((s) => s.scope === 'system:day')!.settledUsd).toBeCloseTo(daySpend, 12);
  // A ledger run that remembers closed bills (the 'budget-ledger-remembers-closes' patch).
  await maybeRecordHistory(a.ledgerId, 'budget-ledger-remembers-closes');
});

it("does not answer a close from a new run of the same task id with the earlier run's remembered bill, and still answers that run's repeated close", async () => {
  const [a, b] = twoGates('id-reused');
  const call = await a.reserve(chatRequest({ taskId: 'task-reused' }), 'task-reused:run-1:runSpecialist:1:0');
  await a.settle(call.id, { usd: 0.0003, tokens: 40 });
  const first = await a.closeTask('task-reused', undefined, 'run-1');
  expect(first).toMatchObject({ known: true, usd: 0.0003, tokens: 40 });
  // The id used again once run-1 has ended: the new run ends before any call of its own reached the ledger.
  const reused = await b.closeTask('task-reused', undefined, 'run-2');
  expect(reused).toMatchObject({ known: false, usd: 0, tokens: 0, chargedOutstanding: 0 });
  expect(reused.repeated).toBeUndefined();
  // run-1's close asked again (its answer lost) is still answered its bill.
  await expect(b.closeTask('task-reused', undefined, 'run-1')).resolves.toMatchObject({ known: true, repeated: true, usd: 0.0003, tokens: 40 });
  // Nothing was charged by either.
  expect((await a.snapshot()).scopes.find((s) => s.scope === 'system:day')).toMatchObject({ settledUsd: 0.0003, settledTokens: 40 });
});

it('with reserve-ahead on, a specialist loop takes its next reservations from the ledger ahead of time and the unused one is handed back before the bill closes', async () => {
  const [gate] = twoGates('ahead', { reserveAhead: true });
  const keys = ['wf:run:2:1:0', 'wf:run:2:1:1', 'wf:run:2:1:2'];
  let spent = { usd: 0, tokens: 0 };
  for (const key of keys) {
    const r = await gate.reserve(chatRequest({ taskId: 'task-loop', taskSpent: spent }), key);
    void gate.settle(r.id, { usd: 0.0001, tokens: 50 });
    spent = { usd: spent.usd + 0.0001, tokens: spent.tokens + 50 };
  }
  const bill = await gate.closeTask('task-loop');
  expect(bill).toMatchObject({ known: true, chargedOutstanding: 0, tokens: 150 });
  expect(bill.usd).toBeCloseTo(0.0003, 12);
  const after = await gate.snapshot();
  expect(after.outstanding.count).toBe(0);
  expect(after.scopes.find((s) => s.scope === 'system:day')!.settledUsd).toBeCloseTo(0.0003, 12);
  expect(gate.stats().reserve.count).toBe(3);
  // The second and third calls were settled on reservations made ahead of them; the one made
  // for a fourth call that never came was handed back.
  const { state } = await ledgers.client.workflow.getHandle(gate.ledgerId).query(ledgerStateQuery);
  expect(state.finished['wf:run:2:1:1~ahead']?.status).toBe('settled');
  expect(state.finished['wf:run:2:1:2~ahead']?.status).toBe('settled');
  expect(state.finished['wf:run:2:1:3~ahead']?.status).toBe('released');
});

describe("a bill known from the ledger's last answer (closeTask with the task's books)", () => {
  it("is the ledger's tally of the task; the close still reaches the ledger, riding in one update with nothing else to send", async () => {
    const [gate] = twoGates('tally');
    let books = { usd: 0, tokens: 0 };
    for (const n of [0, 1, 2]) {
      const r = await gate.reserve(chatRequest({ taskId: 'task-tally', taskSpent: books }), `wf:run:3:1:${n}`);
      await gate.settle(r.id, { usd: 0.0001, tokens: 40 });
      books = { usd: books.usd + 0.0001, tokens: books.tokens + 40 };
    }
    const updatesBefore = gate.stats().ledgerUpdates;
    const bill = await gate.closeTask('task-tally', books);
    expect(bill).toMatchObject({ known: true, chargedOutstanding: 0, tokens: 120 });
    expect(bill.usd).toBeCloseTo(0.0003, 12);
    // The close went in the background: flush waits for it, and it is the only update after the last settle.
    await gate.flush();
    expect(gate.stats().ledgerUpdates).toBe(updatesBefore + 1);
    const { state } = await ledgers.client.workflow.getHandle(gate.ledgerId).query(ledgerStateQuery);
    expect(state.tasks['task-tally']).toBeUndefined();
    expect((await gate.snapshot()).scopes.find((s) => s.scope === 'system:day')!.settledUsd).toBeCloseTo(bill.usd, 12);
  });

  it("lets a close nobody waits for ride on the next update: the next reserve carries it", async () => {
    const [gate] = twoGates('ride', { settleLingerMs: 60_000 });
    const r = await gate.reserve(chatRequest({ taskId: 'task-ride', taskSpent: { usd: 0, tokens: 0 } }), 'wf:run:6:1:0');
    await gate.settle(r.id, { usd: 0.0002, tokens: 70 });
    const updatesBefore = gate.stats().ledgerUpdates;
    const bill = await gate.closeTask('task-ride', { usd: 0.0002, tokens: 70 });
    expect(bill).toMatchObject({ known: true, chargedOutstanding: 0, usd: 0.0002, tokens: 70 });
    // The close lingers (a minute here) for an update to ride on; another task's reserve goes at once.
    await gate.reserve(chatRequest({ taskId: 'task-next' }), 'wf:run:7:1:0');
    expect(gate.stats().ledgerUpdates).toBe(updatesBefore + 1);
    const { state } = await ledgers.client.workflow.getHandle(gate.ledgerId).query(ledgerStateQuery);
    expect(state.tasks['task-ride']).toBeUndefined();
    expect(Object.keys(state.tasks)).toEqual(['task-next']);
    // A ledger run whose batches carry closes and answer tasks' tallies.
    await maybeRecordHistory(gate.ledgerId, 'budget-ledger-closes-in-batches');
  });

  it("applies a batch's settles before its closes: a settle and its task's close in one update make one bill", async () => {
    const [gate] = twoGates('batch-order');
    const r = await gate.reserve(chatRequest({ taskId: 'task-order' }), 'wf:run:8:1:0');
    const answer = await ledgers.client.workflow.getHandle(gate.ledgerId).executeUpdate(ledgerBatchUpdate, {
      args: [{ finishes: [{ op: 'settle', reservationId: r.id, usd: 0.0003, tokens: 80 }], reserves: [], closes: [{ taskId: 'task-order', ifSettled: true }] }],
    });
    // The settle's answer holds the task as it stood then: nothing of it still reserved.
    expect(answer.finishes[0]).toMatchObject({ applied: true, status: 'settled', task: { usd: 0.0003, tokens: 80, pending: 0 } });
    expect(answer.closes).toEqual([expect.objectContaining({ taskId: 'task-order', known: true, usd: 0.0003, tokens: 80, chargedOutstanding: 0 })]);
    expect(answer.closes![0].pending).toBeUndefined();
  });

  it('is not taken while another process holds a call of the task: that call is charged at its worst case and is in the bill', async () => {
    const [a, b] = twoGates('tally-orphan', { closeGraceMs: 500 });
    const mine = await b.reserve(chatRequest({ taskId: 'task-orphan', taskSpent: { usd: 0, tokens: 0 } }), 'wf:run:4:1:0');
    const orphan = await a.reserve(chatRequest({ taskId: 'task-orphan' }), 'wf:run:4:2:0');
    await b.settle(mine.id, { usd: 0.0001, tokens: 40 });
    // B's last answer says a call of the task is still reserved (A's, whose process "died").
    const bill = await b.closeTask('task-orphan', { usd: 0.0001, tokens: 40 });
    expect(bill).toMatchObject({ known: true, chargedOutstanding: 1 });
    expect(bill.usd).toBeCloseTo(0.0001 + orphan.usd, 12);
  });

  it('is not taken when the books hold more than the tally (another process settled later calls): the ledger is asked', async () => {
    const [a, b] = twoGates('tally-stale');
    const first = await b.reserve(chatRequest({ taskId: 'task-moved', taskSpent: { usd: 0, tokens: 0 } }), 'wf:run:5:1:0');
    await b.settle(first.id, { usd: 0.0001, tokens: 40 });
    // The task's later calls ran in another process: B's tally (0.0001) is stale.
    const later = await a.reserve(chatRequest({ taskId: 'task-moved', taskSpent: { usd: 0.0001, tokens: 40 } }), 'wf:run:5:2:0');
    await a.settle(later.id, { usd: 0.0002, tokens: 60 });
    const bill = await b.closeTask('task-moved', { usd: 0.0003, tokens: 100 });
    expect(bill).toMatchObject({ known: true, chargedOutstanding: 0, tokens: 100 });
    expect(bill.usd).toBeCloseTo(0.0003, 12);
  });

  it('is not taken when the tally holds more than the books (calls charged at their worst case the books miss): an old tally is not the bill', async () => {
    const [a, b] = twoGates('tally-above');
    // An attempt in B: its call fails in a way that may have been billed, charged its worst case; the books stay empty.
    const failed = await b.reserve(chatRequest({ taskId: 'task-above', taskSpent: { usd: 0, tokens: 0 } }), 'wf:run:9:1:0');
    await b.settle(failed.id, { usd: failed.usd, tokens: failed.tokens });
    // The retry runs in A and succeeds with a call that costs less than that worst case.
    const retry = await a.reserve(chatRequest({ taskId: 'task-above', taskSpent: { usd: 0, tokens: 0 } }), 'wf:run:9:2:0');
    await a.settle(retry.id, { usd: 0.0001, tokens: 40 });
    // The task's record is stored in B, whose last answer (the worst case alone) is above the books.
    const bill = await b.closeTask('task-above', { usd: 0.0001, tokens: 40 });
    expect(bill).toMatchObject({ known: true, chargedOutstanding: 0, tokens: failed.tokens + 40 });
    expect(bill.usd).toBeCloseTo(failed.usd + 0.0001, 12);
  });
});
