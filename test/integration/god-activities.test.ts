import { MockActivityEnvironment } from '@temporalio/testing';
import { createGodActivities } from '../../src/activities/god';
import type { GenerateTasksResult, ProposeSpecialistResult } from '../../src/activities/god-types';
import { DEFAULT_SYSTEM_MODELS } from '../../src/activities/deps';
import { HEARTBEAT_EVERY_MS } from '../../src/activities/heartbeat';
import { activityCallKeys, createBudgetedLlmClient } from '../../src/budget';
import { startTask } from '../../src/client/submit-task';
import { loadConfig } from '../../src/config/env';
import type { Goal, SpawnedSpecialist } from '../../src/god/types';
import { createConfiguredLlmClient } from '../../src/llm/providers';
import { godRosterFetcher } from '../../src/workers/god-roster';
import type { SpawnedSnapshot } from '../../src/specialists/live-roster';
import { TaskInputSchema, type TaskInput } from '../../src/tasks/task-input';
import type { TaskOutcome } from '../../src/workflows/task-state';
import { startHarness, type Harness } from '../support/harness';
import { maybeRecordHistory } from '../support/history';
import { requeueSignal } from '../../src/workflows/agent-task-api';

/**
 * God's activities against real parts: the suite's Temporal dev server (the budget ledger and the
 * tasks reconciled), the offline provider through the real SDKs behind the real budgeted client,
 * SQLite memory, and a worker whose live roster picks up a spawned specialist without a restart.
 * The activities run in a MockActivityEnvironment: their own logic needs no workflow around them,
 * and each gets an activity id of its own so the ledger keys its calls apart.
 */

let h: Harness;
let activities: ReturnType<typeof createGodActivities>;
/** What the worker's live roster fetches: the test plays God's roster query. */
let spawned: SpawnedSnapshot = { version: 0, specialists: [] };
let runs = 0;

beforeAll(async () => {
  h = await startHarness('god-activities', { spawned: async () => spawned, rosterTtlMs: 100 });
  const config = loadConfig({ PANTHEON_LLM_MODE: 'offline', PANTHEON_OFFLINE_URL: h.provider.url });
  const llm = createBudgetedLlmClient(createConfiguredLlmClient(config), h.gate, activityCallKeys());
  activities = createGodActivities({ llm, roster: h.roster, memory: h.memory, models: DEFAULT_SYSTEM_MODELS, client: h.client });
});

afterAll(async () => {
  await h?.stop();
});

const quiet = (): void => undefined;
const silent = { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: quiet };

function environment(activityId: string, attempt = 1): MockActivityEnvironment {
  return new MockActivityEnvironment({ activityId, attempt, workflowExecution: { workflowId: `god-activities-${process.pid}`, runId: 'run-1' } }, { logger: silent });
}

/** Runs an activity as one attempt of its own (a unique activity id, so its ledger keys are unique). */
function inActivity<T>(fn: () => Promise<T>): Promise<T> {
  runs += 1;
  return environment(`god-activity-${runs}`).run(fn);
}

const goal: Goal = {
  id: 'billing-db',
  objective: 'Keep the billing database fast and its slow queries under control',
  value: 7,
  cadenceMinutes: 60,
  budgetShare: 0.3,
  lane: 'experimental',
  tasksPerRun: 2,
};

async function systemDaySpend(): Promise<number> {
  // An answered call's settle reaches the ledger off the call's path: wait for it before reading.
  await h.gate.flush();
  const snapshot = await h.gate.snapshot();
  return snapshot.scopes.find((s) => s.scope === 'system:day')?.settledUsd ?? 0;
}

async function runTask(input: TaskInput, id: string): Promise<TaskOutcome> {
  const handle = await startTask(h.client, h.taskQueue, TaskInputSchema.parse(input), `${id}-${process.pid}-${Date.now()}`);
  return handle.result();
}

