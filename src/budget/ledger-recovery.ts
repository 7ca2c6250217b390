import type { Limits } from './limits';
import { chargeWorstCase } from './ledger-advance';
import { markRecovered, marksKeptByRestore } from './ledger-recovered';
import { appendAudit, raiseAlert, trimAlerts } from './ledger-log';
import { initialLedgerState } from './ledger';
import type { Alert, AuditEntry, LedgerOptions, LedgerState } from './ledger-types';
import type { OperatorAction } from './operator';

/**
 * How a ledger run that ended without continue-as-new (terminated, failed, timed out) is
 * succeeded. The successor resumes the last state it can read; when none can be read it starts
 * locked (every call refused) until an operator restores or resets it. It never starts empty:
 * an empty ledger forgets the day's spend, an open breaker and every override.
 */

/** The run a successor takes over from. */
export interface PredecessorRun {
  runId: string;
  /** How it ended, e.g. TERMINATED, FAILED. */
  status: string;
}

export interface Recovered<R> {
  state: LedgerState;
  alert?: Alert;
  result: R;
}

/**
 * Outstanding reservations belong to calls whose callers may have been billed and can no longer
 * settle with the run that held them: each is charged its worst case (failing closed). With
 * `options.correctsRecoveredCharges`, one the live books (`live`: the state itself on a resume,
 * the ledger's current state on a restore) also hold is marked, so its caller's later settle or
 * lease return corrects the charge to what was spent (ledger-recovered.ts); otherwise that later
 * settle is a no-op.
 */
export function chargeOutstanding(state: LedgerState, nowMs: number, options?: LedgerOptions, live: LedgerState = state): { count: number; usd: number } {
  const correcting = options?.correctsRecoveredCharges === true;
  const held = correcting ? { ...live.reservations } : {};
  if (correcting && live !== state) state.recovered = marksKeptByRestore(state.recovered, live.recovered);
  const ids = Object.keys(state.reservations);
  const usd = ids.reduce((sum, id) => {
    const r = state.reservations[id];
    const charged = chargeWorstCase(state, id, nowMs);
    if (correcting && held[id]) markRecovered(state, r, held[id], charged, nowMs, options);
    return sum + charged.usd;
  }, 0);
  return { count: ids.length, usd };
}

/** The predecessor's state, carried on with its outstanding reservations charged, and an alert. */
export function resumeState(state: LedgerState, from: PredecessorRun, nowMs: number, options: LedgerOptions): Recovered<{ count: number; usd: number }> {
  const charged = chargeOutstanding(state, nowMs, options);
  const message =
    `budget ledger run ${from.runId} ended ${from.status}; its successor resumed its state ` +
    `(${charged.count} outstanding reservations charged at their worst case, $${charged.usd.toFixed(6)}` +
    `${options.correctsRecoveredCharges ? '; a live caller\'s settle or lease return brings its charge down to what was spent' : ''})`;
  appendAudit(state, { at: nowMs, who: 'ledger', why: message, action: 'recover', details: { fromRunId: from.runId, status: from.status, ...charged } }, options);
  const alert = raiseAlert(state, { kind: 'ledger_recovered', scope: 'ledger', unit: 'usd', limit: 0, spent: charged.usd, at: nowMs, window: from.runId, message }, options);
  return { state, alert, result: charged };
}

/**
 * A ledger that cannot know what was spent: the breaker is open for reason `ledger_lost`, which
 * neither a window rollover nor `closeBreaker` closes; only `restore` or `reset` does.
 */
export function lostState(nowMs: number, limits: Limits, from: PredecessorRun | undefined, reason: string, options: LedgerOptions): Recovered<undefined> {
  const state = initialLedgerState(nowMs, limits);
  const what = from ? `run ${from.runId} (${from.status})` : 'its last run';
  const message = `budget ledger state lost: could not read ${what}: ${reason}. Every LLM call is refused until an operator runs \`pantheon budget restore\` or \`pantheon budget reset\``;
  state.breaker = { open: true, reason: 'ledger_lost', scope: 'ledger', measure: { unit: 'operator', limit: 0, spent: 0 }, sinceMs: nowMs };
  appendAudit(state, { at: nowMs, who: 'ledger', why: message, action: 'recover', details: { fromRunId: from?.runId, status: from?.status, lost: true } }, options);
  const alert = raiseAlert(state, { kind: 'ledger_lost', scope: 'ledger', unit: 'operator', limit: 0, spent: 0, at: nowMs, window: from?.runId ?? 'unknown', message }, options);
  return { state, alert, result: undefined };
}

