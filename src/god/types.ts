import type { Lane, Task } from '../tasks/task-input';
import type { PolicyDecision } from '../routing/policy/book';
import type { PolicyBook } from '../routing/policy/types';
import type { KindDecision } from '../routing/memory-kind';
import type { TerminalStatus } from '../workflows/task-state';
import type { StandingConstraint } from '../constraints/schema';

/**
 * The God workflow's state and the plain data its pure decisions trade in. All of it is JSON: the
 * state is carried through continue-as-new (with {@link GOD_STATE_VERSION}, migrated on start)
 * and answered by God's queries. Keep it compact: the whole state stays under 400 KB (the queue's 250 KB included).
 */

export const GOD_STATE_VERSION = 2;

/** What God decided for one task. */
export type DecisionKind = 'route' | 'chain' | 'spawn' | 'review' | 'reject' | 'drop';

/** A standing goal: God generates concrete tasks for it on its cadence. */
export interface Goal {
  id: string;
  objective: string;
  /** 1–10: how much a task of this goal is worth (the prioritiser's weight). */
  value: number;
  /** Generate new tasks at most this often. */
  cadenceMinutes: number;
  /** The largest share of the day's budget this goal's tasks may take (0–1). */
  budgetShare: number;
  /** Exploratory goals are paid by the experimental lane. */
  lane: Lane;
  /** At most this many tasks per generation. */
  tasksPerRun: number;
}

export interface GoalState extends Goal {
  addedAtMs: number;
  /** Workflow time of the last generation (0: never). */
  lastGeneratedAtMs: number;
  generated: number;
  /** Spend of its tasks today (finished ones), for budgetShare. */
  spentTodayUsd: number;
  /** Its tasks God started today (absent in states from before: none yet). A goal at 0 may start
   * one task past a lane's hold (src/god/prioritise.ts). */
  startedToday?: number;
  /** What its last generation (the generator call) cost: the room its next one needs. */
  lastGenerationCostUsd?: number;
  /** Its newest finished tasks (at most 5): what the generator is told came of earlier work. */
  outcomes?: Array<{ objective: string; status: string; reason: string }>;
  /** Why it did not generate when it last came due (absent once it generates). */
  notGenerated?: { atMs: number; reason: string };
}

/** The pre-flight assessment of a task (the assessTask activity): facts, not decisions. */
export interface Assessment {
  /** The same verdict validateTask gives: a rejected task never reaches a specialist. */
  ok: boolean;
  reasons: string[];
  /** A coarse task kind for statistics, e.g. "database", "research", "general". */
  kind: string;
  /** The specialist the current routing (rules, then classifier) picks, and how sure it is. */
  specialist: string;
  confidence: number;
  method: string;
  /** Specialists whose keywords the task matches, best first (chain candidates). */
  ranked: string[];
  /** Why the task cannot be undone if wrong (drop, delete, production writes); empty if none. */
  irreversible: string[];
  /** A proposed chain of 2–4 specialists when the task spans several, else absent. */
  plan?: string[];
  /** Estimated cost of one run, from the task's size and the specialist's model (USD). */
  estimatedCostUsd: number;
  /** With `plan`: each step's estimated run on its own specialist (USD). Absent in assessments
   * recorded before it existed; those price every step like `estimatedCostUsd`. */
  planEstimatesUsd?: number[];
  /** One run of each specialist on the roster (USD; in assessments from before any specialist with
   * a record could be an arm, the rule-ranked ones): the routing policy's per-arm cost estimates.
   * Absent in assessments recorded before the policy routed. */
  armEstimatesUsd?: Record<string, number>;
  /** The routing policy's kind for the task and what similar past tasks in memory say of each
   * specialist (src/routing/memory-kind.ts). Absent in assessments from before it, or when the
   * task was refused. */
  routingKind?: KindDecision;
  /** The roster's fallback specialist: an arm when every other arm keeps failing the kind. */
  fallbackSpecialist?: string;
}

/** Where a task is inside God before it is started. */
export type QueueStatus = 'assessing' | 'awaiting_review' | 'queued';

