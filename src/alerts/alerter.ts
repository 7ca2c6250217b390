import type { Logger } from 'pino';

/** Where operator alerts go (log, webhook); delivery failures are the alerter's to report. */
export interface Alerter {
  alert(event: { id?: string; kind: string; message: string; details: Record<string, unknown> }): Promise<void>;
}

export interface AlerterOptions {
  logger: Logger;
  /** Where alerts are POSTed as JSON (env PANTHEON_ALERT_WEBHOOK_URL); unset means log only. */
  webhookUrl?: string;
  timeoutMs?: number;
  /** How long an alert id is remembered: a repeat within it is dropped. @default 1 hour */
  dedupeMs?: number;
  now?: () => number;
}

/** Ids remembered at most; the oldest go first. Repeats come within seconds, so this is plenty. */
const MAX_REMEMBERED = 1000;

/**
 * Remembers recent alert ids: the same alert reaches the alerter more than once (every reserve
 * of a ledger batch carries the batch's new alerts, a retried activity raises its alert again),
 * and an operator should see it once. A ledger that starts over may reuse an id: ids are
 * forgotten after `ttlMs`.
 */
export function recentIds(ttlMs: number, now: () => number) {
  const seen = new Map<string, number>();
  return {
    /** True the first time `key` is seen within `ttlMs`. */
    first(key: string): boolean {
      const t = now();
      const at = seen.get(key);
      if (at !== undefined && t - at < ttlMs) return false;
      seen.delete(key);
      seen.set(key, t);
      if (seen.size > MAX_REMEMBERED) seen.delete(seen.keys().next().value as string);
      return true;
    },
  };
}

/**
 * Operator alerts: an error log line, once per alert id; also a JSON POST when a webhook is
 * configured. Delivery failures are logged, never thrown: an alert must not fail the work it
 * reports on. Alerts without an id are never taken for repeats.
 */
export function createAlerter({ logger, webhookUrl, timeoutMs = 5_000, dedupeMs = 3_600_000, now = Date.now }: AlerterOptions): Alerter {
  const recent = recentIds(dedupeMs, now);
  return {
    async alert(event) {
      if (event.id !== undefined && !recent.first(`${event.kind}\u0000${event.id}`)) return;
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
