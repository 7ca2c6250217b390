import { startTask } from '../../src/client/submit-task';
import { TaskCostUsd, TaskIterations, TaskPolicyVersion, TaskSpecialist, TaskStatus } from '../../src/workflows/search-attributes';
import type { TaskOutcome } from '../../src/workflows/task-state';
import { startHarness, type Harness } from '../support/harness';
import { maybeRecordHistory, patchMarkers, scheduledActivities } from '../support/history';
import { TaskInputSchema, type TaskInput } from '../../src/tasks/task-input';

let h: Harness;

beforeAll(async () => {
  h = await startHarness('agent-task');
});

afterAll(async () => {
  await h?.stop();
});

async function run(input: TaskInput, id: string): Promise<TaskOutcome> {
  const handle = await startTask(h.client, h.taskQueue, TaskInputSchema.parse(input), `${id}-${Date.now()}`);
  return handle.result();
}

const callsFor = (taskId: string) => h.provider.calls().filter((c) => c.task === taskId);

describe('agentTask on a real Temporal server', () => {
  it('runs validate, route, run-specialist and store-memory end to end', async () => {
    const outcome = await run(
      { objective: 'Add a created_at column with an index to the orders table in Postgres', priority: 'high' },
      'e2e-database',
    );

    expect(outcome.status).toBe('completed');
    expect(outcome.specialist).toBe('DatabaseAgent');
    expect(outcome.route?.method).toBe('rules');
    expect(outcome.result).toMatch(/CREATE|ALTER/);
    expect(outcome.costUsd).toBeGreaterThan(0);
    expect(outcome.iteration).toBeGreaterThanOrEqual(2);
    // The bill is closed by storeMemory once the record is written: no closeTaskBill of its own.
    expect(await scheduledActivities(h.client, outcome.taskId)).toEqual(['validateTask', 'routeTask', 'runSpecialist', 'storeMemory']);
    expect(outcome.bill).toMatchObject({ known: true, chargedOutstanding: 0 });
    expect(outcome.costUsd).toBeCloseTo(outcome.bill!.usd, 12);
    expect(await h.memory.count({ taskId: outcome.taskId })).toBe(1);
    const specialistCalls = callsFor(outcome.taskId).filter((c) => c.purpose === 'specialist');
    expect(specialistCalls).toHaveLength(outcome.iteration);
    expect(specialistCalls.every((c) => c.provider === 'openai' && c.model === 'gpt-4.1-mini')).toBe(true);

    const attrs = (await h.client.workflow.getHandle(outcome.taskId).describe()).typedSearchAttributes;
    expect(attrs.get(TaskStatus)).toBe('completed');
    expect(attrs.get(TaskSpecialist)).toBe('DatabaseAgent');
    expect(attrs.get(TaskCostUsd)).toBeCloseTo(outcome.costUsd, 10);
    expect(attrs.get(TaskIterations)).toBe(outcome.iteration);
    // Every patch on its path is folded into one marker (each marker is two events and a visibility
    // write); the routing policy's version (v0: no God) rides in a status upsert, not one of its own.
    expect(outcome.route?.policyVersion).toBe(0);
    expect(attrs.get(TaskPolicyVersion)).toBe(0);
    expect(await patchMarkers(h.client, outcome.taskId)).toEqual(['agent-task-patches-folded']);
    // The first run starts from the route's memory lines: no recallForRun (completed-task-policy-version.json has the shape
    // before); the bill comes with the record (completed-task-route-recall.json has the shape before); one
    // marker for the patches (completed-task-bill-with-record.json has the shape before).
    await maybeRecordHistory(outcome.taskId, 'completed-task-folded-patches');
  });

  it('rejects a vague task with reasons, and no call reaches the provider', async () => {
    const outcome = await run({ objective: 'improve the thing from yesterday' }, 'e2e-vague');

    expect(outcome.status).toBe('rejected');
    expect(outcome.reasons.join('\n')).toMatch(/the thing/);
    expect(outcome.reasons.join('\n')).toMatch(/from yesterday/);
    expect(callsFor(outcome.taskId)).toHaveLength(0);
    expect(await scheduledActivities(h.client, outcome.taskId)).toEqual(['validateTask']);
    await maybeRecordHistory(outcome.taskId, 'rejected-vague-task');
  });

  it('compresses the context of a task that needs more than ten iterations and completes it', async () => {
    const tables = ['users', 'orders', 'order_items', 'products', 'invoices', 'payments', 'refunds', 'shipments', 'addresses', 'coupons', 'reviews', 'audit_log'];
    const outcome = await run(
      { objective: `Migrate these Postgres tables to the new tenant-aware schema:\n${tables.map((t) => `- ${t}`).join('\n')}` },
      'e2e-compress',
    );

    expect(outcome.status).toBe('completed');
    expect(outcome.iteration).toBe(tables.length + 1);
    expect(outcome.compressions).toHaveLength(1);
    const [compression] = outcome.compressions;
    expect(compression.atIteration).toBe(10);
    expect(compression.promptTokensAfter).toBeLessThan(compression.promptTokensBefore * 0.6);
    // The provider's own usage numbers agree: the first call after compression is smaller than the last before it.
    const specialistCalls = callsFor(outcome.taskId).filter((c) => c.purpose === 'specialist');
    expect(specialistCalls[10].inputTokens).toBeLessThan(specialistCalls[9].inputTokens);
    expect(callsFor(outcome.taskId).filter((c) => c.purpose === 'compressor')).toHaveLength(1);
    expect(await scheduledActivities(h.client, outcome.taskId)).toEqual([
      'validateTask',
      'routeTask',
      'runSpecialist',
      'compressContext',
      'runSpecialist',
      'storeMemory',
    ]);
    await maybeRecordHistory(outcome.taskId, 'compressed-long-task');
  });

  it('asks the classifier when the rules are unsure, and follows its pick', async () => {
    const outcome = await run({ objective: 'Which open questions remain about the cited durability claims of Kafka and Pulsar? Keep the writeup concise.' }, 'e2e-classifier');

    expect(outcome.status).toBe('completed');
    expect(outcome.route?.method).toBe('classifier');
    expect(callsFor(outcome.taskId).filter((c) => c.purpose === 'router')).toHaveLength(1);
    expect(outcome.specialist).toBe('ResearchAgent');
  });

  it('rejects malformed workflow input with the field named, without running any activity', async () => {
    const handle = await h.client.workflow.start('agentTask', {
      taskQueue: h.taskQueue,
      workflowId: `e2e-bad-input-${Date.now()}`,
      args: [{ objective: '', priority: 'urgent' }],
    });
    const outcome = (await handle.result()) as TaskOutcome;

    expect(outcome.status).toBe('rejected');
    expect(outcome.reasons).toEqual(expect.arrayContaining([expect.stringMatching(/^input objective:/), expect.stringMatching(/^input priority:/)]));
    expect(await scheduledActivities(h.client, handle.workflowId)).toEqual([]);
  });

  it('recalls a past failure on a similar task as a warning for the next specialist', async () => {
    await h.memory.put({
      id: 'past-failure:outcome',
      taskId: 'past-failure',
      specialist: 'DatabaseAgent',
      objective: 'Add a NOT NULL column to the invoices table in Postgres',
      approach: 'ALTER TABLE with a default on a 200M-row table',
      result: 'locked the invoices table for 40 minutes',
      success: false,
      costUsd: 0.01,
      lessons: ['add the column as nullable, backfill in batches, then set NOT NULL'],
      createdAt: new Date('2026-11-23T09:00:00Z').toISOString(),
    });
    const outcome = await run({ objective: 'Add a NOT NULL status column to the invoices table in Postgres' }, 'e2e-memory');

    expect(outcome.status).toBe('completed');
    const handle = h.client.workflow.getHandle(outcome.taskId);
    const history = await handle.fetchHistory();
    const runInput = JSON.stringify(history.events?.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'runSpecialist')?.activityTaskScheduledEventAttributes?.input);
    const decoded = Buffer.from(JSON.parse(runInput).payloads[0].data, 'base64').toString();
    expect(decoded).toMatch(/locked the invoices table/);
  });
});
