import type { Limits } from './limits';
import { experimentalShareOf } from './lanes';
import { appendAudit } from './ledger-log';
import { DEFAULT_LEDGER_OPTIONS, type LedgerOptions, type LedgerState } from './ledger-types';

/**
 * What only an operator may do to the ledger (never task text or an agent: invariant 7).
 * Every action names who did it and why, and lands in the bounded audit log.
 */

export interface OperatorAction {
  who: string;
  why: string;
}

export interface OverrideRequest extends OperatorAction {
  /** A scope name, e.g. `system:day`, `agent:ResearchAgent:hour`, `task:t-42`. */
  scope: string;
  limitUsd: number;
  /** The override lapses at this instant (epoch ms); the configured limit applies again. */
  untilMs: number;
}

export interface LimitsChange extends OperatorAction {
  limits: Limits;
}

/** Closes the breaker, whatever opened it. If the limit it guarded is still crossed, the next
 * reservation that would cross it trips it again: closing is not raising a limit. */
export function closeBreaker(state: LedgerState, action: OperatorAction, nowMs: number, options: LedgerOptions = DEFAULT_LEDGER_OPTIONS): LedgerState {
  const was = state.breaker;
  state.breaker = { open: false };
  appendAudit(state, { at: nowMs, ...action, action: 'closeBreaker', details: { wasOpen: was.open, reason: was.reason, scope: was.scope } }, options);
  return state;
}

/** Stops all spending until an operator closes the breaker again. */
export function openBreaker(state: LedgerState, action: OperatorAction, nowMs: number, options: LedgerOptions = DEFAULT_LEDGER_OPTIONS): LedgerState {
  state.breaker = { open: true, reason: 'operator', scope: 'operator', measure: { unit: 'operator', limit: 0, spent: 0 }, sinceMs: nowMs, openedBy: { who: action.who, why: action.why } };
  appendAudit(state, { at: nowMs, ...action, action: 'openBreaker', details: {} }, options);
  return state;
}

/** Sets a temporary limit for one scope, replacing an earlier override of the same scope. */
export function setOverride(state: LedgerState, request: OverrideRequest, nowMs: number, options: LedgerOptions = DEFAULT_LEDGER_OPTIONS): LedgerState {
  const { who, why, scope, limitUsd, untilMs } = request;
  state.overrides = [...state.overrides.filter((o) => o.scope !== scope && o.untilMs > nowMs), { scope, limitUsd, untilMs, who, why, atMs: nowMs }];
  appendAudit(state, { at: nowMs, who, why, action: 'setOverride', details: { scope, limitUsd, untilMs } }, options);
  return state;
}

/** Records a change of the configured limits (the holder swaps its limits for `change.limits`). */
export function recordLimitsChange(state: LedgerState, change: LimitsChange, previous: Limits, nowMs: number, options: LedgerOptions = DEFAULT_LEDGER_OPTIONS): LedgerState {
  appendAudit(state, { at: nowMs, who: change.who, why: change.why, action: 'setLimits', details: { from: previous, to: change.limits } }, options);
  return state;
}

export interface ShareChange {
  /** The experimental lane's new share of the daily budget (0 to 0.5). */
  share: number;
  reason: string;
  by: string;
}

/**
 * Records a change of the experimental lane's share (the holder swaps its limits for the
 * returned ones). It applies at once, to today as well: a lane that has already spent more than
 * its new limit waits for the next day; neither lane borrows from the other.
 */
export function setExperimentalShare(state: LedgerState, change: ShareChange, limits: Limits, nowMs: number, options: LedgerOptions = DEFAULT_LEDGER_OPTIONS): Limits {
  const from = experimentalShareOf(limits);
  appendAudit(state, { at: nowMs, who: change.by, why: change.reason, action: 'setExperimentalShare', details: { from, to: change.share } }, options);
  return { ...limits, experimentalShare: change.share };
}
