import { PantheonError, provedUnbilled } from '../errors';
import { totalTokens } from '../llm/usage';
import type { CallHooks, ChatRequest, ChatResult, LlmClient } from '../llm/types';
import type { BudgetGate, GrantedReservation } from './gate';
import { recordLlmCall } from '../metrics/record';
import type { LlmSpan, Tracing } from '../tracing/types';

/**
 * An LlmClient whose every call is reserve (worst case) → call → settle (actual), invariant 2.
 * The settle of an answered call is sent without waiting for it (see BudgetGate.settle).
 * Wrap the configured client once in the worker's deps; nothing else may hold the inner one.
 */

export interface BudgetedClientOptions {
  /** A settle or release that could not reach the ledger (the reservation then expires and is
   * charged at its worst case). Never thrown: the call itself succeeded or failed on its own. */
  onLedgerError?: (err: unknown, reservation: GrantedReservation, op: 'settle' | 'release') => void;
  /** Tracing on (OTEL_EXPORTER_OTLP_*): one span per model call, under the activity's span. */
  tracing?: Pick<Tracing, 'startLlmSpan'>;
}

const UNTRACED: LlmSpan = { succeeded: () => undefined, failed: () => undefined };

/** Tracing never costs a call its settle: a span that throws (an exporter's bug) is dropped. */
function untraceable(record: () => void): void {
  try {
    record();
  } catch {
    // The reservation's settle or release must still run.
  }
}

function startSpan(options: BudgetedClientOptions, request: ChatRequest, reservation: GrantedReservation): LlmSpan {
  try {
    return options.tracing?.startLlmSpan(request, reservation) ?? UNTRACED;
  } catch {
    return UNTRACED;
  }
}

export function createBudgetedLlmClient(
  inner: LlmClient,
  gate: BudgetGate,
  keyFor: (request: ChatRequest) => string,
  options: BudgetedClientOptions = {},
): LlmClient {
  /** Whether the ledger took it; a failure is reported, never thrown over the call's own outcome. */
  const quietly = async (op: 'settle' | 'release', reservation: GrantedReservation, run: () => Promise<unknown>): Promise<boolean> => {
    try {
      await run();
      return true;
    } catch (err) {
      options.onLedgerError?.(err, reservation, op);
      return false;
    }
  };

  return {
    async complete(request: ChatRequest, signal?: AbortSignal, hooks?: CallHooks): Promise<ChatResult> {
      const reservation = await gate.reserve(request, keyFor(request));
      // A hook is the caller's business: it never costs the call its settle.
      untraceable(() => hooks?.onAdmitted?.());
      // Metrics count what the ledger is told: the actual spend, or the worst case of a call that may have been billed.
      const sample = { specialist: request.agent ?? request.purpose, purpose: request.purpose, model: request.model };
      const span = startSpan(options, request, reservation);
      let result: ChatResult;
      try {
        result = await inner.complete(request, signal);
      } catch (err) {
        // Fail closed: only a failure that proves nothing was billed (an HTTP error status, or no
        // request sent) hands its reservation back. An abort, a timeout, a reset, an answer
        // without usage or anything unrecognised may have been billed: it costs the worst case held.
        const unbilled = provedUnbilled(err);
        const charged = unbilled ? { usd: 0, tokens: 0 } : { usd: reservation.usd, tokens: reservation.tokens };
        untraceable(() => span.failed(err, { billed: !unbilled, ...charged }));
        if (unbilled) await quietly('release', reservation, () => gate.release(reservation.id));
        else {
          // Marked as such: a denial at the task's limit says how much of its spend is these charges.
          const settled = await quietly('settle', reservation, () => gate.settle(reservation.id, { ...charged, unanswered: true }));
          // What the ledger charged rides with the error, so the caller's books can count it too
          // (the task's limits are checked against those books: charges they miss stay hidden).
          // Only once settled: a reservation the ledger still holds counts there as outstanding,
          // and the books counting it as well would count it twice.
          if (settled && err instanceof PantheonError) Object.assign(err.details, { charged });
        }
        recordLlmCall({ ...sample, outcome: 'error', ...charged });
        throw err;
      }
      untraceable(() => span.succeeded(result));
      // Off the call's path: the ledger holds the worst case until this lands, the gate names it
      // as settling on the task's next reserve and waits for it before the task's bill closes.
      // A failed call's settle (above) is waited for: its cost is in no caller's count.
      void quietly('settle', reservation, () => gate.settle(reservation.id, { usd: result.costUsd, tokens: totalTokens(result.usage) }, true));
      recordLlmCall({ ...sample, outcome: 'ok', usd: result.costUsd, tokens: totalTokens(result.usage) });
      return result;
    },
  };
}
