import { isPantheonError, type ErrorType } from '../errors';
import { totalTokens } from '../llm/usage';
import type { ChatRequest, ChatResult, LlmClient } from '../llm/types';
import type { BudgetGate, GrantedReservation } from './gate';

/**
 * An LlmClient whose every call is reserve (worst case) → call → settle (actual), invariant 2.
 * Wrap the configured client once in the worker's deps; nothing else may hold the inner one.
 */

export interface BudgetedClientOptions {
  /** The caller's depth in a chain of spawned tasks, for the breaker's spawn-depth rule. */
  spawnDepthOf?: (request: ChatRequest) => number | undefined;
  /** A settle or release that could not reach the ledger (the reservation then expires and is
   * charged at its worst case). Never thrown: the call itself succeeded or failed on its own. */
  onLedgerError?: (err: unknown, reservation: GrantedReservation, op: 'settle' | 'release') => void;
}

/**
 * Failures that happen before a provider bills anything: their reservation is released. Any
 * other failure (a timeout, a reset connection, an answer without usage) may have been billed,
 * so it is settled at the worst case held: failing closed.
 */
const UNBILLED: ReadonlySet<ErrorType> = new Set<ErrorType>([
  'rate_limited',
  'provider_unavailable',
  'quota_exhausted',
  'auth_failed',
  'provider_rejected',
  'unknown_model',
  'unknown_price',
]);

export function createBudgetedLlmClient(
  inner: LlmClient,
  gate: BudgetGate,
  keyFor: (request: ChatRequest) => string,
  options: BudgetedClientOptions = {},
): LlmClient {
  const quietly = async (op: 'settle' | 'release', reservation: GrantedReservation, run: () => Promise<unknown>) => {
    try {
      await run();
    } catch (err) {
      options.onLedgerError?.(err, reservation, op);
    }
  };

  return {
    async complete(request: ChatRequest, signal?: AbortSignal): Promise<ChatResult> {
      const reservation = await gate.reserve(request, keyFor(request), options.spawnDepthOf?.(request));
      let result: ChatResult;
      try {
        result = await inner.complete(request, signal);
      } catch (err) {
        if (isPantheonError(err) && UNBILLED.has(err.type)) await quietly('release', reservation, () => gate.release(reservation.id));
        else await quietly('settle', reservation, () => gate.settle(reservation.id, { usd: reservation.usd, tokens: reservation.tokens }));
        throw err;
      }
      await quietly('settle', reservation, () => gate.settle(reservation.id, { usd: result.costUsd, tokens: totalTokens(result.usage) }));
      return result;
    },
  };
}
