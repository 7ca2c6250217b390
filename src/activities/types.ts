import type { PolicyDecision } from '../routing/policy/book';
import type { BudgetWait } from '../budget/waiting';
import type { CarriedSummary, ContextSummary } from '../compression/summary';
import type { ChatMessage } from '../llm/types';
import type { FailedAttempt } from '../memory/recall-for-prompt';
import type { MemoryRecord } from '../memory/types';
import type { Task } from '../tasks/task-input';

/** Payloads between the agentTask workflow and its activities. Plain data: they show in the Web UI. */

export interface ValidateTaskInput {
  taskId: string;
  task: Task;
  /** The task's books before validation (nothing, unless it was reset and validates again); absent
   * in inputs from before it was sent, read as nothing. Its second stage's call names them to the
   * budget gate like any call, which then may grant it from a lease. */
  spent?: SpentSoFar;
}

export interface ValidateTaskResult {
  ok: boolean;
  reasons: string[];
  /** Which stage decided (src/tasks/validation-stages.ts); absent in results from before two stages. */
  stage?: 'rules' | 'model' | 'rules_fallback';
  notes?: string[];
  /** The second stage's call, when one was made (already billed to the task by the ledger); the
   * task adds both to its own books. Results from before tokens were reported carry cost only. */
  costUsd?: number;
  tokens?: number;
}

/** What the task has spent before this activity, by its own books (the workflow's totals). The
 * ledger holds the per-task limits against it: it forgets idle tasks, the task does not. */
export interface SpentSoFar {
  usd: number;
  tokens: number;
}

export interface RouteTaskInput {
  taskId: string;
  task: Task;
  spent?: SpentSoFar;
}

export interface RouteDecision {
  specialist: string;
  confidence: number;
  reason: string;
  /** 'spawned': God started the task on a specialist it spawned (the task's `pick`). */
  method: 'requested' | 'rules' | 'classifier' | 'fallback' | 'spawned';
  /** The routing policy version that decided (0: the roster's rules, no God running); absent in
   * decisions recorded before routing was versioned. */
  policyVersion?: number;
  /** 'explore' when the policy's pick was an exploration (or a probe of a sidelined arm), not its
   * best guess: the status headline says so (absent: a best guess, or no policy). */
  policyMode?: 'explore';
  /** Set when God's policy chose among arms for a task God did not route: the task tells God its
   * outcome when it ends (`routedOutcome`), so God learns from it too. */
  learn?: RoutedChoice;
  /** Every specialist in preference order, the chosen one first: the reassignment order. */
  candidates: string[];
  /** Recalled from memory: what failed or worked on similar tasks. Data, not instructions. */
  warnings: string[];
  /** The specialist `warnings` were recalled for (as recallForRun would, lesson hits counted):
   * its first run needs no recallForRun. Absent when memory did not answer, and in decisions
   * recorded before routing recalled for the run (their `warnings` are the task's general lines). */
  recalledFor?: string;
  /** The lessons among `warnings` (with `recalledFor`). */
  lessonIds?: string[];
  costUsd: number;
  tokens: number;
}

/** A routing policy's choice for a task, as God learns from it when the task ends. */
export interface RoutedChoice {
  godId: string;
  kind: string;
  value: number;
  decision: PolicyDecision;
}

export interface RunSpecialistInput {
  taskId: string;
  specialist: string;
  task: Task;
  warnings: string[];
  /** The compressed account of earlier iterations, when there was a compression (a plain string
   * when an older worker wrote it). */
  summary?: CarriedSummary;
  /** Turns since the last compression (or the start). */
  history: ChatMessage[];
  /** Iterations done so far, across compressions. */
  iteration: number;
  spent?: SpentSoFar;
  /** The run checks for budget after a wait (the task shows waiting_budget): once the ledger lets its
   * first call through, it signals its workflow budgetAdmitted with this check's number. */
  announceAdmission?: number;
  /** No other candidate is left to take the task: a spent window of the specialist's own (its
   * hour, its day) pauses the run until the window ends, as full system windows do, instead of
   * failing it with agent_budget_exhausted. */
  waitForAgentWindow?: boolean;
}

