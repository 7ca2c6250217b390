import { temporal } from '@temporalio/proto';
import type { WorkflowHandle } from '@temporalio/client';
import { startTask } from '../../src/client/submit-task';
import { publishedStatuses, untilClosed } from '../support/task-on-test-server';
import { TaskInputSchema, type TaskInput } from '../../src/tasks/task-input';
import { requeueSignal, stateQuery } from '../../src/workflows/agent-task-api';
import type { TaskOutcome } from '../../src/workflows/task-state';
import { billed } from '../support/billed';
import { maybeRecordEvents, scheduledActivities } from '../support/history';
import { startTimeSkippingHarness, type TimeSkippingHarness } from '../support/time-skipping';

/**
 * A provider outage with no candidate left to take the task: the task waits (waiting_provider, a
 * durable timer) and the same specialist goes on, instead of being dead-lettered within seconds
 * (src/tasks/provider-wait.ts). On the time-skipping test server, so the waits take no wall time.
 */

let h: TimeSkippingHarness;

beforeAll(async () => {
  h = await startTimeSkippingHarness('provider-wait');
}, 120_000);

afterAll(async () => {
  await h?.stop();
});

afterEach(() => h.provider.clearFaults());

const DB_TASK = 'Add a unique index on users.email in the Postgres database';
/** Two quick attempts per run: each run's retries are spent after two failed calls. */
const TWO_QUICK_ATTEMPTS = { runSpecialist: { initialIntervalMs: 100, maximumIntervalMs: 200, maximumAttempts: 2 } };

let seq = 0;
const taskId = (name: string) => `outage-${name}-${Date.now()}-${++seq}`;

async function run(id: string, input: TaskInput): Promise<{ outcome: TaskOutcome; handle: WorkflowHandle }> {
  const handle = await startTask(h.client, h.taskQueue, TaskInputSchema.parse(input), id);
  return { outcome: await untilClosed(h, handle, { stepMs: 5_000, wallMs: 90_000 }), handle };
}

const callsFor = (id: string) => h.provider.calls().filter((c) => c.task === id);