describe('assessTask', () => {
  it("asks the classifier (billed to God's assessment of the task, on the task's lane, with its lineage) only when no keyword matches, and routes where it points", async () => {
    const byRules = await inActivity(() => activities.assessTask({ taskId: 'assess-rules', task: TaskInputSchema.parse({ objective: 'Add a created_at column with an index to the orders table in Postgres' }) }));
    expect(byRules).toMatchObject({ ok: true, method: 'rules', specialist: 'DatabaseAgent' });
    expect(h.provider.calls().filter((c) => c.task?.endsWith('assess-rules'))).toEqual([]);
    // Every specialist on the roster is priced, not only those the rules matched: the policy's
    // record may make any of them an arm, and God routes only to those priced (still on the roster).
    expect(Object.keys(byRules.armEstimatesUsd ?? {}).sort()).toEqual(h.roster.specialists.map((s) => s.name).sort());
    expect(byRules.armEstimatesUsd!.Generalist).toBeLessThan(byRules.armEstimatesUsd!.DatabaseAgent);

    const objective = 'Which open questions remain about the cited durability claims of Kafka and Pulsar? Keep the writeup concise.';
    const byClassifier = await inActivity(() => activities.assessTask({ taskId: 'assess-classifier', task: TaskInputSchema.parse({ objective, lane: 'experimental' }) }));
    const calls = h.provider.calls().filter((c) => c.task === `god-activities-${process.pid}:assess:assess-classifier`);
    expect(calls.map((c) => c.purpose)).toEqual(['router']);
    expect(calls[0].lane).toBe('experimental');
    expect(calls[0].lineage).toMatchObject({ rootTaskId: 'assess-classifier', spawnDepth: 0 });
    // Not the task's: its bill, whenever it starts, holds only the calls it makes itself.
    expect(h.provider.calls().filter((c) => c.task === 'assess-classifier')).toEqual([]);
    expect(byClassifier).toMatchObject({ ok: true, method: 'classifier' });
    expect(byClassifier.specialist).not.toBe('Generalist');
    expect(byClassifier.confidence).toBeGreaterThanOrEqual(0.5);

    const rejected = await inActivity(() => activities.assessTask({ taskId: 'assess-vague', task: TaskInputSchema.parse({ objective: 'improve the thing from yesterday' }) }));
    expect(rejected.ok).toBe(false);
    expect(h.provider.calls().filter((c) => c.task?.endsWith('assess-vague'))).toEqual([]);
  });

  it("asks validation's second stage (billed to God's assessment) about an unroutable task the rules leave undecided, and rejects it before any classifier or spawn", async () => {
    const vague = await inActivity(() => activities.assessTask({ taskId: 'assess-undecided', task: TaskInputSchema.parse({ objective: 'Make the product more user friendly' }) }));
    expect(vague.ok).toBe(false);
    expect(vague.reasons.join('\n')).toMatch(/\(second stage\)/);
    const calls = h.provider.calls().filter((c) => c.task === `god-activities-${process.pid}:assess:assess-undecided`);
    expect(calls.map((c) => c.purpose)).toEqual(['validator']);
    expect(calls[0].lineage).toMatchObject({ rootTaskId: 'assess-undecided', spawnDepth: 0 });
    expect(h.provider.calls().filter((c) => c.task === 'assess-undecided')).toEqual([]);

    // One the model lets through goes on to the classifier, as every unroutable task does.
    const anchored = await inActivity(() =>
      activities.assessTask({ taskId: 'assess-anchored', task: TaskInputSchema.parse({ objective: 'Make it faster: the nightly job sync_ledger.py takes 40 minutes and should finish in 10' }) }),
    );
    expect(anchored).toMatchObject({ ok: true, reasons: [] });
    expect(h.provider.calls().filter((c) => c.task === `god-activities-${process.pid}:assess:assess-anchored`).map((c) => c.purpose)).toEqual(['validator', 'router']);
  });

  it("asks the second stage about an irreversible task while standing constraints are active, and rejects one they rule out before it waits for a person's review", async () => {
    const task = TaskInputSchema.parse({ objective: 'Truncate the refunds table in the payments database to clear test data' });
    const constraint = { id: 'c-1', text: 'no writes to the billing database', scope: 'billing database', setBy: { kind: 'operator' as const, id: 'ops' }, addedAtMs: Date.now() };
    // No standing constraint: routed by the rules, irreversible (God sends it to review), no call made.
    const free = await inActivity(() => activities.assessTask({ taskId: 'assess-irrev-free', task }));
    expect(free).toMatchObject({ ok: true, method: 'rules' });
    expect(free.irreversible.length).toBeGreaterThan(0);
    expect(h.provider.calls().filter((c) => c.task?.endsWith('assess-irrev-free'))).toEqual([]);
    // With one: the task's own validation would reject it once approved and started; God's assessment says so first.
    const ruled = await inActivity(() => activities.assessTask({ taskId: 'assess-irrev-ruled', task, constraints: [constraint] }));
    expect(ruled.ok).toBe(false);
    expect(ruled.reasons.join('\n')).toMatch(/\(second stage\): standing constraint c-1/);
    expect(h.provider.calls().filter((c) => c.task === `god-activities-${process.pid}:assess:assess-irrev-ruled`).map((c) => c.purpose)).toEqual(['validator']);
  });

  it('heartbeats while the classifier is slow, so a slow but healthy answer does not time the attempt out', async () => {
    // God's assessTask runs under a 30 s heartbeat timeout, the LLM call under 60 s: a classifier
    // answer slower than one heartbeat interval must be covered by heartbeats.
    const beats: unknown[] = [];
    const env = environment(`god-activity-${++runs}`);
    env.on('heartbeat', (details: unknown) => beats.push(details));
    h.provider.setLatency(HEARTBEAT_EVERY_MS + 1_000);
    try {
      const objective = 'Which open questions remain about the cited durability claims of Kafka and Pulsar? Summarise briefly.';
      const slow = await env.run(() => activities.assessTask({ taskId: 'assess-slow', task: TaskInputSchema.parse({ objective }) }));
      expect(slow).toMatchObject({ ok: true, method: 'classifier' });
    } finally {
      h.provider.setLatency(0);
    }
    expect(h.provider.calls().filter((c) => c.task?.endsWith(':assess:assess-slow')).map((c) => c.purpose)).toEqual(['router']);
    expect(beats).toContainEqual({ taskId: 'assess-slow', phase: 'assessing' });
  }, 30_000);
});

