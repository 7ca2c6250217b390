import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createBudgetGate, type BudgetGate } from '../../src/budget/gate';
import { createLedgerClient } from '../../src/budget/ledger-client';
import type { Alert } from '../../src/budget/ledger-types';
import { PantheonError } from '../../src/errors';
import { findTemporalCli } from '../../src/runtime/temporal-cli';
import { ledgerStateQuery } from '../../src/budget/ledger-defs';
import { runCli } from '../support/cli';
import { testAddress } from '../support/harness';
import { limitsWith } from '../support/limits';
import { maybeRecordHistory } from '../support/history';

/**
 * A ledger run that ends without continue-as-new (terminated with the Temporal CLI, or failed) is
 * succeeded by a run that resumes its state, or, when that state cannot be read, by a locked
 * ledger that refuses every call until an operator restores or resets it.
 */

const run = promisify(execFile);
const unique = `${process.pid}-${Date.now()}`;
const taskQueue = `budget-recovery-${unique}`;
const limits = limitsWith({ systemHourlyUsd: 10, circuitBreaker: { maxCallsPerTaskPerMinute: 1000 } });

let connection: Connection;
let client: Client;
let native: NativeConnection;
let worker: Worker;
let running: Promise<void>;
let temporalCli: string;
const ledgers: string[] = [];

beforeAll(async () => {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Another test file in this process installed it.
  }
  temporalCli = await findTemporalCli({ install: false });
  native = await NativeConnection.connect({ address: testAddress() });
  worker = await Worker.create({ connection: native, namespace: 'default', taskQueue, workflowBundle: { codePath: process.env.PANTHEON_TEST_BUNDLE! } });
  running = worker.run();
  connection = await Connection.connect({ address: testAddress() });
  client = new Client({ connection, namespace: 'default' });
});

afterAll(async () => {
  await Promise.all(ledgers.map((id) => client.workflow.getHandle(id).terminate('test over').catch(() => undefined)));
  worker?.shutdown();
  await running;
  await native?.close();
  await connection?.close();
});

function gateFor(name: string, alerts: Alert[] = []): { gate: BudgetGate; ledgerId: string } {
  const ledgerId = `ledger-${name}-${unique}`;
  ledgers.push(ledgerId);
  return { ledgerId, gate: createBudgetGate({ client, taskQueue, limits, ledgerId, onAlert: (a) => alerts.push(a) }) };
}

const temporal = (...args: string[]) => run(temporalCli, [...args, '--address', testAddress(), '--namespace', 'default']);

const denialOf = async (promise: Promise<unknown>): Promise<PantheonError> => {
  try {
    await promise;
  } catch (err) {
    if (err instanceof PantheonError) return err;
    throw err;
  }
  throw new Error('expected the call to be denied');
};

const hourOf = async (gate: BudgetGate) => (await gate.snapshot()).scopes.find((s) => s.scope === 'system:hour')!;

