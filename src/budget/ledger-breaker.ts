import type { Limits } from './limits';
import { appendAudit, raiseAlert } from './ledger-log';
import type { Alert, BreakerReason, LedgerOptions, LedgerState, Measure } from './ledger-types';
import { limitUsdOf, scopes } from './scopes';
import { windowEndMs } from './windows';

/**
 * When the circuit breaker opens. It stops every call everywhere, so it opens on real trouble
 * only: settled spend reaching a system limit, a runaway task, a task spawned too deep. A call
 * that merely does not fit is denied on its own and waits (see admission.ts): a worst-case
 * reservation is not spend, and tripping on one stopped the world at a fraction of the cap.
 */

/** Float sums of sub-cent prices drift by ~1e-17; a billionth of a dollar absorbs it. */
export const EPSILON_USD = 1e-9;

export interface Trip {
  reason: BreakerReason;
  /** The scope whose limit tripped it, e.g. `system:hour` or `task:t-9`. */
  scope: string;
  measure: Measure;
  /** USD limit and spend of the tripped scope (of the task, for runaway and depth trips). */
  money: { limitUsd: number; spentUsd: number };
  /** When it closes by itself. */
  untilMs: number;
  /** What its alert is deduplicated on (default: this opening). */
  alertWindow?: string;
  /** Other scopes over their limits at the same look, said in the alert. */
  also?: string[];
}

/** Opens the breaker and raises its alert (one per opening). */
export function openBreakerFor(state: LedgerState, trip: Trip, nowMs: number, options: LedgerOptions): Alert | undefined {
  const { reason, scope, measure, money, untilMs, alertWindow = `${scope}@${nowMs}`, also = [] } = trip;
  state.breaker = { open: true, reason, scope, measure, ...money, sinceMs: nowMs, untilMs };
  const what = [measure.unit === 'usd' ? `$${measure.spent.toFixed(6)} settled of limit $${measure.limit.toFixed(6)}` : `${measure.spent} of limit ${measure.limit} ${measure.unit}`, ...also].join('; ');
  const message = `circuit breaker opened: ${reason} on ${scope} (${what}); every reservation is denied until ${new Date(untilMs).toISOString()} or an operator closes it`;
  return raiseAlert(state, { kind: 'breaker_open', reason, scope, ...measure, at: nowMs, window: alertWindow, message }, options);
}

/**
 * Opens the breaker when a system window's SETTLED spend has reached its limit: money actually
 * spent (a settle above its reservation, or abandoned reservations charged at their worst case),
 * never money merely held. Open until that window ends, so the next window starts closed. Once
 * per window (remembered in the state, since the alert log keeps only the newest alerts): an
 * operator who closes it has decided; the limit still holds, call by call.
 *
 * When one look finds both windows over, it opens until the LATER end (the day's), naming the day
 * and saying the hour too, and both count as tripped. Opened on the hour alone it closed at the
 * hour's end with the day still over, and the day never tripped: its spend had been looked at.
 */
export function tripOnSettledSpend(state: LedgerState, nowMs: number, limits: Limits, options: LedgerOptions): Alert[] {
  if (!limits.circuitBreaker.enabled || state.breaker.open) return [];
  // What each window had settled when the breaker last looked, then what it has now.
  const before = state.tripChecked;
  if (options.tripsOnNewSpendOnly) state.tripChecked = { hour: { key: state.hour.key, usd: state.hour.system.usd }, day: { key: state.day.key, usd: state.day.system.usd } };
  const over: { scope: string; kind: 'hour' | 'day'; key: string; tripped: string; undone: boolean; measure: Measure }[] = [];
  for (const [scope, window, kind] of [[scopes.systemHour, state.hour, 'hour'], [scopes.systemDay, state.day, 'day']] as const) {
    const limitUsd = limitUsdOf(scope, limits, state, nowMs);
    const settled = window.system.usd;
    // A zero limit spends nothing and is no trouble; an empty window has nothing to trip on.
    if (settled <= 0 || settled + EPSILON_USD < limitUsd) continue;
    // Spend that has not grown since the last look was made under the limit then in force: over
    // the limit now only because an override lapsed (or a limit was lowered), it waits for room.
    const seen = before?.[kind];
    if (options.tripsOnNewSpendOnly && seen?.key === window.key && settled <= seen.usd + EPSILON_USD) continue;
    const tripped = `${scope}@${window.key}`;
    if (state.trippedWindows?.includes(tripped)) continue;
    // A trip a refund undid (undoRefundedTrip) leaves its alert in the log; it no longer stands.
    const undone = state.undoneTrips?.includes(tripped) ?? false;
    if (!undone && state.alerts.some((a) => a.kind === 'breaker_open' && a.scope === scope && a.window === window.key)) continue;
    over.push({ scope, kind, key: window.key, tripped, undone, measure: { unit: 'usd', limit: limitUsd, spent: settled } });
  }
  if (over.length === 0) return [];
  // The day ends no sooner than the hour: the last one over is the one that holds the breaker longest.
  const last = over[over.length - 1];
  const { scope, kind, measure, undone } = last;
  const also = over.slice(0, -1).map((o) => `${o.scope} too: $${o.measure.spent.toFixed(6)} settled of limit $${o.measure.limit.toFixed(6)}`);
  const alertWindow = undone ? `${last.key}@${nowMs}` : last.key;
  const trip: Trip = { reason: 'system_limit', scope, measure, money: { limitUsd: measure.limit, spentUsd: measure.spent }, untilMs: windowEndMs(nowMs, limits.timezone, kind), alertWindow, also };
  const alert = openBreakerFor(state, trip, nowMs, options);
  if (options.remembersTrips) state.trippedWindows = [...currentOnly(state, state.trippedWindows), ...over.map((o) => o.tripped)];
  return alert ? [alert] : [];
}

