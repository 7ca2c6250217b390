import { Client, Connection, WorkflowUpdateFailedError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createBudgetGate, type BudgetGate, type BudgetGateOptions } from '../../src/budget/gate';
import type { Limits } from '../../src/budget/limits';
import type { Alert } from '../../src/budget/ledger-types';
import { PantheonError } from '../../src/errors';
import type { ChatRequest } from '../../src/llm/types';
import { budgetQuery, reserveBatchUpdate, reserveUpdate } from '../../src/budget/ledger-defs';
import { testAddress } from '../support/harness';
import { eventually } from '../support/eventually';
import { maybeRecordHistory } from '../support/history';
import { limitsWith } from '../support/limits';
import { listedRuns } from '../support/visibility';

/**
 * The budget ledger workflow on the suite's real dev server, driven through the gate exactly as
 * activities will drive it. The worker registers workflows only (the ledger has no activities).
 */

const taskQueue = `budget-ledger-${process.pid}-${Date.now()}`;
let connection: Connection;
let client: Client;
let native: NativeConnection;
let worker: Worker;
let running: Promise<void>;
const ledgers: string[] = [];

async function startWorker(): Promise<void> {
  worker = await Worker.create({ connection: native, namespace: 'default', taskQueue, workflowBundle: { codePath: process.env.PANTHEON_TEST_BUNDLE! } });
  running = worker.run();
}

async function stopWorker(): Promise<void> {
  worker.shutdown();
  await running;
}

beforeAll(async () => {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Another test file in this process installed it.
  }
  native = await NativeConnection.connect({ address: testAddress() });
  connection = await Connection.connect({ address: testAddress() });
  client = new Client({ connection, namespace: 'default' });
  await startWorker();
});

afterAll(async () => {
  await Promise.all(ledgers.map((id) => client.workflow.getHandle(id).terminate('test over').catch(() => undefined)));
  await stopWorker();
  await native?.close();
  await connection?.close();
});


function gateFor(name: string, limits: Limits, extra: Partial<BudgetGateOptions> = {}): BudgetGate {
  const ledgerId = `ledger-${name}-${process.pid}-${Date.now()}`;
  ledgers.push(ledgerId);
  return createBudgetGate({ client, taskQueue, limits, ledgerId, ...extra });
}

const chat = (taskId: string, agent = 'DatabaseAgent'): ChatRequest => ({
  provider: 'openai',
  model: 'gpt-4.1-mini',
  system: 'You are the database specialist.',
  messages: [{ role: 'user', content: 'Add a created_at column with an index to the orders table.' }],
  maxOutputTokens: 700,
  json: true,
  purpose: 'specialist',
  agent,
  taskId,
});

interface Cycle {
  ok: boolean;
  settledUsd: number;
  error?: PantheonError;
}

