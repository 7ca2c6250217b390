import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_LIMITS, type Limits } from '../../src/budget';
import { startTask } from '../../src/client/submit-task';
import { repoRoot } from '../../src/config/paths';
import type { CallRecord } from '../../src/llm/offline';
import { costOf } from '../../src/llm/pricing';
import { TaskInputSchema, type TaskInput } from '../../src/tasks/task-input';
import { stateQuery } from '../../src/workflows/agent-task-api';
import type { TaskOutcome, TaskState } from '../../src/workflows/task-state';
import { maybeRecordHistory } from '../support/history';
import { limitsWith } from '../support/limits';
import { startHarness, testAddress, type Harness } from '../support/harness';

/** What the provider actually billed, recomputed from its own call log with the pinned prices. */
function billed(calls: CallRecord[]): number {
  return calls.reduce((usd, c) => usd + costOf(c.model, { inputTokens: c.inputTokens, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: c.outputTokens }), 0);
}

function limits(overrides: Partial<Limits>, breaker: Partial<Limits['circuitBreaker']> = {}): Limits {
  return limitsWith({ ...overrides, circuitBreaker: breaker });
}

let seq = 0;
const id = (name: string) => `budget-${name}-${Date.now()}-${++seq}`;

async function start(h: Harness, input: TaskInput, taskId: string) {
  return startTask(h.client, h.taskQueue, TaskInputSchema.parse(input), taskId);
}

