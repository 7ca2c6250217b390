import { proxyActivities } from '@temporalio/workflow';
import type { SweeperActivities } from '../activities/sweeper';
import type { SweepReport, SweepStaleTasksInput } from '../activities/types';

const { sweepStaleTasks } = proxyActivities<SweeperActivities>({
  startToCloseTimeout: '5m',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 3 },
});

/** One sweep, started by the `pantheon-stale-sweeper` Schedule (default every 15 minutes). */
export async function staleTaskSweeper(input: SweepStaleTasksInput): Promise<SweepReport> {
  return sweepStaleTasks(input);
}
