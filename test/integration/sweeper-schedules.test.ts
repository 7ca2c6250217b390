import { NativeConnection, Worker } from '@temporalio/worker';
import type { Client, ScheduleHandle } from '@temporalio/client';
import { createSweeperActivities } from '../../src/activities/sweeper';
import type { SweepReport } from '../../src/activities/types';
import { createAlerter } from '../../src/alerts/alerter';
import { ensureSweeperSchedule, SWEEPER_SCHEDULE_ID, sweeperScheduleId } from '../../src/client/sweeper-schedule';
import { createLogger } from '../../src/logging/logger';
import { startHarness, testAddress, type Harness } from '../support/harness';

let a: Harness;
let b: Harness;
const made: string[] = [];

beforeAll(async () => {
  [a, b] = await Promise.all([startHarness('sweep-a'), startHarness('sweep-b')]);
});

afterAll(async () => {
  for (const id of made) await a.client.schedule.getHandle(id).delete().catch(() => undefined);
  await Promise.all([a?.stop(), b?.stop()]);
});

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The workflow ids of the runs a Schedule has started, oldest first. */
async function startedRuns(handle: ScheduleHandle): Promise<string[]> {
  const { info } = await handle.describe();
  return info.recentActions.map((action) => action.action.workflow.workflowId);
}

async function statusOf(client: Client, workflowId: string): Promise<string> {
  return (await client.workflow.getHandle(workflowId).describe()).status.name;
}

describe('sweeper schedules', () => {
  it('keeps the default queue on the old id and gives every other queue its own', () => {
    expect(sweeperScheduleId('pantheon-tasks')).toBe(SWEEPER_SCHEDULE_ID);
    expect(sweeperScheduleId('research')).toBe(`${SWEEPER_SCHEDULE_ID}-research`);
  });

  it('gives two workers on different task queues each a working sweeper, neither re-pointing the other', async () => {
    for (const h of [a, b]) {
      made.push(sweeperScheduleId(h.taskQueue));
      expect(await ensureSweeperSchedule(h.client, { taskQueue: h.taskQueue, every: '1h', policy: 'flag' })).toMatchObject({ schedule: 'created' });
    }
    // A second start of worker b's queue updates b's Schedule only.
    expect(await ensureSweeperSchedule(b.client, { taskQueue: b.taskQueue, every: '30m', policy: 'flag' })).toMatchObject({ schedule: 'updated' });

    for (const h of [a, b]) {
      const handle = h.client.schedule.getHandle(sweeperScheduleId(h.taskQueue));
      const description = await handle.describe();
      expect(description.action).toEqual(expect.objectContaining({ taskQueue: h.taskQueue, args: [{ policy: 'flag', taskQueue: h.taskQueue }] }));
      await handle.trigger();
      const [runId] = await until('a triggered sweep', async () => ((await startedRuns(handle)).length ? startedRuns(handle) : undefined));
      const report = (await h.client.workflow.getHandle(runId).result()) as SweepReport;
      expect(report).toEqual(expect.objectContaining({ stale: [] }));
      expect((await h.client.workflow.getHandle(runId).describe()).taskQueue).toBe(h.taskQueue);
    }
  });

  it('does not let a stranded sweep (no worker on its queue) stop later sweeps', async () => {
    const taskQueue = `stranded-${process.pid}-${Date.now()}`;
    const scheduleId = sweeperScheduleId(taskQueue);
    made.push(scheduleId);
    await ensureSweeperSchedule(a.client, { taskQueue, every: '2s', runTimeout: '3s', policy: 'flag' });
    const handle = a.client.schedule.getHandle(scheduleId);

    // No worker polls the queue: the first sweep cannot run, yet the server ends it and starts more.
    const runs = await until('a second sweep after a stranded one', async () => {
      const ids = await startedRuns(handle);
      return ids.length >= 2 ? ids : undefined;
    });
    expect(await statusOf(a.client, runs[0])).toBe('TIMED_OUT');

    // A worker arrives on the queue: the sweeps that follow run to completion.
    const connection = await NativeConnection.connect({ address: testAddress() });
    const worker = await Worker.create({
      connection,
      namespace: 'default',
      taskQueue,
      workflowBundle: { codePath: process.env.PANTHEON_TEST_BUNDLE! },
      activities: createSweeperActivities({ client: a.client, roster: a.roster, alerter: createAlerter({ logger: createLogger({ level: 'silent' }) }) }),
    });
    await worker.runUntil(
      until('a completed sweep once a worker polls', async () => {
        for (const id of await startedRuns(handle)) if ((await statusOf(a.client, id)) === 'COMPLETED') return id;
        return undefined;
      }),
    ).finally(() => connection.close());
  });
});