describe('generateTasks', () => {
  it('asks the generator through the budget ledger under the goal\'s lane, and returns valid tasks of the goal', async () => {
    const before = await systemDaySpend();
    const callId = `god:generate:${goal.id}:1`;
    const out: GenerateTasksResult = await inActivity(() => activities.generateTasks({ godId: 'god-test', callId, goal, count: 2, recent: [] }));

    expect(out.rejected).toEqual([]);
    expect(out.tasks).toHaveLength(2);
    for (const task of out.tasks) {
      expect(task).toMatchObject({ lane: 'experimental', goalId: 'billing-db' });
      expect(TaskInputSchema.safeParse(task).success).toBe(true);
    }
    const calls = h.provider.calls().filter((c) => c.task === callId);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ purpose: 'generator', model: 'gpt-4.1-nano', status: 200, lineage: { rootTaskId: 'god-test', parentTaskId: null, spawnDepth: 0 } });
    // The lane header is sent once the budget lanes are in (absent before).
    if (calls[0].lane !== undefined) expect(calls[0].lane).toBe('experimental');
    expect(out.tokens).toBe(calls[0].inputTokens + calls[0].outputTokens);
    expect(out.costUsd).toBeGreaterThan(0);
    expect((await systemDaySpend()) - before).toBeCloseTo(out.costUsd, 10);
  });

  it('passes recent outcomes and recalled failures as data: no recent objective is proposed again', async () => {
    await h.memory.put({
      id: 'lesson-billing-1',
      taskId: 'earlier-task',
      specialist: 'DatabaseAgent',
      objective: 'Keep the billing database fast: index the slow invoice queries',
      approach: 'added three indexes at once on a busy table',
      result: 'the migration locked the invoices table for minutes',
      success: false,
      costUsd: 0.01,
      lessons: ['create indexes concurrently on busy tables'],
      createdAt: new Date().toISOString(),
    });
    // A fault rule that fires only when the lesson is in the prompt, so the call log shows it was.
    h.provider.addFault({ kind: 'slow', delayMs: 1, match: { purpose: 'generator', pattern: String.raw`\[memory: past failure\].*create indexes concurrently` } });
    try {
      const first = await inActivity(() => activities.generateTasks({ godId: 'god-test', callId: `god:generate:${goal.id}:2`, goal, count: 2, recent: [] }));
      const recent = first.tasks.map((t) => ({ objective: t.objective, status: 'completed', reason: 'done' }));
      const callId = `god:generate:${goal.id}:3`;
      const second = await inActivity(() => activities.generateTasks({ godId: 'god-test', callId, goal, count: 2, recent }));
      expect(second.tasks).toHaveLength(2);
      for (const t of second.tasks) expect(recent.map((r) => r.objective)).not.toContain(t.objective);
      expect(h.provider.calls().find((c) => c.task === callId)?.fault).toBe('slow');
    } finally {
      h.provider.clearFaults();
    }
  });

  it('fails retryably on an answer that does not fit the schema, and a retry (new ledger key) succeeds', async () => {
    h.provider.addFault({ kind: 'invalid_output', match: { purpose: 'generator' }, times: 1 });
    try {
      const callId = `god:generate:${goal.id}:4`;
      const input = { godId: 'god-test', callId, goal, count: 1, recent: [] };
      // Two attempts of one activity: same activity id, the attempt number tells the ledger keys apart.
      await expect(environment('retried', 1).run(() => activities.generateTasks(input))).rejects.toMatchObject({ type: 'invalid_output', nonRetryable: false });
      const retried: GenerateTasksResult = await environment('retried', 2).run(() => activities.generateTasks(input));
      expect(retried.tasks).toHaveLength(1);
      expect(h.provider.calls().filter((c) => c.task === callId)).toHaveLength(2);
    } finally {
      h.provider.clearFaults();
    }
  });
});