/** Polls a task until its state satisfies `done`. */
async function waitFor(h: Harness, taskId: string, done: (s: TaskState) => boolean): Promise<TaskState> {
  const handle = h.client.workflow.getHandle(taskId);
  for (;;) {
    const description = await handle.describe();
    const state = description.status.name === 'RUNNING' ? await handle.query(stateQuery) : ((await handle.result()) as TaskOutcome);
    if (done(state)) return state;
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** Cancels waiting tasks and waits until they have ended, so no task outlives its test. */
async function cancelAndWait(h: Harness, taskIds: string[]): Promise<void> {
  const outcomes = await Promise.all(
    taskIds.map(async (taskId) => {
      const handle = h.client.workflow.getHandle(taskId);
      await handle.cancel();
      return (await handle.result()) as TaskOutcome;
    }),
  );
  expect(outcomes.every((o) => o.status === 'cancelled')).toBe(true);
}

const SYSTEM_LIMIT_USD = 0.004;
const TASKS = 55;

describe('hard limits under concurrency', () => {
  it.each([1, 2, 3])('never settles past a system limit that affords a fraction of 55 tasks (run %i): breaker off, stopped tasks end budget_exceeded', async () => {
    const h = await startHarness('budget-concurrency', { limits: limits({ systemDailyUsd: SYSTEM_LIMIT_USD }, { enabled: false }) });
    try {
      const ids = Array.from({ length: TASKS }, (_, i) => id(`c${i}`));
      const handles = await Promise.all(ids.map((taskId, i) => start(h, { objective: `Add an index on column c${i} of the orders table in Postgres` }, taskId)));
      const outcomes = (await Promise.all(handles.map((x) => x.result()))) as TaskOutcome[];

      // Which tasks win the race for the budget varies; that each ends completed or stopped does not.
      expect(outcomes.every((o) => o.status === 'completed' || o.status === 'budget_exceeded')).toBe(true);
      expect(outcomes.filter((o) => o.status === 'budget_exceeded').length).toBeGreaterThan(TASKS / 2);
      for (const o of outcomes.filter((x) => x.status === 'budget_exceeded')) expect(o.reasons[0]).toMatch(/system:(day|hour)/);
      const snapshot = await h.gate.snapshot();
      const systemDay = snapshot.scopes.find((s) => s.scope === 'system:day')!;
      expect(systemDay.settledUsd).toBeLessThanOrEqual(SYSTEM_LIMIT_USD);
      expect(snapshot.outstanding.count).toBe(0);
      // Every call the provider answered was reserved and settled: the provider billed what the ledger holds.
      const providerBill = billed(h.provider.calls());
      expect(providerBill).toBeGreaterThan(0);
      expect(providerBill).toBeLessThanOrEqual(SYSTEM_LIMIT_USD);
      expect(providerBill).toBeCloseTo(systemDay.settledUsd, 9);
    } finally {
      await h.stop();
    }
  });

  it('with the breaker on, a crossing call opens it and the stopped tasks wait with a reason instead of failing', async () => {
    const h = await startHarness('budget-breaker', { limits: limits({ systemDailyUsd: SYSTEM_LIMIT_USD }) });
    try {
      const ids = Array.from({ length: TASKS }, (_, i) => id(`b${i}`));
      await Promise.all(ids.map((taskId, i) => start(h, { objective: `Add an index on column c${i} of the orders table in Postgres` }, taskId)));
      const states = await Promise.all(ids.map((taskId) => waitFor(h, taskId, (s) => s.status === 'completed' || s.status === 'waiting_budget')));

      const waiting = states.filter((s) => s.status === 'waiting_budget');
      expect(waiting.length).toBeGreaterThan(0);
      expect(states.every((s) => s.status === 'waiting_budget' || s.status === 'completed')).toBe(true);
      const snapshot = await h.gate.snapshot();
      expect(snapshot.breaker).toEqual(expect.objectContaining({ open: true, reason: 'system_limit' }));
      const settled = snapshot.scopes.find((s) => s.scope === 'system:day')!.settledUsd;
      expect(settled).toBeGreaterThan(0);
      expect(settled).toBeLessThanOrEqual(SYSTEM_LIMIT_USD);
      const callsAfterTrip = h.provider.calls().length;
      await new Promise((r) => setTimeout(r, 1500));
      expect(h.provider.calls().length).toBe(callsAfterTrip);
      await cancelAndWait(h, states.filter((s) => s.status === 'waiting_budget').map((s) => s.taskId));
    } finally {
      await h.stop();
    }
  });
});

describe('runaway detection and charging', () => {
  it('opens the breaker for a task looping past its calls-per-minute bound', async () => {
    const h = await startHarness('budget-runaway', { limits: limits({}, { maxCallsPerTaskPerMinute: 5 }) });
    try {
      const taskId = id('runaway');
      const items = Array.from({ length: 30 }, (_, i) => `- table_${i}`).join('\n');
      await start(h, { objective: `Migrate these Postgres tables to the new schema:\n${items}`, breakerPollSeconds: 1 }, taskId);
      const state = await waitFor(h, taskId, (s) => s.status === 'waiting_budget');

      expect(state.iteration).toBeLessThanOrEqual(5);
      expect(h.provider.calls().filter((c) => c.task === taskId).length).toBeLessThanOrEqual(5);
      const snapshot = await h.gate.snapshot();
      expect(snapshot.breaker).toEqual(expect.objectContaining({ open: true, reason: 'runaway_calls', scope: `task:${taskId}` }));
      expect(snapshot.alerts).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'breaker_open' })]));
      await cancelAndWait(h, [taskId]);
    } finally {
      await h.stop();
    }
  });

  it('charges retried calls: the ledger holds what the provider billed for every attempt', async () => {
    const h = await startHarness('budget-retries');
    try {
      const taskId = id('retried');
      h.provider.addFault({ kind: 'invalid_output', match: { task: taskId, purpose: 'specialist' }, times: 2 });
      const outcome = (await (await start(h, { objective: 'Add a unique index on users.email in the Postgres database', retry: { runSpecialist: { initialIntervalMs: 100 } } }, taskId)).result()) as TaskOutcome;

      expect(outcome.status).toBe('completed');
      const taskScope = (await h.gate.snapshot()).scopes.find((s) => s.scope === `task:${taskId}`)!;
      const bill = billed(h.provider.calls().filter((c) => c.task === taskId));
      expect(taskScope.settledUsd).toBeCloseTo(bill, 9);
      // The two invalid answers were billed too, and the task's own total says so.
      expect(bill).toBeGreaterThan(billed(h.provider.calls().filter((c) => c.task === taskId && !c.fault)));
      expect(outcome.costUsd).toBeCloseTo(bill, 9);
    } finally {
      await h.stop();
    }
  });

  it('ends a task at its per-task token limit as budget_exceeded, with the spend and the limit', async () => {
    const h = await startHarness('budget-per-task', { limits: limits({ perTaskTokens: DEFAULT_LIMITS.perTaskTokens }) });
    try {
      const taskId = id('per-task');
      const items = Array.from({ length: 14 }, (_, i) => `- table_${i}`).join('\n');
      const outcome = (await (await start(h, { objective: `Migrate these Postgres tables to the new schema:\n${items}` }, taskId)).result()) as TaskOutcome;

      expect(outcome.status).toBe('budget_exceeded');
      expect(outcome.reasons[0]).toMatch(/task:/);
      expect(outcome.reasons[0]).toMatch(/8000/);
      const taskScope = (await h.gate.snapshot()).scopes.find((s) => s.scope === `task:${taskId}:tokens` || s.scope === `task:${taskId}`)!;
      expect(taskScope.settledTokens).toBeLessThanOrEqual(DEFAULT_LIMITS.perTaskTokens);
      await maybeRecordHistory(taskId, 'budget-exceeded-task');
    } finally {
      await h.stop();
    }
  });
});

