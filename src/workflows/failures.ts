import { ActivityFailure, ApplicationFailure, CancelledFailure, TimeoutFailure } from '@temporalio/workflow';
import { budgetWaitFrom, type BudgetWait } from '../budget/waiting';
import { NON_RETRYABLE_TYPES } from '../errors';
import type { ChatMessage } from '../llm/types';
import type { FailureRecord } from './task-state';

/** The budget denial an activity failed on, when it is one a task waits out (an open breaker,
 * full system windows); undefined for every other failure. */
export function budgetWaitOf(err: unknown): BudgetWait | undefined {
  let cause: unknown = err;
  while (cause instanceof ActivityFailure && cause.cause) cause = cause.cause;
  if (!(cause instanceof ApplicationFailure)) return undefined;
  return budgetWaitFrom(cause.type, cause.message, cause.details?.[0] as Record<string, unknown> | undefined);
}

/** The innermost typed cause of an activity failure, as the failure chain records it. */
export function describeFailure(err: unknown, activity: string, specialist?: string): FailureRecord {
  let cause: unknown = err;
  while (cause instanceof ActivityFailure && cause.cause) cause = cause.cause;
  const retryState = err instanceof ActivityFailure ? err.retryState : undefined;
  const base = { activity, specialist, retryState: retryState ?? 'UNKNOWN' };
  if (cause instanceof ApplicationFailure) {
    const details = (cause.details?.[0] ?? {}) as { attempt?: number; runCostUsd?: number; runTokens?: number; runIterations?: number; retryAtMs?: number };
    return {
      ...base,
      type: cause.type ?? 'unexpected',
      message: cause.message,
      attempts: details.attempt,
      runCostUsd: details.runCostUsd,
      runTokens: details.runTokens,
      runIterations: details.runIterations,
      ...(details.retryAtMs !== undefined && { retryAtMs: details.retryAtMs }),
    };
  }
  // A run that timed out (its worker died or stalled) left its spend in its last checkpoint.
  const spend = cause instanceof TimeoutFailure ? spendOfCheckpoint(cause.lastHeartbeatDetails) : undefined;
  return {
    ...base,
    type: cause instanceof Error ? cause.name : 'unexpected',
    message: cause instanceof Error ? cause.message : String(cause),
    ...(typeof spend?.runCostUsd === 'number' && { runCostUsd: spend.runCostUsd }),
    ...(typeof spend?.runTokens === 'number' && { runTokens: spend.runTokens }),
  };
}

/**
 * Whether another specialist might succeed: the engine gave up after every retry (or the
 * activity timed out), as opposed to a failure no retry and no other specialist can cure.
 */
export function retriesExhausted(failure: FailureRecord): boolean {
  return failure.retryState === 'MAXIMUM_ATTEMPTS_REACHED' || failure.retryState === 'TIMEOUT';
}

/** The failure as `type: message`, its type once: a budget denial's message starts with its type already.
 *
 * @example failureText({ type: 'agent_budget_exhausted', message: 'agent_budget_exhausted: agent:X:hour …' }) // 'agent_budget_exhausted: agent:X:hour …' */
export function failureText({ type, message }: Pick<FailureRecord, 'type' | 'message'>): string {
  return message.startsWith(`${type}:`) ? message : `${type}: ${message}`;
}

/** What a failed attempt teaches, as a failure record's lesson: unlabelled, since a later prompt
 * quotes it under its own label (a past failure's "Lessons: …"), where this task's attempt label
 * would say the wrong thing. */
export function failureLesson(failure: FailureRecord): string {
  return `${failure.specialist ?? 'a specialist'} failed in ${failure.activity} with ${failureText(failure).slice(0, 200)}`;
}

/** A one-line account the next specialist reads, so it does not repeat what failed. */
export function failureWarning(failure: FailureRecord): string {
  return `[pantheon: earlier attempt] ${failure.specialist ?? 'a specialist'} failed in ${failure.activity} with ${failureText(failure).slice(0, 200)}. Take a different approach.`;
}

/**
 * Whether an activity stopped because its cancel was asked for, though no cancellation reached
 * it: it timed out (its worker died, so the cancel could not be delivered) or failed before the
 * cancel arrived. The engine does not retry an activity with a cancel pending, and says so
 * (CANCEL_REQUESTED). Only activities cancelled with WAIT_CANCELLATION_COMPLETED end this way.
 */