describe('proposeSpecialist, and a spawned specialist a running worker routes to', () => {
  const examples = ['Check the supplier contract for risky GDPR clause wording', 'Summarise the liability clause of the hosting contract'];

  it('proposes a valid definition paid by the experimental lane; the worker routes to it once God lists it, without a restart', async () => {
    const before = await runTask({ objective: 'Check the supplier contract for risky GDPR clause wording and liability caps' }, 'before-spawn');
    expect(before.specialist).toBe('Generalist');

    const proposal: ProposeSpecialistResult = await inActivity(() => activities.proposeSpecialist({ callId: 'god:spawn:1', godId: 'god-test', kind: 'legal', examples, existing: [] }));
    expect(proposal).toMatchObject({ ok: true, reasons: [], kind: 'legal', definition: { name: 'LegalAgent', provider: 'openai', model: 'gpt-4.1-mini' } });
    expect(proposal.costUsd).toBeGreaterThan(0);
    const call = h.provider.calls().find((c) => c.task === 'god:spawn:1')!;
    expect(call).toMatchObject({ purpose: 'spawner', lineage: { rootTaskId: 'god-test', spawnDepth: 0 } });
    if (call.lane !== undefined) expect(call.lane).toBe('experimental');

    const trial: SpawnedSpecialist = { name: 'LegalAgent', version: 1, status: 'trial', definition: proposal.definition!, kind: 'legal', createdAtMs: Date.now(), runs: 0, successes: 0 };
    spawned = { version: 1, specialists: [trial] };
    await new Promise((resolve) => setTimeout(resolve, 150));
    // On trial it runs only what God sends it by name; the rules do not pick it.
    const onTrial = await inActivity(() => activities.assessTask({ taskId: 'assess-0', task: TaskInputSchema.parse({ objective: 'Check the supplier contract for risky GDPR clause wording and liability caps' }) }));
    expect(onTrial).toMatchObject({ specialist: 'Generalist', method: 'none' });
    const entry: SpawnedSpecialist = { ...trial, status: 'live' };
    spawned = { version: 2, specialists: [entry] };
    await new Promise((resolve) => setTimeout(resolve, 150));

    const assessment = await inActivity(() => activities.assessTask({ taskId: 'assess-1', task: TaskInputSchema.parse({ objective: 'Check the supplier contract for risky GDPR clause wording and liability caps' }) }));
    expect(assessment).toMatchObject({ ok: true, specialist: 'LegalAgent', method: 'rules', kind: 'legal' });
    const after = await runTask({ objective: 'Check the supplier contract for risky GDPR clause wording and liability caps' }, 'after-spawn');
    expect(after).toMatchObject({ status: 'completed', specialist: 'LegalAgent' });
    const calls = h.provider.calls().filter((c) => c.task === after.taskId && c.purpose === 'specialist');
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((c) => c.agent === 'LegalAgent' && c.model === 'gpt-4.1-mini')).toBe(true);

    // Retired: no longer routed to, but still known (a task already routed there can finish).
    spawned = { version: 3, specialists: [{ ...entry, status: 'retired', retiredReason: 'worse than the fallback' }] };
    await new Promise((resolve) => setTimeout(resolve, 150));
    const retired = await runTask({ objective: 'Check the supplier contract for risky GDPR clause wording and liability caps' }, 'after-retire');
    expect(retired.specialist).toBe('Generalist');
    const pinned = await runTask({ objective: 'Check the supplier contract for risky GDPR clause wording and liability caps', specialist: 'LegalAgent' }, 'pinned-retired');
    expect(pinned).toMatchObject({ status: 'completed', specialist: 'LegalAgent' });
  });

  it('reads no spawned specialists (the seed roster alone) while God is not running', async () => {
    await expect(godRosterFetcher(h.client, `no-god-${Date.now()}`)()).resolves.toEqual({ version: 0, specialists: [] });
  });

  it('takes the kind from the examples when the tasks\' kind is "general"', async () => {
    const general = await inActivity(() => activities.proposeSpecialist({ callId: 'god:spawn:2', kind: 'general', examples: ['Check the supplier contract for GDPR terms', 'Summarise the hosting contract'], existing: [] }));
    expect(general).toMatchObject({ ok: true, kind: 'contract', definition: { name: 'ContractAgent' } });
  });

  it('returns a refused proposal as an answer (ok false, reasons by field), not a failure', async () => {
    h.provider.addFault({ kind: 'invalid_output', match: { purpose: 'spawner' } });
    try {
      const refused = await inActivity(() => activities.proposeSpecialist({ callId: 'god:spawn:3', kind: 'legal', examples, existing: [] }));
      expect(refused.ok).toBe(false);
      expect(refused.definition).toBeUndefined();
      expect(refused.reasons.join('\n')).toMatch(/^name: /m);
      expect(refused.costUsd).toBeGreaterThan(0);
    } finally {
      h.provider.clearFaults();
    }
  });
});