export interface QueuedTask {
  taskId: string;
  task: Task;
  status: QueueStatus;
  submittedAtMs: number;
  /** 'submitted' (update or CLI) or 'generated' (by a goal). Generated tasks not started by the
   * day's end are dropped; submitted ones wait. */
  source: 'submitted' | 'generated';
  goalId?: string;
  lane: Lane;
  assessment?: Assessment;
  decision?: Decision;
  /** The decision before the routing policy picked a specialist for it: what the policy picks
   * from again when the task can start (src/god/routing.ts pickAgain). */
  beforePolicy?: Decision;
  /** While awaiting review: why, and when the default applies. `costOnly`: its one reason is its
   * cost against what was left of the day, so it leaves review once that no longer holds
   * (review.ts releaseAffordable). */
  review?: { reasons: string[]; sinceMs: number; deadlineMs: number; costOnly?: true };
  /** Why it is still waiting (runway, pause, breaker, failed assessments). */
  waitReason?: string;
  fingerprint?: string;
  /** Failed assessments in a row, and when it is assessed again (src/god/assess-backoff.ts). */
  assessFailures?: number;
  assessAfterMs?: number;
}

export interface Decision {
  kind: DecisionKind;
  reason: string;
  /** route/spawn: the specialist; chain: the first step. */
  specialist?: string;
  plan?: string[];
  lane: Lane;
  /** What God expects the task to cost and its chance of success (from statistics). */
  expectedCostUsd: number;
  expectedSuccess: number;
  atMs: number;
  /** Set when the routing policy chose `specialist`: what it learns from when the task ends. */
  policy?: PolicyChoice;
}

/** A routing policy's choice for one task, kept until the task ends (then `observe`d). */
export interface PolicyChoice {
  kind: string;
  /** What a success was worth (goal value ÷ 5 × priority weight). */
  value: number;
  decision: PolicyDecision;
}

/** A task God started and has not yet heard the end of. */
export interface InFlightTask {
  taskId: string;
  workflowType: 'agentTask' | 'taskChain';
  kind: string;
  specialist: string;
  lane: Lane;
  goalId?: string;
  expectedCostUsd: number;
  /** A chain's plan: its statistics are kept under it (see `chainStatsName`). */
  plan?: string[];
  startedAtMs: number;
  /** The task's objective, trimmed: what the goal's generator hears back about. */
  objective?: string;
  /** The routing policy's choice: what it learns from when the task ends. */
  policy?: PolicyChoice;
}

/** What a finished task tells God (the taskFinished signal, or reconciliation). */
export interface TaskFinished {
  taskId: string;
  status: TerminalStatus;
  costUsd: number;
  tokens: number;
  durationMs: number;
  specialist?: string;
  /** The first reason, trimmed. */
  reason: string;
  /** The start of the result, for a chain's next step; never the transcript. */
  summary?: string;
}

/** Per task kind and specialist: what history says a task costs and how often it succeeds. */
export interface KindStats {
  runs: number;
  successes: number;
  /** Exponentially weighted means (recent runs count more). */
  meanCostUsd: number;
  meanDurationMs: number;
  /** Times the route fell back to the fallback specialist for this kind. */
  fallbacks: number;
}

/** A specialist God spawned: versioned roster data every worker picks up without a restart. */
export interface SpawnedSpecialist {
  name: string;
  version: number;
  status: 'trial' | 'live' | 'retired';
  /** The definition as validated (same fields as an agents/*.yaml file). */
  definition: {
    name: string;
    description: string;
    provider: 'openai' | 'anthropic';
    model: string;
    keywords: string[];
    system_prompt: string;
    expected_duration_minutes: number;
    max_output_tokens: number;
  };
  kind: string;
  createdAtMs: number;
  runs: number;
  successes: number;
  retiredReason?: string;
  /** When it was retired (its system prompt is compacted away a week later). */
  retiredAtMs?: number;
}

/** One line of God's audit trail (the newest few are kept in state; all go to the log). */
export interface DecisionRecord {
  atMs: number;
  taskId?: string;
  kind: DecisionKind | 'generated' | 'admitted' | 'finished' | 'operator' | 'spawned' | 'retired' | 'constraint';
  detail: string;
}

