import type { Limits } from './limits';
import { recordCall, touchTask } from './ledger-advance';
import { quietRefusal, sharedRoomRefusal } from './ledger-ahead';
import { alertCallAfterClose } from './ledger-closed';
import { appendAudit } from './ledger-log';
import { handBackCharge } from './ledger-handback';
import type { Alert, LeaseTerms, LeasingStatus, LedgerOptions, LedgerState, ReserveRequest, ReserveResult, Reservation, Spend } from './ledger-types';
import { laneOf } from './lanes';

/**
 * Leases, the ledger's side. A worker process takes a lease: room in the shared scopes (an
 * agent's windows, the system's windows, a lane) held like one large reservation. While it holds
 * it, the worker grants its own calls from it without a round trip (gate-leases.ts) and reports
 * each call afterwards, off the call's path; the report moves the call's worst case from the
 * lease to a reservation of the call's task, which is then settled as usual. So every call is
 * still booked against its task, and the shared scopes never count less than is spent or held.
 *
 * A lease is granted only with plenty of room (the breaker closed, nobody waiting, every shared
 * scope keeping half its limit free after holding it), like a reservation made ahead. A worker
 * returns its leases when they run low, go stale or are no longer valid. One it does not return
 * (its process died) is charged in full when it expires: the calls its holder granted and could
 * not report may have been billed, so a dead holder can never cause overspend (fail closed).
 * A holder returns a lease only once the ledger has answered the booking of every call granted
 * under it: a return that comes after the lease's end (the ledger stalled longer than the lease's
 * second half) hands back what its end charged, so a stall does not eat the day's budget.
 */

export const isLease = (r: Reservation): boolean => r.untilMs !== undefined;

/** Whether new calls may still be granted under leases: nothing the leases were granted under has changed. */
export function leasingStatus(state: LedgerState): LeasingStatus {
  return { ok: !state.breaker.open && (state.waiters ?? []).length === 0, epoch: state.leaseEpoch ?? 0 };
}

/** An operator changed what leases were granted under: they stop being used (and are returned). */
export function bumpLeaseEpoch(state: LedgerState): void {
  state.leaseEpoch = (state.leaseEpoch ?? 0) + 1;
}

/** Grants a lease of the request's amount for `leaseTtlMs`, or refuses quietly (no alert, no queue place). */
export function takeLease(state: LedgerState, request: ReserveRequest & { leaseTtlMs: number }, nowMs: number, limits: Limits, options: LedgerOptions, alerts: Alert[]): ReserveResult {
  const refusal = !leasingStatus(state).ok ? 'the breaker is open or tasks wait for room' : sharedRoomRefusal(state, request, nowMs, limits, options);
  if (refusal) return quietRefusal(request, 'lease', `no lease: ${refusal}; calls reserve one by one`, alerts);
  const { key: id, agent, usd, tokens } = request;
  const untilMs = nowMs + request.leaseTtlMs;
  state.reservations[id] = { id, taskId: id, agent, usd, tokens, atMs: nowMs, untilMs, ...(laneOf(request) === 'experimental' ? { lane: 'experimental' as const } : {}) };
  return { granted: true, reservationId: id, status: 'reserved', replayed: false, alerts, lease: leaseTerms(state, untilMs, nowMs, limits) };
}

function leaseTerms(state: LedgerState, untilMs: number, nowMs: number, limits: Limits): LeaseTerms {
  const taskOverrides = state.overrides.filter((o) => o.scope.startsWith('task:') && o.untilMs > nowMs).map((o) => o.limitUsd);
  const cb = limits.circuitBreaker;
  return {
    untilMs,
    epoch: state.leaseEpoch ?? 0,
    perTaskUsd: Math.min(limits.perTaskUsd, ...taskOverrides),
    perTaskTokens: limits.perTaskTokens,
    ...(cb.enabled ? { maxSpawnDepth: cb.maxSpawnDepth, maxCallsPerTaskPerMinute: cb.maxCallsPerTaskPerMinute } : {}),
  };
}

/**
 * Books a call its worker granted under a lease: no check (the call is already under way), the
 * lease gives up the call's worst case (a lease that is gone gives nothing: the call is booked
 * on top, failing closed) and the call becomes a reservation of its task, counted by the runaway
 * detector like any granted call.
 */
export function useLease(state: LedgerState, request: ReserveRequest & { lease: string }, nowMs: number, limits: Limits, options: LedgerOptions, alerts: Alert[]): ReserveResult {
  const lease = state.reservations[request.lease];
  if (lease && isLease(lease)) {
    lease.usd = Math.max(0, lease.usd - request.usd);
    lease.tokens = Math.max(0, lease.tokens - request.tokens);
  }
  const task = touchTask(state, request.taskId, nowMs, request.key);
  recordCall(task, nowMs, limits.circuitBreaker.maxCallsPerTaskPerMinute);
  const { key: id, taskId, agent, usd, tokens } = request;
  state.reservations[id] = { id, taskId, agent, usd, tokens, atMs: nowMs, ...(laneOf(request) === 'experimental' ? { lane: 'experimental' as const } : {}) };
  const late = alertCallAfterClose(state, taskId, task, request, nowMs, options);
  if (late) alerts.push(late);
  return { granted: true, reservationId: id, status: 'reserved', replayed: false, alerts };
}

/**
 * The return of a lease that was charged at its end, arriving after it. Its holder sends it only
 * once every booking under the lease was answered (gate-lease-client.ts), each call then held or
 * spent on its own reservation (one booked after the charge was booked on top of it), so what was
 * charged was room no call used: it is handed back to the windows it was charged to (a window
 * since rolled over is left alone) and audited. Returns what was handed back. A lease a recovery
 * charged in full comes back the same way: ledger-recovered.ts correctRecoveredLease.
 */
export function refundExpiredLease(state: LedgerState, id: string, nowMs: number, options: LedgerOptions): Spend | undefined {
  const ended = state.finished[id];
  const lease = ended?.status === 'expired' && options.refundsLateLeaseReturns ? ended.lease : undefined;
  if (!lease) return undefined;
  handBackCharge(state, lease, lease, true);
  state.finished[id] = { status: 'released', atMs: nowMs };
  appendAudit(
    state,
    {
      at: nowMs,
      who: 'ledger',
      why: `lease ${id} of ${lease.agent} came back after its end, every call under it booked: the $${lease.usd.toFixed(6)} its end charged is handed back`,
      action: 'refundLease',
      details: { lease: id, agent: lease.agent, usd: lease.usd, tokens: lease.tokens, expiredHour: lease.hour, expiredDay: lease.day },
    },
    options,
  );
  return { usd: lease.usd, tokens: lease.tokens };
}
