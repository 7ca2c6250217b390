import { z } from 'zod';
import { lazySchema } from '../tasks/lazy-schema';
import { stripControl } from '../tasks/control-chars';
import { TASK_ID_PATTERN, taskIdProblem } from '../tasks/task-id';
import { BUDGET_LEDGER_ID } from '../budget/ledger-defs';
import { GOD_WORKFLOW_ID } from '../workflows/god-api';
import { LANES, TaskInputSchema } from '../tasks/task-input';
import { TERMINAL_STATUSES } from '../workflows/task-state';
import { ConstraintSpecSchema } from '../constraints/schema';
import { DEFAULT_HOLD_AFTER_MINUTES } from './prioritise';
import { REPORT_REASON_CHARS } from '../tasks/report';
import type { GodConfig } from './types';

/**
 * What crosses God's boundary: update and signal arguments (from the CLI, the Temporal CLI, child
 * tasks) and God's own configuration. Each is checked by an update validator, so a malformed one
 * is refused with the field named and God's state stays as it was.
 */

/**
 * A trimmed line of operator text (a reason, a name). Its refusals are worded for the flag they are
 * shown under (`--reason: must not be blank`), not zod's own ("Too small: expected string to have
 * >=1 characters"). Refusal texts are free to change: a refused update is not in God's history.
 */
const text = (max: number) => z.string().trim().min(1, 'must not be blank').max(max, `must be at most ${max} characters`);

const id = (max: number) => text(max).regex(TASK_ID_PATTERN, 'must be letters, digits, ".", "_", ":" or "-"');

/** Who made an operator change (free text for the audit trail; never a secret). */
const by = () => text(80);

/** `submitTask`: one task, and optionally the id to give it (a resubmission with the same id is a no-op). */
export const SubmitTaskSchema = lazySchema('god/messages.SubmitTaskSchema', () =>
  z
    .object({
      task: TaskInputSchema,
      taskId: id(200).optional(),
    })
    .strict()
);
export type SubmitTaskInput = z.input<typeof SubmitTaskSchema>;

/**
 * Why God refuses a submitted task id as it was sent (the schema above trims it, and parses old
 * histories' updates so), or undefined: a padded id (`pantheon submit --id` refuses it, and trimmed
 * it would name another task than the one sent), or the id of God's own workflow or the budget
 * ledger's (defaults included: the ledger's id is the workers' setting, which God does not know),
 * which God accepted and then dropped at the start ("a workflow with this id already exists").
 *
 * @example submittedTaskIdProblem('pantheon-budget-ledger', 'pantheon-god') // '"pantheon-budget-ledger" is the budget ledger\'s workflow id; give another id'
 */
export function submittedTaskIdProblem(taskId: string, godId: string): string | undefined {
  const problem = taskIdProblem(taskId);
  if (problem) return problem;
  if (taskId === godId || taskId === GOD_WORKFLOW_ID) return `"${taskId}" is God's own workflow id; give another id`;
  if (taskId === BUDGET_LEDGER_ID) return `"${taskId}" is the budget ledger's workflow id; give another id`;
  return undefined;
}
export interface SubmitTaskResult {
  taskId: string;
  /** False when a task with this id was already known (nothing new was queued). */
  accepted: boolean;
  status: string;
}

/** `addGoal`, and each entry of a goals file. */
export const GoalInputSchema = lazySchema('god/messages.GoalInputSchema', () =>
  z
    .object({
      id: id(80),
      // Judged after control characters go, as a task's objective is (a goal's words reach prompts too).
      objective: z.string().transform(stripControl).pipe(z.string().trim().min(10, 'must be at least 10 characters').max(1000)),
      value: z.number().min(1).max(10).default(5),
      cadenceMinutes: z.number().int().min(1).max(7 * 24 * 60).default(60),
      budgetShare: z.number().gt(0).max(1).default(0.25),
      lane: z.enum(LANES).default('main'),
      tasksPerRun: z.number().int().min(1).max(5).default(2),
      /** Standing constraints the goal sets when it is added (held by God, set by "goal <id>"). */
      constraints: z.array(ConstraintSpecSchema).max(5).optional(),
    })
    .strict()
);
export type GoalInput = z.input<typeof GoalInputSchema>;

export const GoalsFileSchema = lazySchema('god/messages.GoalsFileSchema', () =>
  z.object({ goals: z.array(GoalInputSchema).max(20) }).strict()
);

export const RemoveGoalSchema = lazySchema('god/messages.RemoveGoalSchema', () =>
  z.object({ goalId: id(80) }).strict()
);