export interface RunSpecialistResult {
  /** paused: the ledger said "not now" (an open breaker, full system windows); the workflow waits
   * and continues from this history. */
  outcome: 'done' | 'needs_compression' | 'iteration_limit' | 'paused';
  /** When paused: when room comes for sure (the breaker's or the window's end), if known. */
  retryAtMs?: number;
  /** When paused: why, and the task's place in the admission queue. */
  wait?: BudgetWait;
  result?: string;
  /** The last step's note: the approach, for memory. */
  lastNote: string;
  history: ChatMessage[];
  iteration: number;
  costUsd: number;
  tokens: number;
  /** Prompt tokens of each call this run made, in order. */
  promptTokens: number[];
}

/** The specialist's conversation so far: what is summarised. */
export type CompressContextInput = Omit<RunSpecialistInput, 'iteration'>;

export interface CompressContextResult {
  summary: ContextSummary;
  costUsd: number;
  tokens: number;
  /** The specialist's next prompt without and with compression. */
  promptTokensBefore: number;
  promptTokensAfter: number;
  /** Pinned facts (constraints, inputs, final decisions, memory warnings) and how many of them the
   * specialist's next prompt holds verbatim: all, by construction; checked, so the Web UI shows it. */
  pinnedFacts: number;
  pinnedKept: number;
}

export interface RecallForRunInput {
  taskId: string;
  task: Task;
  /** The specialist about to run. */
  specialist: string;
  /** This task's failed attempts so far, oldest first (empty on the first run). */
  attempts: FailedAttempt[];
}

export interface RecallForRunResult {
  /** Labelled, quoted memory lines, at most 5 and 1,500 characters. Data, not instructions. */
  warnings: string[];
  /** The lessons among them (absent from results recorded before lessons were recalled). */
  lessonIds?: string[];
}

/** The outcome's facts, as the memory record keeps them (absent from workflows older than them). */
type OutcomeFacts = Partial<Pick<MemoryRecord, 'failureType' | 'routeMethod' | 'policyVersion' | 'iterations' | 'tokens' | 'durationMs' | 'kind'>>;

export interface StoreMemoryInput extends OutcomeFacts {
  taskId: string;
  specialist: string;
  task: Task;
  approach: string;
  result: string;
  success: boolean;
  costUsd: number;
  lessons: string[];
  /** When the task ended (workflow time, ISO-8601): the record's time, even when it is written later by the backfill. */
  endedAt?: string;
  /** Lessons the task was shown: a success marks them helped (once: only when the record is new). */
  lessonsShown?: string[];
}

/** storeMemory's input: the record, and whether to close the task's bill with it. */
export interface StoreOutcomeInput extends StoreMemoryInput {
  /** The task's last activity: close its bill and write the record with it (absent from workflows
   * before it, and from backfills, which have their bill already). */
  closeBill?: boolean;
}

export interface StoreMemoryResult {
  id: string;
  stored: boolean;
  /** The task's bill when the input asked for it and the ledger answered; else the workflow asks
   * closeTaskBill (an older worker answers without it too). */
  bill?: TaskBillResult;
}

export interface AlertInput {
  /** Stable per event, e.g. `${taskId}:dead_letter`, so receivers can drop duplicates. */
  id: string;
  kind: string;
  message: string;
  /** JSON-safe facts; never a secret. */
  details: Record<string, unknown>;
}

export const STALE_POLICIES = ['flag', 'requeue', 'cancel'] as const;
export type StalePolicy = (typeof STALE_POLICIES)[number];

export interface SweepStaleTasksInput {
  policy: StalePolicy;
  /** Only tasks on this queue; unset sweeps every agentTask in the namespace. */
  taskQueue?: string;
}

export interface SweepReport {
  checked: number;
  stale: Array<{ taskId: string; specialist: string; ageMinutes: number; action: StalePolicy }>;
}

export interface CloseTaskBillInput {
  taskId: string;
}

/** The ledger's lifetime bill of a task, answered when the task ends. */
export interface TaskBillResult {
  usd: number;
  tokens: number;
  /** False when the ledger no longer knew the task (already closed, or idle past its memory). */
  known: boolean;
  /** Calls still reserved at the end (their callers died), charged at their worst case. */
  chargedOutstanding: number;
}