/**
 * The lease epoch never goes back (the ledger workflow bumps it after a restore or reset): a
 * worker's lease is valid while its epoch is the ledger's, so an epoch that returned to a value a
 * lease was granted in would make that lease usable again, though the state taken over does not
 * hold its room.
 */
function keepLeaseEpoch(next: LedgerState, ...earlier: LedgerState[]): void {
  const epochs = earlier.map((s) => s.leaseEpoch).filter((e): e is number => e !== undefined);
  if (epochs.length > 0) next.leaseEpoch = Math.max(...epochs);
}

/**
 * Both ledgers' audit, once each, oldest first, within the audit's bound: the restored state's
 * record (the operator actions before the loss: limits set, overrides, who opened the breaker) and
 * the current one's (the loss). A state exported from the current run holds part of its audit:
 * an entry in both is kept once.
 */
function mergedAudit(restored: AuditEntry[], current: AuditEntry[], options: LedgerOptions): AuditEntry[] {
  const seen = new Set(current.map((e) => JSON.stringify(e)));
  const merged = [...restored.filter((e) => !seen.has(JSON.stringify(e))), ...current];
  // Stable: entries of the same moment keep their order.
  merged.sort((a, b) => a.at - b.at);
  return merged.slice(Math.max(0, merged.length - options.maxAudit));
}

/**
 * Both ledgers' alerts, oldest first, within the alerts' bound. An alert of the restored state
 * that the current one holds (the same seq and kind, scope and window) is kept once; one whose
 * seq the current ledger gave to another alert (a ledger that started locked counts from 0) takes
 * a new seq, so each alert's id (`budget-<seq>`) stays its own.
 */
function mergedAlerts(restored: Alert[], current: Alert[], nextSeq: number, options: LedgerOptions): { alerts: Alert[]; nextAlertSeq: number } {
  const same = (a: Alert, b: Alert) => a.seq === b.seq && a.kind === b.kind && a.scope === b.scope && a.window === b.window;
  const taken = new Set(current.map((a) => a.seq));
  let next = nextSeq;
  const carried = restored.filter((r) => !current.some((c) => same(r, c))).map((r) => (taken.has(r.seq) ? { ...r, seq: next++ } : r));
  const merged = [...carried, ...current].sort((a, b) => a.at - b.at);
  trimAlerts(merged, options);
  return { alerts: merged, nextAlertSeq: next };
}

/**
 * Takes over a state an operator supplied (exported from an earlier run). Outstanding
 * reservations in it are charged. The audit and alerts are both ledgers': the restored state's,
 * so the operator actions and trips before the loss stay on record (until 2026-12-07 they were
 * dropped, and a breaker an operator had opened showed no one who opened it), and the current
 * one's, so the loss and the restore do too.
 */
export function restoreState(current: LedgerState, restored: LedgerState, action: OperatorAction, nowMs: number, options: LedgerOptions, keepsRecord = true): LedgerState {
  const nextAlertSeq = Math.max(current.nextAlertSeq, restored.nextAlertSeq);
  // Off for a ledger run whose restore came before it (its replay): the alerts log decides trips there (ledger-breaker.ts).
  const record = keepsRecord
    ? { audit: mergedAudit(restored.audit, current.audit, options), ...mergedAlerts(restored.alerts, current.alerts, nextAlertSeq, options) }
    : { audit: current.audit, alerts: current.alerts, nextAlertSeq };
  const next: LedgerState = { ...restored, ...record };
  keepLeaseEpoch(next, current, restored);
  const charged = chargeOutstanding(next, nowMs, options, current);
  if (next.breaker.reason === 'ledger_lost') next.breaker = { open: false };
  appendAudit(next, { at: nowMs, ...action, action: 'restore', details: { hour: next.hour, day: next.day, charged, breaker: next.breaker.open ? next.breaker.reason : 'closed' } }, options);
  return next;
}

/**
 * Starts the books over: no spend, no reservations, breaker closed, no overrides. Only an
 * operator does this (when nothing better can be restored); what was dropped is audited.
 */
export function resetState(current: LedgerState, action: OperatorAction, nowMs: number, limits: Limits, options: LedgerOptions): LedgerState {
  const next = initialLedgerState(nowMs, limits);
  next.audit = current.audit;
  next.alerts = current.alerts;
  next.nextAlertSeq = current.nextAlertSeq;
  keepLeaseEpoch(next, current);
  const dropped = {
    hourUsd: current.hour.system.usd,
    dayUsd: current.day.system.usd,
    outstanding: Object.keys(current.reservations).length,
    breaker: current.breaker.open ? current.breaker.reason : 'closed',
    overrides: current.overrides.length,
  };
  appendAudit(next, { at: nowMs, ...action, action: 'reset', details: dropped }, options);
  return next;
}
