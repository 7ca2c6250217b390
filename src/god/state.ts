import { z } from 'zod';
import { lazySchema } from '../tasks/lazy-schema';
import { PantheonError } from '../errors';
import { LANES, TaskInputSchema } from '../tasks/task-input';
import { StandingConstraintSchema } from '../constraints/schema';
import { pruneConstraints } from '../constraints/registry';
import {
  GOD_STATE_VERSION,
  type Assessment,
  type Decision,
  type DecisionRecord,
  type GodConfig,
  type GodState,
  type GoalState,
  type InFlightTask,
  type KindStats,
  type QueuedTask,
  type SpawnedSpecialist,
} from './types';
import type { PolicyDecision } from '../routing/policy/book';
import type { PolicyBook } from '../routing/policy/types';
import type { ArmStats } from '../routing/policy/arm-stats';

/**
 * God's carried state: its schema, a fresh state, the migration chain that brings any earlier
 * version up to {@link GOD_STATE_VERSION}, its size, and the compaction that keeps it bounded.
 * Pure (runs in the workflow sandbox): no I/O, no clock; times come in as arguments.
 *
 * @example
 *   let state = input.state === undefined ? initialGodState({ nowMs, dayKey, dayStartMs, experimentalShare: 0.15 }) : migrateGodState(input.state);
 *   state = compactState(state, config, nowMs);
 */

/** The experimental lane's share of the day when nobody set one. */
export const DEFAULT_EXPERIMENTAL_SHARE = 0.15;

/** Bounds {@link compactState} holds the state to (the queue is bounded at submission instead). */
export const STATE_BOUNDS = {
  recent: 50,
  fingerprints: 300,
  finishedIds: 300,
  stats: 100,
  retiredKept: 10,
  /** A retired specialist's system prompt is kept this long (for the audit), then dropped. */
  retiredPromptMs: 7 * 24 * 3_600_000,
  recentDetailChars: 300,
  /** A goal's newest outcomes, each field trimmed: what its generator is told of earlier work. */
  goalOutcomes: 5,
  outcomeObjectiveChars: 100,
  outcomeReasonChars: 120,
  /** Earlier routing policy versions kept for rollback and diff (the newest), the routing audit
   * entries kept (the newest), and the characters of a policy's reason or an audit detail. */
  policyHistory: 5,
  policyAudit: 30,
  policyDetailChars: 160,
} as const;

// Loose objects: a field added to types.ts later survives continue-as-new even before this schema
// learns of it; the fields named here are checked.
const lane = lazySchema('god/state.lane', () =>
  z.enum(LANES)
);
const usd = lazySchema('god/state.usd', () =>
  z.number().nonnegative()
);
const count = lazySchema('god/state.count', () =>
  z.number().int().nonnegative()
);
const time = lazySchema('god/state.time', () =>
  z.number().nonnegative()
);
const name = lazySchema('god/state.name', () =>
  z.string().min(1).max(200)
);

const AssessmentSchema = lazySchema('god/state.AssessmentSchema', () =>
  z.looseObject({
    ok: z.boolean(),
    reasons: z.array(z.string()),
    kind: z.string().min(1),
    specialist: z.string(),
    confidence: z.number().min(0).max(1),
    method: z.string(),
    ranked: z.array(z.string()),
    irreversible: z.array(z.string()),
    plan: z.array(z.string()).optional(),
    estimatedCostUsd: usd,
    planEstimatesUsd: z.array(usd).optional(),
    armEstimatesUsd: z.record(z.string(), usd).optional(),
    routingKind: z
      .looseObject({
        kind: z.string(),
        evidence: z.record(z.string(), z.object({ successes: z.number().min(0), failures: z.number().min(0) })),
        source: z.enum(['rules', 'memory', 'none']),
        explanation: z.string(),
      })
      .optional(),
    fallbackSpecialist: z.string().optional(),
  })
);

// The routing policy's data is checked for its shape only: its numbers are the pure core's to keep right.
const PolicySchema = lazySchema('god/state.PolicySchema', () =>
  z.looseObject({
    version: count,
    createdAtMs: time,
    reason: z.string(),
    arms: z.record(z.string(), z.record(z.string(), z.looseObject({ n: z.number(), successes: z.number(), failures: z.number() }))),
    rules: z.record(z.string(), z.array(z.string())),
    thresholds: z.looseObject({ ruleConfidence: z.number(), costWeight: z.number() }),
    explorationShare: z.number().min(0).max(1),
  })
);

