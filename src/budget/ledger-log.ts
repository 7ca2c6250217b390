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
  if (state.alerts.length > options.maxAlerts) state.alerts.splice(0, state.alerts.length - options.maxAlerts);
  return recorded;
}

export function appendAudit(state: LedgerState, entry: AuditEntry, options: LedgerOptions): void {
  state.audit.push(entry);
  if (state.audit.length > options.maxAudit) state.audit.splice(0, state.audit.length - options.maxAudit);
}
