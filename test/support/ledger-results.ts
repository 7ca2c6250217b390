import type { Denial, ReserveResult } from '../../src/budget/ledger-types';

/** The denial a test expects; anything else fails with what came instead. */
export function denied(result: ReserveResult): Denial {
  if (result.granted) throw new Error(`expected a denial, got ${JSON.stringify(result)}`);
  return result;
}

/** The reservation id of a grant a test expects; a denial fails with its message. */
export function granted(result: ReserveResult): string {
  if (!result.granted) throw new Error(`expected a grant, got ${result.message}`);
  return result.reservationId;
}
