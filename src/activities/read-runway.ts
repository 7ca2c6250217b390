import { Context } from '@temporalio/activity';
import { runwayOf } from '../budget/runway';
import type { LedgerRunway } from '../budget/ledger-types';
import type { RunwayDeps } from './runway-deps';

/**
 * The day's budget as the God workflow plans with it: the ledger's snapshot, read at the
 * server's clock (src/budget/runway.ts). Read-only, so retrying it is always safe.
 */
export function createReadRunway({ ledger }: RunwayDeps) {
  return async function readRunway(): Promise<LedgerRunway> {
    return runwayOf(await ledger.snapshot(), serverNowMs());
  };
}

/**
 * The server's clock when this attempt was scheduled: the ledger's windows follow workflow
 * (server) time, which this worker's clock need not match (under a time-skipping test server it
 * is days behind). The worker's clock outside an activity.
 */
function serverNowMs(): number {
  try {
    return Context.current().info.currentAttemptScheduledTimestampMs;
  } catch {
    return Date.now();
  }
}
