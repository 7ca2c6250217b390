import { temporal } from '@temporalio/proto';
import { startTask } from '../../src/client/submit-task';
import { redriveTask } from '../../src/client/redrive';
import { closedResult } from '../../src/tasks/closed-outcome';
import type { FaultKind } from '../../src/llm/offline';
import { TaskInputSchema, type TaskInput } from '../../src/tasks/task-input';
import { TaskRedriveOf, TaskStatus } from '../../src/workflows/search-attributes';
import type { TaskOutcome } from '../../src/workflows/task-state';
import { startHarness, type Harness } from '../support/harness';
import { maybeRecordHistory, scheduledActivities } from '../support/history';
import { startWebhookReceiver } from '../support/webhook';
import { billed } from '../support/billed';

let h: Harness;
let webhook: Awaited<ReturnType<typeof startWebhookReceiver>>;

// A 1.5 s LLM timeout turns a hang into a retryable timeout quickly.
beforeAll(async () => {
  webhook = await startWebhookReceiver();
  h = await startHarness('self-healing', { llmTimeoutMs: 1500, alertWebhookUrl: webhook.url });
});

afterAll(async () => {
  await h?.stop();
  await webhook?.close();
});

afterEach(() => h.provider.clearFaults());

/** Fast retries so the suite stays short; the policy shape (bounded, backoff) is the default one. */
const FAST_RETRY = { initialIntervalMs: 100, maximumIntervalMs: 400 };
const DB_TASK = 'Add a unique index on users.email in the Postgres database';
/** DatabaseAgent offline: one iteration per table, then its summary. */
const TWELVE_STEP_TASK = ['Migrate these Postgres tables to the new tenant-aware schema:', ...['users', 'orders', 'order_items', 'invoices', 'payments', 'refunds', 'carts', 'coupons', 'shipments', 'returns', 'reviews'].map((t) => `- ${t}`)].join('\n');

let seq = 0;
function taskId(name: string): string {
  return `heal-${name}-${Date.now()}-${++seq}`;
}

async function run(id: string, input: TaskInput): Promise<TaskOutcome> {
  const handle = await startTask(h.client, h.taskQueue, TaskInputSchema.parse(input), id);
  return closedResult(handle);
}

