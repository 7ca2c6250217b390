import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../src/config/paths';
import { ensureSweeperSchedule } from '../../src/client/sweeper-schedule';
import { startTask } from '../../src/client/submit-task';
import type { SweepReport } from '../../src/activities/types';
import { TaskInputSchema, type TaskInput } from '../../src/tasks/task-input';
import { stateQuery } from '../../src/workflows/agent-task-api';
import { TaskStale } from '../../src/workflows/search-attributes';
import type { TaskOutcome } from '../../src/workflows/task-state';
import { startHarness, type Harness } from '../support/harness';
import { startWebhookReceiver } from '../support/webhook';
import { maybeRecordHistory } from '../support/history';

let h: Harness;
let webhook: Awaited<ReturnType<typeof startWebhookReceiver>>;

/** The repo's roster, but DatabaseAgent is expected to finish within 1.2 seconds. */
function impatientRoster(): string {
  const dir = path.join(process.env.PANTHEON_TEST_DIR ?? '/tmp', `roster-${Date.now()}`);
  fs.mkdirSync(dir, { recursive: true });
  for (const file of fs.readdirSync(path.join(repoRoot(), 'agents'))) {
    let text = fs.readFileSync(path.join(repoRoot(), 'agents', file), 'utf8');
    if (file === 'DatabaseAgent.yaml') text = text.replace(/expected_duration_minutes: .*/, 'expected_duration_minutes: 0.02');
    fs.writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

beforeAll(async () => {
  webhook = await startWebhookReceiver();
  h = await startHarness('sweeper', { rosterDir: impatientRoster(), alertWebhookUrl: webhook.url });
});

afterAll(async () => {
  await h?.stop();
  await webhook?.close();
});

afterEach(() => h.provider.clearFaults());

const DB_TASK = 'Add a unique index on users.email in the Postgres database';
let seq = 0;

/** Starts a task whose specialist calls are held by a slow provider, and waits until it runs. */
async function startHeldTask(input: Partial<TaskInput>, delayMs: number, times?: number) {
  const id = `stale-${Date.now()}-${++seq}`;
  h.provider.addFault({ kind: 'slow', delayMs, match: { task: id, purpose: 'specialist' }, ...(times ? { times } : {}) });
  const handle = await startTask(h.client, h.taskQueue, TaskInputSchema.parse({ objective: DB_TASK, ...input }), id);
  for (;;) {
    const state = await handle.query(stateQuery);
    if (state.status === 'running' && Date.now() - (await handle.describe()).startTime.getTime() > 1500) return handle;
    await new Promise((r) => setTimeout(r, 200));
  }
}

function sweep(policy: 'flag' | 'requeue' | 'cancel'): Promise<SweepReport> {
  return h.client.workflow.execute('staleTaskSweeper', { taskQueue: h.taskQueue, workflowId: `sweep-${policy}-${Date.now()}`, args: [{ policy, taskQueue: h.taskQueue }] });
}

describe('stale-task sweeper', () => {
  it('flags a task held past its expected duration, and the task still completes', async () => {
    const handle = await startHeldTask({}, 4000, 1);
    const report = await sweep('flag');

    expect(report.stale).toEqual([expect.objectContaining({ taskId: handle.workflowId, specialist: 'DatabaseAgent', action: 'flag' })]);
    const outcome = (await handle.result()) as TaskOutcome;
    expect(outcome.status).toBe('completed');
    expect(outcome.stale).toMatch(/DatabaseAgent is expected to take 0.02/);
    expect((await handle.describe()).typedSearchAttributes.get(TaskStale)).toBe(true);
    expect(webhook.received).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'stale_task' })]));
    // A second sweep does not flag it again (it has ended; and flags are not repeated).
    expect((await sweep('flag')).stale).toEqual([]);
  });

  it('requeues a stale task: the run restarts and completes, and the restart is counted', async () => {
    const handle = await startHeldTask({}, 6000, 1);
    const report = await sweep('requeue');

    expect(report.stale.map((s) => s.taskId)).toEqual([handle.workflowId]);
    const outcome = (await handle.result()) as TaskOutcome;
    expect(outcome.status).toBe('completed');
    expect(outcome.requeues).toBe(1);
    await maybeRecordHistory(handle.workflowId, 'requeued-stale-task');
  });

  it('cancels a poison task that stays stale past its requeue bound', async () => {
    const handle = await startHeldTask({ maxRequeues: 1 }, 8000);
    await sweep('requeue');
    await new Promise((r) => setTimeout(r, 300));
    await sweep('requeue');
    const outcome = (await handle.result()) as TaskOutcome;

    expect(outcome.status).toBe('cancelled');
    expect(outcome.reasons[0]).toMatch(/^stale: requeued 1 times without finishing/);
    expect(outcome.requeues).toBe(2);
  });

  it('cancels a stale task when the policy is cancel, with the reason', async () => {
    const handle = await startHeldTask({}, 8000);
    await sweep('cancel');
    const outcome = (await handle.result()) as TaskOutcome;

    expect(outcome.status).toBe('cancelled');
    expect(outcome.reasons[0]).toMatch(/^cancelled as stale: running/);
  });

  it('creates its Schedule idempotently and brings it in line with the configuration', async () => {
    const scheduleId = `sweeper-test-${Date.now()}`;
    try {
      expect(await ensureSweeperSchedule(h.client, { taskQueue: h.taskQueue, every: '15m', policy: 'flag', scheduleId })).toBe('created');
      expect(await ensureSweeperSchedule(h.client, { taskQueue: h.taskQueue, every: '5m', policy: 'requeue', scheduleId })).toBe('updated');
      const description = await h.client.schedule.getHandle(scheduleId).describe();
      expect(description.spec.intervals).toEqual([expect.objectContaining({ every: 5 * 60_000 })]);
      expect(description.action).toEqual(expect.objectContaining({ workflowType: 'staleTaskSweeper', args: [{ policy: 'requeue', taskQueue: h.taskQueue }] }));
    } finally {
      await h.client.schedule.getHandle(scheduleId).delete();
    }
  });
});