/**
 * `pause` and `resume`: why, and who (optional: updates sent before `by` existed carry none, and
 * God handles them as it did, src/god/pause.ts). Resume has the same shape as pause.
 */
export const PauseSchema = lazySchema('god/messages.PauseSchema', () =>
  z.object({ reason: text(300).optional(), by: by().optional() }).strict()
);
export type PauseInput = z.output<typeof PauseSchema>;

export const ResumeSchema = PauseSchema;

export const ReviewDecisionSchema = lazySchema('god/messages.ReviewDecisionSchema', () =>
  z
    .object({
      taskId: id(200),
      decision: z.enum(['approve', 'reject']),
      reason: text(500).optional(),
      /** Who decided (free text for the audit trail; never a secret). */
      by: by().default('operator'),
    })
    .strict()
);
export type ReviewDecisionInput = z.input<typeof ReviewDecisionSchema>;

export const SetExperimentalShareSchema = lazySchema('god/messages.SetExperimentalShareSchema', () =>
  z
    .object({
      share: z.number().min(0).max(0.5),
      reason: text(300),
      by: by().default('operator'),
    })
    .strict()
);
export type SetExperimentalShareInput = z.input<typeof SetExperimentalShareSchema>;

/** `routingRollback`: make an earlier policy version active again (audited). */
export const RoutingRollbackSchema = lazySchema('god/messages.RoutingRollbackSchema', () =>
  z
    .object({
      version: z.number().int().min(1),
      reason: text(300),
      by: by().default('operator'),
    })
    .strict()
);
export type RoutingRollbackInput = z.input<typeof RoutingRollbackSchema>;

/** The `taskFinished` signal a task (or chain) sends its `reportTo` workflow when it ends. */
export const TaskFinishedSchema = lazySchema('god/messages.TaskFinishedSchema', () =>
  z
    .object({
      taskId: z.string().min(1).max(200),
      status: z.enum(TERMINAL_STATUSES),
      costUsd: z.number().nonnegative(),
      tokens: z.number().nonnegative(),
      durationMs: z.number().nonnegative(),
      specialist: z.string().max(80).optional(),
      reason: z.string().max(500),
      summary: z.string().max(2000).optional(),
    })
    .strict()
);

/** The `routedOutcome` signal: a task God did not start, routed by God's policy, tells God how it
 * ended, so the policy learns from it too (src/workflows/report-finished.ts). */
export const RoutedOutcomeSchema = lazySchema('god/messages.RoutedOutcomeSchema', () =>
  z
    .object({
      taskId: z.string().min(1).max(200),
      status: z.enum(TERMINAL_STATUSES),
      costUsd: z.number().nonnegative(),
      durationMs: z.number().nonnegative(),
      objective: z.string().max(200),
      kind: z.string().min(1).max(80),
      value: z.number().nonnegative().max(1000),
      /** The task's first reason (as `taskFinished` carries it): a budget denial teaches God
       * nothing of the specialist. Absent from tasks that ended before it was sent. */
      reason: z.string().max(REPORT_REASON_CHARS).optional(),
      decision: z
        .object({
          choice: z
            .object({
              arm: z.string().min(1).max(80),
              mode: z.enum(['exploit', 'explore']),
              probability: z.number().min(0).max(1).optional(),
              scores: z.record(z.string(), z.number()).default({}),
              policyVersion: z.number().int().min(0),
            })
            .strict(),
          by: z.enum(['active', 'candidate']),
          shadow: z.object({ active: z.string(), candidate: z.string().optional() }).strict(),
          arms: z.number().int().min(1).max(100),
        })
        .strict(),
    })
    .strict()
);
export type RoutedOutcome = z.output<typeof RoutedOutcomeSchema>;