describe('per-agent limits', () => {
  it('sends work elsewhere when a specialist\'s hourly budget cannot afford its next call', async () => {
    // $0.0015 an hour per agent: DatabaseAgent (gpt-4.1-mini) affords one call, Claude models none,
    // Generalist (gpt-4o-mini) its whole run.
    const h = await startHarness('budget-agent', { limits: limits({ perAgentHourlyUsd: 0.0015 }) });
    try {
      const taskId = id('agent');
      const outcome = (await (await start(h, { objective: 'Add a unique index on users.email in the Postgres database', maxReassignments: 3 }, taskId)).result()) as TaskOutcome;

      expect(outcome.status).toBe('completed');
      expect(outcome.specialistsTried[0]).toBe('DatabaseAgent');
      expect(outcome.specialist).toBe('Generalist');
      expect(outcome.failures.length).toBe(outcome.specialistsTried.length - 1);
      expect(outcome.failures.every((f) => f.type === 'agent_budget_exhausted' && f.retryState === 'NON_RETRYABLE_FAILURE')).toBe(true);
      const agentHour = (await h.gate.snapshot()).scopes.find((s) => s.scope === 'agent:DatabaseAgent:hour')!;
      expect(agentHour.settledUsd).toBeLessThanOrEqual(0.0015);
    } finally {
      await h.stop();
    }
  });
});

describe('limits.yaml', () => {
  it('stops the worker with an error naming the file and the key, before anything starts', async () => {
    const bad = path.join(process.env.PANTHEON_TEST_DIR ?? '/tmp', `limits-bad-${Date.now()}.yaml`);
    fs.writeFileSync(bad, 'per_task_tokens: lots\nsystem_daily_usd: 20\n');
    const child = spawn(path.join(repoRoot(), 'node_modules', '.bin', 'tsx'), [path.join(repoRoot(), 'src', 'workers', 'main.ts')], {
      cwd: repoRoot(),
      env: { ...process.env, TEMPORAL_ADDRESS: testAddress(), PANTHEON_LIMITS_FILE: bad, PANTHEON_LLM_MODE: 'offline', PANTHEON_TASK_QUEUE: `never-${Date.now()}`, LOG_LEVEL: 'info', PANTHEON_LOG_FORMAT: 'json' },
    });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => (stdout += d));
    const code = await new Promise((r) => child.on('close', r));

    expect(code).toBe(1);
    expect(stderr).toContain(bad);
    expect(stderr).toMatch(/per_task_tokens/);
    expect(stdout).not.toMatch(/worker running/);
  });
});
