import { z } from 'zod';
import { lazySchema } from './lazy-schema';
import { stripControl } from './control-chars';
import { LineageSchema } from './lineage';
import { ConstraintSpecSchema } from '../constraints/schema';

/**
 * The task a user, the CLI, the Temporal CLI or the God workflow submits. This schema is the one
 * definition of a task's shape: the CLI checks it before starting anything, and the workflow
 * checks it again because the Temporal CLI can start a workflow with any JSON.
 */
export const MAX_OBJECTIVE_CHARS = 4000;

export const PRIORITIES = ['low', 'normal', 'high', 'critical'] as const;

/** The budget lanes: main (about 85 % of the day) and experimental (about 15 %). */
export const LANES = ['main', 'experimental'] as const;
export type Lane = (typeof LANES)[number];

/** The activities whose retry policy a task may tune. */
export const RETRYABLE_ACTIVITIES = ['validateTask', 'routeTask', 'runSpecialist', 'compressContext', 'storeMemory'] as const;
export type RetryableActivity = (typeof RETRYABLE_ACTIVITIES)[number];

/** Overrides of an activity's retry policy; every field stays bounded. */
export const RetryOverrideSchema = lazySchema('tasks/task-input.RetryOverrideSchema', () =>
  z
    .object({
      initialIntervalMs: z.number().int().min(10).max(600_000).optional(),
      maximumIntervalMs: z.number().int().min(10).max(3_600_000).optional(),
      maximumAttempts: z.number().int().min(1).max(20).optional(),
    })
    .strict()
);
export type RetryOverride = z.infer<typeof RetryOverrideSchema>;

/** The retry presets' intervals the overrides replace (src/workflows/activity-options.ts uses these). */
export const PRESET_INITIAL_INTERVAL_MS = 1000;
export const PRESET_MAXIMUM_INTERVAL_MS = 60_000;

/**
 * Overrides whose intervals Temporal would refuse (a maximum below the initial interval, either
 * given or the preset's): each field is bounded on its own, so the schema lets them through, and
 * the task failed at its first activity instead (dead-lettered, validation already paid). Checked
 * at every boundary a task comes in by: `pantheon submit`, God's submitTask and the workflow.
 */
export function retryOrderIssues(retry: Partial<Record<RetryableActivity, RetryOverride>>): string[] {
  return RETRYABLE_ACTIVITIES.flatMap((activity) => {
    const override = retry[activity];
    if (!override || (override.initialIntervalMs === undefined && override.maximumIntervalMs === undefined)) return [];
    const initial = override.initialIntervalMs ?? PRESET_INITIAL_INTERVAL_MS;
    const maximum = override.maximumIntervalMs ?? PRESET_MAXIMUM_INTERVAL_MS;
    if (maximum >= initial) return [];
    const said = (ms: number, given: boolean, name: string) => (given ? `${name} ${ms}` : `the preset ${name} ${ms}`);
    return [
      `retry.${activity}.maximumIntervalMs: ${said(maximum, override.maximumIntervalMs !== undefined, 'maximumIntervalMs')} is below ${said(initial, override.initialIntervalMs !== undefined, 'initialIntervalMs')}; the maximum must be at least the initial interval`,
    ];
  });
}

/** At most this many named inputs per task. */
export const MAX_INPUTS = 50;
/** At most this many bytes (UTF-8, names and values together) of inputs per task: the task rides
 * in every activity's input, so its size is paid again in history by each activity it schedules. */
export const MAX_INPUT_BYTES = 64 * 1024;

/** UTF-8 length without Buffer or TextEncoder (this schema also runs in the workflow sandbox). */
export function utf8Bytes(text: string): number {
  let bytes = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}

const InputsSchema = lazySchema('tasks/task-input.InputsSchema', () =>
  z.record(z.string(), z.string().max(20_000))
);

/** The bounds on `inputs`, as a check the CLI, God and the workflow all apply. */
const BoundedInputsSchema = lazySchema('tasks/task-input.BoundedInputsSchema', () =>
  InputsSchema.superRefine((inputs, ctx) => {
    const entries = Object.entries(inputs);
    if (entries.length > MAX_INPUTS) ctx.addIssue({ code: 'custom', message: `at most ${MAX_INPUTS} inputs (got ${entries.length})` });
    const bytes = entries.reduce((sum, [key, value]) => sum + utf8Bytes(key) + utf8Bytes(value), 0);
    if (bytes > MAX_INPUT_BYTES) ctx.addIssue({ code: 'custom', message: `at most ${MAX_INPUT_BYTES} bytes of names and values together (got ${bytes})` });
  })
);

/** Defaults of the history guard: well below Temporal's 50,000 events and 50 MB, and past the
 * size Temporal starts warning about (10,000 events, 10 MB). */
export const HISTORY_GUARD_DEFAULTS = { maxEvents: 10_000, maxBytes: 10 * 1024 * 1024 } as const;

/** How the routing policy chose a task's specialist (God sets it with `specialist`). */
export const TaskRoutingSchema = lazySchema('tasks/task-input.TaskRoutingSchema', () =>
  z
    .object({
      policyVersion: z.number().int().min(0),
      mode: z.enum(['exploit', 'explore']),
      /** An explored pick's probability (share ÷ arms): what off-policy scoring weighs it by. */
      probability: z.number().min(0).max(1).optional(),
      by: z.enum(['active', 'candidate']),
      /** The task kind the policy decided for: a reassignment reads the policy's record of it. */
      kind: z.string().min(1).max(100).optional(),
    })
    .strict()
);