const PolicyBookSchema = lazySchema('god/state.PolicyBookSchema', () =>
  z
    .looseObject({
      active: PolicySchema,
      history: z.array(PolicySchema),
      candidate: z.looseObject({ policy: PolicySchema }).optional(),
      probation: z.looseObject({ version: count, previous: count }).optional(),
      sinceRewrite: count,
      lastVersion: count,
      rng: z.looseObject({ s: z.number().int().min(0) }),
      words: z.record(z.string(), z.record(z.string(), z.looseObject({ s: count, f: count }))),
      audit: z.array(z.looseObject({ atMs: time, kind: z.string(), version: count, detail: z.string() })),
    })
    .transform((book) => book as unknown as PolicyBook)
);

/** A function, not a shared object: its schemas are built inside the lazy schemas that use it. */
const policyChoiceShape = () => ({
  kind: z.string(),
  value: z.number().nonnegative(),
  decision: z
    .looseObject({
      choice: z.looseObject({ arm: z.string(), mode: z.enum(['exploit', 'explore']), policyVersion: count }),
      by: z.enum(['active', 'candidate']),
      shadow: z.looseObject({ active: z.string() }),
      arms: count,
    })
    .transform((d) => d as unknown as PolicyDecision),
});

const DECISION_KINDS = ['route', 'chain', 'spawn', 'review', 'reject', 'drop'] as const;

const DecisionSchema = lazySchema('god/state.DecisionSchema', () =>
  z.looseObject({
    kind: z.enum(DECISION_KINDS),
    reason: z.string(),
    specialist: z.string().optional(),
    plan: z.array(z.string()).optional(),
    lane,
    expectedCostUsd: usd,
    expectedSuccess: z.number().min(0).max(1),
    atMs: time,
    policy: z.looseObject(policyChoiceShape()).optional(),
  })
);

const QueuedTaskSchema = lazySchema('god/state.QueuedTaskSchema', () =>
  z.looseObject({
    taskId: name,
    task: TaskInputSchema,
    status: z.enum(['assessing', 'awaiting_review', 'queued']),
    submittedAtMs: time,
    source: z.enum(['submitted', 'generated']),
    goalId: z.string().optional(),
    lane,
    assessment: AssessmentSchema.optional(),
    decision: DecisionSchema.optional(),
    beforePolicy: DecisionSchema.optional(),
    review: z.looseObject({ reasons: z.array(z.string()), sinceMs: time, deadlineMs: time, costOnly: z.literal(true).optional() }).optional(),
    waitReason: z.string().optional(),
    fingerprint: z.string().optional(),
    assessFailures: count.optional(),
    assessAfterMs: time.optional(),
  })
);

const GoalStateSchema = lazySchema('god/state.GoalStateSchema', () =>
  z.looseObject({
    id: name,
    objective: z.string().min(1),
    value: z.number().min(1).max(10),
    cadenceMinutes: z.number().positive(),
    budgetShare: z.number().gt(0).max(1),
    lane,
    tasksPerRun: z.number().int().positive(),
    addedAtMs: time,
    lastGeneratedAtMs: time,
    generated: count,
    spentTodayUsd: usd,
    startedToday: count.optional(),
    lastGenerationCostUsd: usd.optional(),
    outcomes: z.array(z.looseObject({ objective: z.string(), status: z.string(), reason: z.string() })).optional(),
    notGenerated: z.looseObject({ atMs: time, reason: z.string() }).optional(),
  })
);

const InFlightTaskSchema = lazySchema('god/state.InFlightTaskSchema', () =>
  z.looseObject({
    taskId: name,
    workflowType: z.enum(['agentTask', 'taskChain']),
    kind: z.string(),
    specialist: z.string(),
    lane,
    goalId: z.string().optional(),
    expectedCostUsd: usd,
    plan: z.array(z.string()).optional(),
    startedAtMs: time,
    objective: z.string().optional(),
    policy: z.looseObject(policyChoiceShape()).optional(),
  })
);

const KindStatsSchema = lazySchema('god/state.KindStatsSchema', () =>
  z.looseObject({
    runs: count,
    successes: count,
    meanCostUsd: usd,
    meanDurationMs: z.number().nonnegative(),
    fallbacks: count,
  })
);

const SpawnedSpecialistSchema = lazySchema('god/state.SpawnedSpecialistSchema', () =>
  z.looseObject({
    name: name,
    version: z.number().int().positive(),
    status: z.enum(['trial', 'live', 'retired']),
    definition: z.looseObject({
      name: name,
      description: z.string(),
      provider: z.enum(['openai', 'anthropic']),
      model: z.string().min(1),
      keywords: z.array(z.string()),
      // Empty once a retired specialist's prompt is compacted away.
      system_prompt: z.string(),
      expected_duration_minutes: z.number().positive(),
      max_output_tokens: z.number().int().positive(),
    }),
    kind: z.string(),
    createdAtMs: time,
    runs: count,
    successes: count,
    retiredReason: z.string().optional(),
    retiredAtMs: time.optional(),
  })
);

