import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { WorkflowNotFoundError } from '@temporalio/client';
import { repoRoot } from '../../src/config/paths';
import { runStartInput } from '../../src/client/decode-payloads';
import { watchdogScheduleId } from '../../src/client/god-watchdog-schedule';
import { defaultGodConfig, type GodInput } from '../../src/god/messages';
import type { EnsureGodResult } from '../../src/activities/ensure-god';
import { godQueueQuery, godSettingsQuery, godStatusQuery } from '../../src/workflows/god-api';
import { runCli } from '../support/cli';
import { eventually } from '../support/eventually';
import { startHarness, testAddress, type Harness } from '../support/harness';

/**
 * `pantheon god start --config` against a real God: settings given the way that resumes a killed
 * God's state (`temporal workflow start --input` starts God empty), refused whole when bad, and
 * refused while God runs with others; and the watchdog's fresh start with the settings of God's
 * last start. The real CLI in its own process, a real worker (it answers
 * the killed run's `carriedState` query), God under an id of its own.
 */

let h: Harness;
let env: Record<string, string>;
let godId: string;

const cli = (...args: string[]) => runCli(args, env);
const god = () => h.client.workflow.getHandle(godId);
const TASK = 'Add a unique index on users.email in the Postgres database';

/**
 * Pauses the watchdog Schedule `god start` made, so it no longer looks on its own every 5 minutes.
 * That look is not what these tests check, and one falling between a test's terminate and its
 * restart (by the CLI or by hand) resumes God first, with the killed run's settings: seen
 * 2026-12-08 on Temporal v1.29.1 on PostgreSQL, the terminate a moment before 01:15:00, the
 * restart refused (`God is already running … with tickSeconds 60, not 7`); any server can time it
 * so. A paused Schedule still runs when triggered, as the watchdog tests below do, and `god start`
 * keeps the pause when it brings the Schedule in line.
 */
async function pauseWatchdogLooks(): Promise<void> {
  await h.client.schedule.getHandle(watchdogScheduleId(godId)).pause('the tests trigger the watchdog themselves');
}

/** The settings the current run was started with. */
async function startConfig(): Promise<Record<string, unknown>> {
  const { runId } = await god().describe();
  return ((await runStartInput(h.client, godId, runId)) as GodInput).config as Record<string, unknown>;
}

beforeAll(async () => {
  h = await startHarness('god-start-settings');
  godId = `god-start-settings-${process.pid}-${Date.now()}`;
  env = { TEMPORAL_ADDRESS: testAddress(), PANTHEON_TASK_QUEUE: h.taskQueue, PANTHEON_GOD_ID: godId };
});

afterAll(async () => {
  await h?.client.schedule.getHandle(watchdogScheduleId(godId)).delete().catch(() => undefined);
  await god().terminate('test over').catch(() => undefined);
  await h?.stop();
});

