import type { WorkflowHandle } from '@temporalio/client';
import { startTask } from '../../src/client/submit-task';
import { publishedStatuses, untilClosed } from '../support/task-on-test-server';
import { TaskInputSchema, type TaskInput } from '../../src/tasks/task-input';
import type { TaskOutcome } from '../../src/workflows/task-state';
import { billed } from '../support/billed';
import { maybeRecordEvents } from '../support/history';
import { limitsWith } from '../support/limits';
import { startTimeSkippingHarness, type TimeSkippingHarness } from '../support/time-skipping';

/**
 * The last specialist a task may have, its own hourly budget spent: the task waits for the hour
 * to end (waiting_budget) and the same run goes on, instead of being dead-lettered at $0 within
 * seconds (agent-task.ts, `waitForAgentWindow`). God admits tasks while agents' hours are
 * spent; before, each such task died. On the time-skipping test server, so the hours pass at once.
 */

const HOUR = 3_600_000;
// $0.00135 an hour per agent: DatabaseAgent (gpt-4.1-mini) affords one call (worst case ~$0.00122)
// but not a second (~$0.00023 settled + ~$0.00126), so each hour of the task's run has one call.
const AGENT_HOURLY_USD = 0.00135;

let h: TimeSkippingHarness;

beforeAll(async () => {
  h = await startTimeSkippingHarness('agent-window', { limits: limitsWith({ perAgentHourlyUsd: AGENT_HOURLY_USD }) });
}, 120_000);

afterAll(async () => {
  await h?.stop();
});

const DB_TASK = 'Add a unique index on users.email in the Postgres database';
let seq = 0;
const taskId = (name: string) => `agent-window-${name}-${Date.now()}-${++seq}`;

async function run(id: string, input: TaskInput): Promise<{ outcome: TaskOutcome; handle: WorkflowHandle }> {
  const handle = await startTask(h.client, h.taskQueue, TaskInputSchema.parse(input), id);
  return { outcome: await untilClosed(h, handle, { stepMs: 60_000, wallMs: 180_000 }), handle };
}

describe("the last candidate's own hourly budget spent", () => {
  it('waits for the hour to end and the same specialist completes the task, one call an hour, nothing failed', async () => {
    const id = taskId('last');
    const startedMs = await h.nowMs();
    const { outcome, handle } = await run(id, { objective: DB_TASK, specialist: 'DatabaseAgent', maxReassignments: 0 });
    const endedMs = await h.nowMs();

    expect(outcome.status).toBe('completed');
    expect(outcome.specialistsTried).toEqual(['DatabaseAgent']);
    // Waiting is not failing: no failure, no lesson, the run went on from its checkpoint.
    expect(outcome.failures).toEqual([]);
    const statuses = await publishedStatuses(handle);
    expect(statuses).toContain('waiting_budget');
    expect(statuses.at(-1)).toBe('completed');
    // One call fits an hour (the windows are UTC hours): a task of n calls crossed n - 1 hour ends.
    const calls = h.provider.calls().filter((c) => c.task === id && c.purpose === 'specialist');
    expect(calls.length).toBeGreaterThanOrEqual(2);
    expect(Math.floor(endedMs / HOUR) - Math.floor(startedMs / HOUR)).toBeGreaterThanOrEqual(calls.length - 1);
    // Every call it made was paid once: its cost is the provider's bill.
    expect(outcome.costUsd).toBeCloseTo(billed(h.provider.calls().filter((c) => c.task === id)), 9);
    maybeRecordEvents(id, 'agent-window-waited-out', (await handle.fetchHistory()).events ?? []);
  }, 240_000);
});
