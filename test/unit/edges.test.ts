import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { ApplicationFailureCategory } from '@temporalio/common';
import { createAlerter } from '../../src/alerts/alerter';
import { taskFromArgs } from '../../src/client/commands/submit';
import { boundedMessage, errorReport, MAX_ERROR_CHARS } from '../../src/client/exit';
import { checkTask } from '../../src/client/submit-task';
import { PantheonError } from '../../src/errors';
import { toApplicationFailure } from '../../src/errors/temporal';
import { createLogger } from '../../src/logging/logger';
import { loadRoster } from '../../src/specialists/roster';
import { repoRoot } from '../../src/config/paths';
import { stripControl } from '../../src/tasks/control-chars';
import { describeIssues, TaskInputSchema } from '../../src/tasks/task-input';
import { runCli } from '../support/cli';
import { startWebhookReceiver } from '../support/webhook';

const roster = loadRoster(path.join(repoRoot(), 'agents'));

function refusal(body: () => unknown): PantheonError {
  try {
    body();
  } catch (err) {
    return err as PantheonError;
  }
  throw new Error('expected a refusal');
}

describe('objectives with control characters', () => {
  it.each([
    ['NULs', '\u0000'.repeat(40)],
    ['terminal escape codes', '\u001b[2J\u001b[H\u001b[31m\u001b[0m\u0007\u0007'],
    ['a short text padded with escape codes', '\u001b[1mfix\u001b[0m\u0000\u0000\u0000\u0000\u0000\u0000'],
  ])('refuses an objective of %s, naming objective', (_name, objective) => {
    const parsed = TaskInputSchema.safeParse({ objective });
    expect(parsed.success).toBe(false);
    expect(describeIssues(parsed.error!)).toEqual(['objective: must be at least 10 characters']);
    const err = refusal(() => checkTask({ objective }, roster));
    expect(err.type).toBe('invalid_input');
    expect(err.message).toMatch(/objective: must be at least 10 characters/);
  });

  it('keeps the text of an objective and drops its control characters', () => {
    expect(TaskInputSchema.parse({ objective: '\u001b[1mFix the flaky login test\u001b[0m\u0000' }).objective).toBe('Fix the flaky login test');
    expect(TaskInputSchema.parse({ objective: 'Line one of the task\n\tline two' }).objective).toBe('Line one of the task\n\tline two');
    expect(stripControl('a\u009bb\u007fc\rd')).toBe('abcd');
  });
});

