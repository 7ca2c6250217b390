import type { Logger } from 'pino';
import type { Alerter } from '../activities/deps';

export interface AlerterOptions {
  logger: Logger;
  /** Where alerts are POSTed as JSON (env PANTHEON_ALERT_WEBHOOK_URL); unset means log only. */
  webhookUrl?: string;
  timeoutMs?: number;
}

/**
 * Operator alerts: always an error log line; also a JSON POST when a webhook is configured.
 * Delivery failures are logged, never thrown: an alert must not fail the work it reports on.
 */
export function createAlerter({ logger, webhookUrl, timeoutMs = 5_000 }: AlerterOptions): Alerter {
  return {
    async alert(event) {
      logger.error({ alert: event.kind, id: event.id, ...event.details }, event.message);
      if (!webhookUrl) return;
      try {
        const res = await fetch(webhookUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ source: 'pantheon', at: new Date().toISOString(), ...event }),
          signal: AbortSignal.timeout(timeoutMs),
        });
        if (!res.ok) logger.warn({ status: res.status, alert: event.kind }, 'alert webhook answered with an error');
      } catch (err) {
        logger.warn({ error: (err as Error).message, alert: event.kind }, 'alert webhook unreachable');
      }
    },
  };
}
