import { isPantheonError } from '../errors';

/**
 * Sends a ledger request again while the server (or the ledger behind it) does not answer, for a
 * while. For what must land and is safe to send twice: a settle or release (the ledger applies an
 * id once, a repeat answers what the first did) and a lease booking (keyed by its call). Given up
 * on a failed first try, an outage of the Temporal server or its database of a few seconds left
 * every call in flight reserved at its worst case: charged so when the task's bill closed (the
 * books 17 – 45 % above the provider's own log after outages of 25 – 75 s, in a run on the
 * production-like server), and counted so against the task's token limit meanwhile, which ended
 * tasks budget_exceeded that had room. The SDK's own retries give up after a few seconds.
 */

/** gRPC codes that say nobody answered (DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, UNAVAILABLE), not that the request was refused. */
const UNANSWERED_CODES = new Set([4, 8, 14]);

/** Whether `err` says the request went unanswered (its gRPC code, in it or a cause; or a ledger/server Pantheon reports unavailable). */
export function unanswered(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number' && UNANSWERED_CODES.has(code)) return true;
    if (isPantheonError(e) && (e.type === 'ledger_unavailable' || e.type === 'temporal_unavailable')) return true;
  }
  return false;
}

/** How long a settle, release or booking is sent again by default: outages of a minute or two. */
export const LANDING_PATIENCE_MS = 120_000;
const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 15_000;

export interface LandingClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: LandingClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref?.()),
};

/**
 * `send()`, and again after 1 s, 2 s, 4 s … (at most 15 s apart) while it fails unanswered, until
 * `patienceMs` would pass; any other failure, or the last unanswered one, is thrown. `onRetry` is
 * told of each failure sent again (a log line).
 */
export async function untilLanded<T>(send: () => Promise<T>, patienceMs: number, onRetry?: (err: unknown, attempt: number) => void, clock: LandingClock = realClock): Promise<T> {
  const startedAt = clock.now();
  let delay = FIRST_DELAY_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (err) {
      if (!unanswered(err) || clock.now() - startedAt + delay > patienceMs) throw err;
      onRetry?.(err, attempt);
      await clock.sleep(delay);
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    }
  }
}
