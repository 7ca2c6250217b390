import { userInfo } from 'node:os';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { godDecisionsQuery, godQueueQuery, godStatusQuery, pauseUpdate } from '../../src/workflows/god-api';
import { runCli, startCli } from '../support/cli';
import { eventually } from '../support/eventually';
import { startTestGod } from '../support/god';
import { startHarness, testAddress, type Harness } from '../support/harness';

/**
 * What the CLI tells an operator of God's state, against a real God and the real CLI in its own
 * process: a task whose assessment keeps failing, a review decided again after the task finished,
 * a pause and resume that name who, a blank reason, a plain submit that stops watching before God
 * has decided, and an id submitted again. (god-cli.test.ts runs the commands'
 * main paths; this file is kept apart so as not to lengthen that one.)
 */

let h: Harness;
let env: Record<string, string>;
let god: WorkflowHandle;

const cli = (...args: string[]) => runCli(args, env);
const DROP_TASK = 'Drop the legacy_sessions table from the production Postgres database';
// No keyword fits: its assessment asks the classifier, which a fault can refuse.
const UNMATCHED_TASK = 'Which open questions remain about the cited durability claims of Kafka and Pulsar? Keep the writeup concise.';

beforeAll(async () => {
  h = await startHarness('god-operator-messages');
  const godId = `god-operator-messages-${process.pid}-${Date.now()}`;
  god = await startTestGod(h.client, { id: godId, taskQueue: h.taskQueue, config: { routingSeed: 1 } });
  env = { TEMPORAL_ADDRESS: testAddress(), PANTHEON_TASK_QUEUE: h.taskQueue, PANTHEON_GOD_ID: godId };
  await eventually('God to read the runway', async () => (await god.query(godStatusQuery)).runway);
});

afterAll(async () => {
  await god?.terminate('test over').catch(() => undefined);
  await h?.stop();
});

it('submit --wait and status say a task\'s assessment failed, how often, the last error and when it is tried again', async () => {
  const taskId = `${god.workflowId}-unassessable`;
  h.provider.addFault({ kind: 'quota_exhausted', match: { task: `${god.workflowId}:assess:${taskId}`, purpose: 'router' } });
  const failed = String.raw`its assessment failed \d+ times? in a row \(last: [^\n]*quota[^\n]*\); tried again (at \S+ \((in \S+|\S+ ago)\)|on its next tick)$`;
  // --wait watches until God has something to say: here, that the assessment failed (before, it
  // said nothing until God decided, and `status` said "God decides on its next tick" at every tick
  // of the back-off). Ctrl-C ends the wait, not the task.
  const submit = startCli(['submit', UNMATCHED_TASK, '--id', taskId, '--wait'], env);
  try {
    await eventually('submit to say the assessment failed', async () => (new RegExp(`^decision   pending: ${failed}`, 'm').test(submit.output().stdout) ? true : undefined));
  } finally {
    submit.kill('SIGINT');
  }
  const waited = await submit.done;
  const status = await cli('status', taskId);
  expect({ code: status.code, stderr: status.stderr }).toEqual({ code: 0, stderr: '' });
  expect(status.stdout).toMatch(new RegExp(`^status      assessing: ${failed}`, 'm'));
  for (const run of [waited, status]) expect(run.stdout).not.toContain('decides on its next tick');
});

it('a second approve of a task that has finished says it finished, how, and where to see it', async () => {
  const taskId = `${god.workflowId}-reviewed`;
  expect((await cli('submit', DROP_TASK, '--id', taskId)).code).toBe(0);
  await eventually(`${taskId} awaiting review`, async () => (await god.query(godQueueQuery)).find((q) => q.taskId === taskId && q.status === 'awaiting_review'));
  const approved = await cli('review', 'approve', taskId, '--reason', 'the table is unused', '--by', 'ana');
  expect({ code: approved.code, stderr: approved.stderr }).toEqual({ code: 0, stderr: '' });
  await eventually(`${taskId} finished`, async () => (await god.query(godDecisionsQuery)).find((d) => d.taskId === taskId && d.kind === 'finished'));

  const twice = await cli('review', 'approve', taskId, '--by', 'ana');
  expect({ code: twice.code, stdout: twice.stdout }).toEqual({ code: 1, stdout: '' });
  expect(twice.stderr).toMatch(new RegExp(`God refused reviewDecision: taskId: "${taskId}" has finished: \\w+ \\$[\\d.]+ .*; reviewed already: approve by ana: the table is unused; \`pantheon status ${taskId}\` shows it`));
  expect(twice.stderr).not.toContain("not in God's queue");
});

