import type { Limits } from './limits';
import { advance, charge, emptyWindow, recordCall, touchTask } from './ledger-advance';
import { alertCallAfterClose } from './ledger-closed';
import { aheadRefusal, quietRefusal } from './ledger-ahead';
import { checkReserve } from './ledger-checks';
import { checkOverrun } from './ledger-overrun';
import { undoRefundedTrip } from './ledger-breaker';
import { isLease, refundExpiredLease, takeLease, useLease } from './ledger-lease';
import { correctRecovered, correctRecoveredLease } from './ledger-recovered';
import {
  DEFAULT_LEDGER_OPTIONS,
  type Alert,
  type FinishResult,
  type LedgerOptions,
  type LedgerState,
  type ReserveRequest,
  type ReserveResult,
  type Spend,
  type TaskTally,
} from './ledger-types';
import { windowKeys } from './windows';
import { countUnanswered } from './unanswered-text';
import { laneOf } from './lanes';

/**
 * The ledger state machine: reserve (worst case) → settle (actual) or release. Deterministic and
 * free of I/O, so the ledger workflow runs it as is and unit tests drive it with any clock.
 *
 * Ownership: each function updates the state it is given and returns it. The one holder (the
 * ledger workflow) keeps a single copy; copying thousands of remembered ids on every update
 * would cost more than the update itself. Keep using the returned state.
 */

export interface Step<R> {
  state: LedgerState;
  result: R;
}

export function initialLedgerState(nowMs: number, limits: Limits): LedgerState {
  const keys = windowKeys(nowMs, limits.timezone);
  return {
    version: 1,
    reservations: {},
    finished: {},
    hour: emptyWindow(keys.hour),
    day: emptyWindow(keys.day),
    tasks: {},
    breaker: { open: false },
    overrides: [],
    alerts: [],
    audit: [],
    nextAlertSeq: 1,
    lastPruneMs: nowMs,
  };
}

/**
 * Holds the request's worst case against every scope, or denies naming the scope, its limit and
 * its spend. A key seen before answers with the same reservation (a retried update must not
 * reserve twice), whatever became of it.
 */
export function reserve(
  state: LedgerState,
  request: ReserveRequest,
  nowMs: number,
  limits: Limits,
  options: LedgerOptions = DEFAULT_LEDGER_OPTIONS,
): Step<ReserveResult> {
  const alerts = advance(state, nowMs, limits, options);
  const known = state.reservations[request.key] ? 'reserved' : state.finished[request.key]?.status;
  if (known) return { state, result: { granted: true, reservationId: request.key, status: known, replayed: true, alerts } };
  if (request.leaseTtlMs !== undefined) return { state, result: takeLease(state, { ...request, leaseTtlMs: request.leaseTtlMs }, nowMs, limits, options, alerts) };
  if (request.lease !== undefined) return { state, result: useLease(state, { ...request, lease: request.lease }, nowMs, limits, options, alerts) };

  if (request.ahead) {
    const refusal = aheadRefusal(state, request, nowMs, limits, options);
    if (refusal) return { state, result: aheadRefused(request, refusal, alerts) };
  }
  const task = touchTask(state, request.taskId, nowMs, request.key);
  const denial = request.ahead ? undefined : checkReserve(state, request, task, nowMs, limits, options, alerts);
  if (denial) return { state, result: denial };
  // Only granted calls count toward runaway detection: a waiting task's retries are not calls.
  recordCall(task, nowMs, limits.circuitBreaker.maxCallsPerTaskPerMinute);

  const { key: id, taskId, agent, usd, tokens } = request;
  // Main is the default: only an experimental reservation carries its lane (the state stays small).
  state.reservations[id] = { id, taskId, agent, usd, tokens, atMs: nowMs, ...(laneOf(request) === 'experimental' ? { lane: 'experimental' as const } : {}) };
  const late = alertCallAfterClose(state, taskId, task, request, nowMs, options);
  if (late) alerts.push(late);
  return { state, result: { granted: true, reservationId: id, status: 'reserved', replayed: false, alerts } };
}

