import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ConsolidationReport } from '../memory/lesson-book';

const { consolidateLessons } = proxyActivities<Activities>({
  startToCloseTimeout: '10m',
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 3 },
});

export interface MemoryConsolidationInput {
  /** Gist similarity at which active lessons merge; default 0.75. */
  mergeSimilarity?: number;
  /** Objective similarity at which a later success contradicts a lesson; default 0.8. */
  contradictSimilarity?: number;
}

/**
 * One consolidation of shared memory, started by the `pantheon-memory-consolidation` Schedule
 * (daily by default, PANTHEON_CONSOLIDATE_EVERY): merges near-duplicate lessons and retires those
 * contradicted by later successes (src/memory/lesson-book.ts). Short-lived: its history is a
 * handful of events, so it needs no continue-as-new.
 */
export async function memoryConsolidation(input: MemoryConsolidationInput = {}): Promise<ConsolidationReport> {
  // Step 1, before lessons: records that could not be written during a store outage are to be
  // backfilled here (a `backfillMemory` activity), so the passes below see them.
  // Workflow time (recorded in history): the same on replay and on every retry of the activity.
  const at = new Date(Date.now()).toISOString();
  return consolidateLessons({ at, ...input });
}
