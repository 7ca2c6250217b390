import type { Spend } from './ledger-types';

/**
 * A task's worst-case charges for calls that got no answer saying what they cost (a timeout, a
 * reset, an abort, an unreadable answer or one without usage): the budgeted client charges each
 * the worst case it held, failing closed (invariant 2), though the provider may have billed less
 * or nothing. A task stopped at its limit by such charges alone looks like a dear task unless its
 * denial says so: a provider that never answers ends tasks `budget_exceeded`.
 */
export interface UnansweredCharges extends Spend {
  calls: number;
}

/**
 * The clause a per-task denial adds after its limit, naming the part of the spend that is such
 * charges; empty when there are none. `amount` is the part, worded as the denial words its
 * spend ($ or tokens). Pure: the ledger workflow composes its denials with it.
 *
 * @example
 *   unansweredClause(10, '$0.008517')
 *   // ' ($0.008517 of it charged at worst case for 10 calls that got no answer with their cost: the provider may have billed less, or nothing)'
 */
export function unansweredClause(calls: number, amount: string): string {
  if (!(calls > 0)) return '';
  const what = calls === 1 ? '1 call that got no answer with its cost' : `${calls} calls that got no answer with their cost`;
  return ` (${amount} of it charged at worst case for ${what}: the provider may have billed less, or nothing)`;
}

/** Counts one such charge in a task's tally of them (created on the first). */
export function countUnanswered(charges: UnansweredCharges | undefined, charged: Spend): UnansweredCharges {
  const tally = charges ?? { usd: 0, tokens: 0, calls: 0 };
  tally.usd += charged.usd;
  tally.tokens += charged.tokens;
  tally.calls += 1;
  return tally;
}