/** A quiet refusal of an ahead request: no alert, no queue place; the call reserves as usual. */
function aheadRefused(request: ReserveRequest, why: string, alerts: Alert[]): ReserveResult {
  return quietRefusal(request, 'ahead', `not reserved ahead: ${why}; the call reserves when it comes`, alerts);
}

/**
 * Replaces a reservation by what the call actually cost, charged to the windows current now
 * (where the money was spent). Settling again, or settling a released id, changes nothing.
 * `actual.unanswered`: the amount is the worst case of a call that got no answer saying what it
 * cost, counted apart in its task's scope too (unanswered-text.ts).
 */
export function settle(
  state: LedgerState,
  reservationId: string,
  actual: Spend & { unanswered?: true },
  nowMs: number,
  limits: Limits,
  options: LedgerOptions = DEFAULT_LEDGER_OPTIONS,
): Step<FinishResult> {
  return finish(state, reservationId, nowMs, limits, options, 'settled', actual);
}

/** Drops a reservation whose call spent nothing. Idempotent like {@link settle}. */
export function release(
  state: LedgerState,
  reservationId: string,
  nowMs: number,
  limits: Limits,
  options: LedgerOptions = DEFAULT_LEDGER_OPTIONS,
): Step<FinishResult> {
  return finish(state, reservationId, nowMs, limits, options, 'released');
}

function finish(
  state: LedgerState,
  reservationId: string,
  nowMs: number,
  limits: Limits,
  options: LedgerOptions,
  status: 'settled' | 'released',
  actual?: Spend & { unanswered?: true },
): Step<FinishResult> {
  const alerts = advance(state, nowMs, limits, options);
  const r = state.reservations[reservationId];
  if (!r) {
    // A lease handed back after its end (or a recovery) charged it: the charge is handed back too.
    const leaseBack = status !== 'released' ? undefined : refundExpiredLease(state, reservationId, nowMs, options) ? 'lease_end' : correctRecoveredLease(state, reservationId, nowMs, options) ? 'recovered_lease' : undefined;
    if (leaseBack) {
      undoRefundedTrip(state, nowMs, limits, options, { by: leaseBack, id: reservationId });
      return { state, result: { reservationId, applied: true, status, alerts } };
    }
    // A call a recovery charged at its worst case, settled by its live caller: the charge comes down to the actual.
    if (correctRecovered(state, reservationId, actual, nowMs, limits, options, alerts)) {
      undoRefundedTrip(state, nowMs, limits, options, { by: status === 'settled' ? 'recovered_settle' : 'recovered_release', id: reservationId });
      state.finished[reservationId] = { status, atMs: nowMs };
      return { state, result: { reservationId, applied: true, status, alerts } };
    }
    return { state, result: { reservationId, applied: false, status: state.finished[reservationId]?.status ?? 'unknown', alerts } };
  }
  delete state.reservations[reservationId];
  if (actual) {
    charge(state, r.taskId, r.agent, actual, nowMs, laneOf(r));
    // A lease is no task's call: the calls granted from it are settled by their own ids.
    if (actual.unanswered && !isLease(r)) {
      const task = state.tasks[r.taskId];
      task.unanswered = countUnanswered(task.unanswered, actual);
    }
    alerts.push(...checkOverrun(state, r, actual, nowMs, limits, options));
  } else if (!isLease(r)) touchTask(state, r.taskId, nowMs);
  state.finished[reservationId] = { status, atMs: nowMs };
  return { state, result: { reservationId, applied: true, status, alerts } };
}

/** The task as the ledger holds it now (undefined for a task it does not know). A scan of the
 * outstanding reservations (one per call in flight): the workflow adds it to a call's answer,
 * the pure state machine does not pay for it. */
export function tallyOf(state: LedgerState, taskId: string): TaskTally | undefined {
  const task = state.tasks[taskId];
  if (!task) return undefined;
  let pending = 0;
  for (const id in state.reservations) if (state.reservations[id].taskId === taskId) pending++;
  return { usd: task.usd, tokens: task.tokens, pending };
}
