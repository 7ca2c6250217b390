import { ScheduleAlreadyRunning, type Client, type ScheduleOptions } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import type { StalePolicy } from '../activities/types';
import type { staleTaskSweeper } from '../workflows';

export const SWEEPER_SCHEDULE_ID = 'pantheon-stale-sweeper';

export interface SweeperScheduleConfig {
  taskQueue: string;
  /** A Temporal duration such as '15m'. */
  every: string;
  policy: StalePolicy;
  scheduleId?: string;
}

function options(config: SweeperScheduleConfig): ScheduleOptions {
  return {
    scheduleId: config.scheduleId ?? SWEEPER_SCHEDULE_ID,
    spec: { intervals: [{ every: config.every as Duration }] },
    action: {
      type: 'startWorkflow',
      workflowType: 'staleTaskSweeper' satisfies (typeof staleTaskSweeper)['name'],
      taskQueue: config.taskQueue,
      args: [{ policy: config.policy, taskQueue: config.taskQueue }],
    },
    // A sweep that overlaps the previous one would only repeat its work.
    policies: { overlap: 'SKIP', catchupWindow: '1m' },
  };
}

/**
 * Creates the sweeper's Schedule, or brings an existing one in line with the configuration; safe
 * to call at every start-up, from any number of workers.
 */
export async function ensureSweeperSchedule(client: Client, config: SweeperScheduleConfig): Promise<'created' | 'updated'> {
  const wanted = options(config);
  try {
    await client.schedule.create(wanted);
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await client.schedule.getHandle(wanted.scheduleId).update((previous) => ({ ...previous, spec: wanted.spec, action: wanted.action, policies: { ...previous.policies, ...wanted.policies } }));
  return 'updated';
}
