import type { Limits } from './limits';
import { expireWaiters } from './admission';
import { tripOnSettledSpend } from './ledger-breaker';
import { appendAudit, raiseAlert } from './ledger-log';
import type { Alert, LedgerOptions, LedgerState, Reservation, Spend, TaskScope, Window } from './ledger-types';
import { add, emptySpend } from './scopes';
import { windowKeys } from './windows';
import { laneOf, type Lane } from './lanes';
import { pruneClosed, reopenClosed, runOfKey } from './ledger-closed';

/**
 * Time passing in the ledger: windows roll over, a breaker whose window ended closes, abandoned
 * reservations are charged, settled spend that reached a system limit opens the breaker, waiters
 * that stopped asking leave the queue, and old bookkeeping is dropped so the state stays bounded.
 */

const PRUNE_EVERY_MS = 60_000;
const MINUTE = 60_000;

export function emptyWindow(key: string): Window {
  return { key, system: emptySpend(), agents: {} };
}

/**
 * Limits that name another timezone (the audited setLimits) keep the spend of the current hour and
 * day: their windows take the new zone's keys, so the next advance does not read a new key as a
 * new day and drop what was spent. The spend then counts until the new zone's next rollover,
 * some of it perhaps spent before that zone's day began: more than its day, never less, so a
 * change of zone can never buy a fresh day's budget.
 */
export function keepWindowsAcrossTimezone(state: LedgerState, nowMs: number, timezone: string): void {
  const keys = windowKeys(nowMs, timezone);
  state.hour.key = keys.hour;
  state.day.key = keys.day;
}

/** Brings the state to `nowMs`. Returns the alerts this raised (expired reservations, a trip). */
export function advance(state: LedgerState, nowMs: number, limits: Limits, options: LedgerOptions): Alert[] {
  const keys = windowKeys(nowMs, limits.timezone);
  // A new key drops the old window: its spend no longer limits anything.
  if (state.hour.key !== keys.hour) state.hour = emptyWindow(keys.hour);
  if (state.day.key !== keys.day) state.day = emptyWindow(keys.day);
  const breaker = state.breaker;
  if (breaker.open && breaker.untilMs !== undefined && nowMs >= breaker.untilMs) {
    appendAudit(
      state,
      { at: nowMs, who: 'ledger', why: `the window of ${breaker.scope} rolled over`, action: 'autoClose', details: { reason: breaker.reason, scope: breaker.scope } },
      options,
    );
    state.breaker = { open: false };
  }
  // Abandoned reservations are looked for on the prune cadence (seconds), not on every update:
  // their TTL is minutes, and the scan is the costliest step at volume.
  const due = nowMs - state.lastPruneMs >= Math.min(PRUNE_EVERY_MS, options.finishedRetentionMs / 3);
  const alerts = due ? expireReservations(state, nowMs, options) : [];
  // Settles since the last update (and the expiries above) may have brought a window to its limit.
  alerts.push(...tripOnSettledSpend(state, nowMs, limits, options));
  expireWaiters(state, nowMs, options);
  // Often enough that remembered ids stay near their retention (they are most of the state).
  if (due) prune(state, nowMs, options);
  return alerts;
}

/**
 * The task's scope, created on first sight; every touch counts as activity. `key`, a call's key,
 * names the run of the task's workflow making it: a task closed a moment ago by that run is
 * reopened with its bill (ledger-closed.ts).
 */
export function touchTask(state: LedgerState, taskId: string, nowMs: number, key?: string): TaskScope {
  const seen = state.tasks[taskId];
  const task = (state.tasks[taskId] ??= { usd: 0, tokens: 0, lastMs: nowMs, calls: [] });
  const run = key === undefined ? undefined : runOfKey(taskId, key);
  if (run !== undefined) task.run = run;
  if (!seen) reopenClosed(state, taskId, task);
  // In processing order, not by clock: tasks first seen in one batch are still ordered, and the
  // ones granted then are older than the ones that had to wait.
  task.seq ??= state.lastTaskSeq = (state.lastTaskSeq ?? 0) + 1;
  task.lastMs = nowMs;
  return task;
}

/** Records a granted reservation for the runaway detector: only the last minute matters, and
 * only as many entries as the limit are ever needed to see it reached. */
export function recordCall(task: TaskScope, nowMs: number, maxPerMinute: number): void {
  task.calls.push(nowMs);
  let drop = 0;
  while (drop < task.calls.length && task.calls[drop] <= nowMs - MINUTE) drop++;
  drop = Math.max(drop, task.calls.length - (maxPerMinute + 1));
  if (drop > 0) task.calls.splice(0, drop);
}

/** Adds spend to every scope it belongs to: both windows (system and agent), the day's lane, and the task. */
export function charge(state: LedgerState, taskId: string, agent: string, amount: Spend, nowMs: number, lane: Lane = 'main'): void {
  for (const window of [state.hour, state.day]) {
    add(window.system, amount);
    add((window.agents[agent] ??= emptySpend()), amount);
  }
  // The main lane is the rest of the day (lanes.ts): only experimental spend is counted apart.
  if (lane === 'experimental') add((state.day.experimental ??= emptySpend()), amount);
  const task = touchTask(state, taskId, nowMs);
  add(task, amount);
  if (task.billClosedAtMs !== undefined) add((state.day.chargedAfterClose ??= emptySpend()), amount);
}