/** reserve → (the "call") → settle half the worst case, as a budgeted LLM call would. */
async function cycle(gate: BudgetGate, taskId: string, key: string, callMs = 5 + Math.random() * 20): Promise<Cycle> {
  try {
    const r = await gate.reserve(chat(taskId), key);
    if (callMs > 0) await new Promise((resolve) => setTimeout(resolve, callMs));
    const actual = r.usd / 2;
    await gate.settle(r.id, { usd: actual, tokens: Math.round(r.tokens / 2) });
    return { ok: true, settledUsd: actual };
  } catch (err) {
    if (err instanceof PantheonError) return { ok: false, settledUsd: 0, error: err };
    throw err;
  }
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

const scope = async (gate: BudgetGate, name: string) => (await gate.snapshot()).scopes.find((s) => s.scope === name);

const acceptedUpdates = async (workflowId: string) =>
  ((await client.workflow.getHandle(workflowId).fetchHistory()).events ?? []).filter(
    (e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
  ).length;

describe('budget ledger workflow on a real Temporal server', () => {
  it('never lets 60 concurrent reserve/settle cycles spend past a system limit that affords a fraction of them', async () => {
    const worst = (await import('../../src/budget/estimate')).worstCaseOf(chat('x'));
    const limit = worst.usd * 12; // about a fifth of the 60 calls at their worst case
    for (const enabled of [true, false]) {
      const gate = gateFor(`concurrency-${enabled}`, limitsWith({ systemHourlyUsd: limit, circuitBreaker: { enabled } }));
      await gate.ensureLedger();
      const t0 = performance.now();
      const results = await Promise.all(Array.from({ length: 60 }, (_, i) => cycle(gate, `task-${i}`, `task-${i}:1:1:0`)));
      const seconds = (performance.now() - t0) / 1000;

      const granted = results.filter((r) => r.ok);
      const denied = results.filter((r) => !r.ok);
      const hour = await scope(gate, 'system:hour');
      const settledByCallers = granted.reduce((s, r) => s + r.settledUsd, 0);
      expect(granted.length).toBeGreaterThanOrEqual(12);
      expect(denied.length).toBeGreaterThan(0);
      expect(hour!.settledUsd).toBeCloseTo(settledByCallers, 12);
      // (The ledger forgives a billionth of a dollar of float rounding, no more.)
      expect(hour!.settledUsd).toBeLessThanOrEqual(limit + 1e-9);
      expect(hour!.reservedUsd).toBe(0);
      for (const d of denied) {
        // A call that does not fit waits its turn; the breaker opens only if settled spend reaches the limit.
        expect(enabled ? ['system_budget_full', 'breaker_open'] : ['system_budget_full']).toContain(d.error!.type);
        expect(d.error!.details).toMatchObject({ scope: 'system:hour', limitUsd: limit });
        expect(d.error!.details.spentUsd as number).toBeLessThanOrEqual(limit + 1e-9);
      }
      const stats = gate.stats();
      expect(stats.reserve.count).toBe(60);
      const ops = stats.reserve.count + stats.settle.count;
      console.info(
        `budget ledger (breaker ${enabled ? 'on' : 'off'}): ${granted.length} granted, ${denied.length} denied; ${ops} operations (${stats.ledgerUpdates} ledger updates) in ${seconds.toFixed(2)} s; reserve p50 ${stats.reserve.p50Ms.toFixed(1)} ms, p95 ${stats.reserve.p95Ms.toFixed(1)} ms`,
      );
    }
  });

  // How fast is the bench's to say (`npm run bench`, its budget section); here, that nothing is lost.
  it.each([8, 200])('keeps every one of 400 reserve/settle cycles from %i concurrent callers: all granted, none outstanding, the settled sum exact, batched', async (concurrency) => {
    const gate = gateFor(`cycles-${concurrency}`, limitsWith());
    await gate.ensureLedger();
    let next = 0;
    const results: Cycle[] = [];
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let i = next++; i < 400; i = next++) results.push(await cycle(gate, `task-${i % 40}`, `tp-${i}`, 0));
      }),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(400);
    const snapshot = await gate.snapshot();
    expect(snapshot.outstanding.count).toBe(0);
    expect(snapshot.scopes.find((s) => s.scope === 'system:day')!.settledUsd).toBeCloseTo(results.reduce((s, r) => s + r.settledUsd, 0), 12);
    // Never more than one update per operation; with many callers, requests share updates.
    const { ledgerUpdates } = gate.stats();
    expect(ledgerUpdates).toBeLessThanOrEqual(800);
    if (concurrency > 8) expect(ledgerUpdates).toBeLessThan(400);
  });

  it('rejects malformed updates in the validator, before they enter history', async () => {
    const gate = gateFor('validator', limitsWith());
    await gate.reserveAmount({ key: 'fine', taskId: 't', agent: 'a', usd: 0.01, tokens: 10 });
    const before = await acceptedUpdates(gate.ledgerId);
    const handle = client.workflow.getHandle(gate.ledgerId);

    const raw = await handle.executeUpdate(reserveUpdate, { args: [{ key: 'bad', taskId: 't', agent: 'a', usd: -1, tokens: 10 }] }).catch((e: unknown) => e);
    expect(raw).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(String((raw as WorkflowUpdateFailedError).cause?.message)).toMatch(/invalid input at usd/);
    // Typed and final, so the Temporal CLI prints "type: invalid_input, retryable: false".
    expect((raw as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'invalid_input', nonRetryable: true });
    const batch = [{ key: 'ok', taskId: 't', agent: 'a', usd: 0.01, tokens: 10 }, { key: 'x', taskId: 't', agent: 'a', usd: 0.01, tokens: 1.5 }];
    const rawBatch = await handle.executeUpdate(reserveBatchUpdate, { args: [batch] }).catch((e: unknown) => e);
    expect(String((rawBatch as WorkflowUpdateFailedError).cause?.message)).toMatch(/invalid input at 1\.tokens/);
    // The gate checks each request itself, so one malformed request cannot sink a batch.
    const viaGate = await gate.reserveAmount({ key: '', taskId: 't', agent: 'a', usd: 0.01, tokens: 10 }).catch((e: unknown) => e);
    expect(viaGate).toMatchObject({ type: 'invalid_input', message: expect.stringMatching(/budget request invalid at key/) });
    const extra = await handle.executeUpdate('settle', { args: [{ reservationId: 'fine', usd: 0, tokens: 0, sneaky: true }] }).catch((e: unknown) => e);
    expect(String((extra as WorkflowUpdateFailedError).cause?.message)).toMatch(/Unrecognized key/i);

    expect(await acceptedUpdates(gate.ledgerId)).toBe(before);
    expect((await gate.snapshot()).outstanding).toMatchObject({ count: 1, usd: 0.01 });
  });

  it('keeps its state across a worker restart', async () => {
    const gate = gateFor('restart', limitsWith({ perTaskUsd: 0.05 }));
    const a = await gate.reserveAmount({ key: 'r1', taskId: 'T', agent: 'ResearchAgent', usd: 0.03, tokens: 300 });
    await gate.settle(a.id, { usd: 0.02, tokens: 200 });
    await gate.reserveAmount({ key: 'r2', taskId: 'T', agent: 'ResearchAgent', usd: 0.01, tokens: 100 });
    const before = await gate.snapshot();

    await stopWorker();
    await startWorker(); // a fresh worker: no cache, the state comes back by replaying history

    const after = await gate.snapshot();
    expect(after.scopes).toEqual(before.scopes);
    expect(after.scopes.find((s) => s.scope === 'task:T')).toMatchObject({ settledUsd: 0.02, reservedUsd: 0.01, settledTokens: 200, reservedTokens: 100 });
    // And it still enforces: 0.02 + 0.01 held + 0.03 > 0.05.
    await expect(gate.reserveAmount({ key: 'r3', taskId: 'T', agent: 'ResearchAgent', usd: 0.03, tokens: 1 })).rejects.toMatchObject({
      type: 'budget_exceeded',
      details: { scope: 'task:T', limitUsd: 0.05, spentUsd: 0.03 },
    });
    // The idempotency memory survived too: the settled key answers as settled.
    await expect(gate.reserveAmount({ key: 'r1', taskId: 'T', agent: 'ResearchAgent', usd: 0.03, tokens: 300 })).rejects.toMatchObject({ type: 'invalid_input' });
  });

  it('continues as new, carrying its state, also under concurrent updates', async () => {
    // maxInFlight 8: updates keep arriving while a run hands over to the next.
    const gate = gateFor('can', limitsWith(), { ledgerOptions: { continueAsNewAfterUpdates: 5 }, maxInFlight: 8 });
    await gate.ensureLedger();
    const firstRun = (await client.workflow.getHandle(gate.ledgerId).describe()).runId;
    for (let i = 0; i < 6; i++) {
      const r = await gate.reserveAmount({ key: `seq-${i}`, taskId: 'C', agent: 'Generalist', usd: 0.01, tokens: 10 });
      await gate.settle(r.id, { usd: 0.005, tokens: 5 });
    }
    const results = await Promise.all(Array.from({ length: 80 }, (_, i) => cycle(gate, `par-${i % 20}`, `par-${i}`)));
    expect(results.every((r) => r.ok)).toBe(true);

    const description = await client.workflow.getHandle(gate.ledgerId).describe();
    expect(description.runId).not.toBe(firstRun);
    expect(description.status.name).toBe('RUNNING');
    expect((await client.workflow.getHandle(gate.ledgerId, firstRun).describe()).status.name).toBe('CONTINUED_AS_NEW');
    // A run that began from a carried state and handed it on: history on both sides of continue-as-new.
    const middle = await eventually('a run between the first and the current to be listed as continued-as-new', async () =>
      (await collect(client.workflow.list({ query: `WorkflowId = '${gate.ledgerId}' AND ExecutionStatus = 'ContinuedAsNew'` }))).find((r) => r.runId !== firstRun),
    );
    await maybeRecordHistory(gate.ledgerId, 'budget-ledger-continued', middle.runId);
    const runs = await listedRuns(client, gate.ledgerId);
    expect(runs.length).toBeGreaterThanOrEqual(3);

    const snapshot = await gate.snapshot();
    const expected = 6 * 0.005 + results.reduce((s, r) => s + r.settledUsd, 0);
    expect(snapshot.scopes.find((s) => s.scope === 'system:day')!.settledUsd).toBeCloseTo(expected, 12);
    const taskC = snapshot.scopes.find((s) => s.scope === 'task:C')!;
    expect(taskC.settledUsd).toBeCloseTo(0.03, 12);
    expect(taskC.settledTokens).toBe(30);
    expect(snapshot.outstanding.count).toBe(0);
    // A key settled in an earlier run is still known: no second reservation for it.
    await expect(gate.reserveAmount({ key: 'seq-0', taskId: 'C', agent: 'Generalist', usd: 0.01, tokens: 10 })).rejects.toMatchObject({
      type: 'invalid_input',
      details: { status: 'settled' },
    });
  });

  it('continues as new after 250 updates by default, so a run stays short enough to replay within a workflow task timeout', async () => {
    const gate = gateFor('default-can', limitsWith());
    await gate.ensureLedger();
    const handle = client.workflow.getHandle(gate.ledgerId);
    const firstRun = (await handle.describe()).runId;
    // One update each (no gate batching): the count the ledger continues after.
    for (let i = 0; i < 251; i++) await handle.executeUpdate(reserveUpdate, { args: [{ key: `k-${i}`, taskId: 'long-day', agent: 'Generalist', usd: 0.0001, tokens: 10 }] });

    const first = await client.workflow.getHandle(gate.ledgerId, firstRun).describe();
    expect(first.status.name).toBe('CONTINUED_AS_NEW');
    expect(first.historyLength).toBeLessThanOrEqual(1300);
    expect((await handle.describe()).runId).not.toBe(firstRun);
    // Nothing dropped at the hand-over: every reservation is held in the next run.
    expect((await gate.snapshot()).outstanding.count).toBe(251);
  });

  it('trips the breaker on a runaway burst, stops the runaway, alerts once each, and reopens for business when an operator closes it', async () => {
    const alerts: Alert[] = [];
    const gate = gateFor('runaway', limitsWith({ circuitBreaker: { maxCallsPerTaskPerMinute: 5 } }), { onAlert: (a) => alerts.push(a) });
    const burst = await Promise.all(Array.from({ length: 10 }, (_, i) => cycle(gate, 'looping-task', `loop-${i}`)));
    expect(burst.filter((r) => r.ok)).toHaveLength(5);
    const denied = burst.filter((r) => !r.ok).map((r) => r.error!);
    expect(denied).toHaveLength(5);
    // The call that tripped it stops its task; the rest of the burst meets the open breaker.
    expect(denied.filter((e) => e.type === 'budget_exceeded').map((e) => e.details)).toEqual([expect.objectContaining({ scope: 'task:looping-task', unit: 'calls_per_minute', limit: 5, spent: 6 })]);
    expect(denied.filter((e) => e.type === 'breaker_open' && e.details.scope === 'task:looping-task')).toHaveLength(4);
    expect(alerts).toEqual([
      expect.objectContaining({ kind: 'breaker_open', reason: 'runaway_calls', scope: 'task:looping-task', limit: 5, spent: 6 }),
      expect.objectContaining({ kind: 'budget_exceeded', scope: 'task:looping-task', unit: 'calls_per_minute' }),
    ]);

    // Everyone is stopped, not just the runaway.
    await expect(cycle(gate, 'innocent-task', 'innocent-1')).resolves.toMatchObject({ ok: false, error: expect.objectContaining({ type: 'breaker_open' }) });
    const open = await gate.snapshot();
    expect(open.breaker).toMatchObject({ open: true, reason: 'runaway_calls', scope: 'task:looping-task' });
    expect(open.breaker.untilMs).toBeGreaterThan(Date.now());

    await gate.closeBreaker({ who: 'alice@ops', why: 'loop fixed in agent prompt' });
    await expect(cycle(gate, 'innocent-task', 'innocent-2')).resolves.toMatchObject({ ok: true });
    const closed = await gate.snapshot();
    expect(closed.breaker.open).toBe(false);
    expect(closed.audit.at(-1)).toMatchObject({ action: 'closeBreaker', who: 'alice@ops', why: 'loop fixed in agent prompt' });
    expect(closed.alerts).toHaveLength(2);
  });

  it("keeps the fleet's alerts through a storm of tasks stopped at their own limit: the breaker's trip stays on record", async () => {
    const gate = gateFor('fleet-alerts', limitsWith({ systemHourlyUsd: 0.5, perTaskUsd: 0.1 }));
    const r = await gate.reserveAmount({ key: 'dear-1', taskId: 'dear', agent: 'ResearchAgent', usd: 0.05, tokens: 100 });
    // The provider billed far more than held: the hour's settled spend reaches its limit.
    await gate.settle(r.id, { usd: 0.5, tokens: 100 });
    await gate.flush();
    await expect(gate.reserveAmount({ key: 'next-1', taskId: 'next', agent: 'ResearchAgent', usd: 0.01, tokens: 10 })).rejects.toMatchObject({ type: 'breaker_open' });
    await gate.closeBreaker({ who: 'alice@ops', why: 'provider billing bug, refund agreed' });
    // Sixty tasks each ask for more than their own limit: an alert apiece, more than the log keeps.
    const storm = await Promise.all(
      Array.from({ length: 60 }, (_, i) => gate.reserveAmount({ key: `over-${i}`, taskId: `over-${i}`, agent: 'ResearchAgent', usd: 0.2, tokens: 10 }).catch((e: unknown) => e)),
    );
    expect(storm.every((e) => e instanceof PantheonError && e.type === 'budget_exceeded')).toBe(true);
    const { alerts } = await gate.snapshot();
    expect(alerts).toHaveLength(50);
    expect(alerts.filter((a) => a.kind === 'breaker_open')).toEqual([expect.objectContaining({ reason: 'system_limit', scope: 'system:hour' })]);
    expect(alerts.filter((a) => a.kind === 'budget_exceeded')).toHaveLength(49);
    await maybeRecordHistory(gate.ledgerId, 'budget-ledger-keeps-fleet-alerts');
  });

  it("keeps the hour's and the day's spend when its limits name another timezone: a change of zone buys no fresh day", async () => {
    const limits = limitsWith({ systemDailyUsd: 0.016 });
    const gate = gateFor('timezone', limits);
    const r = await gate.reserve(chat('tz-a'), 'tz-a-1');
    await gate.settle(r.id, { usd: 0.015, tokens: 100 });
    await gate.flush();
    const spent = async (name: string) => (await scope(gate, name))!.settledUsd;
    expect(await spent('system:day')).toBeCloseTo(0.015, 12);
    // A zone whose date differs from UTC's now, so its day has another key (before, a new, empty day).
    const zone = new Date().getUTCHours() >= 10 ? 'Pacific/Kiritimati' : 'Pacific/Pago_Pago';
    await gate.setLimits({ who: 'dana', why: 'the team moved', limits: { ...limits, timezone: zone } });
    const moved = await gate.snapshot();
    expect(moved.limits.timezone).toBe(zone);
    expect(moved.scopes.find((s) => s.scope === 'system:day')!.settledUsd).toBeCloseTo(0.015, 12);
    expect(moved.scopes.find((s) => s.scope === 'system:hour')!.settledUsd).toBeCloseTo(0.015, 12);
    // The day's limit still binds: a call whose worst case passes the $0.001 left is not granted.
    await expect(gate.reserve(chat('tz-b'), 'tz-b-1')).rejects.toMatchObject({ details: { scope: 'system:day' } });
    // And back again: the same spend, still today's.
    await gate.setLimits({ who: 'dana', why: 'the team moved back', limits });
    expect(await spent('system:day')).toBeCloseTo(0.015, 12);
    const history = await client.workflow.getHandle(gate.ledgerId).fetchHistory();
    await Worker.runReplayHistory({ workflowBundle: { codePath: process.env.PANTHEON_TEST_BUNDLE! } }, history, gate.ledgerId);
    await maybeRecordHistory(gate.ledgerId, 'budget-ledger-timezone-keeps-windows');
  });

  it('starts one ledger however many gates ensure it, and its history replays deterministically', async () => {
    const gate = gateFor('single', limitsWith({ perAgentHourlyUsd: 0.01 }));
    const twin = createBudgetGate({ client, taskQueue, limits: limitsWith(), ledgerId: gate.ledgerId });
    await gate.ensureLedger();
    await Promise.all([twin.ensureLedger(), twin.ensureLedger(), gate.ensureLedger()]);
    const runs = await listedRuns(client, gate.ledgerId);
    expect(runs).toHaveLength(1);
    const r = await twin.reserve(chat('task-a'), 'a-1');
    await gate.settle(r.id, { usd: 0.009, tokens: 100 });
    await expect(gate.reserve(chat('task-b'), 'b-1')).rejects.toMatchObject({ type: 'agent_budget_exhausted', details: { scope: 'agent:DatabaseAgent:hour' } });
    await gate.reserve(chat('task-b', 'ResearchAgent'), 'b-2');
    await gate.setOverride({ who: 'bob', why: 'release day', scope: 'agent:DatabaseAgent:hour', limitUsd: 1, untilMs: Date.now() + 60_000 });
    await gate.reserve(chat('task-b'), 'b-3');
    const limits = await client.workflow.getHandle(gate.ledgerId).query(budgetQuery).then((s) => s.limits);
    expect(limits.perAgentHourlyUsd).toBe(0.01); // the first start's limits; the twin only joined
    // Changing the limits of a running ledger is an audited operator action.
    await twin.setLimits({ who: 'carol', why: 'new quarter budget', limits: limitsWith({ perAgentHourlyUsd: 0.5 }) });
    const changed = await twin.snapshot();
    expect(changed.limits.perAgentHourlyUsd).toBe(0.5);
    expect(changed.audit.map((a) => [a.action, a.who])).toEqual([
      ['setOverride', 'bob'],
      ['setLimits', 'carol'],
    ]);

    // A bill closed once its settles landed (ifSettled): the last update of the recorded history.
    await gate.flush();
    await expect(gate.closeTask('task-a')).resolves.toMatchObject({ known: true, usd: 0.009, chargedOutstanding: 0 });

    const history = await client.workflow.getHandle(gate.ledgerId).fetchHistory();
    await Worker.runReplayHistory({ workflowBundle: { codePath: process.env.PANTHEON_TEST_BUNDLE! } }, history, gate.ledgerId);
    // Settles and reserves in one ledgerBatch update, closes with ifSettled, the shorter runs'
    // marker (budget-ledger-batched.json: before the marker; budget-ledger.json: the
    // reserveBatch/finishBatch updates from before; both kept so those histories still replay).
    await maybeRecordHistory(gate.ledgerId, 'budget-ledger-shorter-runs');
  });
});