describe('a spawned specialist gone from the roster mid-task', () => {
  it('hands the task to the next candidate when its run starts again without it (God down, its roster unread), instead of dead-lettering it', async () => {
    const seed = h.roster.get('DatabaseAgent')!;
    const definition = { name: 'ShardingAgent', description: 'Shards Postgres tables', provider: seed.provider, model: seed.model, keywords: ['sharding'], system_prompt: seed.system_prompt, expected_duration_minutes: 5, max_output_tokens: seed.max_output_tokens };
    const before = spawned;
    spawned = { version: 10, specialists: [{ name: 'ShardingAgent', version: 1, status: 'live', definition, kind: 'database', createdAtMs: Date.now(), runs: 0, successes: 0 }] };
    try {
      await new Promise((resolve) => setTimeout(resolve, 150));
      const id = `gone-spawned-${process.pid}-${Date.now()}`;
      // Its first call is held, so the task is mid-run on ShardingAgent when the roster loses it.
      h.provider.addFault({ kind: 'slow', delayMs: 60_000, match: { task: id, purpose: 'specialist' }, calls: [1] });
      const handle = await startTask(h.client, h.taskQueue, TaskInputSchema.parse({ objective: 'Add an index on orders.created_at in the Postgres database', specialist: 'ShardingAgent' }), id);
      for (;;) {
        if (h.provider.calls().some((c) => c.task === id && c.purpose === 'specialist')) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      spawned = { version: 11, specialists: [] };
      await new Promise((resolve) => setTimeout(resolve, 150));
      await handle.signal(requeueSignal, { reason: 'test: start the run again' });
      const outcome = (await handle.result()) as TaskOutcome;

      expect(outcome.status).toBe('completed');
      expect(outcome.specialistsTried[0]).toBe('ShardingAgent');
      expect(outcome.specialist).toBe(outcome.specialistsTried[1]);
      expect(outcome.failures).toEqual([expect.objectContaining({ type: 'unknown_specialist', specialist: 'ShardingAgent', retryState: 'NON_RETRYABLE_FAILURE' })]);
      // It tried no approach: the next specialist is not told to avoid one, by the task or by a lesson.
      const runs = ((await handle.fetchHistory()).events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'runSpecialist');
      const nextInput = Buffer.from(runs.at(-1)!.activityTaskScheduledEventAttributes!.input!.payloads![0].data!).toString();
      expect(nextInput).not.toMatch(/earlier attempt\]/);
      expect(nextInput).not.toMatch(/unknown_specialist/);
      await maybeRecordHistory(id, 'reassigned-missing-specialist');
    } finally {
      spawned = before;
      h.provider.clearFaults();
    }
  });
});

