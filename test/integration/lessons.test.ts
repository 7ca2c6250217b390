import { Context } from '@temporalio/activity';
import { temporal } from '@temporalio/proto';
import { startTask } from '../../src/client/submit-task';
import { PantheonError } from '../../src/errors';
import type { MemoryStore } from '../../src/memory/types';
import { closedResult } from '../../src/tasks/closed-outcome';
import { TaskInputSchema, type TaskInput } from '../../src/tasks/task-input';
import type { TaskOutcome } from '../../src/workflows/task-state';
import { startHarness, type Harness } from '../support/harness';
import { maybeRecordHistory, patchMarkers, scheduledActivities } from '../support/history';

/** Attempts of storeMemory that write the record and then fail, as if the answer were lost. */
const LOST_ANSWERS = 9;

/** The tasks whose records' writes lose their answers (the 100-task test's): other tests' writes answer as usual. */
const RETRIED = 'lessons-retried-';

/**
 * The activities' memory, whose put of a RETRIED task's record writes through to the real store and
 * then fails the attempt (until attempt LOST_ANSWERS + 1): the worst case for idempotency, a write
 * that landed but whose activity the engine must retry.
 */
function losesPutAnswers(memory: MemoryStore): MemoryStore {
  const put: MemoryStore['put'] = async (record) => {
    const result = await memory.put(record);
    if (record.taskId.startsWith(RETRIED) && Context.current().info.attempt <= LOST_ANSWERS) throw PantheonError.of('store_unavailable', `injected: the write of ${record.id} landed but its answer was lost`);
    return result;
  };
  return new Proxy(memory, {
    get(target, prop) {
      if (prop === 'put') return put;
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

// One worker for all tests: only the 100-task test's records lose their answers (RETRIED).
let h: Harness;

beforeAll(async () => {
  h = await startHarness('lessons', { wrapMemory: losesPutAnswers });
});

afterAll(async () => {
  await h?.stop();
});

afterEach(() => h.provider.clearFaults());

const FAST_RETRY = { initialIntervalMs: 100, maximumIntervalMs: 400 };
const DB_TASK = 'Add a unique index on users.email in the Postgres database';

let seq = 0;
const taskId = (name: string) => `lessons-${name}-${Date.now()}-${++seq}`;

async function run(harness: Harness, id: string, input: TaskInput): Promise<TaskOutcome> {
  return closedResult(await startTask(harness.client, harness.taskQueue, TaskInputSchema.parse(input), id));
}

/** The attempt number the engine recorded when an activity last started. */
async function lastAttempt(harness: Harness, workflowId: string, activityType: string): Promise<number> {
  const events = (await harness.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const scheduled = new Map<string, string>();
  let attempt = 0;
  for (const e of events) {
    if (e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) scheduled.set(String(e.eventId), e.activityTaskScheduledEventAttributes?.activityType?.name ?? '');
    const started = e.activityTaskStartedEventAttributes;
    if (started && scheduled.get(String(started.scheduledEventId)) === activityType) attempt = started.attempt ?? 0;
  }
  return attempt;
}

describe('outcome records under retries', () => {
  it('100 tasks whose store-memory activity is retried 10 times each leave exactly 100 outcomes', async () => {
    const ids = Array.from({ length: 100 }, (_, i) => `${RETRIED}${Date.now()}-${i}`);
    // The store is shared with the other tests (which run after this one, one at a time): what this test adds.
    const before = await h.memory.count();
    const outcomes = await Promise.all(
      ids.map((id) => run(h, id, { objective: DB_TASK, specialist: 'DatabaseAgent', retry: { storeMemory: { initialIntervalMs: 10, maximumIntervalMs: 10, maximumAttempts: 10 } } })),
    );
    expect(outcomes.map((o) => o.status)).toEqual(ids.map(() => 'completed'));
    // Every task's activity really ran 10 attempts, the first 9 of which had written the record.
    expect(await lastAttempt(h, ids[0], 'storeMemory')).toBe(10);
    expect(await lastAttempt(h, ids[99], 'storeMemory')).toBe(10);
    expect(await h.memory.count()).toBe(before + 100);
    const perTask = await Promise.all(ids.map((id) => h.memory.count({ taskId: id })));
    expect(perTask).toEqual(ids.map(() => 1));
    const record = await h.memory.get(`${ids[0]}:outcome`);
    expect(record).toEqual(expect.objectContaining({ routeMethod: 'requested', iterations: outcomes[0].iteration, tokens: expect.any(Number), durationMs: expect.any(Number) }));
    expect(record?.tokens).toBeGreaterThan(0);
  }, 240_000); // 100 tasks with 10 store attempts each: ~20 s on a quiet machine, 90 s and more on busy shared cores
});

describe('lessons from reassignments and dead letters', () => {
  it('writes the failed specialist\'s lesson at a reassignment, before the next specialist runs', async () => {
    const id = taskId('reassign');
    h.provider.addFault({ kind: 'unavailable', match: { task: id, agent: 'DatabaseAgent' } });
    const outcome = await run(h, id, { objective: DB_TASK, retry: { runSpecialist: { ...FAST_RETRY, maximumAttempts: 2 } } });

    expect(outcome.status).toBe('completed');
    expect(outcome.specialistsTried[0]).toBe('DatabaseAgent');
    expect(await scheduledActivities(h.client, id)).toEqual(['validateTask', 'routeTask', 'runSpecialist', 'recordLesson', 'recallForRun', 'runSpecialist', 'storeMemory']);
    const lessons = await h.memory.listLessons({ specialist: 'DatabaseAgent' });
    expect(lessons).toEqual([expect.objectContaining({ failureType: 'provider_unavailable', evidence: 1, status: 'active', text: expect.stringMatching(/^Avoid what ended in provider_unavailable during runSpecialist: /) })]);
    expect(await h.memory.lessonEvidence(lessons[0].id)).toEqual([expect.objectContaining({ taskId: id, objective: DB_TASK })]);
    // The next specialist was told of the failure once, by its attempt line: the lesson this task
    // alone taught says the same (and would credit itself as helped by the task's success).
    const next = h.provider.calls().filter((c) => c.task === id && c.purpose === 'specialist' && c.agent !== 'DatabaseAgent');
    expect(next.length).toBeGreaterThan(0);
    expect(next[0].memory ?? []).toEqual(expect.arrayContaining([expect.stringMatching(/^\[memory: this task, earlier attempt\] DatabaseAgent failed in runSpecialist with provider_unavailable/)]));
    expect((next[0].memory ?? []).filter((l) => l.startsWith('[memory: lesson]'))).toEqual([]);
    expect(await h.memory.getLesson(lessons[0].id)).toMatchObject({ hits: 0, helped: 0 });
    // The completed outcome keeps its facts; a success has no failure type.
    const record = await h.memory.get(`${id}:outcome`);
    expect(record).toEqual(expect.objectContaining({ success: true, routeMethod: 'rules', specialist: outcome.specialist, iterations: outcome.iteration }));
    expect(record?.failureType).toBeUndefined();
    await maybeRecordHistory(id, 'reassigned-task-with-lesson');
  });

  it('writes every failure\'s lesson when a task dead-letters, and the same failures again attach evidence rather than add lessons', async () => {
    const first = taskId('dlq');
    h.provider.addFault({ kind: 'server_error', match: { task: first, purpose: 'specialist' } });
    // No wait for the provider once the last candidate failed: the dead letter is the point here.
    const outcome = await run(h, first, { objective: DB_TASK, maxReassignments: 1, providerWaitSeconds: 0, retry: { runSpecialist: { ...FAST_RETRY, maximumAttempts: 2 } } });

    expect(outcome.status).toBe('dead_lettered');
    expect(outcome.specialistsTried).toHaveLength(2);
    // One lesson at the reassignment, the last failure's at the dead letter, before the outcome
    // (its bill closed with it) and the alert.
    expect(await scheduledActivities(h.client, first)).toEqual(['validateTask', 'routeTask', 'runSpecialist', 'recordLesson', 'recallForRun', 'runSpecialist', 'recordLesson', 'storeMemory', 'raiseAlert']);
    const [a, b] = outcome.specialistsTried;
    // This failure's message (the reassignment test's 503 taught DatabaseAgent another lesson).
    const lessonsOf = async (s: string) => (await h.memory.listLessons({ specialist: s })).filter((l) => l.failureType === 'provider_unavailable' && /\b500\b/.test(l.text));
    expect(await lessonsOf(a)).toEqual([expect.objectContaining({ evidence: 1 })]);
    expect(await lessonsOf(b)).toEqual([expect.objectContaining({ evidence: 1 })]);
    const record = await h.memory.get(`${first}:failure`);
    expect(record).toEqual(expect.objectContaining({ success: false, failureType: 'provider_unavailable', routeMethod: 'rules' }));
    // Each failure as a plain lesson: no attempt label (a later task's prompt quotes the record's
    // lessons under its own "past failure" label, where "earlier attempt" would mislead).
    expect(record!.lessons).toEqual([a, b].map((s) => expect.stringMatching(new RegExp(`^${s} failed in runSpecialist with provider_unavailable: .*\\b500\\b`))));
    // One marker for the patches folded, one for the failure record's bill (dead-lettered-task-with-lessons.json
    // has the shape before the fold, dead-lettered-task-folded-patches.json before the failure's bill).
    expect(await patchMarkers(h.client, first)).toEqual(['agent-task-patches-folded', 'failure-bill-closed-with-record']);
    await maybeRecordHistory(first, 'dead-lettered-task-failure-bill');

    const second = taskId('dlq-again');
    h.provider.addFault({ kind: 'server_error', match: { task: second, purpose: 'specialist' } });
    expect((await run(h, second, { objective: DB_TASK, maxReassignments: 1, providerWaitSeconds: 0, retry: { runSpecialist: { ...FAST_RETRY, maximumAttempts: 2 } } })).status).toBe('dead_lettered');
    for (const s of [a, b]) {
      const [lesson] = await lessonsOf(s);
      expect(lesson.evidence).toBe(2);
      expect((await h.memory.lessonEvidence(lesson.id)).map((e) => e.taskId).sort()).toEqual([first, second].sort());
    }
  });

  it('writes no lesson for a task that completes on its first specialist', async () => {
    const id = taskId('ok');
    const before = (await h.memory.listLessons()).reduce((n, l) => n + l.evidence, 0);
    expect((await run(h, id, { objective: DB_TASK })).status).toBe('completed');
    expect(await scheduledActivities(h.client, id)).not.toContain('recordLesson');
    expect((await h.memory.listLessons()).reduce((n, l) => n + l.evidence, 0)).toBe(before);
  });
});