/** The attempt number the engine recorded when an activity last started. */
async function lastAttempt(workflowId: string, activityType: string): Promise<number> {
  const events = (await h.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const scheduled = new Map<string, string>();
  let attempt = 0;
  for (const e of events) {
    if (e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) {
      scheduled.set(String(e.eventId), e.activityTaskScheduledEventAttributes?.activityType?.name ?? '');
    }
    const started = e.activityTaskStartedEventAttributes;
    if (started && scheduled.get(String(started.scheduledEventId)) === activityType) attempt = started.attempt ?? 0;
  }
  return attempt;
}

const callsFor = (id: string) => h.provider.calls().filter((c) => c.task === id);

describe('self-healing: retryable faults', () => {
  const kinds: FaultKind[] = ['server_error', 'unavailable', 'malformed_json', 'malformed_body', 'invalid_output', 'reset', 'hang'];

  it.each(kinds)('retries a specialist call that fails with %s twice, and completes', async (kind) => {
    const id = taskId(kind);
    h.provider.addFault({ kind, match: { task: id, purpose: 'specialist' }, times: 2 });
    const outcome = await run(id, { objective: DB_TASK, retry: { runSpecialist: FAST_RETRY } });

    expect(outcome.status).toBe('completed');
    expect(callsFor(id).filter((c) => c.fault === kind)).toHaveLength(2);
    expect(await lastAttempt(id, 'runSpecialist')).toBe(3);
    expect(outcome.specialistsTried).toEqual(['DatabaseAgent']);
  });

  it('resumes a run whose retries ran out while it still advanced (errors between good answers) with the same specialist, from where it got to', async () => {
    const id = taskId('storm');
    // Every second specialist call fails: each attempt makes one iteration and then fails, so
    // three attempts are used up at iteration 3 of the 12 the task needs.
    h.provider.addFault({ kind: 'server_error', match: { task: id, purpose: 'specialist' }, calls: [2, 4, 6] });
    const outcome = await run(id, { objective: TWELVE_STEP_TASK, retry: { runSpecialist: { ...FAST_RETRY, maximumAttempts: 3 } } });

    expect(outcome.status).toBe('completed');
    expect(outcome.reasons).toEqual([expect.stringMatching(/finished in 12 iterations/)]);
    // Not handed on (a new specialist would have started over): the failure is on record, resumed from iteration 3.
    expect(outcome.specialistsTried).toEqual(['DatabaseAgent']);
    expect(outcome.failures).toEqual([expect.objectContaining({ type: 'provider_unavailable', retryState: 'MAXIMUM_ATTEMPTS_REACHED', attempts: 3, resumedFrom: 3 })]);
    // No iteration paid for twice, by the provider's own log, and the task's cost is what it billed.
    const specialistCalls = callsFor(id).filter((c) => c.purpose === 'specialist');
    expect(specialistCalls.filter((c) => !c.fault)).toHaveLength(12);
    expect(specialistCalls.filter((c) => c.fault === 'server_error')).toHaveLength(3);
    expect(outcome.costUsd).toBeCloseTo(billed(callsFor(id)), 9);
    await maybeRecordHistory(id, 'resumed-run-after-progress');
  });

  it('honours a 429 retry-after as the next retry delay', async () => {
    const id = taskId('rate-limit');
    h.provider.addFault({ kind: 'rate_limit', match: { task: id, purpose: 'specialist' }, times: 1, retryAfterSeconds: 2 });
    const outcome = await run(id, { objective: DB_TASK, retry: { runSpecialist: FAST_RETRY } });

    expect(outcome.status).toBe('completed');
    expect(await lastAttempt(id, 'runSpecialist')).toBe(2);
    const specialistCalls = callsFor(id).filter((c) => c.purpose === 'specialist');
    expect(specialistCalls[0].status).toBe(429);
    const waited = Date.parse(specialistCalls[1].at) - Date.parse(specialistCalls[0].at);
    // The policy alone would wait 100 ms; the provider asked for 2 s.
    expect(waited).toBeGreaterThanOrEqual(2000);
  });
});

describe('self-healing: routing when the classifier is down', () => {
  /** No keyword fits: routing asks the classifier (purpose router). */
  const UNSURE_TASK = 'Which open questions remain about the cited durability claims of Kafka and Pulsar? Keep the writeup concise.';

  it("routes without the classifier after its provider failed 3 attempts, and the task completes", async () => {
    const id = taskId('router-down');
    h.provider.addFault({ kind: 'server_error', match: { task: id, purpose: 'router' } });
    const outcome = await run(id, { objective: UNSURE_TASK, retry: { routeTask: FAST_RETRY } });

    expect(outcome.status).toBe('completed');
    expect(outcome.route).toMatchObject({ method: 'fallback', confidence: 0.2 });
    expect(outcome.route!.reason).toMatch(/^the classifier's provider failed \(provider_unavailable on attempt 3: .*\); the (rules' best guess|fallback specialist)/);
    expect(callsFor(id).filter((c) => c.purpose === 'router' && c.fault === 'server_error')).toHaveLength(3);
    expect(await lastAttempt(id, 'routeTask')).toBe(3);
  });

  it('routes without the classifier at once when its provider refuses for good (quota exhausted)', async () => {
    const id = taskId('router-quota');
    h.provider.addFault({ kind: 'quota_exhausted', match: { task: id, purpose: 'router' } });
    const outcome = await run(id, { objective: UNSURE_TASK, retry: { routeTask: FAST_RETRY } });

    expect(outcome.status).toBe('completed');
    expect(outcome.route!.reason).toMatch(/^the classifier's provider failed \(quota_exhausted on attempt 1: /);
    expect(callsFor(id).filter((c) => c.purpose === 'router')).toHaveLength(1);
  });
});

describe('self-healing: failures no retry can cure', () => {
  it('attempts an exhausted quota exactly once and dead-letters the task', async () => {
    const id = taskId('quota');
    h.provider.addFault({ kind: 'quota_exhausted', match: { task: id, purpose: 'specialist' } });
    const outcome = await run(id, { objective: DB_TASK, retry: { runSpecialist: FAST_RETRY } });

    expect(outcome.status).toBe('dead_lettered');
    expect(callsFor(id).filter((c) => c.fault === 'quota_exhausted')).toHaveLength(1);
    expect(await lastAttempt(id, 'runSpecialist')).toBe(1);
    expect(outcome.failures).toEqual([expect.objectContaining({ type: 'quota_exhausted', retryState: 'NON_RETRYABLE_FAILURE', specialist: 'DatabaseAgent' })]);
    expect(outcome.specialistsTried).toEqual(['DatabaseAgent']);
  });
});

describe('self-healing: reassignment and the dead-letter queue', () => {
  it('reassigns a task whose specialist keeps failing, and it completes on another', async () => {
    const id = taskId('reassign');
    h.provider.addFault({ kind: 'unavailable', match: { task: id, agent: 'DatabaseAgent' } });
    const outcome = await run(id, { objective: DB_TASK, retry: { runSpecialist: { ...FAST_RETRY, maximumAttempts: 3 } } });

    expect(outcome.status).toBe('completed');
    expect(outcome.specialistsTried[0]).toBe('DatabaseAgent');
    expect(outcome.specialistsTried).toHaveLength(2);
    expect(outcome.specialist).toBe(outcome.specialistsTried[1]);
    expect(outcome.failures).toEqual([expect.objectContaining({ type: 'provider_unavailable', retryState: 'MAXIMUM_ATTEMPTS_REACHED', attempts: 3 })]);
    expect(callsFor(id).filter((c) => c.agent === 'DatabaseAgent' && c.purpose === 'specialist')).toHaveLength(3);
    // The next specialist was told what failed.
    const history = await h.client.workflow.getHandle(id).fetchHistory();
    const runs = (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'runSpecialist');
    const secondInput = Buffer.from(runs[1].activityTaskScheduledEventAttributes!.input!.payloads![0].data!).toString();
    expect(secondInput).toMatch(/earlier attempt\] DatabaseAgent failed in runSpecialist with provider_unavailable/);
    await maybeRecordHistory(id, 'reassigned-task');
  });

  it('reassigns a task whose specialist runs to its iteration limit without finishing, and it completes on another', async () => {
    const id = taskId('iteration-limit');
    // DatabaseAgent never delivers on this task (its kind, by a word only it has): each run ends at its limit.
    h.provider.setScenario({ seed: 1, kinds: { stuck: 'flibbertigibbet' }, rules: [{ specialist: 'DatabaseAgent', kind: 'stuck', successRate: 0, costFactor: 1 }] });
    try {
      const outcome = await run(id, { objective: 'Add a unique index on the flibbertigibbet column of the Postgres users table', maxIterations: 3 });
      expect(outcome.status).toBe('completed');
      expect(outcome.specialistsTried).toEqual(['DatabaseAgent', 'Generalist']);
      expect(outcome.failures).toEqual([expect.objectContaining({ specialist: 'DatabaseAgent', type: 'iteration_limit', message: 'no result within 3 iterations' })]);
      expect(outcome.reasons[0]).toMatch(/^Generalist finished in \d+ iterations after reassignment from DatabaseAgent$/);
      // Both runs are in the task's bill.
      expect(callsFor(id).filter((c) => c.agent === 'DatabaseAgent' && c.purpose === 'specialist')).toHaveLength(3);
      await maybeRecordHistory(id, 'reassigned-after-iteration-limit');
    } finally {
      h.provider.setScenario(undefined);
    }
  });

  it('dead-letters a task when every candidate fails, with the chain and an alert; a redrive after the fault clears completes it', async () => {
    const id = taskId('dlq');
    h.provider.addFault({ kind: 'server_error', match: { task: id, purpose: 'specialist' } });
    // No wait for the provider once the last candidate failed (provider-outage-wait.test.ts has those).
    const outcome = await run(id, { objective: DB_TASK, maxReassignments: 2, providerWaitSeconds: 0, retry: { runSpecialist: { ...FAST_RETRY, maximumAttempts: 2 } } });

    expect(outcome.status).toBe('dead_lettered');
    expect(outcome.specialistsTried).toHaveLength(3);
    expect(outcome.failures).toHaveLength(3);
    expect(outcome.failures.every((f) => f.type === 'provider_unavailable' && f.attempts === 2)).toBe(true);
    expect(outcome.reasons[0]).toMatch(/failed after their retries/);
    expect(await h.memory.count({ taskId: id })).toBe(1);
    const described = await h.client.workflow.getHandle(id).describe();
    expect(described.typedSearchAttributes.get(TaskStatus)).toBe('dead_lettered');
    expect(webhook.received).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'dead_letter', id: `${id}:dead_letter` })]));
    // The shape since dead letters fail their execution (dead-lettered-task.json: the completed shape before).
    await maybeRecordHistory(id, 'dead-lettered-task-failed');

    // The fault clears; the redrive is a new task with the same input, linked to the dead letter.
    h.provider.clearFaults();
    const redrive = await redriveTask(h.client, id);
    expect(redrive.alreadyRedriven).toBe(false);
    const again = await h.client.workflow.getHandle(redrive.newId).result();
    expect(again.status).toBe('completed');
    expect(again.redriveOf).toBe(id);
    expect((await h.client.workflow.getHandle(redrive.newId).describe()).typedSearchAttributes.get(TaskRedriveOf)).toBe(id);
    expect((await redriveTask(h.client, id)).alreadyRedriven).toBe(true);
  });

  it('keeps the order validate, route, run, lesson, store, alert when dead-lettering', async () => {
    const id = taskId('dlq-order');
    h.provider.addFault({ kind: 'quota_exhausted', match: { task: id } });
    await run(id, { objective: DB_TASK });
    expect(await scheduledActivities(h.client, id)).toEqual(['validateTask', 'routeTask', 'runSpecialist', 'recordLesson', 'storeMemory', 'raiseAlert']);
  });
});