it('refuses bad settings naming the flag and the field, exit 1, and starts nothing (no God, no watchdog)', async () => {
  const runs = await Promise.all([
    cli('god', 'start', '--config', '{"tickSeconds":0}'),
    cli('god', 'start', '--config', '{"tickSecond":7}'),
    cli('god', 'start', '--config', '{"config":{"tickSeconds":7}}'),
    cli('god', 'start', '--config-file', '/nonexistent/god.yaml'),
  ]);
  expect(runs.map((r) => ({ code: r.code, stdout: r.stdout }))).toEqual(runs.map(() => ({ code: 1, stdout: '' })));
  expect(runs[0].stderr).toMatch(/^error: invalid_input: --config: tickSeconds: /);
  expect(runs[1].stderr).toMatch(/^error: invalid_input: --config: tickSecond: unknown field \(did you mean tickSeconds\?\)/);
  expect(runs[2].stderr).toMatch(/^error: invalid_input: --config: config: unknown field /);
  expect(runs[3].stderr).toMatch(/^error: invalid_input: --config-file \/nonexistent\/god\.yaml: cannot read it/);
  await expect(god().describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  await expect(h.client.schedule.getHandle(watchdogScheduleId(godId)).describe()).rejects.toThrow();
});

it('npm run god takes the same flags: --help prints god start\'s usage (exit 0), a bad --config is refused the same way', async () => {
  const npmRunGod = (...args: string[]) =>
    promisify(execFile)(path.join(repoRoot(), 'node_modules', '.bin', 'tsx'), [path.join(repoRoot(), 'src', 'client', 'god-main.ts'), ...args], { cwd: repoRoot(), env: { ...process.env, ...env } }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
    );
  const [help, bad] = await Promise.all([npmRunGod('--help'), npmRunGod('--config', '{"pacing":"fast"}')]);
  expect({ code: help.code, stderr: help.stderr }).toEqual({ code: 0, stderr: '' });
  expect(help.stdout).toMatch(/^pantheon god start \[--goals FILE\] \[--config JSON \| --config-file FILE\]/);
  expect({ code: bad.code, stdout: bad.stdout }).toEqual({ code: 1, stdout: '' });
  expect(bad.stderr).toMatch(/^error: invalid_input: --config: pacing: /);
  await expect(god().describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
});

it('a God restarted with --config resumes the killed run\'s queue and runs with the new setting over the killed run\'s', async () => {
  // A fresh God with a setting of its own, paused so a submitted task stays queued.
  const first = await cli('god', 'start', '--config', '{"reviewTimeoutHours":5}');
  expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: '' });
  expect(first.stdout).toMatch(/^settings: reviewTimeoutHours 5 from --config; the others at their defaults$/m);
  await pauseWatchdogLooks();
  expect((await cli('god', 'pause', '--reason', 'holding the queue')).code).toBe(0);
  const taskId = `${godId}-queued`;
  expect((await cli('submit', TASK, '--id', taskId)).code).toBe(0);
  const queued = await god().query(godQueueQuery);
  expect(queued.map((q) => q.taskId)).toContain(taskId);
  const { runId } = await god().describe();

  await god().terminate('new settings');
  const restarted = await cli('god', 'start', '--config', '{"tickSeconds":7}');
  expect({ code: restarted.code, stderr: restarted.stderr }).toEqual({ code: 0, stderr: '' });
  expect(restarted.stdout).toMatch(/^God started: .* resuming the killed run's queue, goals, statistics and settings \(its last run had terminated\)$/m);
  expect(restarted.stdout).toMatch(/^settings: tickSeconds 7 from --config; the others as the killed run had them$/m);

  expect((await god().describe()).runId).not.toBe(runId);
  const queue = await eventually('the resumed queue', async () => {
    const q = await god().query(godQueueQuery);
    return q.length ? q : undefined;
  });
  expect(queue.map((q) => q.taskId)).toContain(taskId);
  expect((await god().query(godStatusQuery)).paused?.reason).toBe('holding the queue');
  expect(await startConfig()).toMatchObject({ tickSeconds: 7, reviewTimeoutHours: 5, taskQueue: h.taskQueue });
});

it('while God runs: the settings it runs with pass (exit 0, saying so); others are refused, exit 1, naming each, and nothing changes', async () => {
  const { runId } = await god().describe();
  const [same, other] = await Promise.all([
    cli('god', 'start', '--config', 'tickSeconds: 7\nreviewTimeoutHours: 5'),
    cli('god', 'start', '--config', '{"tickSeconds":30,"reviewTimeoutHours":5,"pacing":"none"}'),
  ]);
  expect({ code: same.code, stderr: same.stderr }).toEqual({ code: 0, stderr: '' });
  expect(same.stdout).toContain(`God is already running: workflow ${godId}, run ${runId}; nothing started`);
  expect(same.stdout).toContain('it runs with the settings of --config already (tickSeconds 7, reviewTimeoutHours 5)');

  expect({ code: other.code, stdout: other.stdout }).toEqual({ code: 1, stdout: '' });
  expect(other.stderr).toMatch(
    new RegExp(
      `^error: invalid_input: --config: God is already running \\(workflow ${godId}, run ${runId}\\) with tickSeconds 7, not 30; pacing even, not none; its settings are unchanged, and nothing was started: .*terminate it .* and run this again; the new run resumes its queue`,
    ),
  );
  expect((await god().describe()).runId).toBe(runId);
  expect(await startConfig()).toMatchObject({ tickSeconds: 7, pacing: 'even' });
});

/** A new RUNNING run of God other than `runId`, once there is one. */
function newRun(runId: string) {
  return eventually('a new God run', async () => {
    const d = await god().describe();
    return d.status.name === 'RUNNING' && d.runId !== runId ? d : undefined;
  });
}

/** What the watchdog run that started `runId` returned. */
async function watchdogResultFor(runId: string): Promise<EnsureGodResult | undefined> {
  const schedule = await h.client.schedule.getHandle(watchdogScheduleId(godId)).describe();
  const results = await Promise.all(
    schedule.info.recentActions.map(({ action }) => h.client.workflow.getHandle(action.type === 'startWorkflow' ? action.workflow.workflowId : '').result() as Promise<EnsureGodResult>),
  );
  return results.find((r) => r.runId === runId);
}

it("the watchdog starts God afresh, when the killed run's state cannot be read, with the settings of God's last start, not the defaults", async () => {
  await god().terminate('new settings').catch(() => undefined);
  const given = { maxQueue: 7, maxInFlight: 3, holdAfterMinutes: 15 };
  const started = await cli('god', 'start', '--config', JSON.stringify(given));
  expect({ code: started.code, stderr: started.stderr }).toEqual({ code: 0, stderr: '' });
  expect(started.stdout).toMatch(/^ {2}a God it starts afresh \(its last state unreadable\) runs with the settings of this one: .*maxQueue 7, maxInFlight 3, holdAfterMinutes 15/m);
  const operators = await god().query(godSettingsQuery);
  expect(operators).toMatchObject(given);
  // Started again without settings while God runs: the watchdog keeps them (read from the running run).
  const again = await cli('god', 'start');
  expect(again.stdout).toMatch(/^ {2}a God it starts afresh .* maxQueue 7, maxInFlight 3, holdAfterMinutes 15/m);

  // Killed in a way no successor can resume: terminated, then started by hand with a mistake (a
  // setting without its "config" wrapper), which fails at once; its history answers no carriedState.
  await god().terminate('by hand');
  await h.client.workflow.start('god', { workflowId: godId, taskQueue: h.taskQueue, args: [{ tickSeconds: 5 } as GodInput] });
  const failed = await eventually('the hand-started God failed', async () => {
    const d = await god().describe();
    return d.status.name === 'FAILED' ? d : undefined;
  });

  await h.client.schedule.getHandle(watchdogScheduleId(godId)).trigger();
  const restarted = await newRun(failed.runId);
  expect(await god().query(godSettingsQuery)).toEqual(operators);
  const result = await eventually('the watchdog run that started God', () => watchdogResultFor(restarted.runId));
  expect(result).toMatchObject({ outcome: 'started', previous: 'failed', resumed: expect.stringMatching(/^no: /), settings: expect.stringMatching(/^God's last start's: .*maxQueue 7/) });
  const status = await cli('god', 'status');
  expect(status.stdout).toMatch(/^watchdog {3}a God it starts afresh runs with .*maxQueue 7, maxInFlight 3, holdAfterMinutes 15 \(God's last start's settings\)$/m);
});

it('a watchdog Schedule made before settings were recorded starts God afresh on the defaults and says why, in its result and in god status', async () => {
  // The Schedule as a start before the record wrote it: goals and where God runs, no settings.
  const schedule = h.client.schedule.getHandle(watchdogScheduleId(godId));
  await schedule.update((previous) => {
    if (previous.action.type !== 'startWorkflow') throw new Error('the watchdog Schedule starts a workflow');
    const { settings: _recorded, ...rest } = previous.action.args?.[0] as Record<string, unknown>;
    return { ...previous, action: { ...previous.action, args: [rest] } };
  });
  await god().terminate('by hand');
  await h.client.workflow.start('god', { workflowId: godId, taskQueue: h.taskQueue, args: [{ tickSeconds: 5 } as GodInput] });
  const failed = await eventually('the hand-started God failed', async () => {
    const d = await god().describe();
    return d.status.name === 'FAILED' ? d : undefined;
  });

  await schedule.trigger();
  const restarted = await newRun(failed.runId);
  expect(await god().query(godSettingsQuery)).toEqual({ ...defaultGodConfig(), taskQueue: h.taskQueue });
  const result = await eventually('the watchdog run that started God', () => watchdogResultFor(restarted.runId));
  expect(result?.settings).toMatch(/^the defaults: this Schedule holds no record of the settings God was last started with .*run `pantheon god start`/);
  const status = await cli('god', 'status');
  expect(status.stdout).toMatch(/^watchdog {3}a God it starts afresh runs with the defaults: no settings recorded \(pantheon god start records them\)$/m);
});
