import type { StandingConstraint } from '../constraints/schema';
import type { Goal, SpawnedSpecialist, TaskFinished } from '../god/types';
import type { Task, TaskInput } from '../tasks/task-input';

/** Payloads between the God workflow and its activities. Plain data: they show in the Web UI. */

export interface AssessTaskInput {
  taskId: string;
  task: Task;
  /** God's active standing constraints: a task that plainly breaks one is refused before it starts. */
  constraints?: StandingConstraint[];
  /** The active routing policy's keyword rules (specialist → keywords); absent: the roster's own. */
  rules?: Record<string, string[]>;
}

/** One recent outcome of a goal's tasks, as the generator is told it. */
export interface RecentOutcome {
  objective: string;
  status: string;
  reason: string;
}

export interface GenerateTasksInput {
  /** God's workflow id: the root of every generated task's lineage and of the call's. */
  godId: string;
  /** Unique per generation (God's sequence): the call's task id in the budget, and the seed that
   * makes two generations of the same goal differ. */
  callId: string;
  goal: Goal;
  /** How many tasks to ask for (1–5). */
  count: number;
  recent: RecentOutcome[];
}

export interface GenerateTasksResult {
  /** Valid proposals, at most `count`: objective, context, priority and constraints from the model;
   * lane and goalId from the goal. */
  tasks: TaskInput[];
  /** Why each refused proposal was refused, the field named: "tasks.2.objective: ...". */
  rejected: string[];
  costUsd: number;
  tokens: number;
}

export interface ProposeSpecialistInput {
  /** Unique per proposal: the call's task id in the budget. */
  callId: string;
  /** The task kind that lacks a specialist; "general" (nothing matched) takes its kind from the examples. */
  kind: string;
  /** Objectives of tasks that fell back: what the new specialist must handle. */
  examples: string[];
  /** Names the new specialist must not take (seed and spawned; the seed roster is checked anyway). */
  existing: string[];
  /** God's workflow id, the root of the call's lineage (default: the call id). */
  godId?: string;
}

export interface ProposeSpecialistResult {
  ok: boolean;
  /** The definition as validated (like an agents/*.yaml file, fallback false); absent when refused. */
  definition?: SpawnedSpecialist['definition'];
  /** Why the proposal was refused, each naming its field; empty when ok. */
  reasons: string[];
  /** The kind the specialist was proposed for (the input's, or the one read off the examples). */
  kind: string;
  costUsd: number;
  tokens: number;
}

export interface ReconcileTasksInput {
  /** Workflow ids of tasks God started (at most {@link MAX_RECONCILE_IDS}). */
  taskIds: string[];
}

export const MAX_RECONCILE_IDS = 100;

export interface ReconcileTasksResult {
  /** Closed workflows, as their taskFinished report would have said. */
  finished: TaskFinished[];
  /** Still running. */
  running: string[];
  /** Unknown to the server (never started, or past retention). */
  missing: string[];
}
