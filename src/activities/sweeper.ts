import { asActivity } from '../errors/temporal';
import { createSweepStaleTasks, type SweeperDeps } from './sweep-stale-tasks';
import type { SweepStaleTasksInput } from './types';

export type { SweeperDeps } from './sweep-stale-tasks';

/** The stale-task sweeper's activities; they need a Temporal client for visibility queries. */
export function createSweeperActivities(deps: SweeperDeps) {
  const sweep = createSweepStaleTasks(deps);
  return { sweepStaleTasks: (input: SweepStaleTasksInput) => asActivity(() => sweep(input)) };
}

export type SweeperActivities = ReturnType<typeof createSweeperActivities>;
