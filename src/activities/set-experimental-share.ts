import type { LaneSnapshot } from '../budget/snapshot';
import type { SetExperimentalShareInput } from '../budget/messages';
import type { Lane } from '../tasks/task-input';
import type { RunwayDeps } from './runway-deps';

/**
 * Forwards an operator's change of the experimental lane's share to the budget ledger, where it
 * is validated (an out-of-range share is refused naming the field) and audited with `by` and
 * `reason`. Idempotent in effect: setting the same share again changes nothing but the audit.
 */
export function createSetExperimentalShare({ ledger }: RunwayDeps) {
  return async function setExperimentalShare(change: SetExperimentalShareInput): Promise<Record<Lane, LaneSnapshot>> {
    return ledger.setExperimentalShare(change);
  };
}
