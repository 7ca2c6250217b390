import type { Alert, AuditEntry, LedgerOptions, LedgerState } from './ledger-types';

/**
 * The ledger's two bounded logs: alerts (trips, for the caller to log and post) and the operator
 * audit. Both keep only their newest entries so the state carried by continue-as-new stays small.
 */

/**
 * Records an alert unless one of the same kind, scope and window is already on record: a task
 * retrying against its spent budget must not page anyone fifty times. Returns the new alert.
 */
export function raiseAlert(state: LedgerState, alert: Omit<Alert, 'seq'>, options: LedgerOptions): Alert | undefined {
  const seen = state.alerts.some((a) => a.kind === alert.kind && a.scope === alert.scope && a.window === alert.window);
  if (seen) return undefined;
  const recorded: Alert = { seq: state.nextAlertSeq++, ...alert };
  state.alerts.push(recorded);
  trimAlerts(state.alerts, options);
  return recorded;
}

/** One task's own trouble (its limit, its overrun, its late charge), not the fleet's; a breaker a
 * task tripped stops every task, so it is the fleet's. */
const isOneTasksAlert = (alert: Alert): boolean => alert.kind !== 'breaker_open' && alert.scope.startsWith('task:');

/**
 * Bounds the alert log to `maxAlerts`, in place. With `keepsFleetAlerts` the oldest of one task's
 * alerts go first: a hundred tasks stopped at a tight per-task limit raise a hundred alerts, and
 * dropping the oldest entries regardless pushed out the breaker's opening, the recovery of a lost
 * ledger or a full system window, the alerts an operator reading `pantheon budget` needs most.
 */
export function trimAlerts(alerts: Alert[], options: LedgerOptions): void {
  let excess = alerts.length - options.maxAlerts;
  if (excess <= 0) return;
  if (options.keepsFleetAlerts) {
    for (let i = 0; i < alerts.length && excess > 0; ) {
      if (isOneTasksAlert(alerts[i])) {
        alerts.splice(i, 1);
        excess--;
      } else i++;
    }
  }
  if (excess > 0) alerts.splice(0, excess);
}

export function appendAudit(state: LedgerState, entry: AuditEntry, options: LedgerOptions): void {
  state.audit.push(entry);
  if (state.audit.length > options.maxAudit) state.audit.splice(0, state.audit.length - options.maxAudit);
}
