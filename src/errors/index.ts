/**
 * The one failure taxonomy of Pantheon.
 *
 * Every failure has a `type` (a stable string the Web UI and retry policies see), a category, and
 * says whether a retry can help. Activities convert a {@link PantheonError} into a Temporal
 * `ApplicationFailure` with {@link toApplicationFailure}, so the engine retries exactly the
 * failures that can heal and honours a provider's retry-after through `nextRetryDelay`.
 *
 * This module must stay free of Node built-ins: workflows import the type names from it.
 *
 * @example
 *   throw PantheonError.of('rate_limited', 'provider answered 429', { retryAfterMs: 2000 });
 */

/** Who is at fault, in mastra's sense: USER and SYSTEM do not heal by retrying, THIRD_PARTY may. */
export type ErrorCategory = 'user' | 'system' | 'third_party';

interface ErrorTypeSpec {
  readonly category: ErrorCategory;
  readonly retryable: boolean;
}

/** Every failure type Pantheon knows, with whether a retry can cure it. */
export const ERROR_TYPES = {
  // A provider's transient trouble: retrying helps.
  rate_limited: { category: 'third_party', retryable: true },
  provider_unavailable: { category: 'third_party', retryable: true },
  provider_timeout: { category: 'third_party', retryable: true },
  connection_reset: { category: 'third_party', retryable: true },
  malformed_response: { category: 'third_party', retryable: true },
  invalid_output: { category: 'third_party', retryable: true },
  // A provider's permanent refusal: no wait cures these.
  quota_exhausted: { category: 'third_party', retryable: false },
  auth_failed: { category: 'system', retryable: false },
  provider_rejected: { category: 'third_party', retryable: false },
  /** Pantheon stopped the call itself (its activity was cancelled: a requeue, a workflow cancel,
   * shutdown): retrying would undo the stop. The provider may already have billed it. */
  cancelled: { category: 'system', retryable: false },
  // Pantheon's own rules: the same input fails the same way again.
  unknown_model: { category: 'system', retryable: false },
  unknown_price: { category: 'system', retryable: false },
  missing_usage: { category: 'system', retryable: false },
  budget_exceeded: { category: 'user', retryable: false },
  /** A specialist's hourly/daily window is spent: the workflow sends the work elsewhere. */
  agent_budget_exhausted: { category: 'user', retryable: false },
  /** The system circuit breaker is open: the workflow waits for it to close, it does not fail. */
  breaker_open: { category: 'system', retryable: false },
  /** The system windows cannot afford the call now: the workflow waits its turn, it does not fail. */
  system_budget_full: { category: 'system', retryable: false },
  /** The task's lane of the day (main or experimental) cannot afford the call now: the workflow waits, it does not fail. */
  lane_budget_full: { category: 'system', retryable: false },
  task_rejected: { category: 'user', retryable: false },
  invalid_input: { category: 'user', retryable: false },
  unknown_specialist: { category: 'user', retryable: false },
  config_invalid: { category: 'system', retryable: false },
  /** A limits change computed over limits read earlier, refused because the ledger's limits changed
   * since (another operator's change): read them again and apply it over those. */
  limits_changed: { category: 'user', retryable: true },
  iteration_limit: { category: 'system', retryable: false },
  store_unavailable: { category: 'system', retryable: true },
  /** A record or lesson in the memory store is not in the shape Pantheon writes (a shared store
   * written by another, older or broken process; a hand edit), or the embedded store's file is not
   * a SQLite database or is damaged: reading it again fails the same way, so it is not retried;
   * the message names it, for repair or deletion. */
  store_corrupt: { category: 'system', retryable: false },
  /** The Temporal server does not answer (down, a wrong address, TLS or credentials refused): a
   * retry helps once it is up or reachable. */
  temporal_unavailable: { category: 'system', retryable: true },
  /** The dev server Pantheon starts itself could not start (its CLI missing, a port taken, its
   * database file in use by another run): something on this machine must change first. */
  temporal_not_started: { category: 'system', retryable: false },
  /** The budget ledger cannot answer yet (no worker runs it, or its successor cannot read the last state yet). */
  ledger_unavailable: { category: 'system', retryable: true },
  /** God (which holds the standing constraints) runs but does not answer: no worker, or slow. */
  god_unavailable: { category: 'system', retryable: true },
  /** God's queue holds as many tasks (or bytes of them) as it may: it drains as tasks start, so
   * the same submission may be taken later (exit 75). */
  god_queue_full: { category: 'system', retryable: true },
  /** A running task's state query found no worker to answer it (none polls its task queue, or
   * all are stuck): the same command works once one runs. */
  worker_unavailable: { category: 'system', retryable: true },
  /** A worker process's task worker stopped polling without a SIGINT/SIGTERM: the process exits
   * non-zero so its supervisor restarts it (a clean exit would look like a deliberate stop). */
  worker_stopped: { category: 'system', retryable: true },
  /** This worker was asked to stop (SIGTERM, Ctrl-C): a specialist run stops between calls, at its
   * checkpoint, instead of starting calls the end of the drain would cut (and pay for again). */
  worker_draining: { category: 'system', retryable: true },
} as const satisfies Record<string, ErrorTypeSpec>;