describe('a provider outage with no candidate left', () => {
  it('waits it out (15 s, then 30 s) and the same specialist completes the task once the provider answers; no lesson taught', async () => {
    const id = taskId('ride');
    // Down for two runs' retries (four calls), then up.
    h.provider.addFault({ kind: 'unavailable', match: { task: id, purpose: 'specialist' }, times: 4 });
    const { outcome, handle } = await run(id, { objective: DB_TASK, maxReassignments: 0, retry: TWO_QUICK_ATTEMPTS });

    expect(outcome.status).toBe('completed');
    expect(outcome.specialistsTried).toEqual(['DatabaseAgent']);
    expect(outcome.failures).toEqual([
      expect.objectContaining({ specialist: 'DatabaseAgent', type: 'provider_unavailable', retryState: 'MAXIMUM_ATTEMPTS_REACHED', attempts: 2, waitedMs: 15_000 }),
      expect.objectContaining({ specialist: 'DatabaseAgent', type: 'provider_unavailable', retryState: 'MAXIMUM_ATTEMPTS_REACHED', attempts: 2, waitedMs: 30_000 }),
    ]);
    expect(outcome.providerWait).toMatchObject({ waits: 2, waitedMs: 45_000 });
    expect(outcome.providerWait!.reason).toMatch(/^waiting for the provider: DatabaseAgent's run failed through its retries with provider_unavailable .*trying again in 30 s \(wait 2\)$/);
    // The task showed it was waiting, then ran again.
    const statuses = await publishedStatuses(handle);
    expect(statuses.filter((s) => s === 'waiting_provider')).toHaveLength(2);
    expect(statuses.slice(statuses.lastIndexOf('waiting_provider') + 1)).toContain('running');
    // The outage is not the specialist's failure: nothing for the next task to avoid.
    expect(await scheduledActivities(h.client, id)).not.toContain('recordLesson');
    // The four failed calls were refused before any generation: nothing billed, the task's cost is the provider's bill.
    expect(callsFor(id).filter((c) => c.fault === 'unavailable')).toHaveLength(4);
    expect(outcome.costUsd).toBeCloseTo(billed(callsFor(id)), 9);
    maybeRecordEvents(id, 'provider-outage-waited-out', (await handle.fetchHistory()).events ?? []);
  });

  it('ignores a requeue while it waits: no requeue counted, the wait and the same run go on', async () => {
    const id = taskId('requeue');
    // Down for one run's retries, then up.
    h.provider.addFault({ kind: 'unavailable', match: { task: id, purpose: 'specialist' }, times: 2 });
    // No requeue allowed: before, a requeue of the waiting task cancelled it as poison.
    const handle = await startTask(h.client, h.taskQueue, TaskInputSchema.parse({ objective: DB_TASK, maxReassignments: 0, maxRequeues: 0, retry: TWO_QUICK_ATTEMPTS }), id);
    // At wall pace: the wait is 15 s of server time, and nothing skips it until the signal is in.
    const deadline = Date.now() + 60_000;
    while ((await handle.query(stateQuery)).status !== 'waiting_provider') {
      if (Date.now() > deadline) throw new Error(`task ${id} never waited for the provider`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await handle.signal(requeueSignal, { reason: 'ops: nudge' });
    const after = await handle.query(stateQuery);
    expect(after).toMatchObject({ status: 'waiting_provider', requeues: 0 });
    expect(after.stale).toBeUndefined();

    const outcome = await untilClosed(h, handle, { stepMs: 5_000, wallMs: 90_000 });
    expect(outcome).toMatchObject({ status: 'completed', requeues: 0, specialistsTried: ['DatabaseAgent'] });
    expect(outcome.providerWait).toMatchObject({ waits: 1, waitedMs: 15_000 });
    const events = (await handle.fetchHistory()).events ?? [];
    // No run was cancelled: the one that waited went on.
    expect(events.filter((e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED)).toEqual([]);
    maybeRecordEvents(id, 'requeue-ignored-while-waiting-provider', events);
  });

  it("dead-letters the task once its providerWaitSeconds are spent, with every wait on record", async () => {
    const id = taskId('spent');
    h.provider.addFault({ kind: 'server_error', match: { task: id, purpose: 'specialist' } });
    const { outcome } = await run(id, { objective: DB_TASK, maxReassignments: 0, providerWaitSeconds: 60, retry: TWO_QUICK_ATTEMPTS });

    expect(outcome.status).toBe('dead_lettered');
    // 15 + 30 s, then the 15 s left of the minute; the run after the last wait fails for good.
    expect(outcome.failures.map((f) => f.waitedMs)).toEqual([15_000, 30_000, 15_000, undefined]);
    expect(outcome.providerWait).toMatchObject({ waits: 3, waitedMs: 60_000 });
    expect(outcome.reasons[0]).toMatch(/^DatabaseAgent failed after their retries; last: provider_unavailable/);
    expect(callsFor(id).filter((c) => c.fault === 'server_error')).toHaveLength(8);
  });

  it('dead-letters at once with providerWaitSeconds 0, as before', async () => {
    const id = taskId('no-wait');
    h.provider.addFault({ kind: 'server_error', match: { task: id, purpose: 'specialist' } });
    const { outcome, handle } = await run(id, { objective: DB_TASK, maxReassignments: 0, providerWaitSeconds: 0, retry: TWO_QUICK_ATTEMPTS });

    expect(outcome.status).toBe('dead_lettered');
    expect(outcome.failures).toHaveLength(1);
    expect(outcome.providerWait).toBeUndefined();
    expect(await publishedStatuses(handle)).not.toContain('waiting_provider');
  });

  it('does not wait out a failure of the output (a schema the answers keep failing): dead-lettered after the retries', async () => {
    const id = taskId('output');
    h.provider.addFault({ kind: 'invalid_output', match: { task: id, purpose: 'specialist' } });
    const { outcome } = await run(id, { objective: DB_TASK, maxReassignments: 0, retry: TWO_QUICK_ATTEMPTS });

    expect(outcome.status).toBe('dead_lettered');
    expect(outcome.failures).toEqual([expect.objectContaining({ type: 'invalid_output' })]);
    expect(outcome.providerWait).toBeUndefined();
  });

  it('hands the task to the next candidate at once while one is left, as before', async () => {
    const id = taskId('hand-on');
    h.provider.addFault({ kind: 'unavailable', match: { task: id, agent: 'DatabaseAgent' } });
    const { outcome } = await run(id, { objective: DB_TASK, maxReassignments: 1, retry: TWO_QUICK_ATTEMPTS });

    expect(outcome.status).toBe('completed');
    expect(outcome.specialistsTried).toHaveLength(2);
    expect(outcome.specialistsTried[0]).toBe('DatabaseAgent');
    expect(outcome.providerWait).toBeUndefined();
  });
});