describe('submit --json', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edges-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('names the flag for a directory', () => {
    const err = refusal(() => taskFromArgs(['--json', dir]));
    expect(err.type).toBe('invalid_input');
    expect(err.message).toBe(`--json ${dir}: is a directory, not a JSON file`);
    expect(err.details).toEqual(expect.objectContaining({ field: '--json' }));
  });

  it('names the flag for a missing file', () => {
    const missing = path.join(dir, 'nope.json');
    const err = refusal(() => taskFromArgs(['--json', missing]));
    expect(err.message).toBe(`--json ${missing}: no such file`);
    expect(err.details).toEqual(expect.objectContaining({ field: '--json' }));
  });

  it.each([
    [['--priority', 'critical'], '--priority: the task comes from --json; set its priority there, not as a flag'],
    [['--specialist', 'CodeReviewAgent'], '--specialist: the task comes from --json; set its specialist there, not as a flag'],
    [['--constraint', 'no locks longer than 1s'], '--constraint: the task comes from --json; set its constraints there, not as a flag'],
    [['--input', 'ticket=OPS-1'], '--input: the task comes from --json; set its inputs there, not as a flag'],
    [['--context', 'prod db'], '--context: the task comes from --json; set its context there, not as a flag'],
    [['--requires', 'diff'], '--requires: the task comes from --json; set its requires there, not as a flag'],
  ])('refuses %j with --json, naming the flag, instead of dropping it', (flags, message) => {
    const file = path.join(dir, 'task.json');
    fs.writeFileSync(file, JSON.stringify({ objective: 'Add an index on shipments.tracking_code in Postgres' }));
    const err = refusal(() => taskFromArgs(['--json', file, ...flags]));
    expect(err.message).toBe(message);
    expect(err.details).toEqual(expect.objectContaining({ field: flags[0] }));
    // The lineage and the id are not the task's fields: they go with --json.
    expect(taskFromArgs(['--json', file, '--id', 'ship-1', '--wait'])).toMatchObject({ id: 'ship-1', wait: true, raw: { objective: expect.any(String) } });
  });

  it.each([
    ['', 'must not be empty'],
    [' padded ', 'must not start or end with spaces'],
    ['a/b', 'must be letters, digits, ".", "_", ":" or "-", starting with a letter or digit'],
    ['_x', 'must be letters, digits, ".", "_", ":" or "-", starting with a letter or digit'],
    ['x'.repeat(201), 'must be at most 200 characters, got 201'],
  ])('refuses --id %j before anything is sent, as God would on either path: %s', (id, problem) => {
    const err = refusal(() => taskFromArgs(['An objective long enough to pass', '--id', id, '--direct']));
    expect(err.type).toBe('invalid_input');
    expect(err.message).toMatch(new RegExp(`^--id ".*": ${problem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    expect(err.details).toEqual(expect.objectContaining({ field: '--id' }));
  });

  it('refuses, through the real CLI, the fields God and chains set on the tasks they start, naming the field, before connecting', async () => {
    for (const field of ['reportTo', 'goalId']) {
      const run = await runCli(['submit', '--json', '-'], { TEMPORAL_ADDRESS: '127.0.0.1:1' }, JSON.stringify({ objective: 'Add an index on shipments.tracking_code in Postgres', [field]: 'pantheon-god' }));
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 1, stderr: `error: invalid_input: invalid task: ${field}: set by God (and chains) on the tasks they start, not by a submit\n` });
    }
  });

  it('refuses through the real CLI with one line and exit code 1', async () => {
    const run = await runCli(['submit', '--json', dir], {});
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`error: invalid_input: --json ${dir}: is a directory, not a JSON file\n`);
  });
});

describe('error messages for huge bad input', () => {
  it('cuts a message at the bound and says how much was cut', () => {
    const text = boundedMessage('x'.repeat(10_000));
    expect(text).toBe(`${'x'.repeat(MAX_ERROR_CHARS)} … [${10_000 - MAX_ERROR_CHARS} more characters cut]`);
    expect(boundedMessage('short')).toBe('short');
    expect(errorReport(PantheonError.of('invalid_input', `bad \u001b[2J${'y'.repeat(3000)}`), false)).toMatch(/^error: invalid_input: bad y+ … \[\d+ more characters cut\]\n$/);
  });

  it("says an SDK error's server cause, and what to do about a task queue no worker polls", () => {
    const server = Object.assign(new Error('9 FAILED_PRECONDITION: no poller seen for task queue recently, worker may be down'), { code: 9 });
    const report = errorReport(new Error('Failed to query Workflow', { cause: server }), false);
    expect(report).toBe(
      'error: Failed to query Workflow: 9 FAILED_PRECONDITION: no poller seen for task queue recently, worker may be down' +
        ' (no worker polls the workflow\'s task queue: start one, `npm run worker`, with the same TEMPORAL_* and PANTHEON_*_TASK_QUEUE settings)\n',
    );
    // A cause that repeats its error's message is not printed twice.
    expect(errorReport(new Error('boom: disk full', { cause: new Error('disk full') }), false)).toBe('error: boom: disk full\n');
  });

  it('prints the whole bounded line before the CLI exits', async () => {
    const run = await runCli(['submit', 'A fine objective for this task', '--input', 'k'.repeat(100_000)], {});
    expect(run.code).toBe(1);
    expect(run.stderr.length).toBeLessThan(MAX_ERROR_CHARS + 200);
    expect(run.stderr).toMatch(/^error: invalid_input: --input "k+ … \[\d+ more characters cut\]\n$/);
  });
});

describe('alerts', () => {
  function capturedLogger() {
    const lines: Array<Record<string, unknown>> = [];
    const destination = new Writable({
      write(chunk, _enc, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    return { logger: createLogger({ level: 'info', destination }), lines };
  }

  it('logs and POSTs each alert id once; other ids, id-less alerts and an expired id go out', async () => {
    const webhook = await startWebhookReceiver();
    let now = 0;
    const { logger, lines } = capturedLogger();
    const alerter = createAlerter({ logger, webhookUrl: webhook.url, dedupeMs: 60_000, now: () => now });
    try {
      const event = { id: 'budget-3', kind: 'budget.breaker_open', message: 'breaker open', details: {} };
      await alerter.alert(event);
      await alerter.alert(event);
      await alerter.alert({ ...event, id: 'budget-4' });
      await alerter.alert({ kind: 'note', message: 'no id', details: {} });
      await alerter.alert({ kind: 'note', message: 'no id', details: {} });
      now = 60_000;
      await alerter.alert(event);
      expect(lines.filter((l) => l.level === 50).map((l) => l.id ?? '-')).toEqual(['budget-3', 'budget-4', '-', '-', 'budget-3']);
      expect(webhook.received.map((e) => e.id ?? '-')).toEqual(['budget-3', 'budget-4', '-', '-', 'budget-3']);
    } finally {
      await webhook.close();
    }
  });
});

describe('waiting for budget', () => {
  it('makes a wait denial a benign failure (logged at debug by the SDK), other denials not', () => {
    for (const type of ['breaker_open', 'system_budget_full', 'lane_budget_full'] as const) {
      expect(toApplicationFailure(PantheonError.of(type, 'wait')).category).toBe(ApplicationFailureCategory.BENIGN);
    }
    expect(toApplicationFailure(PantheonError.of('budget_exceeded', 'no')).category).toBeUndefined();
  });
});

describe('retry overrides whose intervals Temporal would refuse', () => {
  it('are refused by the CLI check naming the field, against the preset interval where one side is not given', () => {
    const refused = (retry: unknown) => refusal(() => checkTask({ objective: 'Rebuild the search index for the product catalogue', retry }, roster));
    expect(refused({ runSpecialist: { initialIntervalMs: 10_000, maximumIntervalMs: 100 } }).message).toBe(
      'invalid task: retry.runSpecialist.maximumIntervalMs: maximumIntervalMs 100 is below initialIntervalMs 10000; the maximum must be at least the initial interval',
    );
    expect(refused({ storeMemory: { maximumIntervalMs: 500 } }).message).toMatch(/retry\.storeMemory\.maximumIntervalMs: maximumIntervalMs 500 is below the preset initialIntervalMs 1000/);
    expect(refused({ routeTask: { initialIntervalMs: 120_000 } }).message).toMatch(/retry\.routeTask\.maximumIntervalMs: the preset maximumIntervalMs 60000 is below initialIntervalMs 120000/);
    // In order, or equal, or only attempts: accepted.
    for (const retry of [{ runSpecialist: { initialIntervalMs: 100, maximumIntervalMs: 100 } }, { routeTask: { initialIntervalMs: 60_000 } }, { storeMemory: { maximumIntervalMs: 1000, maximumAttempts: 2 } }, { validateTask: { maximumAttempts: 3 } }]) {
      expect(checkTask({ objective: 'Rebuild the search index for the product catalogue', retry }, roster).retry).toEqual(retry);
    }
  });
});

describe('memory backfill --task-queue', () => {
  it.each([[' pantheon-tasks'], [' '], ['pantheon-tasks ']])('refuses %j, naming the flag, before connecting (it would find no task and say 0 pending)', async (queue) => {
    const run = await runCli(['memory', 'backfill', '--task-queue', queue], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 1, stderr: `error: invalid_input: --task-queue: "${queue}" must not be blank or start or end with spaces\n` });
  });
});
