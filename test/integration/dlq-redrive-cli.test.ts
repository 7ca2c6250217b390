import { WorkflowNotFoundError } from '@temporalio/client';
import { startTask } from '../../src/client/submit-task';
import { closedResult } from '../../src/tasks/closed-outcome';
import { TaskInputSchema } from '../../src/tasks/task-input';
import { runCli } from '../support/cli';
import { startHarness, testAddress, type Harness } from '../support/harness';

/** `pantheon dlq redrive` as an operator runs it, several ids at once and after a redrive was terminated. */

let h: Harness;
let env: Record<string, string>;
let deadId: string;
let doneId: string;

const DB_TASK = 'Add a unique index on users.email in the Postgres database';

beforeAll(async () => {
  h = await startHarness('dlq-redrive-cli');
  env = { TEMPORAL_ADDRESS: testAddress(), PANTHEON_TASK_QUEUE: h.taskQueue };
  const stamp = Date.now();
  deadId = `dlq-cli-dead-${stamp}`;
  doneId = `dlq-cli-done-${stamp}`;
  // A quota no retry cures: dead-lettered at its first call.
  h.provider.addFault({ kind: 'quota_exhausted', match: { task: deadId } });
  const [dead, done] = await Promise.all([deadId, doneId].map((id) => startTask(h.client, h.taskQueue, TaskInputSchema.parse({ objective: DB_TASK }), id)));
  expect((await closedResult(dead)).status).toBe('dead_lettered');
  expect((await closedResult(done)).status).toBe('completed');
});

afterAll(async () => {
  await h?.stop();
});

const notStarted = async (id: string) => expect(h.client.workflow.getHandle(id).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);

it('redrives none of several ids when one cannot be redriven, naming each that cannot', async () => {
  const run = await runCli(['dlq', 'redrive', deadId, doneId, 'no-such-task-here'], env);
  expect(run.code).toBe(1);
  expect(run.stderr).toContain(`error: invalid_input: task-id: nothing redriven: task ${doneId} is completed, not dead_lettered; no task "no-such-task-here"`);
  expect(run.stdout).toBe('');
  await notStarted(`${deadId}-redrive`);
});

it('runs a dead letter again when its redrive was terminated before it ended; dlq list shows that redrive as terminated', async () => {
  const redriveId = `${deadId}-redrive`;
  // The redrive's call hangs, so it is still running when terminated.
  h.provider.addFault({ kind: 'hang', match: { task: redriveId } });
  const first = await runCli(['dlq', 'redrive', deadId], env);
  expect(first.code).toBe(0);
  expect(first.stdout).toMatch(new RegExp(`^${deadId}: redriven as ${redriveId}  `));
  await h.client.workflow.getHandle(redriveId).terminate('test: stopped from outside');

  const list = await runCli(['dlq', 'list', '--limit', '200'], env);
  expect(list.stdout).toMatch(new RegExp(`^${deadId}  .*\\(redriven as ${redriveId}: terminated\\)$`, 'm'));

  h.provider.clearFaults();
  const again = await runCli(['dlq', 'redrive', deadId], env);
  expect(again.code).toBe(0);
  expect(again.stdout).toMatch(new RegExp(`^${deadId}: redriven as ${redriveId} \\(its earlier redrive was terminated\\)  `));
  expect((await closedResult(h.client.workflow.getHandle(redriveId))).status).toBe('completed');
  // One that ran to its end stays the dead letter's one redrive.
  const third = await runCli(['dlq', 'redrive', deadId], env);
  expect(third.stdout).toBe(`${deadId}: already redriven as ${redriveId}\n`);
});
