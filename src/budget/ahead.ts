import type { Spend } from './ledger-types';

/**
 * Reserve-ahead arithmetic for the gate (see ledger-ahead.ts for the ledger's side). A
 * specialist's loop calls again and again within one activity attempt, with call keys
 * `${attempt}:${n}` (call-key.ts): while call n runs, the gate reserves for call n+1, so call n+1
 * finds its reservation granted and waits for no ledger round trip.
 */

/** Suffix of an ahead reservation's id (no colon: it keeps its call's attempt prefix). */
export const AHEAD_SUFFIX = '~ahead';

/** An ahead reservation the next call has not taken this long after the previous call ended is
 * handed back: the loop calls again within milliseconds (parse, checkpoint, next prompt), so the
 * activity has moved on; short, so the hand-back has landed before the task closes its bill. A
 * loop slower than this only loses the head start (its call reserves as usual). With the time an
 * ahead request waits for the call before it (the provider's latency), this bounds how long an
 * ahead reservation outlives an operator's change (breaker opened, limits lowered). */
export const AHEAD_IDLE_MS = 250;

/** The key of the call after `key` in the same attempt, or undefined when it has no call number. */
export function nextCallKey(key: string): string | undefined {
  const at = key.lastIndexOf(':');
  const n = Number(key.slice(at + 1));
  if (at < 0 || !Number.isSafeInteger(n) || n < 0) return undefined;
  return `${key.slice(0, at)}:${n + 1}`;
}

/**
 * What to hold for the next call: twice this call's worst case. The next prompt is this one plus
 * this call's answer and a short continue message, so its worst case (prompt + output allowance)
 * grows by at most one output allowance and some framing: twice covers it whenever the prompt is
 * larger than the framing. A next call that still needs more reserves as usual.
 */
export function aheadAmount(worst: Spend): Spend {
  return { usd: worst.usd * 2, tokens: worst.tokens * 2 };
}

/** Whether an ahead reservation covers a call's worst case. */
export function covers(held: Spend, worst: Spend): boolean {
  return worst.usd <= held.usd && worst.tokens <= held.tokens;
}
