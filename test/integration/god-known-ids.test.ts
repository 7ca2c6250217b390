import { WorkflowNotFoundError } from '@temporalio/client';
import { STATE_BOUNDS } from '../../src/god/state';
import { runCli } from '../support/cli';
import { freshState } from '../support/god-fixtures';
import { startHarness, testAddress, type Harness } from '../support/harness';

/**
 * God keeps the ids of the tasks it finished or dropped (finishedIds, the newest 300) longer than
 * its decisions (the newest 50). A task rejected in review whose decision has left the 50 is still
 * God's: `submit --direct` must not run it, and `status` must not call it unknown. God starts here
 * from a state that holds such an id and no decision of it, as it would after 50 later decisions.
 */

let h: Harness;
let env: Record<string, string>;
let godId: string;

const DB_TASK = 'Add a unique index on users.email in the Postgres database';

beforeAll(async () => {
  h = await startHarness('god-known-ids');
  godId = `god-known-ids-${process.pid}-${Date.now()}`;
  env = { TEMPORAL_ADDRESS: testAddress(), PANTHEON_TASK_QUEUE: h.taskQueue, PANTHEON_GOD_ID: godId };
});

afterAll(async () => {
  await h?.client.workflow.getHandle(godId).terminate('test over').catch(() => undefined);
  await h?.stop();
});

it('submit --direct refuses, and status reports, an id God dropped whose decision is older than the newest 50', async () => {
  const rejected = `${godId}-rejected-long-ago`;
  const ran = `${godId}-ran`;
  const fresh = `${godId}-fresh`;
  // A task of God's that has its workflow: the start's own duplicate check answers for it.
  const first = await runCli(['submit', DB_TASK, '--direct', '--id', ran], env);
  expect(first.stdout).toContain(`started ${ran}`);

  // 50 decisions of other tasks: the rejection of `rejected` has left God's decision log.
  const recent = Array.from({ length: STATE_BOUNDS.recent }, (_, i) => ({ atMs: Date.now(), taskId: `${godId}-other-${i}`, kind: 'review' as const, detail: 'reject by ana: not now' }));
  const state = freshState({ finishedIds: [rejected, ran], recent });
  await h.client.workflow.start('god', { workflowId: godId, taskQueue: h.taskQueue, args: [{ config: { tickSeconds: 1, taskQueue: h.taskQueue }, state }] });

  const [direct, again, control, status, statusJson] = await Promise.all([
    runCli(['submit', DB_TASK, '--direct', '--id', rejected], env),
    runCli(['submit', DB_TASK, '--direct', '--id', ran], env),
    runCli(['submit', DB_TASK, '--direct', '--id', fresh], env),
    runCli(['status', rejected], env),
    runCli(['status', rejected, '--json'], env),
  ]);

  expect({ code: direct.code, stdout: direct.stdout }).toEqual({ code: 1, stdout: '' });
  expect(direct.stderr).toMatch(new RegExp(`--id: God finished or dropped "${rejected}" and will not start it again; a direct start would run it anyway\\. Give the task another id to run it directly`));
  await expect(h.client.workflow.getHandle(rejected).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);

  // Not refused for God's sake: the id names a workflow, and the start says what it is.
  expect({ code: again.code, stderr: again.stderr }).toEqual({ code: 0, stderr: '' });
  expect(again.stdout).toContain(`task ${ran} already exists`);
  // An id God does not know starts.
  expect({ code: control.code, stderr: control.stderr }).toEqual({ code: 0, stderr: '' });
  expect(control.stdout).toContain(`started ${fresh}`);

  expect({ code: status.code, stderr: status.stderr }).toEqual({ code: 0, stderr: '' });
  expect(status.stdout).toContain(`task        ${rejected}  (finished or dropped by God: it will not run)`);
  expect(JSON.parse(statusJson.stdout)).toMatchObject({ taskId: rejected, execution: 'not_run', notRun: 'finished or dropped by God', decisions: [] });
});