describe('budget ledger recovery', () => {
  it('a successor of a ledger terminated with the Temporal CLI keeps its spend, breaker and overrides, and charges calls in flight at their worst case until their live callers settle them', async () => {
    const alerts: Alert[] = [];
    const { gate, ledgerId } = gateFor('terminated', alerts);
    const done = await gate.reserveAmount({ key: 'k-done', taskId: 't-1', agent: 'DatabaseAgent', usd: 0.4, tokens: 2000 });
    await gate.settle(done.id, { usd: 0.25, tokens: 1000 });
    await gate.reserveAmount({ key: 'k-in-flight', taskId: 't-2', agent: 'ResearchAgent', usd: 0.3, tokens: 1500 });
    const untilMs = Date.now() + 3_600_000;
    await gate.setOverride({ who: 'alice', why: 'launch day', scope: 'system:day', limitUsd: 42, untilMs });
    await gate.openBreaker({ who: 'alice', why: 'pause everything' });
    const firstRun = (await client.workflow.getHandle(ledgerId).describe()).runId;

    await temporal('workflow', 'terminate', '--workflow-id', ledgerId, '--reason', 'operator mistake');

    // The breaker is still open after the successor starts: the next call is denied for it.
    const denied = await denialOf(gate.reserveAmount({ key: 'k-after', taskId: 't-3', agent: 'DatabaseAgent', usd: 0.01, tokens: 10 }));
    expect(denied.type).toBe('breaker_open');
    const description = await client.workflow.getHandle(ledgerId).describe();
    expect(description.runId).not.toBe(firstRun);
    expect(description.status.name).toBe('RUNNING');

    const snapshot = await gate.snapshot();
    expect(snapshot.breaker).toMatchObject({ open: true, reason: 'operator' });
    expect(snapshot.overrides).toEqual([expect.objectContaining({ scope: 'system:day', limitUsd: 42, who: 'alice' })]);
    const hour = snapshot.scopes.find((s) => s.scope === 'system:hour')!;
    // Settled $0.25 plus the $0.30 that was in flight, now charged in full; nothing outstanding.
    expect(hour.settledUsd).toBeCloseTo(0.55, 9);
    expect(hour.reservedUsd).toBe(0);
    expect(snapshot.audit.map((a) => a.action)).toEqual(expect.arrayContaining(['setOverride', 'openBreaker', 'recover']));
    expect(alerts.map((a) => a.kind)).toContain('ledger_recovered');

    // The caller of the call in flight is alive and settles it with the successor: the worst case
    // charged comes down to what the call cost (ledger-recovered.ts); settled again, nothing changes.
    const late = await gate.settle('k-in-flight', { usd: 0.05, tokens: 100 });
    expect(late).toMatchObject({ applied: true, status: 'settled' });
    expect((await hourOf(gate)).settledUsd).toBeCloseTo(0.3, 9);
    expect(await gate.settle('k-in-flight', { usd: 0.05, tokens: 100 })).toMatchObject({ applied: false, status: 'settled' });
    expect((await hourOf(gate)).settledUsd).toBeCloseTo(0.3, 9);
    await maybeRecordHistory(ledgerId, 'budget-ledger-resumed');
  });

  it('a worker still reading an ended run when another worker\'s successor has ended too succeeds the newest run, not the one it read', async () => {
    const { gate, ledgerId } = gateFor('two-terminations');
    const first = await gate.reserveAmount({ key: 'k-first', taskId: 't-1', agent: 'DatabaseAgent', usd: 0.2, tokens: 1000 });
    await gate.settle(first.id, { usd: 0.1, tokens: 500 });
    await temporal('workflow', 'terminate', '--workflow-id', ledgerId, '--reason', 'first termination');

    // A slow worker: its read of the ended run's state is held until the test lets it go.
    let letGo!: () => void;
    const held = new Promise<void>((resolve) => (letGo = resolve));
    const slowClient = Object.create(client) as Client;
    slowClient.withDeadline = (async (_deadline: number, fn: () => Promise<unknown>) => {
      await held;
      return client.withDeadline(Date.now() + 15_000, fn);
    }) as Client['withDeadline'];
    const slow = createLedgerClient({ client: slowClient, taskQueue, limits, ledgerId });
    const slowEnsure = slow.ensure();

    // Meanwhile the other worker opens a successor, spends in it, and that run is terminated too.
    const second = await gate.reserveAmount({ key: 'k-second', taskId: 't-2', agent: 'DatabaseAgent', usd: 0.2, tokens: 1000 });
    await gate.settle(second.id, { usd: 0.15, tokens: 600 });
    await temporal('workflow', 'terminate', '--workflow-id', ledgerId, '--reason', 'second termination');
    letGo();
    await slowEnsure;

    // The run now open holds both runs' spend: it succeeded the second run, not the first.
    const snapshot = await gate.snapshot();
    expect(snapshot.scopes.find((s) => s.scope === 'system:hour')!.settledUsd).toBeCloseTo(0.25, 9);
  });

  it('refuses every call and alerts when the ended run cannot be read, until an operator resets it', async () => {
    const alerts: Alert[] = [];
    const { gate, ledgerId } = gateFor('unreadable', alerts);
    // A run started by hand with input the ledger refuses: it fails at once and holds no state.
    await temporal('workflow', 'start', '--type', 'budgetLedger', '--task-queue', taskQueue, '--workflow-id', ledgerId, '--input', '{"limits":{}}');
    await client.workflow.getHandle(ledgerId).result().catch(() => undefined);

    const denied = await denialOf(gate.reserveAmount({ key: 'k-1', taskId: 't-1', agent: 'DatabaseAgent', usd: 0.01, tokens: 10 }));
    expect(denied.type).toBe('breaker_open');
    const snapshot = await gate.snapshot();
    expect(snapshot.breaker).toMatchObject({ open: true, reason: 'ledger_lost' });
    expect(alerts.map((a) => a.kind)).toContain('ledger_lost');
    expect(snapshot.alerts.map((a) => a.kind)).toContain('ledger_lost');

    // Closing the breaker is not enough: books that may be empty must be decided on.
    await expect(gate.closeBreaker({ who: 'bob', why: 'try' })).rejects.toThrow(/restore.*reset/);

    const env = { TEMPORAL_ADDRESS: testAddress(), PANTHEON_LEDGER_ID: ledgerId, PANTHEON_BUDGET_TASK_QUEUE: taskQueue };
    // The refusal (a flag missing: nothing sent) and the reset are independent: run at once.
    const [missingWhy, reset] = await Promise.all([
      runCli(['budget', 'reset', '--who', 'bob'], env),
      runCli(['budget', 'reset', '--who', 'bob', '--why', 'state unrecoverable; provider dashboard shows $0 today'], env),
    ]);
    expect(missingWhy.code).not.toBe(0);
    expect(missingWhy.stderr).toMatch(/--why/);
    expect(reset.stderr).toBe('');
    expect(reset.code).toBe(0);
    expect(reset.stdout).toMatch(/reset by bob/);

    const granted = await gate.reserveAmount({ key: 'k-2', taskId: 't-1', agent: 'DatabaseAgent', usd: 0.01, tokens: 10 });
    expect(granted.id).toBe('k-2');
    const after = await gate.snapshot();
    expect(after.audit.map((a) => a.action)).toEqual(expect.arrayContaining(['recover', 'reset']));
  });

  it('pantheon budget restore --from-run takes over the state of an earlier run', async () => {
    const { gate, ledgerId } = gateFor('restore');
    const r = await gate.reserveAmount({ key: 'k-1', taskId: 't-1', agent: 'DatabaseAgent', usd: 0.5, tokens: 100 });
    await gate.settle(r.id, { usd: 0.5, tokens: 100 });
    const oldRun = (await client.workflow.getHandle(ledgerId).describe()).runId;
    const exported = await client.workflow.getHandle(ledgerId, oldRun).query(ledgerStateQuery);
    expect(exported.state.hour.system.usd).toBeCloseTo(0.5, 9);

    // The operator resets by mistake, then restores what the earlier run held.
    const env = { TEMPORAL_ADDRESS: testAddress(), PANTHEON_LEDGER_ID: ledgerId, PANTHEON_BUDGET_TASK_QUEUE: taskQueue };
    // The refusal of two sources (nothing sent) runs alongside the reset.
    const [mistake, both] = await Promise.all([
      runCli(['budget', 'reset', '--who', 'bob', '--why', 'oops'], env),
      runCli(['budget', 'restore', '--from-run', oldRun, '--file', 'x.json', '--who', 'bob', '--why', 'undo'], env),
    ]);
    expect(mistake.code).toBe(0);
    expect((await hourOf(gate)).settledUsd).toBe(0);
    expect(both.code).not.toBe(0);
    expect(both.stderr).toMatch(/exactly one source/);

    const export_ = await runCli(['budget', 'export'], env);
    expect(export_.code).toBe(0);
    expect(JSON.parse(export_.stdout).state.audit.at(-1).action).toBe('reset');

    // Same run id: the ledger never continued-as-new, and queries of a run read its latest state,
    // so restore from a file exported before the reset instead.
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-')), 'state.json');
    // The file's limits differ from the ledger's in one key: restore puts them back, and says so.
    const daily = exported.limits.systemDailyUsd;
    fs.writeFileSync(file, JSON.stringify({ ...exported, limits: { ...exported.limits, systemDailyUsd: daily + 5 } }));
    const restored = await runCli(['budget', 'restore', '--file', file, '--who', 'bob', '--why', 'undo the mistaken reset'], env);
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    expect(restored.stdout).toContain(`limits     back to the source's: system_daily_usd: ${daily} → ${daily + 5}`);
    expect((await hourOf(gate)).settledUsd).toBeCloseTo(0.5, 9);
    expect((await gate.snapshot()).audit.map((a) => a.action)).toEqual(expect.arrayContaining(['reset', 'restore']));

    // And from an ended run: terminate, let the successor resume, reset, restore from the old run.
    const beforeTerminate = (await client.workflow.getHandle(ledgerId).describe()).runId;
    await temporal('workflow', 'terminate', '--workflow-id', ledgerId, '--reason', 'test');
    expect((await runCli(['budget', 'reset', '--who', 'bob', '--why', 'again'], env)).code).toBe(0);
    expect((await hourOf(gate)).settledUsd).toBe(0);
    const fromRun = await runCli(['budget', 'restore', '--from-run', beforeTerminate, '--who', 'bob', '--why', 'from the terminated run'], env);
    expect(fromRun.stderr).toBe('');
    expect(fromRun.code).toBe(0);
    expect(fromRun.stdout).toContain('limits     unchanged');
    expect((await hourOf(gate)).settledUsd).toBeCloseTo(0.5, 9);
  });
  it('a restore after a loss brings back the operator record from before it: pantheon budget says who opened the breaker, and the audit holds the earlier actions', async () => {
    const { gate, ledgerId } = gateFor('restore-audit');
    const env = { TEMPORAL_ADDRESS: testAddress(), PANTHEON_LEDGER_ID: ledgerId, PANTHEON_BUDGET_TASK_QUEUE: taskQueue };
    const r = await gate.reserveAmount({ key: 'k-1', taskId: 't-1', agent: 'DatabaseAgent', usd: 0.2, tokens: 10 });
    await gate.settle(r.id, { usd: 0.2, tokens: 10 });
    const opened = await runCli(['budget', 'open', '--who', 'checker', '--why', 'breaker must survive'], env);
    expect(opened.code).toBe(0);

    // The run is terminated and a run started by hand with input the ledger refuses takes its
    // place: it fails at once, so the successor cannot read the terminated run's state and is locked.
    const oldRun = (await client.workflow.getHandle(ledgerId).describe()).runId;
    await temporal('workflow', 'terminate', '--workflow-id', ledgerId, '--reason', 'test');
    await temporal('workflow', 'start', '--type', 'budgetLedger', '--task-queue', taskQueue, '--workflow-id', ledgerId, '--input', '{"limits":{}}');
    await client.workflow.getHandle(ledgerId).result().catch(() => undefined);
    expect((await denialOf(gate.reserveAmount({ key: 'k-2', taskId: 't-1', agent: 'DatabaseAgent', usd: 0.01, tokens: 1 }))).type).toBe('breaker_open');
    expect((await gate.snapshot()).breaker).toMatchObject({ reason: 'ledger_lost' });

    const restored = await runCli(['budget', 'restore', '--from-run', oldRun, '--who', 'bob', '--why', 'from the terminated run'], env);
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    const snapshot = await gate.snapshot();
    expect(snapshot.breaker).toMatchObject({ open: true, reason: 'operator' });
    expect(snapshot.audit.map((a) => [a.action, a.who])).toEqual([
      ['openBreaker', 'checker'],
      ['recover', 'ledger'],
      ['restore', 'bob'],
    ]);
    expect(snapshot.alerts.map((a) => a.kind)).toEqual(expect.arrayContaining(['ledger_lost']));
    const shown = await runCli(['budget'], env);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('  why      operator: "breaker must survive"');
    expect(shown.stdout).toContain('  who      checker');
    await maybeRecordHistory(ledgerId, 'budget-ledger-restore-keeps-record');
  });

  it('restore through the Temporal CLI takes the ledgerState query\'s answer as it printed it (the whole answer; empty lists as null)', async () => {
    const { gate, ledgerId } = gateFor('cli-restore');
    const r = await gate.reserveAmount({ key: 'k-1', taskId: 't-1', agent: 'DatabaseAgent', usd: 0.5, tokens: 100 });
    await gate.settle(r.id, { usd: 0.5, tokens: 100 });
    const printed = JSON.parse((await temporal('workflow', 'query', '--workflow-id', ledgerId, '--name', 'ledgerState', '--output', 'json')).stdout);
    const carried = Array.isArray(printed.queryResult) ? printed.queryResult[0] : printed.queryResult ?? printed;
    // What this test is about: the CLI prints the task's empty list of calls as null.
    expect(JSON.stringify(carried.state)).toContain('null');

    const env = { TEMPORAL_ADDRESS: testAddress(), PANTHEON_LEDGER_ID: ledgerId, PANTHEON_BUDGET_TASK_QUEUE: taskQueue };
    expect((await runCli(['budget', 'reset', '--who', 'bob', '--why', 'oops'], env)).code).toBe(0);
    expect((await hourOf(gate)).settledUsd).toBe(0);
    // As the README has it: the query's answer handed back whole as the restore's state.
    const input = JSON.stringify({ who: 'bob', why: 'undo the reset', state: carried });
    const restored = await temporal('workflow', 'update', 'execute', '--workflow-id', ledgerId, '--name', 'restore', '--input', input);
    expect(restored.stderr).toBe('');
    expect((await hourOf(gate)).settledUsd).toBeCloseTo(0.5, 9);
    // The restored state's lists are lists again: the ledger keeps serving.
    const next = await gate.reserveAmount({ key: 'k-2', taskId: 't-1', agent: 'DatabaseAgent', usd: 0.01, tokens: 10 });
    expect(next.id).toBe('k-2');
  });
});