it('pause and resume record who (--by, else the login name); a blank --reason is refused naming the flag', async () => {
  const blank = await cli('god', 'pause', '--reason', '   ');
  expect(blank).toEqual({ code: 1, stdout: '', stderr: expect.stringContaining('--reason: must not be blank') });
  expect(blank.stderr).not.toMatch(/too small/i);
  // God's own validator, for a client that is not the CLI (the Temporal CLI, a script).
  const refused = await god.executeUpdate(pauseUpdate, { args: [{ reason: '  ' }] }).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
  expect(String((refused as WorkflowUpdateFailedError).cause?.message)).toMatch(/^pause: reason: must not be blank/);
  expect((await god.query(godStatusQuery)).paused).toBeUndefined();

  const paused = await cli('god', 'pause', '--reason', 'deploy freeze', '--by', 'ana');
  expect({ code: paused.code, stderr: paused.stderr }).toEqual({ code: 0, stderr: '' });
  expect(paused.stdout).toContain('God paused by ana: "deploy freeze"');
  const [status, again] = await Promise.all([cli('god', 'status'), cli('god', 'pause', '--by', 'bob')]);
  expect(status.stdout).toMatch(/^state\s+PAUSED since \S+ \(.*\) by ana: "deploy freeze" \(pantheon god resume\)$/m);
  expect(again.stdout).toMatch(/^God is already paused since \S+ by ana: "deploy freeze"; nothing changed/);
  expect((await god.query(godStatusQuery)).paused).toMatchObject({ reason: 'deploy freeze', by: 'ana' });

  const resumed = await cli('god', 'resume');
  expect(resumed.stdout).toContain(`God resumed by ${userInfo().username}`);
  const operator = (await god.query(godDecisionsQuery)).filter((d) => d.kind === 'operator').map((d) => d.detail);
  expect(operator.slice(-2)).toEqual(['paused by ana: deploy freeze', `resumed by ${userInfo().username}`]);
});

// Last in the file: the slow assessment below holds God's ticks for 12 s.
it('a plain submit that stops watching before God has decided says the task is still being assessed and the commands that follow it, not a bare "pending"', async () => {
  const follow = (id: string) => `\nfollow     pantheon status ${id}   (or wait for its end: pantheon submit … --id ${id} --wait; God queues an id once)\n`;
  // One whose assessment fails within the 5 s a plain submit watches says so, and how to follow it.
  const failingId = `${god.workflowId}-failing-assessment`;
  h.provider.addFault({ kind: 'quota_exhausted', match: { task: `${god.workflowId}:assess:${failingId}`, purpose: 'router' } });
  const failing = await cli('submit', UNMATCHED_TASK, '--id', failingId);
  expect({ code: failing.code, stderr: failing.stderr }).toEqual({ code: 0, stderr: '' });
  expect(failing.stdout).toMatch(/^decision   pending: its assessment failed 1 time in a row \(last: [^\n]*quota[^\n]*\); tried again at /m);
  expect(failing.stdout).toContain(follow(failingId));

  // One whose assessment outlasts those 5 s (its classifier call slow) is not called "pending".
  const taskId = `${god.workflowId}-slow-assessment`;
  h.provider.addFault({ kind: 'slow', delayMs: 12_000, match: { task: `${god.workflowId}:assess:${taskId}`, purpose: 'router' } });
  const run = await cli('submit', UNMATCHED_TASK, '--id', taskId);
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
  expect(run.stdout).toMatch(/^decision   not yet: God is still assessing it \(watched 5 s; an assessment can still fail and be tried again\)$/m);
  expect(run.stdout).toContain(follow(taskId));
  expect(run.stdout).not.toContain('pending');
});

it('a submit of an id God already holds says why nothing was queued and what to do instead', async () => {
  const taskId = `${god.workflowId}-slow-assessment`;
  const again = await cli('submit', UNMATCHED_TASK, '--id', taskId);
  expect({ code: again.code, stderr: again.stderr }).toEqual({ code: 0, stderr: '' });
  // Still assessing: its classifier call is slow (the test above).
  expect(again.stdout).toBe(
    `submitted to God (${god.workflowId}): ${taskId}\n` +
      `  God already knows ${taskId} (assessing): an id runs once, so nothing new was queued; \`pantheon status ${taskId}\` shows it, and another --id (or none) submits the task anew\n`,
  );
});