describe('reconcileTasks', () => {
  it('reports closed tasks as their taskFinished would, and names running and missing ones', async () => {
    const done = await runTask({ objective: 'Add a unique index on users.email in the Postgres database' }, 'reconcile-done');
    h.provider.addFault({ kind: 'hang', match: { purpose: 'specialist', pattern: 'reconcile-hang-marker' } });
    try {
      const hanging = await startTask(h.client, h.taskQueue, TaskInputSchema.parse({ objective: 'Review the session module code for security bugs', context: 'reconcile-hang-marker' }), `reconcile-hang-${process.pid}-${Date.now()}`);
      const rejected = await runTask({ objective: 'Fix the thing from yesterday' }, 'reconcile-rejected');
      const missing = `never-started-${Date.now()}`;

      const report = await inActivity(() => activities.reconcileTasks({ taskIds: [done.taskId, hanging.workflowId, rejected.taskId, missing] }));
      expect(report.running).toEqual([hanging.workflowId]);
      expect(report.missing).toEqual([missing]);
      expect(report.finished).toEqual([
        expect.objectContaining({ taskId: done.taskId, status: 'completed', costUsd: done.costUsd, tokens: done.tokens, specialist: 'DatabaseAgent' }),
        expect.objectContaining({ taskId: rejected.taskId, status: 'rejected', costUsd: 0, reason: expect.stringMatching(/the thing/) }),
      ]);
      expect(report.finished[0].summary).toMatch(/INDEX/);

      await hanging.terminate('test: a task killed from outside');
      const after = await inActivity(() => activities.reconcileTasks({ taskIds: [hanging.workflowId] }));
      expect(after.finished).toEqual([expect.objectContaining({ taskId: hanging.workflowId, status: 'cancelled', reason: 'the workflow terminated without reporting a result' })]);
    } finally {
      h.provider.clearFaults();
    }
  });

  it('refuses more than 100 ids in one call, without retrying', async () => {
    const ids = Array.from({ length: 101 }, (_, i) => `t-${i}`);
    await expect(inActivity(() => activities.reconcileTasks({ taskIds: ids }))).rejects.toMatchObject({ type: 'invalid_input', nonRetryable: true });
  });
});