/** The keys of `kept` that name the current hour's or day's system window. */
function currentOnly(state: LedgerState, kept: string[] | undefined): string[] {
  const current = [`${scopes.systemHour}@${state.hour.key}`, `${scopes.systemDay}@${state.day.key}`];
  return (kept ?? []).filter((k) => current.includes(k));
}

/**
 * What handed a worst-case charge back, by the id answered: the late return of a lease its end
 * charged (ledger-lease.ts refundExpiredLease), or a live caller's answer to a charge the ledger's
 * recovery made (ledger-recovered.ts): a lease's return, a call's settle or its release.
 */
export interface HandedBack {
  by: 'lease_end' | 'recovered_lease' | 'recovered_settle' | 'recovered_release';
  id: string;
}

/** What happened, as the audit of the trip it undid says it (until 2026-12-08 every case read "a lease charged at its end came back"). */
export function handedBackText({ by, id }: HandedBack): string {
  const recovered = "charged at its worst case by the ledger's recovery";
  if (by === 'lease_end') return `lease ${id}, charged at its end, came back`;
  if (by === 'recovered_lease') return `lease ${id}, ${recovered}, came back from its live worker, the charge handed back`;
  if (by === 'recovered_settle') return `call ${id}, ${recovered}, was settled by its live caller, the charge corrected to what it cost`;
  return `call ${id}, ${recovered}, was released by its live caller (nothing billed), the charge handed back`;
}

/**
 * Closes a settled-spend trip that a hand-back has undone. A lease's end charges what it still
 * held, a recovery every outstanding reservation at its worst case; when that charge brought a
 * system window to its limit the breaker opened, and when the lease then comes back (every call
 * under it booked) or a live caller settles or releases its call, the charge is handed back (or
 * corrected). With the window's settled spend under its limit again the trip's reason no longer
 * stands, and held open it would stop every task until the window ends (the whole day, for
 * system:day) over money that was never spent. The window may trip again on real spend.
 */
export function undoRefundedTrip(state: LedgerState, nowMs: number, limits: Limits, options: LedgerOptions, handedBack: HandedBack): void {
  const breaker = state.breaker;
  if (!options.refundUndoesTrip || !breaker.open || breaker.reason !== 'system_limit') return;
  const window = breaker.scope === scopes.systemHour ? state.hour : breaker.scope === scopes.systemDay ? state.day : undefined;
  if (!window) return;
  // Open on system_limit means this window's trip: one from a window that rolled over has closed.
  const tripped = `${breaker.scope}@${window.key}`;
  const limitUsd = limitUsdOf(breaker.scope!, limits, state, nowMs);
  if (window.system.usd + EPSILON_USD >= limitUsd) return;
  appendAudit(
    state,
    {
      at: nowMs,
      who: 'ledger',
      why: `${handedBackText(handedBack)}: ${breaker.scope} has $${window.system.usd.toFixed(6)} settled of its $${limitUsd.toFixed(6)} limit again, so the trip no longer stands`,
      action: 'autoClose',
      details: { reason: breaker.reason, scope: breaker.scope, settledUsd: window.system.usd, limitUsd },
    },
    options,
  );
  state.breaker = { open: false };
  state.trippedWindows = (state.trippedWindows ?? []).filter((k) => k !== tripped);
  state.undoneTrips = [...currentOnly(state, state.undoneTrips).filter((k) => k !== tripped), tripped];
}
