import { startTask } from '../../src/client/submit-task';
import { TaskInputSchema } from '../../src/tasks/task-input';
import { TaskCostUsd, TaskStatus } from '../../src/workflows/search-attributes';
import type { TaskOutcome } from '../../src/workflows/task-state';
import { billed } from '../support/billed';
import { ServerClock, StalledSkips, startTimeSkippingHarness, type TimeSkippingHarness } from '../support/time-skipping';

/** What the God tests rely on from the time-skipping test server, checked on its own. */

let h: TimeSkippingHarness;

beforeAll(async () => {
  h = await startTimeSkippingHarness('time-skipping');
}, 120_000);

afterAll(async () => {
  await h?.stop();
});

const databaseTask = () => TaskInputSchema.parse({ objective: 'Add a created_at column with an index to the orders table in Postgres' });

describe('the harness on the time-skipping test server', () => {
  it('runs an agentTask end to end with its search attributes, and the ledger settles exactly what the provider billed', async () => {
    const handle = await startTask(h.client, h.taskQueue, databaseTask(), `ts-task-${Date.now()}`);
    const outcome: TaskOutcome = await handle.result();

    expect(outcome.status).toBe('completed');
    const attrs = (await handle.describe()).typedSearchAttributes;
    expect(attrs.get(TaskStatus)).toBe('completed');
    expect(attrs.get(TaskCostUsd)).toBeCloseTo(outcome.costUsd, 10);
    const snapshot = await h.gate.snapshot();
    const day = snapshot.scopes.find((s) => s.scope === 'system:day')!;
    const bill = billed(h.provider.calls().filter((c) => c.task === outcome.taskId));
    expect(bill).toBeGreaterThan(0);
    expect(day.settledUsd).toBeCloseTo(bill, 10);
    expect(outcome.costUsd).toBeCloseTo(bill, 10);
  });

  it('skips a simulated day in well under a second of wall time when nothing is in flight', async () => {
    const before = await h.nowMs();
    const wall = Date.now();
    await h.sleep(24 * 3600_000);

    expect((await h.nowMs()) - before).toBeGreaterThanOrEqual(24 * 3600_000);
    expect(Date.now() - wall).toBeLessThan(5_000);
  });

  it('keeps server time at wall pace while activities are in flight, so a slow LLM call does not time out in skipped time', async () => {
    h.provider.setLatency(300);
    try {
      const handle = await startTask(h.client, h.taskQueue, databaseTask(), `ts-inflight-${Date.now()}`);
      const before = await h.nowMs();
      await h.sleep(3600_000);

      expect((await h.nowMs()) - before).toBeGreaterThanOrEqual(3600_000);
      const described = await handle.describe();
      expect(described.status.name).toBe('COMPLETED');
      // The task took seconds of server time (its real run), not a skipped hour.
      expect(described.closeTime!.getTime() - described.startTime.getTime()).toBeLessThan(60_000);
      expect((await handle.result()).status).toBe('completed');
    } finally {
      h.provider.setLatency(0);
    }
  });

  it('hands back a time-skipping lock nobody holds when a skip stalls with nothing in flight', async () => {
    // The leak the watch is for, made by hand: a lock taken and never released.
    await h.env.connection.testService!.lockTimeSkipping({});
    const stalls = new StalledSkips(h, { stallMs: 2_000, failMs: 60_000, pollMs: 250 });
    const clock = new ServerClock(h, stalls);
    const before = await clock.sample();
    const wall = Date.now();
    await clock.skipTo(before + 3600_000);

    expect(await h.nowMs()).toBeGreaterThanOrEqual(before + 3600_000);
    // An hour skipped in seconds: without the watch it would take the hour.
    expect(Date.now() - wall).toBeLessThan(60_000);
    expect(stalls.released).toHaveLength(1);
  });

  it('fails a stalled skip with the activity in flight named, and hands back no lock meanwhile', async () => {
    // Long enough to outlast the watch, short enough to wait for: the task then ends as usual.
    h.provider.setLatency(8_000);
    const handle = await startTask(h.client, h.taskQueue, databaseTask(), `ts-stalled-${Date.now()}`);
    try {
      const stalls = new StalledSkips(h, { stallMs: 1_000, failMs: 4_000, pollMs: 250 });
      const clock = new ServerClock(h, stalls);
      await expect(clock.skipTo((await h.nowMs()) + 3600_000)).rejects.toThrow(/stalled for \d+ s with work in flight \(server time [^)]*\d+ s on in the last \d+ s of wall time\):\nagentTask ts-stalled-.*activity \w+ attempt 1/);
      expect(stalls.released).toEqual([]);
    } finally {
      h.provider.setLatency(0);
      expect((await handle.result()).status).toBe('completed');
    }
  });
});