export type ErrorType = keyof typeof ERROR_TYPES;

/**
 * The failure types an agentTask workflow fails its own execution with, one per terminal state
 * that is a failure. Never retryable; the task's full outcome (TaskOutcome) is the failure's
 * first detail, so every reader of a closed task finds it whether the run completed or failed
 * (src/tasks/closed-outcome.ts). rejected and cancelled tasks still complete with their outcome.
 */
export const TASK_FAILURE_TYPES = {
  dead_lettered: 'TaskDeadLettered',
  budget_exceeded: 'TaskBudgetExceeded',
} as const;

export type FailedTaskStatus = keyof typeof TASK_FAILURE_TYPES;
export type TaskFailureType = (typeof TASK_FAILURE_TYPES)[FailedTaskStatus];

/** Whether a terminal status closes its workflow as failed. */
export function isFailedTaskStatus(status: string): status is FailedTaskStatus {
  return Object.prototype.hasOwnProperty.call(TASK_FAILURE_TYPES, status);
}

/** Whether a failure type is one a task failed its execution with (its outcome in the details). */
export function isTaskFailureType(type: string | undefined | null): type is TaskFailureType {
  return (Object.values(TASK_FAILURE_TYPES) as string[]).includes(type ?? '');
}

/** Failure types whose retries are not worth the money: the activity fails at once. */
export const NON_RETRYABLE_TYPES: readonly ErrorType[] = (Object.keys(ERROR_TYPES) as ErrorType[]).filter(
  (t) => !ERROR_TYPES[t].retryable,
);

export interface PantheonErrorOptions {
  /** JSON-safe facts about the failure (never a secret: these reach the Web UI). */
  details?: Record<string, unknown>;
  /** A provider's retry-after, honoured as the next retry delay. */
  retryAfterMs?: number;
  cause?: unknown;
}

export class PantheonError extends Error {
  readonly type: ErrorType;
  readonly category: ErrorCategory;
  readonly retryable: boolean;
  readonly details: Record<string, unknown>;
  readonly retryAfterMs?: number;

  constructor(type: ErrorType, message: string, options: PantheonErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PantheonError';
    this.type = type;
    this.category = ERROR_TYPES[type].category;
    this.retryable = ERROR_TYPES[type].retryable;
    this.details = options.details ?? {};
    this.retryAfterMs = options.retryAfterMs;
  }

  static of(type: ErrorType, message: string, options?: PantheonErrorOptions): PantheonError {
    return new PantheonError(type, message, options);
  }

  toJSON(): Record<string, unknown> {
    return { type: this.type, message: this.message, retryable: this.retryable, details: this.details };
  }
}

/**
 * Whether a failed LLM call may have been billed, as its evidence shows: `details.billed` of the
 * error. 'no' only when the provider answered with an HTTP error status (it refused before
 * generating anything) or no request was sent at all; anything else may have been billed.
 */
export type Billed = 'no' | 'maybe';

/** True only for a failure that carries proof nothing was billed: its reservation may be released. */
export function provedUnbilled(err: unknown): boolean {
  return err instanceof PantheonError && err.details.billed === 'no';
}

/** What the budget ledger charged for a failed call that may have been billed (its worst case),
 * from `details.charged` of the error the budgeted client raised; zero for any other error. */
export function chargedFor(err: unknown): { usd: number; tokens: number } {
  const charged = err instanceof PantheonError ? (err.details.charged as { usd?: unknown; tokens?: unknown } | undefined) : undefined;
  const usd = typeof charged?.usd === 'number' ? charged.usd : 0;
  const tokens = typeof charged?.tokens === 'number' ? charged.tokens : 0;
  return { usd, tokens };
}

export function isPantheonError(err: unknown): err is PantheonError {
  return err instanceof PantheonError;
}

export function isErrorType(value: unknown): value is ErrorType {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_TYPES, value);
}