/** God's settings (its workflow input), with the defaults `npm start` and `npm run god` use. */
export const GodConfigSchema = lazySchema('god/messages.GodConfigSchema', () =>
  z
    .object({
      tickSeconds: z.number().int().min(1).max(3600).default(60),
      pacing: z.enum(['even', 'none']).default('even'),
      pacingBurst: z.number().min(0).max(1).default(0.1),
      reviewTimeoutHours: z.number().gt(0).max(24 * 14).default(24),
      reviewDefault: z.enum(['reject', 'approve']).default('reject'),
      reviewCostShare: z.number().gt(0).max(1).default(0.1),
      lowConfidence: z.number().min(0).max(1).default(0.5),
      maxChainSteps: z.number().int().min(2).max(4).default(4),
      maxLiveSpawned: z.number().int().min(0).max(10).default(3),
      maxSpawnsPerDay: z.number().int().min(0).max(10).default(1),
      spawnTrialRuns: z.number().int().min(0).max(20).default(3),
      continueAsNewEvents: z.number().int().min(50).max(50_000).default(5_000),
      /** Continue as new once the history holds this many bytes, whichever comes first: a God
       * evicted from a worker's cache replays its whole run, and a run of large updates (tasks
       * with their inputs) took seconds to replay at ~1.5 MB. */
      continueAsNewBytes: z.number().int().min(65_536).max(50_000_000).default(1_000_000),
      /** Besides each new run's start, ask visibility about in-flight tasks every this many ticks:
       * a task killed outright (terminated) never reports, and this is how God hears of it. */
      reconcileEveryTicks: z.number().int().min(1).max(10_000).default(30),
      maxQueue: z.number().int().min(1).max(1000).default(200),
      /** Bytes of queued items (tasks with their assessment and decision, ~2.5 KB for a short
       * task: ~100 of them) God holds at most: with in-flight tasks (≤ 40 KB) and the rest of its
       * state at its bounds (~110 KB) the whole stays under 400 KB, what continue-as-new carries
       * (Temporal warns of payloads over 512 KB). At 80 KB (until 2026-12-07) the queue was full at
       * ~30 tasks, long before `maxQueue`. */
      maxQueueBytes: z.number().int().min(10_000).max(250_000).default(250_000),
      /** Tasks God keeps running at once (each is a line of its state until it reports). */
      maxInFlight: z.number().int().min(1).max(200).default(100),
      taskQueue: z.string().min(1).default('pantheon-tasks'),
      /** Seed of the routing policy's random stream when it is first seeded: the same state and
       * seed give the same routing decisions. Default: derived from God's workflow id. */
      routingSeed: z.number().int().min(0).max(0xffffffff).optional(),
      /** `learned`: the routing policy chooses (src/routing/policy); `static`: the keyword rules
       * and the classifier alone, as before the policy (a baseline; bench:routing compares them). */
      routing: z.enum(['learned', 'static']).default('learned'),
      /** Probe quarantined arms and arms on trial (src/routing/policy/choose.ts probePick): explored
       * picks paid by the experimental lane, how a false alarm ends and a fallback earns a record. */
      routingProbes: z.boolean().default(true),
      /** A task queued this long goes first and, when its lane has no room for it yet, holds the
       * lane's room until it fits (src/god/prioritise.ts admit); 0: at once, strictly oldest first. */
      holdAfterMinutes: z.number().int().min(0).max(24 * 60).default(DEFAULT_HOLD_AFTER_MINUTES),
    })
    .strict()
);

/** God's settings when none are given (a function: the schema is built on first use, see lazy-schema.ts). */
export const defaultGodConfig = (): GodConfig => GodConfigSchema.parse({});

/** The fields God's input holds; anything else at its top level is a mistake (settings given
 * without their `config` wrapper ran God on its defaults without a word). */
const GOD_INPUT_FIELDS = ['config', 'state', 'goals'] as const;

/**
 * Why God's input is not an input God takes, or undefined: not an object, or a field other than
 * config, state and goals (a setting there is named as one that belongs under config).
 *
 * @example godInputProblem({ tickSeconds: 5 }) // 'god input: tickSeconds: unknown field (a setting: give it under "config", {"config":{"tickSeconds":…}})'
 */
export function godInputProblem(input: unknown): string | undefined {
  if (input === undefined) return undefined;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return `god input: expected an object {"config": {…}, "goals": […]}, got ${input === null ? 'null' : Array.isArray(input) ? 'an array' : typeof input}`;
  }
  const settings = new Set(Object.keys(GodConfigSchema.shape));
  const unknown = Object.keys(input).filter((key) => !(GOD_INPUT_FIELDS as readonly string[]).includes(key));
  if (unknown.length === 0) return undefined;
  return `god input: ${unknown
    .map((key) => `${key}: unknown field${settings.has(key) ? ` (a setting: give it under "config", {"config":{"${key}":…}})` : ''}`)
    .join('; ')}; God takes ${GOD_INPUT_FIELDS.join(', ')}`;
}

/** The God workflow's input: its settings and, after continue-as-new, the state it carries. */
export interface GodInput {
  config?: Partial<GodConfig>;
  /** Carried state (any earlier version; migrated on start). */
  state?: unknown;
  /** Goals to add on a fresh start (a goals file, the demo set); ignored when state is carried. */
  goals?: GoalInput[];
}