const DecisionRecordSchema = lazySchema('god/state.DecisionRecordSchema', () =>
  z.looseObject({
    atMs: time,
    taskId: z.string().optional(),
    kind: z.enum([...DECISION_KINDS, 'generated', 'admitted', 'finished', 'operator', 'spawned', 'retired', 'constraint']),
    detail: z.string(),
  })
);

const laneUsd = lazySchema('god/state.laneUsd', () =>
  z.looseObject({ main: usd, experimental: usd })
);

export const GodStateSchema = lazySchema('god/state.GodStateSchema', () =>
  z.looseObject({
    version: z.literal(GOD_STATE_VERSION),
    paused: z.looseObject({ reason: z.string(), sinceMs: time, by: z.string().optional() }).optional(),
    seq: count,
    goals: z.array(GoalStateSchema),
    queue: z.array(QueuedTaskSchema),
    inFlight: z.array(InFlightTaskSchema),
    stats: z.record(z.string(), KindStatsSchema),
    specialists: z.array(SpawnedSpecialistSchema),
    rosterVersion: count,
    fingerprints: z.array(z.string()),
    finishedIds: z.array(z.string()).optional(),
    constraints: z.array(StandingConstraintSchema),
    recent: z.array(DecisionRecordSchema),
    day: z.looseObject({
      // Empty until God first reads the ledger's day (a fresh state may not know it yet).
      key: z.string().regex(/^(\d{4}-\d{2}-\d{2})?$/, 'must be YYYY-MM-DD'),
      startMs: time,
      admitted: count,
      dropped: count,
      finishedUsd: laneUsd,
    }),
    experimentalShare: z.number().min(0).max(0.5),
    counters: z.looseObject({
      submitted: count,
      generated: count,
      duplicates: count,
      started: count,
      finished: count,
      rejected: count,
      dropped: count,
      reviewed: count,
      spawned: count,
      continuedAsNew: count,
    }),
    routing: PolicyBookSchema.optional(),
    learnedSincePick: z.boolean().optional(),
  })
);

// Compile-time guards: the schema's output is a GodState, and every field of each carried type is
// named in its schema (a field added to types.ts must be added here too, or this file stops compiling).
type Assert<T extends true> = T;
type Covers<T, S extends { shape: object }> = Exclude<keyof T, keyof S['shape']> extends never ? true : false;
export type _SchemaGuards = [
  Assert<z.output<typeof GodStateSchema> extends GodState ? true : false>,
  Assert<Covers<GodState, typeof GodStateSchema>>,
  Assert<Covers<GoalState, typeof GoalStateSchema>>,
  Assert<Covers<QueuedTask, typeof QueuedTaskSchema>>,
  Assert<Covers<Assessment, typeof AssessmentSchema>>,
  Assert<Covers<Decision, typeof DecisionSchema>>,
  Assert<Covers<InFlightTask, typeof InFlightTaskSchema>>,
  Assert<Covers<KindStats, typeof KindStatsSchema>>,
  Assert<Covers<SpawnedSpecialist, typeof SpawnedSpecialistSchema>>,
  Assert<Covers<DecisionRecord, typeof DecisionRecordSchema>>,
];

/** A fresh state: nothing queued, no goals, counters at zero, the given day. */
export function initialGodState(args: { nowMs: number; dayKey: string; dayStartMs: number; experimentalShare: number }): GodState {
  return {
    version: GOD_STATE_VERSION,
    seq: 0,
    goals: [],
    queue: [],
    inFlight: [],
    stats: {},
    specialists: [],
    rosterVersion: 0,
    fingerprints: [],
    recent: [],
    constraints: [],
    day: { key: args.dayKey, startMs: args.dayStartMs, admitted: 0, dropped: 0, finishedUsd: { main: 0, experimental: 0 } },
    experimentalShare: args.experimentalShare,
    counters: { submitted: 0, generated: 0, duplicates: 0, started: 0, finished: 0, rejected: 0, dropped: 0, reviewed: 0, spawned: 0, continuedAsNew: 0 },
  };
}

type Raw = Record<string, unknown>;

/**
 * Each step takes a state of version n (as plain JSON) to version n + 1. Steps fill defaults only;
 * the schema judges the result. Add a step here, bump GOD_STATE_VERSION, never edit an old step.
 */
