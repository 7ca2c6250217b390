/**
 * How a task rides out a provider outage: the pure rules the agentTask workflow follows when a
 * specialist's run used up its retries on failures that say the provider is down or refusing
 * work (5xx, refused connections, 429s, hangs, resets), not that the specialist did anything
 * wrong, and no candidate is left to hand the task to. Before, the task was dead-lettered then:
 * in an outage of a minute, every task in flight went through its candidates (often on the same
 * provider, each failing the same way within ~15 s) and ended in the dead-letter queue. Now the
 * task waits, a durable timer visible as `waiting_provider`, and the same specialist goes on from
 * its checkpoint, until the task's `providerWaitSeconds` are spent; then it is dead-lettered as
 * before. While candidates are left, the task is handed on as before (the next one may well be on
 * another provider). No imports: the workflow sandbox loads this.
 */

/** The failure types that say the provider, not the specialist, failed (src/llm/provider-errors.ts). */
export const OUTAGE_TYPES = ['provider_unavailable', 'rate_limited', 'provider_timeout', 'connection_reset'] as const;

export function isOutageType(type: unknown): boolean {
  return (OUTAGE_TYPES as readonly unknown[]).includes(type);
}

/** The first wait; each next one doubles, up to MAX_PROVIDER_WAIT_MS. */
export const FIRST_PROVIDER_WAIT_MS = 15_000;
export const MAX_PROVIDER_WAIT_MS = 120_000;

/**
 * How long to wait before the run's next try, given the waits so far (`waits`, how many) and what
 * they took (`waitedMs`) against the task's patience; undefined once the patience is spent (the
 * task is handed on). The last wait is cut to what patience is left, but never under 1 s.
 *
 * @example nextProviderWaitMs(0, 0, 300_000) // 15_000
 * @example nextProviderWaitMs(4, 225_000, 300_000) // 75_000 (120 s would pass the patience)
 */
export function nextProviderWaitMs(waits: number, waitedMs: number, patienceMs: number): number | undefined {
  const left = patienceMs - waitedMs;
  if (left < 1000) return undefined;
  return Math.min(FIRST_PROVIDER_WAIT_MS * 2 ** waits, MAX_PROVIDER_WAIT_MS, left);
}

/** One line for the Web UI's details and the task state. */
export function describeProviderWait(specialist: string, failure: { type: string; message: string }, waitMs: number, waits: number): string {
  return `waiting for the provider: ${specialist}'s run failed through its retries with ${failure.type} (${failure.message.slice(0, 160)}); trying again in ${Math.round(waitMs / 1000)} s (wait ${waits})`;
}
