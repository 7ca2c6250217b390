import { runwayOf } from '../budget/runway';
import type { LedgerRunway } from '../budget/ledger-types';
import type { RunwayDeps } from './runway-deps';

/**
 * The day's budget as the God workflow plans with it: the ledger's snapshot, read at this
 * worker's clock (src/budget/runway.ts). Read-only, so retrying it is always safe.
 */
export function createReadRunway({ ledger }: RunwayDeps) {
  return async function readRunway(): Promise<LedgerRunway> {
    return runwayOf(await ledger.snapshot(), Date.now());
  };
}