/** An unreturned lease (ledger-lease.ts) is spend of its agent and lane, in no task's bill. */
function chargeLease(state: LedgerState, lease: Reservation): void {
  for (const window of [state.hour, state.day]) {
    add(window.system, lease);
    add((window.agents[lease.agent] ??= emptySpend()), lease);
  }
  if (laneOf(lease) === 'experimental') add((state.day.experimental ??= emptySpend()), lease);
  add((state.day.leasesExpired ??= emptySpend()), lease);
}

/**
 * Ends a reservation whose caller can no longer settle it (it died, or its run ended): the call
 * may have been billed, so the worst case held is charged (failing closed). A late settle of the
 * id is a no-op, unless a recovery marked it for correction (ledger-recovered.ts). Returns what
 * was charged.
 */
export function chargeWorstCase(state: LedgerState, reservationId: string, nowMs: number): Spend {
  const r = state.reservations[reservationId];
  delete state.reservations[reservationId];
  // A lease (ledger-lease.ts isLease; not imported: that module builds on this one).
  if (r.untilMs !== undefined) chargeLease(state, r);
  else charge(state, r.taskId, r.agent, r, nowMs, laneOf(r));
  state.finished[reservationId] = { status: 'expired', atMs: nowMs };
  return { usd: r.usd, tokens: r.tokens };
}

/**
 * A reservation nobody settled within the TTL belongs to a caller that died mid-call. The call
 * may well have been billed, so it is charged at its worst case (failing closed) and alerted.
 */
function expireReservations(state: LedgerState, nowMs: number, options: LedgerOptions): Alert[] {
  const alerts: Alert[] = [];
  // A full scan (not "oldest first, then stop"): object key order is not insertion order for
  // integer-like keys, and outstanding reservations are few (one per call in flight).
  for (const r of Object.values(state.reservations)) {
    // A lease runs to its own end; a call's reservation for the TTL.
    if (r.untilMs !== undefined ? nowMs < r.untilMs : r.atMs > nowMs - options.reservationTtlMs) continue;
    const charged = chargeWorstCase(state, r.id, nowMs);
    // Its holder may still return it late (ledger-lease.ts refundExpiredLease): what to hand back, and where.
    if (r.untilMs !== undefined && options.refundsLateLeaseReturns) {
      state.finished[r.id].lease = { agent: r.agent, ...charged, ...(laneOf(r) === 'experimental' ? { lane: 'experimental' as const } : {}), hour: state.hour.key, day: state.day.key };
    }
    const alert = raiseAlert(
      state,
      {
        kind: 'reservation_expired',
        scope: r.untilMs === undefined ? `task:${r.taskId}` : r.id,
        unit: 'usd',
        limit: r.usd,
        spent: r.usd,
        at: nowMs,
        window: r.id,
        message:
          r.untilMs === undefined
            ? `reservation ${r.id} of ${r.agent} was not settled within ${options.reservationTtlMs} ms; charged its worst case $${r.usd.toFixed(6)}`
            : `lease ${r.id} of ${r.agent} was not returned by its end (its worker stopped, or the ledger answered late); charged what it still held, $${r.usd.toFixed(6)}: calls granted under it may not have been reported${options.refundsLateLeaseReturns ? ' (handed back if its holder still returns it, every call under it booked)' : ''}`,
      },
      options,
    );
    if (alert) alerts.push(alert);
  }
  return alerts;
}

function prune(state: LedgerState, nowMs: number, options: LedgerOptions): void {
  state.lastPruneMs = nowMs;
  for (const [id, f] of Object.entries(state.finished)) {
    if (f.atMs <= nowMs - options.finishedRetentionMs) delete state.finished[id];
  }
  // A task with a call in flight, or waiting in the admission queue, keeps its scope (and its place).
  const busy = new Set([...Object.values(state.reservations).map((r) => r.taskId), ...(state.waiters ?? []).map((w) => w.taskId)]);
  for (const [taskId, task] of Object.entries(state.tasks)) {
    if (!busy.has(taskId) && task.lastMs <= nowMs - options.taskIdleMs) delete state.tasks[taskId];
    else if (task.calls.length > 0 && task.calls[0] <= nowMs - MINUTE) task.calls = task.calls.filter((t) => t > nowMs - MINUTE);
  }
  state.overrides = state.overrides.filter((o) => o.untilMs > nowMs);
  pruneClosed(state, nowMs, options);
  // A recovery's charges whose callers were not heard from in time stand (ledger-recovered.ts).
  for (const [id, mark] of Object.entries(state.recovered ?? {})) if (mark.untilMs <= nowMs) delete state.recovered![id];
  if (state.recovered && Object.keys(state.recovered).length === 0) delete state.recovered;
}
