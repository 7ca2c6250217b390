import type { StoreMemoryInput } from '../activities/types';
import type { Lineage } from '../tasks/lineage';

/** The agentTask workflow's state: what its query answers and what it returns when it ends. */

export const TERMINAL_STATUSES = ['completed', 'rejected', 'dead_lettered', 'cancelled', 'budget_exceeded'] as const;
export type TerminalStatus = (typeof TERMINAL_STATUSES)[number];
/** requeuing: the sweeper requeued the task and its abandoned run is stopping; the new run starts
 * once it has. waiting_budget: the circuit breaker is open, or the system windows cannot afford the next call
 * yet; the task waits (in the admission queue), it does not fail. waiting_provider: its specialist's
 * run failed through its retries on a provider outage; the same run goes on after a wait
 * (src/tasks/provider-wait.ts). */
export const ACTIVE_STATUSES = ['queued', 'validating', 'routing', 'running', 'compressing', 'storing', 'waiting_budget', 'waiting_provider', 'requeuing'] as const;
export type ActiveStatus = (typeof ACTIVE_STATUSES)[number];
export type TaskStatus = ActiveStatus | TerminalStatus;
/** Statuses in which no specialist run is in progress, the task waits on something else: the
 * breaker or full windows (waiting_budget), a provider outage (waiting_provider), or its abandoned
 * run stopping after a requeue (requeuing, bounded by the activity's heartbeat timeout). The
 * stale-task sweeper does not judge a task meanwhile, and does not count the waits in its run's age. */
export const WAITING_STATUSES: readonly string[] = ['waiting_budget', 'waiting_provider', 'requeuing'];

export interface FailureRecord {
  specialist?: string;
  activity: string;
  type: string;
  message: string;
  /** How the engine's retries ended: MAXIMUM_ATTEMPTS_REACHED, NON_RETRYABLE_FAILURE, TIMEOUT… */
  retryState: string;
  /** The attempt that failed last, when the activity reported it. */
  attempts?: number;
  /** What the failed specialist run had spent and done, when the activity reported it. */
  runCostUsd?: number;
  runTokens?: number;
  runIterations?: number;
  /** For breaker_open: when the tripped window ends. */
  retryAtMs?: number;
  /** The run had advanced through its retries and went on from this iteration, the same
   * specialist in a new activity (RESUME_AFTER_PROGRESS_PATCH). */
  resumedFrom?: number;
  /** A provider outage: the task waited this long and the same run went on (no lesson is taught
   * of it: the specialist did nothing wrong; src/tasks/provider-wait.ts). */
  waitedMs?: number;
}

export interface TaskState {
  taskId: string;
  status: TaskStatus;
  objective: string;
  priority: string;
  specialist?: string;
  /** policyVersion: the routing policy version that decided (0: the roster's rules, no God running). */
  route?: { method: string; confidence: number; reason: string; policyVersion?: number; policyMode?: 'explore' };
  iteration: number;
  /** Each compression: the specialist's prompt tokens without and with it, and its pinned facts
   * (constraints, inputs, final decisions, memory warnings) and how many the next prompt kept
   * verbatim. The pinned counts are absent for compressions made before they were recorded. */
  compressions: Array<{ atIteration: number; promptTokensBefore: number; promptTokensAfter: number; pinnedFacts?: number; pinnedKept?: number }>;
  /** Prompt tokens of every specialist call, in order: shows compression at work. */
  promptTokens: number[];
  costUsd: number;
  tokens: number;
  /** Why the task ended as it did (rejection reasons, the failure, or the completion). */
  reasons: string[];
  failures: FailureRecord[];
  result?: string;
  memoryId?: string;
  /** The memory record the task could not write when it ended (the store was down through the
   * activity's retries): what `backfillMemory` writes later. Search attribute PantheonMemoryPending. */
  memoryPending?: MemoryPending;
  /** Specialists that ran, in order; more than one means the task was reassigned. */
  specialistsTried: string[];
  /** Set by the stale-task sweeper. */
  stale?: string;
  requeues: number;
  /** What the stale-task sweeper measures (search attribute PantheonActiveSince = startedMs +
   * excludedMs): when the current specialist run (or the task, before one) started or was
   * requeued, and how long it has waited for budget since. */
  runClock?: { startedMs: number; excludedMs: number };
  /** The dead-lettered task this one redrives. */
  redriveOf?: string;
  /** While waiting for budget (and after, if the task ended waiting): why, and its place in line. */
  budgetWait?: {
    type: string;
    /** The ledger's reason, with spend, limit and queue position. */
    reason: string;
    scope?: string;
    /** In the admission queue: 1 = next. */
    position?: number;
    waiting?: number;
    retryAtMs?: number;
    sinceMs: number;
    /** Checks of this wait so far. */
    checks: number;
  };
  /** Waits for a provider outage to pass (src/tasks/provider-wait.ts), over the task's life: how
   * many, how long in all (bounded by the task's providerWaitSeconds), and the last one's reason. */
  providerWait?: { waits: number; waitedMs: number; reason: string; sinceMs: number; retryAtMs: number };
  /** Root, parent and spawn depth; set once the input is valid. Every LLM call carries it. */
  lineage?: Lineage;
  /** What the budget ledger charged the task over its life, asked when it ended; costUsd and
   * tokens are the larger of this and the task's own count. */
  bill?: { usd: number; tokens: number; known: boolean; chargedOutstanding: number };
}

/** A memory write deferred past the task's end: the store-memory activity's input, and why it failed. */
export interface MemoryPending {
  input: StoreMemoryInput;
  error: string;
  /** Workflow time of the last failed attempt. */
  failedAtMs: number;
}

export type TaskOutcome = TaskState & { status: TerminalStatus };

export function isTerminal(status: TaskStatus): status is TerminalStatus {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}
