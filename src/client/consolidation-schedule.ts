import type { Client, ScheduleOptions } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { ensureSchedule } from './ensure-schedule';
import { DEFAULT_TASK_QUEUE } from './sweeper-schedule';
import type { memoryConsolidation, MemoryConsolidationInput } from '../workflows/memory-consolidation';

/** The default task queue's consolidation Schedule. */
export const CONSOLIDATION_SCHEDULE_ID = 'pantheon-memory-consolidation';

/**
 * Each task queue's workers consolidate the memory they write (the embedded store is per
 * machine), so each queue has its own Schedule, as it has its own sweeper.
 *
 * @example consolidationScheduleId('pantheon-tasks') // 'pantheon-memory-consolidation'
 * @example consolidationScheduleId('research')       // 'pantheon-memory-consolidation-research'
 */
export function consolidationScheduleId(taskQueue: string): string {
  return taskQueue === DEFAULT_TASK_QUEUE ? CONSOLIDATION_SCHEDULE_ID : `${CONSOLIDATION_SCHEDULE_ID}-${taskQueue}`;
}

export interface ConsolidationScheduleConfig {
  taskQueue: string;
  /** A Temporal duration; default '1d' (PANTHEON_CONSOLIDATE_EVERY). */
  every: string;
  input?: MemoryConsolidationInput;
  /** @default consolidationScheduleId(taskQueue) */
  scheduleId?: string;
}

function options(config: ConsolidationScheduleConfig): ScheduleOptions {
  return {
    scheduleId: config.scheduleId ?? consolidationScheduleId(config.taskQueue),
    spec: { intervals: [{ every: config.every as Duration }] },
    action: {
      type: 'startWorkflow',
      workflowType: 'memoryConsolidation' satisfies (typeof memoryConsolidation)['name'],
      taskQueue: config.taskQueue,
      // Each queue's Schedule backfills its own queue's tasks (the memory store is per worker fleet).
      args: [{ taskQueue: config.taskQueue, ...config.input }],
      // A run no worker picks up (none on its queue) must not skip every later one (overlap SKIP):
      // the server ends it after a period, and the next tick runs.
      workflowExecutionTimeout: config.every as Duration,
    },
    // A pass that overlaps the next tick would only repeat its work.
    policies: { overlap: 'SKIP', catchupWindow: '1h' },
  };
}

/** Creates the queue's consolidation Schedule, or brings it in line; safe at every worker start. */
export async function ensureConsolidationSchedule(client: Client, config: ConsolidationScheduleConfig): Promise<'created' | 'updated'> {
  const wanted = options(config);
  return ensureSchedule(client, wanted, (previous) => ({ ...previous, spec: wanted.spec, action: wanted.action, policies: { ...previous.policies, ...wanted.policies } }));
}