const MIGRATIONS: Record<number, (raw: Raw) => Raw> = {
  // 0 → 1: the first carried states had no version, no fingerprints, no experimental share and
  // did not count continue-as-new.
  0: (raw) => {
    const queue = Array.isArray(raw.queue) ? (raw.queue as Raw[]) : [];
    const known = queue.map((q) => q?.fingerprint).filter((f): f is string => typeof f === 'string');
    const counters = isObject(raw.counters) ? raw.counters : {};
    return {
      ...raw,
      version: 1,
      fingerprints: Array.isArray(raw.fingerprints) ? raw.fingerprints : known,
      experimentalShare: typeof raw.experimentalShare === 'number' ? raw.experimentalShare : DEFAULT_EXPERIMENTAL_SHARE,
      counters: { ...counters, continuedAsNew: typeof counters.continuedAsNew === 'number' ? counters.continuedAsNew : 0 },
    };
  },
  // 1 → 2: standing constraints (src/constraints) joined the state; none were held before.
  1: (raw) => ({ ...raw, version: 2, constraints: Array.isArray(raw.constraints) ? raw.constraints : [] }),
};

function isObject(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(field: string, message: string, details: Record<string, unknown> = {}): PantheonError {
  return PantheonError.of('config_invalid', `carried God state: field "${field}" ${message}`, { details: { field, ...details } });
}

/**
 * Brings a carried state of any known version to the current one and checks it. A state from a
 * newer Pantheon (unknown version) or one that fails the schema throws `config_invalid` naming
 * the field: God must not run on a state it does not understand.
 */
export function migrateGodState(raw: unknown): GodState {
  if (!isObject(raw)) throw invalid('(state)', `must be an object, got ${raw === null ? 'null' : typeof raw}`);
  let version: number;
  if (raw.version === undefined) version = 0;
  else if (typeof raw.version === 'number' && Number.isInteger(raw.version) && raw.version >= 0) version = raw.version;
  else throw invalid('version', `must be a non-negative integer, got ${JSON.stringify(raw.version)}`);
  if (version > GOD_STATE_VERSION) {
    throw invalid('version', `is ${version}, newer than this code understands (${GOD_STATE_VERSION}); run the newer Pantheon or reset God`, { version });
  }
  let state: Raw = raw;
  while (version < GOD_STATE_VERSION) {
    const step = MIGRATIONS[version];
    if (!step) throw invalid('version', `is ${version}, and no migration starts there`, { version });
    state = step(state);
    version += 1;
  }
  const parsed = GodStateSchema.safeParse(state);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.map(String).join('.') || '(state)';
    throw invalid(field, issue.message, { issues: parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`) });
  }
  return parsed.data as GodState;
}

/** UTF-8 bytes of the state's JSON: what continue-as-new carries (kept under 400 KB). */
export function stateBytes(state: GodState): number {
  return utf8Bytes(JSON.stringify(state));
}

/** Counted by hand rather than with TextEncoder so it runs the same in any sandbox. */
export function utf8Bytes(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      bytes += 4; // a surrogate pair is one 4-byte code point
      i += 1;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * Holds the state to its bounds: the newest 50 decisions (each detail trimmed), the newest 300
 * fingerprints, the 100 most-run statistics, each goal's newest 5 outcomes (trimmed), and at most
 * 10 retired specialists, whose system prompts are dropped 7 days after retirement. At every bound
 * this is about 100 KB; the queue and in-flight tasks are never trimmed here (that would lose
 * work) and must be bounded where they enter (the queue at 250 KB, in-flight tasks ~40 KB).
 *
 * `nowMs` dates the retired prompts; it defaults to the start of the state's day, which is
 * deterministic and at most a day early.
 */
export function compactState(state: GodState, config: GodConfig, nowMs: number = state.day.startMs): GodState {
  void config; // bounds that depend on config are enforced at submission; kept for callers' symmetry
  const recent = state.recent
    .slice(-STATE_BOUNDS.recent)
    .map((r) => (r.detail.length > STATE_BOUNDS.recentDetailChars ? { ...r, detail: clip(r.detail, STATE_BOUNDS.recentDetailChars) } : r));
  const fingerprints = state.fingerprints.length > STATE_BOUNDS.fingerprints ? state.fingerprints.slice(-STATE_BOUNDS.fingerprints) : state.fingerprints;
  const specialists = compactSpecialists(state.specialists, nowMs);
  const changed = specialists.length !== state.specialists.length || specialists.some((s, i) => s !== state.specialists[i]);
  return {
    ...state,
    recent,
    fingerprints,
    ...(state.finishedIds && { finishedIds: state.finishedIds.slice(-STATE_BOUNDS.finishedIds) }),
    goals: state.goals.map(compactGoal),
    stats: compactStats(state.stats),
    specialists,
    rosterVersion: changed ? state.rosterVersion + 1 : state.rosterVersion,
    constraints: pruneConstraints(state.constraints, nowMs),
    ...(state.routing && { routing: compactBook(state.routing) }),
  };
}

/**
 * The routing book as God carries it: earlier versions without their arm statistics (a rollback
 * keeps the active record; diff reads rules and settings), at most `policyHistory` of them (the
 * rollback targets); the newest `policyAudit` audit entries (every one is also in God's log);
 * reasons and details trimmed; arm statistics to 6 significant digits. The word tallies are
 * bounded by the core (src/routing/policy/rule-edits.ts).
 */
export function compactBook(book: PolicyBook): PolicyBook {
  const b = STATE_BOUNDS;
  const chars = b.policyDetailChars;
  const history = book.history.slice(-b.policyHistory).map((p) => ({ ...p, arms: {}, reason: clip(p.reason, chars) }));
  const audit = book.audit.slice(-b.policyAudit).map((a) => (a.detail.length > chars ? { ...a, detail: clip(a.detail, chars) } : a));
  const arms = Object.fromEntries(Object.entries(book.active.arms).map(([kind, byArm]) => [kind, Object.fromEntries(Object.entries(byArm).map(([arm, s]) => [arm, roundedStats(s)]))]));
  const active = { ...book.active, arms, reason: clip(book.active.reason, chars) };
  return { ...book, active, history, audit };
}

const sig = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(6)) : x);

/** Rounded, and whole otherwise: the failure run and the change mark are what the change detector reads. */
function roundedStats(s: ArmStats): ArmStats {
  return {
    n: sig(s.n),
    successes: sig(s.successes),
    failures: sig(s.failures),
    costMeanUsd: sig(s.costMeanUsd),
    costM2: sig(s.costM2),
    durationMeanMs: Math.round(s.durationMeanMs),
    ...(s.failStreak !== undefined && { failStreak: s.failStreak }),
    ...(s.changed && { changed: true as const }),
    ...(s.winStreak !== undefined && { winStreak: s.winStreak }),
    ...(s.failedSinceChange !== undefined && { failedSinceChange: s.failedSinceChange }),
    ...(s.recentRuns !== undefined && { recentFailures: s.recentFailures ?? 0, recentRuns: s.recentRuns }),
  };
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function compactGoal(goal: GoalState): GoalState {
  const outcomes = goal.outcomes;
  if (!outcomes) return goal;
  const b = STATE_BOUNDS;
  const over = outcomes.length > b.goalOutcomes || outcomes.some((o) => o.objective.length > b.outcomeObjectiveChars || o.reason.length > b.outcomeReasonChars);
  if (!over) return goal;
  return {
    ...goal,
    outcomes: outcomes.slice(-b.goalOutcomes).map((o) => ({ ...o, objective: clip(o.objective, b.outcomeObjectiveChars), reason: clip(o.reason, b.outcomeReasonChars) })),
  };
}

function compactStats(stats: GodState['stats']): GodState['stats'] {
  const keys = Object.keys(stats);
  if (keys.length <= STATE_BOUNDS.stats) return stats;
  // Least-run go first; among equals the key order decides, so replays agree.
  const kept = keys.sort((a, b) => stats[b].runs - stats[a].runs || (a < b ? -1 : a > b ? 1 : 0)).slice(0, STATE_BOUNDS.stats);
  const out: GodState['stats'] = {};
  for (const key of kept.sort()) out[key] = stats[key];
  return out;
}

function retiredAt(s: SpawnedSpecialist): number {
  return s.retiredAtMs ?? s.createdAtMs;
}

function compactSpecialists(specialists: SpawnedSpecialist[], nowMs: number): SpawnedSpecialist[] {
  const retired = specialists.filter((s) => s.status === 'retired');
  const keep = new Set(
    retired
      .slice()
      .sort((a, b) => retiredAt(b) - retiredAt(a))
      .slice(0, STATE_BOUNDS.retiredKept),
  );
  return specialists
    .filter((s) => s.status !== 'retired' || keep.has(s))
    .map((s) =>
      s.status === 'retired' && s.definition.system_prompt !== '' && nowMs - retiredAt(s) >= STATE_BOUNDS.retiredPromptMs
        ? { ...s, definition: { ...s.definition, system_prompt: '' } }
        : s,
    );
}