export function stoppedWhileCancelling(err: unknown): boolean {
  if (!(err instanceof ActivityFailure) || err.retryState !== 'CANCEL_REQUESTED') return false;
  // A failure no retry could cure (the task's budget spent, a specialist missing) is the run's own
  // end, whatever was pending: the task handles it as that failure.
  const cause = err.cause;
  return !(cause instanceof ApplicationFailure && (cause.nonRetryable || (NON_RETRYABLE_TYPES as readonly string[]).includes(cause.type ?? '')));
}

/**
 * What an abandoned specialist run had spent before it stopped. A cancelled run reports it in its
 * cancellation's details (src/errors/temporal.ts), a failed one in its failure's; a run whose
 * worker died left it in its last heartbeat (the checkpoint). Zero when there is none (it had not
 * started, or the history predates the report).
 */
export function abandonedRunSpend(err: unknown): { usd: number; tokens: number; iterations?: number } {
  let cause: unknown = err;
  while (cause instanceof ActivityFailure && cause.cause) cause = cause.cause;
  const details = (
    cause instanceof CancelledFailure || cause instanceof ApplicationFailure
      ? cause.details?.[0]
      : cause instanceof TimeoutFailure
        ? spendOfCheckpoint(cause.lastHeartbeatDetails)
        : undefined
  ) as { runCostUsd?: unknown; runTokens?: unknown; runIterations?: unknown } | undefined;
  const usd = typeof details?.runCostUsd === 'number' ? details.runCostUsd : 0;
  const tokens = typeof details?.runTokens === 'number' ? details.runTokens : 0;
  // The task's iteration the run had reached (absolute, as a failed run's runIterations).
  const iterations = typeof details?.runIterations === 'number' ? details.runIterations : undefined;
  return { usd, tokens, ...(iterations !== undefined && { iterations }) };
}

/** A run's checkpoint (src/activities/run-specialist.ts) in the shape its failures report spend. */
function spendOfCheckpoint(checkpoint: unknown): { runCostUsd?: unknown; runTokens?: unknown; runIterations?: unknown } | undefined {
  if (typeof checkpoint !== 'object' || checkpoint === null) return undefined;
  const { costUsd, tokens, iteration } = checkpoint as { costUsd?: unknown; tokens?: unknown; iteration?: unknown };
  return { runCostUsd: costUsd, runTokens: tokens, runIterations: iteration };
}

/** Where a failed specialist run had got to: its checkpoint, and what it spent getting there. */
export interface RunProgress {
  iteration: number;
  history: ChatMessage[];
  promptTokens: number[];
  usd: number;
  tokens: number;
}

/**
 * The progress of a specialist run that failed after all its retries yet advanced past
 * `startedAt` meanwhile (each retry resumes from the last checkpoint, and a storm of provider
 * errors can use up the attempts while the run still moves): its last attempt's checkpoint, from
 * its failure's details or, when that attempt's worker died, its last heartbeat. Undefined for
 * any other failure: one no retry cures, a cancel, a run that made no progress, or a checkpoint
 * that does not have the shape the activity writes.
 */
export function progressOf(err: unknown, startedAt: number): RunProgress | undefined {
  if (!(err instanceof ActivityFailure) || err.retryState !== 'MAXIMUM_ATTEMPTS_REACHED') return undefined;
  const cause = err.cause;
  let raw: Record<string, unknown> | undefined;
  if (cause instanceof ApplicationFailure) {
    if (cause.nonRetryable || (NON_RETRYABLE_TYPES as readonly string[]).includes(cause.type ?? '')) return undefined;
    const d = (cause.details?.[0] ?? {}) as Record<string, unknown>;
    raw = { iteration: d.runIterations, history: d.runHistory, promptTokens: d.runPromptTokens, usd: d.runCostUsd, tokens: d.runTokens };
  } else if (cause instanceof TimeoutFailure && typeof cause.lastHeartbeatDetails === 'object' && cause.lastHeartbeatDetails !== null) {
    const c = cause.lastHeartbeatDetails as Record<string, unknown>;
    raw = { iteration: c.iteration, history: c.history, promptTokens: c.promptTokens, usd: c.costUsd, tokens: c.tokens };
  }
  if (!raw) return undefined;
  const { iteration, history, promptTokens, usd, tokens } = raw;
  const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
  const isMessage = (m: unknown) => typeof m === 'object' && m !== null && typeof (m as ChatMessage).role === 'string' && typeof (m as ChatMessage).content === 'string';
  if (!isNumber(iteration) || iteration <= startedAt || !isNumber(usd) || !isNumber(tokens)) return undefined;
  if (!Array.isArray(history) || !history.every(isMessage)) return undefined;
  return { iteration, history: history as ChatMessage[], promptTokens: Array.isArray(promptTokens) ? promptTokens.filter(isNumber) : [], usd, tokens };
}
