import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, WorkflowNotFoundError, type WorkflowUpdateFailedError } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createBudgetGate, type BudgetGate } from '../../src/budget/gate';
import { defaultLimits, type Limits } from '../../src/budget/limits';
import type { BudgetSnapshot } from '../../src/budget/snapshot';
import { PantheonError } from '../../src/errors';
import { runCli, type CliResult } from '../support/cli';
import { ledgerStateQuery, setLimitsUpdate, setOverrideUpdate } from '../../src/budget/ledger-defs';
import { operate } from '../../src/client/commands/budget';
import { applyLimitsOver } from '../../src/client/limits-apply';

/**
 * `pantheon budget` run as a user runs it (its own process) against a ledger this test starts on
 * the suite's dev server: a worker registering the workflows on a queue of its own, and a gate.
 */

const unique = `${process.pid}-${Date.now()}`;
const taskQueue = `budget-cli-${unique}`;
const ledgerId = `ledger-budget-cli-${unique}`;
const limits: Limits = { ...defaultLimits(), circuitBreaker: { ...defaultLimits().circuitBreaker, maxCallsPerTaskPerMinute: 1000 } };
/** A limits file of comments only: fine for a worker's start (all defaults), refused by `budget limits`. */
const EMPTY_LIMITS = path.join(os.tmpdir(), `empty-limits-${unique}.yaml`);
fs.writeFileSync(EMPTY_LIMITS, '# nothing set yet\n');
/** A limits file of one key, written by the test that applies it. */
const ONE_LIMIT = path.join(os.tmpdir(), `one-limit-${unique}.yaml`);

let connection: Connection;
let client: Client;
let native: NativeConnection;
let worker: Worker;
let running: Promise<void>;
let gate: BudgetGate;
let address: string;
let env: Record<string, string>;

beforeAll(async () => {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Another test file in this process installed it.
  }
  address = process.env.PANTHEON_TEST_TEMPORAL_ADDRESS!;
  if (!address) throw new Error('PANTHEON_TEST_TEMPORAL_ADDRESS is unset: run with jest (globalSetup starts the server)');
  native = await NativeConnection.connect({ address });
  worker = await Worker.create({ connection: native, namespace: 'default', taskQueue, workflowBundle: { codePath: process.env.PANTHEON_TEST_BUNDLE! } });
  running = worker.run();
  connection = await Connection.connect({ address });
  client = new Client({ connection, namespace: 'default' });
  gate = createBudgetGate({ client, taskQueue, limits, ledgerId });

  // One call finished ($0.23 of its $0.40 worst case) and one still in flight ($0.30 held).
  const done = await gate.reserveAmount({ key: 'k-done', taskId: 't-done', agent: 'DatabaseAgent', usd: 0.4, tokens: 2000 });
  await gate.settle(done.id, { usd: 0.23, tokens: 1200 });
  await gate.reserveAmount({ key: 'k-held', taskId: 't-held', agent: 'ResearchAgent', usd: 0.3, tokens: 1500 });
  env = { TEMPORAL_ADDRESS: address, PANTHEON_LEDGER_ID: ledgerId, PANTHEON_GOD_ID: `god-budget-cli-${unique}` };
});

afterAll(async () => {
  for (const file of [EMPTY_LIMITS, ONE_LIMIT]) fs.rmSync(file, { force: true });
  await client?.workflow.getHandle(ledgerId).terminate('test over').catch(() => undefined);
  if (worker) {
    worker.shutdown();
    await running;
  }
  await native?.close();
  await connection?.close();
});

const reserveOnce = (key: string) => gate.reserveAmount({ key, taskId: 't-probe', agent: 'DatabaseAgent', usd: 0.01, tokens: 10 });

