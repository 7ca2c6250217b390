import { asActivity } from '../errors/temporal';
import { createReadRunway } from './read-runway';
import type { RunwayDeps } from './runway-deps';
import { createSetExperimentalShare } from './set-experimental-share';

export type { RunwayDeps } from './runway-deps';

/**
 * The God workflow's view of the budget ledger: `readRunway` (the day's budget, spend and lanes)
 * and `setExperimentalShare` (the audited operator update, forwarded). Built from the worker's
 * budget gate.
 *
 * @example
 *   activities: { ...createActivities(deps), ...createRunwayActivities({ ledger: gate }) }
 */
export function createRunwayActivities(deps: RunwayDeps) {
  const readRunway = createReadRunway(deps);
  const setExperimentalShare = createSetExperimentalShare(deps);
  return {
    readRunway: () => asActivity(() => readRunway()),
    setExperimentalShare: (change: Parameters<typeof setExperimentalShare>[0]) => asActivity(() => setExperimentalShare(change)),
  };
}

export type RunwayActivities = ReturnType<typeof createRunwayActivities>;
