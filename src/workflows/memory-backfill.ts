import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { BackfillActivities, BackfillMemoryInput, BackfillMemoryReport } from '../activities/backfill-memory';

const { backfillMemory } = proxyActivities<BackfillActivities>({
  startToCloseTimeout: '10m',
  heartbeatTimeout: '1m',
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 3 },
});

/**
 * One backfill pass on a worker (which holds the memory store and writes under its provider
 * mode): `pantheon memory backfill` starts it; the scheduled consolidation can run the activity too.
 */
export async function memoryBackfill(input: BackfillMemoryInput = {}): Promise<BackfillMemoryReport> {
  // The queue this run is on unless told otherwise: a fleet writes its own tasks into its own store.
  return backfillMemory({ ...input, taskQueue: input.taskQueue ?? workflowInfo().taskQueue });
}
