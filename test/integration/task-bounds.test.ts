import type { WorkflowHandle } from '@temporalio/client';
import { TaskInputSchema, MAX_INPUTS } from '../../src/tasks/task-input';
import { stateQuery } from '../../src/workflows/agent-task-api';
import type { TaskState } from '../../src/workflows/task-state';
import { startHarness, type Harness } from '../support/harness';
import { maybeRecordHistory } from '../support/history';

/** A task's own bounds, held by the workflow: its inputs, and its history. */

let h: Harness;

beforeAll(async () => {
  h = await startHarness('bounds');
});

afterAll(async () => {
  await h?.stop();
});

/** The task's end as its state query reads it, however the execution itself closed. */
async function endState(handle: WorkflowHandle): Promise<TaskState> {
  await handle.result().catch(() => undefined);
  return handle.query(stateQuery);
}

async function eventCount(handle: WorkflowHandle): Promise<number> {
  return ((await handle.fetchHistory()).events ?? []).length;
}

describe('task bounds', () => {
  it('rejects a task started around the CLI with more inputs than the bound, naming the field', async () => {
    const inputs = Object.fromEntries(Array.from({ length: MAX_INPUTS + 1 }, (_, i) => [`table_${i}`, 'users']));
    const id = `bounds-inputs-${Date.now()}`;
    // As the Temporal CLI could: straight to the workflow, no client-side check.
    const handle = await h.client.workflow.start('agentTask', { taskQueue: h.taskQueue, workflowId: id, args: [{ objective: 'Add a unique index on users.email in Postgres', inputs }] });
    const state = await endState(handle);

    expect(state.status).toBe('rejected');
    expect(state.reasons).toEqual([`input inputs: at most ${MAX_INPUTS} inputs (got ${MAX_INPUTS + 1})`]);
    await maybeRecordHistory(id, 'rejected-unbounded-inputs');
  });

  it('rejects a task started around the CLI whose retry overrides Temporal would refuse (maximum below initial), naming the field, before any activity', async () => {
    const id = `bounds-retry-${Date.now()}`;
    const handle = await h.client.workflow.start('agentTask', {
      taskQueue: h.taskQueue,
      workflowId: id,
      args: [{ objective: 'Rebuild the search index for the product catalogue', retry: { runSpecialist: { initialIntervalMs: 10_000, maximumIntervalMs: 100 }, validateTask: { maximumIntervalMs: 10 } } }],
    });
    const state = await endState(handle);

    expect(state.status).toBe('rejected');
    expect(state.reasons).toEqual([
      'input retry.validateTask.maximumIntervalMs: maximumIntervalMs 10 is below the preset initialIntervalMs 1000; the maximum must be at least the initial interval',
      'input retry.runSpecialist.maximumIntervalMs: maximumIntervalMs 100 is below initialIntervalMs 10000; the maximum must be at least the initial interval',
    ]);
    // Nothing ran, nothing was paid: before, validation and routing ran and the first run failed on the policy.
    const scheduled = ((await handle.fetchHistory()).events ?? []).filter((e) => e.activityTaskScheduledEventAttributes);
    expect(scheduled).toEqual([]);
    expect(h.provider.calls().filter((c) => c.task === id)).toEqual([]);
    await maybeRecordHistory(id, 'rejected-retry-out-of-order');
  });

  it('rejects a task started with two arguments (the Temporal CLI given --input twice), saying so, before any activity', async () => {
    const id = `bounds-two-args-${Date.now()}`;
    const handle = await h.client.workflow.start('agentTask', {
      taskQueue: h.taskQueue,
      workflowId: id,
      args: [{ objective: 'Rebuild the search index for the product catalogue' }, { objective: 'Rebuild the search index for the orders catalogue' }],
    });
    const state = await endState(handle);
    expect(state.status).toBe('rejected');
    expect(state.reasons).toEqual(['input: a task is one argument (the task object), got 2: give --input once']);
    expect(((await handle.fetchHistory()).events ?? []).filter((e) => e.activityTaskScheduledEventAttributes)).toEqual([]);
    await maybeRecordHistory(id, 'rejected-two-arguments');
  });

  // One step per table, compressing every 2: many activities, far more history than either guard allows.
  const items = Array.from({ length: 30 }, (_, i) => `- table_${i}`).join('\n');

  it('ends a task whose history passes its event guard dead-lettered with the reason, a few events past the guard, closing normally', async () => {
    const id = `bounds-history-${Date.now()}`;
    const task = TaskInputSchema.parse({ objective: `Migrate these Postgres tables to the new schema:\n${items}`, compressEvery: 2, historyGuard: { maxEvents: 40 } });
    const handle = await h.client.workflow.start('agentTask', { taskQueue: h.taskQueue, workflowId: id, args: [task] });
    const state = await endState(handle);

    expect(state.status).toBe('dead_lettered');
    expect(state.reasons[0]).toMatch(/^history guard: the task's history reached (\d+) events, \d+ bytes \(guard: 40 events, 10485760 bytes\) before it finished$/);
    const reachedAt = Number(/reached (\d+) events/.exec(state.reasons[0])![1]);
    expect(reachedAt).toBeGreaterThanOrEqual(40);
    expect(reachedAt).toBeLessThan(60);
    // Ending takes a bounded handful of events (memory, alert, bill) past the guard, and it closed normally.
    expect(await eventCount(handle)).toBeLessThan(reachedAt + 40);
    const { status } = await handle.describe();
    expect(['COMPLETED', 'FAILED']).toContain(status.name);
    await maybeRecordHistory(id, 'history-guarded-task');
  });

  it('ends a task whose history passes its size guard dead-lettered with the reason', async () => {
    const id = `bounds-history-bytes-${Date.now()}`;
    const task = TaskInputSchema.parse({ objective: `Migrate these Postgres tables to the new schema:\n${items}`, compressEvery: 2, historyGuard: { maxBytes: 64 * 1024 } });
    const handle = await h.client.workflow.start('agentTask', { taskQueue: h.taskQueue, workflowId: id, args: [task] });
    const state = await endState(handle);

    expect(state.status).toBe('dead_lettered');
    const bytes = Number(/^history guard: the task's history reached \d+ events, (\d+) bytes \(guard: 10000 events, 65536 bytes\)/.exec(state.reasons[0])?.[1]);
    expect(bytes).toBeGreaterThanOrEqual(64 * 1024);
  });
});
