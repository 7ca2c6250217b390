import type { ScopeView } from '../../src/budget';
import { startTask } from '../../src/client/submit-task';
import { closedResult } from '../../src/tasks/closed-outcome';
import { TaskInputSchema } from '../../src/tasks/task-input';
import { requeueSignal } from '../../src/workflows/agent-task-api';
import type { TaskOutcome } from '../../src/workflows/task-state';
import { limitsWith } from '../support/limits';
import { startHarness, type Harness } from '../support/harness';
import { startWebhookReceiver } from '../support/webhook';
import { maybeRecordHistory } from '../support/history';
import { billed } from '../support/billed';

/**
 * How the ledger charges calls that fail or overrun, with the whole system running: the real
 * workers, SDKs, classifier and ledger, checked against the offline provider's own call log.
 */

const DB_TASK = 'Add a unique index on users.email in the Postgres database';

let seq = 0;
const id = (name: string) => `failures-${name}-${Date.now()}-${++seq}`;

async function taskScope(h: Harness, taskId: string): Promise<ScopeView | undefined> {
  return (await h.gate.snapshot()).scopes.find((s) => s.scope === `task:${taskId}`);
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Starts a task whose first specialist call the provider holds (it has billed it on arrival), and
 * returns once the ledger holds that call's reservation: the worst case the call must be charged.
 */
async function startHeldCall(h: Harness, taskId: string) {
  h.provider.addFault({ kind: 'slow', delayMs: 60_000, match: { task: taskId, purpose: 'specialist' }, times: 1 });
  const handle = await startTask(h.client, h.taskQueue, TaskInputSchema.parse({ objective: DB_TASK }), taskId);
  const held = await until('the held call and its reservation', async () => {
    const slow = h.provider.calls().find((c) => c.task === taskId && c.fault === 'slow');
    const scope = await taskScope(h, taskId);
    return slow && scope && scope.reservedUsd > 0 ? { reservedUsd: scope.reservedUsd, reservedTokens: scope.reservedTokens, slow } : undefined;
  });
  return { handle, ...held };
}

describe('a call cancelled in flight', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('budget-cancelled');
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('by a workflow cancel is charged its worst case, which covers what the provider billed for it', async () => {
    const taskId = id('cancel');
    const { handle, reservedUsd, reservedTokens, slow } = await startHeldCall(h, taskId);
    await handle.cancel();
    const outcome = (await handle.result()) as TaskOutcome;
    expect(outcome.status).toBe('cancelled');

    // The task's bill, closed by the ledger as it ended: the aborted call at its worst case,
    // whether the activity's own settle or the close charged it first.
    expect(outcome.bill).toMatchObject({ known: true });
    expect(outcome.bill!.usd).toBeCloseTo(reservedUsd, 12);
    expect(outcome.bill!.tokens).toBe(reservedTokens);
    // One bill: the task reports what the ledger charged, which covers what the provider billed.
    expect(outcome.costUsd).toBeCloseTo(reservedUsd, 12);
    const calls = h.provider.calls().filter((c) => c.task === taskId);
    expect(calls).toEqual([slow]);
    expect(billed(calls)).toBeGreaterThan(0);
    expect(outcome.bill!.usd).toBeGreaterThanOrEqual(billed(calls));
    // Nothing of it stays reserved: the activity's late settle, if any, changed nothing.
    await until('no reservation left', async () => ((await h.gate.snapshot()).outstanding.count === 0 ? true : undefined));
    expect(await taskScope(h, taskId)).toBeUndefined();
    await maybeRecordHistory(taskId, 'cancelled-task-with-bill');
  });

  it('by a workflow cancel mid-run: the task counts the iterations its run had done, as its cost counts what the run spent', async () => {
    const taskId = id('cancel-mid-run');
    const tables = ['users', 'orders', 'order_items', 'invoices', 'payments', 'refunds', 'carts', 'coupons'];
    // The fifth specialist call is held: four iterations are done, none compressed (every 10).
    h.provider.addFault({ kind: 'slow', delayMs: 60_000, match: { task: taskId, purpose: 'specialist' }, calls: [5] });
    const handle = await startTask(h.client, h.taskQueue, TaskInputSchema.parse({ objective: ['Migrate these Postgres tables to the new tenant-aware schema:', ...tables.map((t) => `- ${t}`)].join('\n') }), taskId);
    await until('the fifth specialist call', async () => h.provider.calls().find((c) => c.task === taskId && c.fault === 'slow'));
    await handle.cancel();
    const outcome = (await handle.result()) as TaskOutcome;
    expect(outcome.status).toBe('cancelled');
    expect(outcome.compressions).toEqual([]);
    // Before: 0, the iterations known at the last compression, while the cost held all five calls.
    expect(outcome.iteration).toBe(4);
    expect(h.provider.calls().filter((c) => c.task === taskId && c.purpose === 'specialist')).toHaveLength(5);
    await maybeRecordHistory(taskId, 'cancelled-mid-run-counts-iterations');
  });

  it('by a requeue is charged its worst case; the rerun\'s calls at what the provider billed', async () => {
    const taskId = id('requeue');
    const { handle, reservedUsd, slow } = await startHeldCall(h, taskId);
    await handle.signal(requeueSignal, { reason: 'test: requeued while a call is in flight' });
    const outcome = (await handle.result()) as TaskOutcome;
    expect(outcome).toMatchObject({ status: 'completed', requeues: 1 });

    const calls = h.provider.calls().filter((c) => c.task === taskId);
    const rerun = calls.filter((c) => c.seq !== slow.seq);
    expect(calls).toContainEqual(slow);
    expect(rerun.length).toBeGreaterThan(0);
    // Ledger = the aborted call's worst case + exactly what the provider billed for the others,
    // and the task reports that same bill.
    expect(outcome.bill!.usd).toBeCloseTo(reservedUsd + billed(rerun), 12);
    expect(outcome.costUsd).toBeCloseTo(outcome.bill!.usd, 12);
    expect(outcome.bill!.usd).toBeGreaterThanOrEqual(billed(calls));
  });
});

