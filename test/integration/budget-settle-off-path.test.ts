import { createBudgetGate, type BudgetGate, type BudgetGateOptions } from '../../src/budget/gate';
import { ledgerStateQuery } from '../../src/workflows/budget-ledger-defs';
import { chatRequest } from '../support/chat-request';
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