async function expectNotStarted(workflowId: string): Promise<void> {
  await expect(client.workflow.getHandle(workflowId).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
}

describe('pantheon budget', () => {
  it('shows spend against every limit as bars, settled and reserved apart, and the breaker', async () => {
    const run = await runCli(['budget'], env);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = run.stdout;
    expect(out).toContain(`budget ledger ${ledgerId} at ${address} (namespace default)`);
    expect(out).toMatch(/\nbreaker {2}closed\n/);
    // 0.23 of 5 is 0.9 cell, 0.53 is 2.1 cells; the day's 20 dollars make 0.2 and 0.5 cell.
    expect(out).toMatch(/\n {2}system hour +\[#\+\.{18}\] {2}\$0\.2300 settled \+ \$0\.3000 reserved of \$5\.00 \(11%\)\n/);
    expect(out).toMatch(/\n {2}system day +\[\+\.{19}\] {2}\$0\.2300 settled \+ \$0\.3000 reserved of \$20\.00 \(3%\)\n/);
    expect(out).toMatch(/\n {2}agent DatabaseAgent hour +\[#{9}\.{11}\] {2}\$0\.2300 settled \+ \$0\.0000 reserved of \$0\.50 \(46%\)\n/);
    expect(out).toMatch(/\n {2}agent DatabaseAgent day +\[##\.{18}\] {2}\$0\.2300 settled \+ \$0\.0000 reserved of \$2\.00 \(12%\)\n/);
    expect(out).toMatch(/\n {2}agent ResearchAgent hour +\[\+{12}\.{8}\] {2}\$0\.0000 settled \+ \$0\.3000 reserved of \$0\.50 \(60%\)\n/);
    expect(out).toMatch(/\n {2}agent ResearchAgent day +\[\+{3}\.{17}\] {2}\$0\.0000 settled \+ \$0\.3000 reserved of \$2\.00 \(15%\)\n/);
    // Only tasks holding reservations are listed.
    expect(out).toMatch(/\n {2}task t-held +\[\+{12}\.{8}\] {2}\$0\.0000 settled \+ \$0\.3000 reserved of \$0\.50 \(60%\); tokens 0 \+ 1500 of 40000\n/);
    expect(out).not.toContain('task t-done');
    expect(out).toContain('reservations outstanding: 1, holding $0.3000 (1500 tokens); tasks tracked: 2');
    expect(out).toContain('audit: none');
  });

  it('says a breaker turned off in the limits is disabled, and what that leaves unchecked, instead of "closed"', async () => {
    const offId = `${ledgerId}-breaker-off`;
    const off = createBudgetGate({ client, taskQueue, limits: { ...limits, circuitBreaker: { ...limits.circuitBreaker, enabled: false } }, ledgerId: offId });
    try {
      await off.reserveAmount({ key: 'k-off', taskId: 't-off', agent: 'DatabaseAgent', usd: 0.01, tokens: 10 });
      const run = await runCli(['budget'], { ...env, PANTHEON_LEDGER_ID: offId });
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/\nbreaker {2}disabled \(circuit_breaker\.enabled: false\): nothing trips it, and the runaway bound \(max_calls_per_task_per_minute\) and max_spawn_depth are not checked; the spend limits still hold\n/);
      expect(run.stdout).not.toMatch(/\nbreaker {2}closed/);
    } finally {
      await client.workflow.getHandle(offId).terminate('test over').catch(() => undefined);
    }
  });

  it('prints the raw snapshot with --json', async () => {
    const run = await runCli(['budget', 'show', '--json'], env);

    expect(run.code).toBe(0);
    const snapshot = JSON.parse(run.stdout) as BudgetSnapshot;
    expect(snapshot).toEqual(await gate.snapshot());
    expect(snapshot.scopes.find((s) => s.scope === 'system:hour')).toMatchObject({ limitUsd: 5, settledUsd: 0.23, reservedUsd: 0.3 });
    expect(snapshot.breaker).toEqual({ open: false });
  });

  it('opens the breaker for an operator, so the gate denies, and closes it again, audited with who and why', async () => {
    const opened = await runCli(['budget', 'open', '--who', 'ops', '--why', 'test'], env);

    expect(opened.stderr).toBe('');
    expect(opened.code).toBe(0);
    expect(opened.stdout).toContain('breaker opened by ops: "test"\nbreaker  OPEN: every reservation is denied\n  why      operator: "test"\n  who      ops\n');
    expect(opened.stdout).toContain('  retryAt  none: only an operator closes it');
    expect((await gate.snapshot()).breaker).toMatchObject({ open: true, reason: 'operator' });
    const denied = await reserveOnce('k-while-open').catch((err: unknown) => err);
    expect(denied).toBeInstanceOf(PantheonError);
    expect((denied as PantheonError).type).toBe('breaker_open');

    // Shown while open, and opened again (nothing changes: the audit below has two entries), at once.
    const [shown, openedAgain] = await Promise.all([runCli(['budget'], env), runCli(['budget', 'open', '--who', 'ops', '--why', 'again'], env)]);
    expect(shown.stdout).toMatch(/\nbreaker {2}OPEN: every reservation is denied\n {2}why {6}operator: "test"\n {2}who {6}ops\n {2}since {4}\S+Z \(\d+s ago\)\n/);
    // Already held open: said so, nothing changed and nothing audited (below: two entries, not three).
    expect(openedAgain.code).toBe(0);
    expect(openedAgain.stdout).toMatch(/^breaker already open, held by an operator: nothing changed .*\nbreaker {2}OPEN: every reservation is denied\n {2}why {6}operator: "test"\n/);

    const closed = await runCli(['budget', 'close', '--who', 'ops', '--why', 'all clear'], env);
    expect(closed.stderr).toBe('');
    expect(closed.code).toBe(0);
    expect(closed.stdout).toMatch(/^breaker closed by ops: "all clear"\nbreaker {2}closed; last closed \S+Z \(\d+s ago\) by ops: "all clear"\n$/);
    await expect(reserveOnce('k-after-close')).resolves.toMatchObject({ id: 'k-after-close' });
    // Closed again (nothing changes) and shown with its audit, at once: the snapshot below holds the audit to two entries.
    const [closedAgain, after] = await Promise.all([runCli(['budget', 'close', '--who', 'ops', '--why', 'again'], env), runCli(['budget'], env)]);
    expect(closedAgain.code).toBe(0);
    expect(closedAgain.stdout).toMatch(/^breaker already closed: nothing changed\nbreaker {2}closed; last closed \S+Z \(\d+s ago\) by ops: "all clear"\n$/);

    const snapshot = await gate.snapshot();
    expect(snapshot.breaker).toEqual({ open: false });
    expect(snapshot.audit.map(({ action, who, why }) => ({ action, who, why }))).toEqual([
      { action: 'openBreaker', who: 'ops', why: 'test' },
      { action: 'closeBreaker', who: 'ops', why: 'all clear' },
    ]);
    expect(after.stdout).toMatch(/\naudit \(all of 2\)\n {2}\S+Z {2}openBreaker {2}by ops: "test"\n {2}\S+Z {2}closeBreaker {2}by ops: "all clear" {2}\(an operator had opened it\)/);
  });

  it('takes --reason for --why and --by for --who, as the other commands name them, and records the login name when no one is named', async () => {
    const login = os.userInfo().username;
    const opened = await runCli(['budget', 'open', '--reason', 'fire drill'], env);
    expect(opened.stderr).toBe('');
    expect(opened.code).toBe(0);
    expect(opened.stdout).toContain(`breaker opened by ${login}: "fire drill"`);
    const closed = await runCli(['budget', 'close', '--by', 'ops', '--reason', 'drill over'], env);
    expect(closed.code).toBe(0);
    expect((await gate.snapshot()).audit.slice(-2).map(({ action, who, why }) => ({ action, who, why }))).toEqual([
      { action: 'openBreaker', who: login, why: 'fire drill' },
      { action: 'closeBreaker', who: 'ops', why: 'drill over' },
    ]);
  });

  it('sets a temporary limit for one scope', async () => {
    const run = await runCli(['budget', 'override', '--scope', 'system:day', '--usd', '50', '--minutes', '30', '--who', 'ops', '--why', 'launch day'], env);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^override set by ops: system:day limited to \$50\.00 until \S+Z\n/);
    expect(run.stdout).toContain('breaker  closed;');
    const snapshot = await gate.snapshot();
    expect(snapshot.scopes.find((s) => s.scope === 'system:day')!.limitUsd).toBe(50);
    expect(snapshot.overrides).toEqual([expect.objectContaining({ scope: 'system:day', limitUsd: 50, who: 'ops', why: 'launch day' })]);
    const left = snapshot.overrides[0].untilMs - Date.now();
    expect(left).toBeGreaterThan(25 * 60_000);
    expect(left).toBeLessThanOrEqual(30 * 60_000);
  });

  it("sets an agent's limit for a specialist of the roster and for a system purpose", async () => {
    const runs = await Promise.all(
      ['DatabaseAgent', 'router'].map((agent) => runCli(['budget', 'override', '--scope', `agent:${agent}:hour`, '--usd', '2', '--minutes', '30', '--who', 'ops', '--why', 'launch day'], env)),
    );
    for (const run of runs) {
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
    }
    expect((await gate.snapshot()).overrides.map((o) => o.scope)).toEqual(expect.arrayContaining(['agent:DatabaseAgent:hour', 'agent:router:hour']));
  });

  it('sets a task override for a task not started yet, saying so (a typo would limit nothing), and quietly for one that has', async () => {
    const ahead = await runCli(['budget', 'override', '--scope', 'task:not-started-yet', '--usd', '1', '--minutes', '30', '--who', 'ops', '--why', 'big task coming'], env);
    expect(ahead.code).toBe(0);
    expect(ahead.stderr).toMatch(/^warning: no task "not-started-yet" has been started; the override applies to one started by that id before \S+Z\n$/);

    const started = `started-${unique}`;
    await client.workflow.start('memoryBackfill', { taskQueue: `${taskQueue}-nobody`, workflowId: started, args: [{ taskQueue }] });
    try {
      const run = await runCli(['budget', 'override', '--scope', `task:${started}`, '--usd', '1', '--minutes', '30', '--who', 'ops', '--why', 'x'], env);
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    } finally {
      await client.workflow.getHandle(started).terminate('test over');
    }
    expect((await gate.snapshot()).overrides.map((o) => o.scope)).toEqual(expect.arrayContaining(['task:not-started-yet', `task:${started}`]));
  });

  const badInputs: Array<{ name: string; args: string[]; message: RegExp }> = [
    { name: 'close without --why', args: ['budget', 'close', '--who', 'ops'], message: /^error: invalid_input: --why: required/ },
    { name: 'open with --who and another --by', args: ['budget', 'open', '--who', 'ops', '--by', 'alice', '--why', 'test'], message: /^error: invalid_input: --by: --who is given too, with another value: give one of them/ },
    { name: 'close with --why and another --reason', args: ['budget', 'close', '--who', 'ops', '--why', 'a', '--reason', 'b'], message: /^error: invalid_input: --reason: --why is given too/ },
    { name: 'open with a blank --why', args: ['budget', 'open', '--who', 'ops', '--why', '  '], message: /^error: invalid_input: --why: must not be blank/ },
    { name: 'an override without --why', args: ['budget', 'override', '--scope', 'system:day', '--usd', '1', '--minutes', '5', '--who', 'ops'], message: /--why: required/ },
    { name: 'an override of no scope', args: ['budget', 'override', '--scope', 'everything', '--usd', '1', '--minutes', '5', '--who', 'ops', '--why', 'x'], message: /--scope: "everything" is not a scope/ },
    { name: 'an override of an agent no call is billed to (a typo)', args: ['budget', 'override', '--scope', 'agent:DatabseAgent:hour', '--usd', '1', '--minutes', '5', '--who', 'ops', '--why', 'x'], message: /^error: invalid_input: --scope: no agent "DatabseAgent": calls are billed to (?!.*\bspecialist\b).*DatabaseAgent.*validator/ },
    { name: 'an override of no amount', args: ['budget', 'override', '--scope', 'system:day', '--usd', 'lots', '--minutes', '5', '--who', 'ops', '--why', 'x'], message: /--usd: expected a USD amount/ },
    { name: 'an override of a negative amount', args: ['budget', 'override', '--scope', 'system:day', '--usd', '-1', '--minutes', '5', '--who', 'ops', '--why', 'x'], message: /^error: invalid_input: --usd: expected a USD amount of 0 or more, got "-1"/ },
    { name: 'an override in hex', args: ['budget', 'override', '--scope', 'system:day', '--usd', '0x10', '--minutes', '5', '--who', 'ops', '--why', 'x'], message: /--usd: expected a USD amount of 0 or more, got "0x10"/ },
    { name: 'an override in exponent notation', args: ['budget', 'override', '--scope', 'system:day', '--usd', '1e308', '--minutes', '5', '--who', 'ops', '--why', 'x'], message: /--usd: expected a USD amount of 0 or more, got "1e308"/ },
    { name: 'limits from a file that sets none (it would reset every limit)', args: ['budget', 'limits', '--file', EMPTY_LIMITS, '--who', 'ops', '--why', 'x'], message: /sets no limit \(empty, or comments only\); nothing applied/ },
    { name: 'an unknown subcommand', args: ['budget', 'rewind'], message: /budget: unknown subcommand "rewind"/ },
  ];

  /**
   * The bad inputs' runs, started together by the first of their tests (13 process starts one after
   * another were a quarter of this file's time): each test reads its own run, and the ledger's
   * audit and breaker before the first run starts and after the last one ends, which every run
   * that sends nothing leaves as they were.
   */
  let badInputRuns: Promise<{ before: BudgetSnapshot; runs: CliResult[]; after: BudgetSnapshot }> | undefined;
  const runBadInputs = () =>
    (badInputRuns ??= (async () => {
      const before = await gate.snapshot();
      const runs = await Promise.all(badInputs.map(({ args }) => runCli(args, env)));
      return { before, runs, after: await gate.snapshot() };
    })());

  it.each(badInputs.map((input, index) => ({ ...input, index })))('rejects $name naming the flag, exit 1, and sends nothing', async ({ index, message }) => {
    const { before, runs, after } = await runBadInputs();
    const run = runs[index];

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
    expect(after.audit).toEqual(before.audit);
    expect(after.breaker).toEqual(before.breaker);
  });

  it('applies only the limits a file sets, keeping the others the ledger has, and prints each change', async () => {
    const file = ONE_LIMIT;
    fs.writeFileSync(file, 'system_daily_usd: 3\n');
    const before = await gate.snapshot();
    const run = await runCli(['budget', 'limits', '--file', file, '--who', 'ops', '--why', 'tighten the day'], env);

    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`limits from ${file} applied by ops: "tighten the day"\n  system_daily_usd: 20 → 3\n`);
    // Set with the hourly limit at 5, the day's 3 binds first: said, not refused.
    // An override of the day set earlier (the test above) still holds: said, as it, not the new limit, applies until it ends.
    expect(run.stderr).toMatch(
      /^warning: system_hourly_usd 5 is above system_daily_usd 3: the daily limit binds first, the hourly one never does\nnote: system:day has an override of \$50 until \S+Z \(by ops\): it, not the new system_daily_usd, applies there until then\n$/,
    );
    const after = await gate.snapshot();
    // The ledger's runaway bound (1000, not the default 60) is not a key of the file: it stays.
    expect(after.limits).toEqual({ ...before.limits, systemDailyUsd: 3 });
    expect(after.audit.slice(before.audit.length).map((a) => a.action)).toEqual(['setLimits']);

    const again = await runCli(['budget', 'limits', '--file', file, '--who', 'ops', '--why', 'tighten the day'], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(`no change: the ledger already has every limit ${file} sets (nothing applied)\n`);
    expect((await gate.snapshot()).audit).toEqual(after.audit);
  });

  it('refuses, through the Temporal CLI path (a raw update), an override that has already ended, keeping the live one', async () => {
    const before = (await gate.snapshot()).overrides;
    const past = { who: 'ops', why: 'typo in the expiry', scope: 'system:day', limitUsd: 1, untilMs: 1000 };
    const refused = await client.workflow.getHandle(ledgerId).executeUpdate(setOverrideUpdate, { args: [past] }).then(
      () => undefined,
      (e: WorkflowUpdateFailedError) => e.cause,
    );
    expect(refused).toMatchObject({ type: 'invalid_input', nonRetryable: true, message: expect.stringMatching(/invalid input at untilMs: 1970-01-01T00:00:01\.000Z has passed/) });
    expect((await gate.snapshot()).overrides).toEqual(before);
  });

  it('takes `by` and `reason` in an operator update sent as the Temporal CLI sends it, and refuses the same name given two ways', async () => {
    const ledger = client.workflow.getHandle(ledgerId);
    await ledger.executeUpdate(setOverrideUpdate, { args: [{ by: 'alice', reason: 'a raw update', scope: 'system:hour', limitUsd: 3, untilMs: Date.now() + 600_000 } as never] });
    const audit = (await gate.snapshot()).audit.at(-1);
    expect(audit).toMatchObject({ action: 'setOverride', who: 'alice', why: 'a raw update' });
    const refused = await ledger.executeUpdate(setOverrideUpdate, { args: [{ who: 'ops', why: 'one', reason: 'two', scope: 'system:hour', limitUsd: 3, untilMs: Date.now() + 600_000 } as never] }).then(
      () => undefined,
      (e: WorkflowUpdateFailedError) => e.cause,
    );
    expect(refused).toMatchObject({ type: 'invalid_input', message: expect.stringContaining('invalid input at reason: why is given too') });
    expect((await gate.snapshot()).audit.at(-1)).toEqual(audit);
  });

  it('names --run and --from-run when they name no run of the ledger (not a run id, or no such run), and restores nothing', async () => {
    const before = await gate.snapshot();
    const cases = [
      [['budget', 'export', '--run', 'yesterday'], '--run', 'yesterday'],
      [['budget', 'export', '--run', '00000000-0000-4000-8000-000000000000'], '--run', '00000000-0000-4000-8000-000000000000'],
      [['budget', 'restore', '--from-run', 'last-good', '--who', 'ops', '--why', 'undo'], '--from-run', 'last-good'],
    ] as const;
    // Independent runs, at once.
    const results = await Promise.all(cases.map(([args]) => runCli([...args], env)));
    for (const [i, [, flag, run]] of cases.entries()) {
      const result = results[i];
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain(`error: invalid_input: ${flag}: no run "${run}" of the budget ledger "${ledgerId}"`);
    }
    expect((await gate.snapshot()).audit).toEqual(before.audit);
  });

  it('refuses to restore the running run from itself (an ended run is meant), naming --from-run, and restores nothing', async () => {
    const before = await gate.snapshot();
    const { runId } = await client.workflow.getHandle(ledgerId).describe();
    const result = await runCli(['budget', 'restore', '--from-run', runId, '--who', 'ops', '--why', 'undo'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error: invalid_input: --from-run: "${runId}" is the running ledger run; name an ended run`);
    expect((await gate.snapshot()).audit).toEqual(before.audit);
  });

  it('says clearly that no ledger runs, and starts none', async () => {
    const missing = `ledger-missing-${unique}`;
    const runs = await Promise.all([['budget'], ['budget', 'open', '--who', 'ops', '--why', 'test']].map((args) => runCli(args, { ...env, PANTHEON_LEDGER_ID: missing })));
    for (const run of runs) {
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe(`error: no budget ledger at ${address}: start a worker first (no workflow "${missing}" in namespace "default")\n`);
    }
    await expectNotStarted(missing);
  });

  describe('a limits change applied over limits that changed after it was read (compare-and-set)', () => {
    const readLimits = async () => (await client.workflow.getHandle(ledgerId).query(ledgerStateQuery)).limits;
    const ledger = () => ({ client, ledgerId, address, namespace: 'default' });
    let original: Limits;
    beforeAll(async () => {
      original = await readLimits();
    });
    afterAll(async () => {
      await operate(ledger(), setLimitsUpdate, { who: 'test', why: 'put the limits back', limits: original });
    });

    it('is refused as limits_changed, naming what changed, and changes nothing (the Temporal CLI path: a raw update)', async () => {
      const read = await readLimits();
      await operate(ledger(), setLimitsUpdate, { who: 'other', why: 'raise the hour', limits: { ...read, systemHourlyUsd: read.systemHourlyUsd + 1 } });
      const before = await gate.snapshot();
      const refused = await client.workflow
        .getHandle(ledgerId)
        .executeUpdate(setLimitsUpdate, { args: [{ who: 'ops', why: 'lower the day', limits: { ...read, systemDailyUsd: 2 }, ifLimits: read }] })
        .then(
          () => undefined,
          (e: WorkflowUpdateFailedError) => e.cause,
        );
      expect(refused).toMatchObject({ type: 'limits_changed' });
      expect(refused?.message).toContain(`system_hourly_usd: ${read.systemHourlyUsd} → ${read.systemHourlyUsd + 1}`);
      const after = await gate.snapshot();
      expect(after.limits).toEqual(before.limits);
      expect(after.audit).toEqual(before.audit);
    });

    it('of two changes sent together over the same read, applies one and refuses the other', async () => {
      const read = await readLimits();
      const send = (limits: Limits) =>
        operate(ledger(), setLimitsUpdate, { who: 'ops', why: 'race', limits, ifLimits: read }).then(
          () => 'applied',
          (e: PantheonError) => e.type,
        );
      const outcomes = await Promise.all([send({ ...read, perTaskUsd: read.perTaskUsd + 1 }), send({ ...read, perAgentDailyUsd: read.perAgentDailyUsd + 1 })]);
      expect(outcomes.sort()).toEqual(['applied', 'limits_changed']);
      const after = await readLimits();
      const applied = [after.perTaskUsd !== read.perTaskUsd, after.perAgentDailyUsd !== read.perAgentDailyUsd];
      expect(applied.filter(Boolean)).toHaveLength(1);
    });

    it('`pantheon budget limits` reads again and applies its file over another operator\'s change made meanwhile, undoing nothing', async () => {
      let raced = false;
      let theirs = 0;
      let dayBefore = 0;
      const outcome = await applyLimitsOver({
        read: async () => {
          const read = await readLimits();
          dayBefore = read.systemDailyUsd;
          if (!raced) {
            // Another operator's change lands between this read and the apply.
            raced = true;
            theirs = read.perAgentHourlyUsd + 0.5;
            await operate(ledger(), setLimitsUpdate, { who: 'other', why: 'more per agent', limits: { ...read, perAgentHourlyUsd: theirs } });
          }
          return read;
        },
        lay: (base) => ({ ...base, systemDailyUsd: 7 }),
        apply: (limits, ifLimits) => operate(ledger(), setLimitsUpdate, { who: 'ops', why: 'the day at 7', limits, ifLimits }).then(() => undefined),
      });
      expect(outcome).toMatchObject({ applied: true, tries: 2, changes: [`system_daily_usd: ${dayBefore} → 7`] });
      const after = await readLimits();
      expect(after.perAgentHourlyUsd).toBe(theirs);
      expect(after.systemDailyUsd).toBe(7);
    });
  });
});