describe('a provider billing more than the reservation', () => {
  it('is charged the true amount, alerts reservation_exceeded through the gate, and the task\'s next call is denied', async () => {
    const webhook = await startWebhookReceiver();
    // DatabaseAgent (gpt-4.1-mini) reserves about $0.0012 a call; the limit affords one honest call
    // and a half, so only an overrun can push the task past it after its first call.
    const perTaskUsd = 0.002;
    const h = await startHarness('budget-overrun', { limits: limitsWith({ perTaskUsd }), alertWebhookUrl: webhook.url });
    try {
      const taskId = id('overrun');
      h.provider.addFault({ kind: 'usage_inflate', factor: 20, match: { task: taskId, purpose: 'specialist' }, times: 1 });
      const handle = await startTask(h.client, h.taskQueue, TaskInputSchema.parse({ objective: DB_TASK }), taskId);
      const outcome = (await closedResult(handle)) as TaskOutcome;

      const calls = h.provider.calls().filter((c) => c.task === taskId);
      expect(calls).toEqual([expect.objectContaining({ fault: 'usage_inflate' })]);
      const snapshot = await h.gate.snapshot();
      // The true amount, from the provider's own log: above the limit the reservation respected.
      expect(outcome.bill!.usd).toBeCloseTo(billed(calls), 12);
      expect(outcome.bill!.usd).toBeGreaterThan(perTaskUsd);
      expect(outcome.costUsd).toBeCloseTo(billed(calls), 12);
      expect(snapshot.scopes.find((s) => s.scope === 'system:day')!.settledUsd).toBeCloseTo(billed(calls), 12);
      const exceeded = snapshot.alerts.find((a) => a.kind === 'reservation_exceeded' && a.scope === `task:${taskId}`);
      expect(exceeded).toBeDefined();
      expect(exceeded!.spent).toBeCloseTo(billed(calls), 12);
      expect(exceeded!.limit).toBeLessThan(exceeded!.spent);
      // The next call was denied: the task stopped at its budget, naming its scope.
      expect(outcome.status).toBe('budget_exceeded');
      expect(outcome.reasons[0]).toContain(`task:${taskId}`);
      await until('the alert at the webhook', async () => (webhook.received.some((e) => e.kind === 'budget.reservation_exceeded') ? true : undefined), 10_000);
    } finally {
      await h.stop();
      await webhook.close();
    }
  });
});
