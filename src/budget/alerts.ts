import type { Alerter } from '../alerts/alerter';
import type { Alert } from './ledger-types';

/**
 * Budget alerts go out through Pantheon's one generic alerter (src/alerts/alerter.ts: an error
 * log line, plus a JSON POST to PANTHEON_ALERT_WEBHOOK_URL when set, failures logged, 5 s
 * timeout). This file only shapes a ledger alert into that alerter's event.
 */
export { createAlerter } from '../alerts/alerter';

export type AlertEvent = Parameters<Alerter['alert']>[0];

/** A ledger alert as an operator event. Only scope names and numbers: nothing secret. */
export function budgetAlertEvent(alert: Alert): AlertEvent {
  const { seq, kind, scope, reason, unit, limit, spent, at, window } = alert;
  return {
    // The ledger numbers its alerts; a receiver can drop the copy a retried update delivers twice.
    id: `budget-${seq}`,
    kind: `budget.${kind}`,
    message: alert.message,
    details: { scope, ...(reason ? { reason } : {}), unit, limit, spent, at: new Date(at).toISOString(), window },
  };
}

/** The gate's `onAlert`: hands each alert to the alerter without waiting (it never throws). */
export function budgetAlertSink(alerter: Alerter): (alert: Alert) => void {
  return (alert) => void alerter.alert(budgetAlertEvent(alert));
}