export const TaskInputSchema = lazySchema('tasks/task-input.TaskInputSchema', () =>
  z
    .object({
      // Judged after control characters go: an objective of NULs or escape codes is refused here,
      // on every path (CLI, God, the Temporal CLI), and no task gets one.
      objective: z
        .string()
        .transform(stripControl)
        .pipe(
          z
            .string()
            .trim()
            .min(10, 'must be at least 10 characters')
            .max(MAX_OBJECTIVE_CHARS, `must be at most ${MAX_OBJECTIVE_CHARS} characters`),
        ),
      context: z.string().max(20_000).default(''),
      constraints: z.array(z.string().min(1).max(500)).max(20).default([]),
      /** Standing constraints the task sets for later tasks (held by God once the task is accepted;
       * each later task that contradicts one is rejected naming it and this task). */
      setsConstraints: z.array(ConstraintSpecSchema).max(5).optional(),
      priority: z.enum(PRIORITIES).default('normal'),
      specialist: z.string().min(1).max(80).optional(),
      /** Inputs the task cannot start without: each must be a key of `inputs` with a non-empty value. */
      requires: z.array(z.string().min(1).max(80)).max(20).default([]),
      /** Named inputs: at most MAX_INPUTS of them, MAX_INPUT_BYTES in all. */
      inputs: BoundedInputsSchema.default({}),
      /** Run limits; the defaults suit most tasks. */
      maxIterations: z.number().int().min(1).max(200).default(40),
      compressEvery: z.number().int().min(2).max(100).default(10),
      /** How many other specialists may take the task after one fails all its retries. */
      maxReassignments: z.number().int().min(0).max(5).default(2),
      /** How often the stale-task sweeper may restart the task before it is cancelled as poison. */
      maxRequeues: z.number().int().min(0).max(10).default(2),
      /** While waiting for budget (an open breaker, full system windows), how often the task asks
       * the ledger again at first; it backs off from there (src/budget/waiting.ts). At least 5 s:
       * faster asking only loads the ledger. */
      breakerPollSeconds: z.number().int().min(5).max(3600).default(30),
      /** How long, in all, the task waits out a provider outage (its last candidate's run failing
       * through its retries with 5xx, refused connections, 429s, hangs or resets) before it is
       * dead-lettered; 0 dead-letters it at once, as before (src/tasks/provider-wait.ts). */
      providerWaitSeconds: z.number().int().min(0).max(3600).default(300),
      retry: z.partialRecord(z.enum(RETRYABLE_ACTIVITIES), RetryOverrideSchema).default({}),
      /** Set for a task started by another task (or by God on its behalf); absent for a submitted one. */
      lineage: LineageSchema.optional(),
      /** Which part of the daily budget pays for the task: the main lane, or the experimental lane
       * (about 15 % of the day: generated exploratory tasks, spawned specialists' trials). Every LLM
       * call carries it; the ledger never lets one lane borrow from the other. */
      lane: z.enum(LANES).default('main'),
      /** The workflow id (not run id) told of the task's end by a `taskFinished` signal: the God
       * workflow for tasks it started, a taskChain for its steps. Absent for a task started directly. */
      reportTo: z.string().min(1).max(200).optional(),
      /** The standing goal that generated the task, if any (God sets it). */
      goalId: z.string().min(1).max(80).optional(),
      /** Set by God when its own pre-flight assessment rejected the task: the task ends `rejected`
       * with these reasons without being validated again (a model asked twice may answer
       * differently, and the task would then run outside God's admission). It can only stop a
       * task, so anyone may set it. */
      rejected: z.array(z.string().min(1).max(2000)).min(1).max(20).optional(),
      /** Set by God when its routing policy chose `specialist`: the version that decided, and how
       * (src/routing/route-with-policy.ts). The task records the version (state and search attribute). */
      routing: TaskRoutingSchema.optional(),
      /** Set by God with `specialist`: how it chose (its assessment's method and confidence, its
       * decision's reason; `spawned`: a specialist God spawned, src/god/routing.ts pickOf). The
       * task's route reports these instead of "requested, confidence 1". */
      pick: z
        .object({
          method: z.enum(['requested', 'rules', 'classifier', 'fallback', 'spawned']),
          confidence: z.number().min(0).max(1),
          reason: z.string().min(1).max(500),
        })
        .strict()
        .optional(),
      /** The task ends dead-lettered, with the reason, once its own history passes either bound:
       * long before the server's limits would terminate it without a terminal state. */
      historyGuard: z
        .object({
          maxEvents: z.number().int().min(20).max(40_000).default(HISTORY_GUARD_DEFAULTS.maxEvents),
          maxBytes: z.number().int().min(64 * 1024).max(40 * 1024 * 1024).default(HISTORY_GUARD_DEFAULTS.maxBytes),
        })
        .strict()
        .default(HISTORY_GUARD_DEFAULTS),
    })
    .strict()
);

/**
 * The schema as it was before `inputs` was bounded: the workflow parses a task that fails only
 * the bound with it when replaying a history from before the bound (see agent-task.ts).
 */
export const UnboundedTaskInputSchema = lazySchema('tasks/task-input.UnboundedTaskInputSchema', () =>
  TaskInputSchema.extend({ inputs: InputsSchema.default({}) })
);

export type TaskInput = z.input<typeof TaskInputSchema>;
export type Task = z.output<typeof TaskInputSchema>;
export type TaskRouting = z.output<typeof TaskRoutingSchema>;

/** Zod issues as "field: message" lines, the form every bad-input error uses. */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.flatMap((issue) =>
    // An unknown field is named by its own path (`colour: unknown field`), not its parent's
    // (`(input): Unrecognized key: "colour"`): the field to fix is the unknown one.
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => `${[...issue.path, key].join('.')}: unknown field`)
      : [`${issue.path.join('.') || '(input)'}: ${issue.message}`],
  );
}
