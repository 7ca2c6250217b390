import { log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { BackfillActivities, BackfillMemoryReport } from '../activities/backfill-memory';
import type { ConsolidationReport } from '../memory/lesson-book';

const { consolidateLessons } = proxyActivities<Activities>({
  startToCloseTimeout: '10m',
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 3 },
});
const { backfillMemory } = proxyActivities<BackfillActivities>({
  startToCloseTimeout: '10m',
  heartbeatTimeout: '1m',
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 3 },
});

export interface MemoryConsolidationInput {
  /** Gist similarity at which active lessons merge; default 0.75. */
  mergeSimilarity?: number;
  /** Objective similarity at which a later success contradicts a lesson; default 0.8. */
  contradictSimilarity?: number;
  /** Backfill only this task queue's pending records; default: the queue this run is on (a fleet
   * writes its own tasks into its own store, never another fleet's). */
  taskQueue?: string;
}

export type MemoryConsolidationReport = ConsolidationReport & {
  /** The backfill that ran first; absent when it failed (logged; the lessons pass still ran). */
  backfill?: BackfillMemoryReport;
};

/**
 * One consolidation of shared memory, started by the `pantheon-memory-consolidation` Schedule
 * (daily by default, PANTHEON_CONSOLIDATE_EVERY): first backfills the records a store outage kept
 * out (src/activities/backfill-memory.ts), then merges near-duplicate lessons and retires those
 * contradicted by later successes (src/memory/lesson-book.ts). Short-lived: its history is a
 * handful of events, so it needs no continue-as-new.
 */
export async function memoryConsolidation(input: MemoryConsolidationInput = {}): Promise<MemoryConsolidationReport> {
  // First the records a store outage kept out (tasks marked PantheonMemoryPending), so the passes
  // below see them. A backfill that fails (the store still down) does not stop the lessons pass.
  let backfill: BackfillMemoryReport | undefined;
  try {
    backfill = await backfillMemory({ taskQueue: input.taskQueue ?? workflowInfo().taskQueue });
  } catch (err) {
    log.warn('memory backfill failed; lessons consolidated without it', { error: String(err) });
  }
  // Workflow time (recorded in history): the same on replay and on every retry of the activity.
  const at = new Date(Date.now()).toISOString();
  const { taskQueue: _queue, ...options } = input;
  const report = await consolidateLessons({ at, ...options });
  return backfill ? { ...report, backfill } : report;
}
