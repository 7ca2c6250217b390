import type { Client, ScheduleOptions } from '@temporalio/client';
import { ensureSchedule } from './ensure-schedule';
import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import type { StalePolicy } from '../activities/types';
import type { staleTaskSweeper } from '../workflows';

/** The default task queue's sweeper keeps the id it always had, so upgrading adds no Schedule. */
export const SWEEPER_SCHEDULE_ID = 'pantheon-stale-sweeper';
export const DEFAULT_TASK_QUEUE = 'pantheon-tasks';

/**
 * The sweeper Schedule of one task queue. Each queue has its own, so a worker only ever creates
 * or updates the one that sweeps its own queue and never re-points another queue's sweeper.
 *
 * @example sweeperScheduleId('pantheon-tasks') // 'pantheon-stale-sweeper'
 * @example sweeperScheduleId('research')       // 'pantheon-stale-sweeper-research'
 */
export function sweeperScheduleId(taskQueue: string): string {
  return taskQueue === DEFAULT_TASK_QUEUE ? SWEEPER_SCHEDULE_ID : `${SWEEPER_SCHEDULE_ID}-${taskQueue}`;
}

export interface SweeperScheduleConfig {
  taskQueue: string;
  /** A Temporal duration such as '15m'. */
  every: string;
  policy: StalePolicy;
  /** @default sweeperScheduleId(taskQueue) */
  scheduleId?: string;
  /**
   * How long one sweep may stay open before the server times it out; a sweep takes seconds, so
   * this only ends runs that cannot run (no worker polls their queue).
   * @default every
   */
  runTimeout?: string;
}

function options(config: SweeperScheduleConfig): ScheduleOptions {
  return {
    scheduleId: config.scheduleId ?? sweeperScheduleId(config.taskQueue),
    spec: { intervals: [{ every: config.every as Duration }] },
    action: {
      type: 'startWorkflow',
      workflowType: 'staleTaskSweeper' satisfies (typeof staleTaskSweeper)['name'],
      taskQueue: config.taskQueue,
      args: [{ policy: config.policy, taskQueue: config.taskQueue }],
      // With overlap SKIP a run that never ends (no worker on its queue) would skip every later
      // sweep; the server's timeout closes it, and the buffered start below runs right after.
      workflowExecutionTimeout: (config.runTimeout ?? config.every) as Duration,
    },
    // One start waits behind a running sweep (a timeout that lands at the next tick still lets
    // that tick run); more would only repeat its work.
    policies: { overlap: 'BUFFER_ONE', catchupWindow: '1m' },
  };
}

export interface SweeperScheduleResult {
  schedule: 'created' | 'updated';
  /** What this call changed in a Schedule another worker of the queue had set otherwise, e.g.
   * `policy requeue → flag`; empty when it was already in line (or created). */
  overrode: string[];
}

/**
 * Creates the task queue's sweeper Schedule, or brings it in line with the configuration; safe to
 * call at every start-up, from any number of workers of that queue. The last worker to start sets
 * it: what it changed is returned, so the worker can say it overrode another's settings.
 */
export async function ensureSweeperSchedule(client: Client, config: SweeperScheduleConfig): Promise<SweeperScheduleResult> {
  const wanted = options(config);
  const overrode: string[] = [];
  const schedule = await ensureSchedule(client, wanted, (previous) => {
    const was = previous.action.type === 'startWorkflow' ? (previous.action.args?.[0] as { policy?: string } | undefined)?.policy : undefined;
    if (was !== undefined && was !== config.policy) overrode.push(`policy ${was} → ${config.policy}`);
    const wasEvery = previous.spec.intervals?.[0]?.every;
    const every = wanted.spec.intervals![0].every;
    if (wasEvery !== undefined && msOf(wasEvery) !== msOf(every)) overrode.push(`every ${msOf(wasEvery) / 1000}s → ${msOf(every) / 1000}s`);
    return { ...previous, spec: wanted.spec, action: wanted.action, policies: { ...previous.policies, ...wanted.policies } };
  });
  return { schedule, overrode };
}

function msOf(duration: Duration | number): number {
  return typeof duration === 'number' ? duration : msToNumber(duration);
}