export interface DayState {
  /** Calendar day in the ledger's time zone, YYYY-MM-DD. */
  key: string;
  startMs: number;
  admitted: number;
  dropped: number;
  /** Spend of tasks that finished today, per lane (God's own view; the ledger's is the truth). */
  finishedUsd: Record<Lane, number>;
}

export interface GodCounters {
  submitted: number;
  generated: number;
  duplicates: number;
  started: number;
  finished: number;
  rejected: number;
  dropped: number;
  reviewed: number;
  spawned: number;
  continuedAsNew: number;
}

export interface GodState {
  version: typeof GOD_STATE_VERSION;
  /** `by`: who paused, when the pause named them (absent in pauses from before it). */
  paused?: { reason: string; sinceMs: number; by?: string };
  /** Next number for task ids God makes. */
  seq: number;
  goals: GoalState[];
  queue: QueuedTask[];
  inFlight: InFlightTask[];
  /** Key `${kind}|${specialist}`. */
  stats: Record<string, KindStats>;
  specialists: SpawnedSpecialist[];
  /** Bumped on every change to `specialists`: workers refresh their roster when it moves. */
  rosterVersion: number;
  /** Fingerprints of recently generated tasks (newest last, bounded): duplicates are dropped. */
  fingerprints: string[];
  /** Newest last, bounded. */
  recent: DecisionRecord[];
  /** Ids of tasks that finished lately (newest last, bounded): a resubmission of one is a no-op. */
  finishedIds?: string[];
  /** Standing constraints (at most 50 active; expired ones are pruned by compaction). */
  constraints: StandingConstraint[];
  day: DayState;
  experimentalShare: number;
  counters: GodCounters;
  /** The routing policy: active version, history, candidate, probation (src/routing/policy).
   * Absent in states from before it; seeded from the roster on the first tick that routes. */
  routing?: PolicyBook;
  /** Whether the routing policy learned an outcome (or was rolled back) since the queued tasks were
   * last picked for again, carried so a new run does not draw again from the same record. Absent
   * in states from before it: read as learned (a new run picked again, as those runs did). */
  learnedSincePick?: boolean;
}

/** God's settings: the workflow input, carried unchanged through continue-as-new. */
export interface GodConfig {
  /** How often God wakes up to generate, decide, admit and reconcile. */
  tickSeconds: number;
  /** 'even': never spend ahead of the clock (plus `pacingBurst` of the day); 'none': no pacing. */
  pacing: 'even' | 'none';
  pacingBurst: number;
  /** Awaiting review longer than this applies `reviewDefault`. */
  reviewTimeoutHours: number;
  reviewDefault: 'reject' | 'approve';
  /** A task whose expected cost exceeds this share of the day's remaining budget goes to review. */
  reviewCostShare: number;
  /** Below this routing confidence: consider spawning, else review. */
  lowConfidence: number;
  maxChainSteps: number;
  maxLiveSpawned: number;
  maxSpawnsPerDay: number;
  /** A spawned specialist's first runs: experimental lane and human review. */
  spawnTrialRuns: number;
  /** Continue-as-new after this many history events even if the server does not suggest it
   * (tests force a storm with a small number). */
  continueAsNewEvents: number;
  /** Absent in configs carried from before it (those runs continue by events alone). */
  continueAsNewBytes?: number;
  /** Ask visibility about in-flight tasks every this many ticks (and at each run's start). */
  reconcileEveryTicks: number;
  /** Bounds on state: queue length and bytes of queued task JSON. */
  maxQueue: number;
  maxQueueBytes: number;
  maxInFlight: number;
  /** The task queue God starts tasks on. */
  taskQueue: string;
  /** Seed of the routing policy's random stream when it is first seeded (default: from God's workflow id). */
  routingSeed?: number;
  /** `learned` (default): the routing policy chooses; `static`: rules and classifier alone. Absent in configs from before it (learned). */
  routing?: 'learned' | 'static';
  /** Probe quarantined arms and arms on trial (default true; absent in configs from before it: off, as they ran). */
  routingProbes?: boolean;
  /** A task queued this long holds its lane's room until it fits (default 120; absent in configs from before it). */
  holdAfterMinutes?: number;
}
