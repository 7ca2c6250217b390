import { PantheonError } from '../../src/errors';
import { defaultGodConfig } from '../../src/god/messages';
import { initialGodState } from '../../src/god/state';
import type { Assessment, Decision, GodConfig, GodState, QueuedTask, SpawnedSpecialist } from '../../src/god/types';
import { TaskInputSchema, type Lane, type Task } from '../../src/tasks/task-input';

/** Plain data for God's pure-module tests: a state, tasks, assessments and decisions. */

export const T0 = Date.parse('2024-05-01T00:00:00Z');
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export function godConfig(overrides: Partial<GodConfig> = {}): GodConfig {
  return { ...defaultGodConfig(), ...overrides };
}

export function freshState(overrides: Partial<GodState> = {}): GodState {
  return { ...initialGodState({ nowMs: T0, dayKey: '2024-05-01', dayStartMs: T0, experimentalShare: 0.15 }), ...overrides };
}

export function task(objective = 'Summarise the quarterly sales figures for the board', extra: Record<string, unknown> = {}): Task {
  return TaskInputSchema.parse({ objective, ...extra });
}

export function assessment(overrides: Partial<Assessment> = {}): Assessment {
  return {
    ok: true,
    reasons: [],
    kind: 'research',
    specialist: 'ResearchAgent',
    confidence: 0.9,
    method: 'rules',
    ranked: ['ResearchAgent'],
    irreversible: [],
    estimatedCostUsd: 0.01,
    ...overrides,
  };
}

export function decision(overrides: Partial<Decision> = {}): Decision {
  return { kind: 'route', reason: 'rules: ResearchAgent', specialist: 'ResearchAgent', lane: 'main', expectedCostUsd: 0.01, expectedSuccess: 0.8, atMs: T0, ...overrides };
}

export function queued(
  taskId: string,
  opts: { cost?: number; success?: number; priority?: Task['priority']; lane?: Lane; goalId?: string; submittedAtMs?: number; source?: QueuedTask['source']; status?: QueuedTask['status']; decided?: boolean } = {},
): QueuedTask {
  const lane = opts.lane ?? 'main';
  return {
    taskId,
    task: task(`Investigate item ${taskId} and write a short report`, { priority: opts.priority ?? 'normal' }),
    status: opts.status ?? 'queued',
    submittedAtMs: opts.submittedAtMs ?? T0,
    source: opts.source ?? 'submitted',
    lane,
    ...(opts.goalId && { goalId: opts.goalId }),
    ...(opts.decided !== false && { decision: decision({ lane, expectedCostUsd: opts.cost ?? 0.01, expectedSuccess: opts.success ?? 0.8 }) }),
  };
}

export function spawned(name: string, overrides: Partial<SpawnedSpecialist> = {}): SpawnedSpecialist {
  return {
    name,
    version: 1,
    status: 'trial',
    definition: {
      name,
      description: 'Handles database migrations and schema changes with care',
      provider: 'openai',
      model: 'gpt-4o-mini',
      keywords: ['migration'],
      system_prompt: 'You are a careful specialist for database migrations. Plan, then act, then verify.',
      expected_duration_minutes: 10,
      max_output_tokens: 700,
    },
    kind: 'database',
    createdAtMs: T0,
    runs: 0,
    successes: 0,
    ...overrides,
  };
}

/** The PantheonError a call refuses with; fails the test if it does not refuse. */
export function refusal(fn: () => unknown): PantheonError {
  try {
    fn();
  } catch (err) {
    if (err instanceof PantheonError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

/** A submitted task God has not decided on yet (status assessing), submitted a minute before `nowMs`. */
export function assessing(taskId: string, nowMs: number, extra: Partial<QueuedTask> = {}): QueuedTask {
  return {
    taskId,
    task: TaskInputSchema.parse({ objective: `Add an index for ${taskId} to the orders table in Postgres` }),
    status: 'assessing',
    submittedAtMs: nowMs - 60_000,
    source: 'submitted',
    lane: 'main',
    ...extra,
  };
}
