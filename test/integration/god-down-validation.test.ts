import type { ConstraintBook } from '../../src/constraints/book';
import { godConstraintBook } from '../../src/workers/god-constraints';
import type { TaskOutcome } from '../../src/workflows/task-state';
import { runCli, startCli } from '../support/cli';
import { eventually } from '../support/eventually';
import { startTestGod } from '../support/god';
import { startHarness, testAddress, type Harness } from '../support/harness';

/**
 * Tasks validated while God runs but does not answer (its worker down for a deploy or after a
 * crash): validation cannot read the standing constraints, and no task is validated against
 * constraints it could not read, so the activity retries. The task waits, `pantheon status` says
 * why, and it is validated once God answers again, instead of being dead-lettered after three
 * quick attempts (about 18 s of God not answering, before).
 */

let tasks: Harness;
let godBack: Harness | undefined;
let godId: string;
let godQueue: string;
let book: ConstraintBook | undefined;

beforeAll(async () => {
  godId = `god-down-${process.pid}-${Date.now()}`;
  godQueue = `${godId}-queue`;
  // The validate activity's own book, as a worker has it, with a short query deadline so each
  // attempt against the silent God fails in 0.3 s instead of 5.
  const late: ConstraintBook = { active: () => book!.active(), register: (id, specs) => book!.register(id, specs) };
  tasks = await startHarness('god-down', { godId, constraints: late, spawned: async () => ({ version: 0, specialists: [] }) });
  book = godConstraintBook(tasks.client, godId, { timeoutMs: 300, ttlMs: 0 });
  // God runs on a queue no worker polls yet: it is RUNNING, and it does not answer.
  await startTestGod(tasks.client, { id: godId, taskQueue: godQueue });
});

afterAll(async () => {
  await tasks?.client.workflow.getHandle(godId).terminate('test over').catch(() => undefined);
  await godBack?.stop();
  await tasks?.stop();
});

async function pendingValidation(taskId: string) {
  const description = await tasks.client.workflow.getHandle(taskId).describe();
  return description.raw.pendingActivities?.find((p) => p.activityType?.name === 'validateTask');
}

it('a task validated while God does not answer waits past three attempts, says why in status and to submit --wait, and completes once God answers', async () => {
  const taskId = `god-down-task-${Date.now()}`;
  const input = {
    objective: 'Add a created_at column with an index to the orders table in Postgres',
    // Shorter waits between attempts, so the test sees many of them; the number of attempts is the
    // preset's. Up to 4 s apart: the 7 attempts after the fifth outlast the status read and God's
    // worker starting on loaded cores (at 1 s apart they ran out first, and the task was dead-lettered).
    retry: { validateTask: { initialIntervalMs: 200, maximumIntervalMs: 4_000 } },
  };
  const env = { TEMPORAL_ADDRESS: testAddress(), PANTHEON_TASK_QUEUE: tasks.taskQueue, PANTHEON_GOD_ID: godId };
  // Submitted as a user would, waiting for the end (directly: God is not answering its updates either).
  const submitted = startCli(['submit', '--json', '-', '--direct', '--wait', '--id', taskId], env, JSON.stringify(input));
  const handle = tasks.client.workflow.getHandle(taskId);

  // Three attempts were all the preset allowed before: the fourth is the task still waiting.
  const pending = await eventually('validateTask to reach its fifth attempt', async () => {
    const p = await pendingValidation(taskId);
    return p && (p.attempt ?? 0) >= 5 ? p : undefined;
  }, 60_000);
  expect(pending.lastFailure?.applicationFailureInfo?.type).toBe('god_unavailable');
  expect((await handle.describe()).status.name).toBe('RUNNING');

  const status = await runCli(['status', taskId], env);
  expect(status.code).toBe(0);
  expect(status.stdout).toMatch(/^retrying {4}validateTask: attempt \d+ of 12 .*; the last failed with god_unavailable: God \(".*"\) did not answer for the standing constraints/m);

  // The waiting submit says so too, on stderr, while it waits.
  const retrying = /^retrying {4}validateTask: attempt \d+ of 12 .*; the last failed with god_unavailable: /m;
  await eventually('submit --wait to tell of the retries', async () => (retrying.test(submitted.output().stderr) ? true : undefined), 30_000);

  // God's worker comes back: the next attempt reads the constraints and the task goes on.
  godBack = await startHarness('god-back', { taskQueue: godQueue, godId });
  const outcome: TaskOutcome = await handle.result();
  expect(outcome.status).toBe('completed');
  expect(outcome.failures).toEqual([]);
  const waited = await submitted.done;
  expect(waited.code).toBe(0);
  expect(waited.stdout).toMatch(/^status {6}completed$/m);
}, 120_000);
