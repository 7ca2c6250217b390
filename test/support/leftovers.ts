import type { Client } from '@temporalio/client';
import { consolidationScheduleId } from '../../src/client/consolidation-schedule';
import { sweeperScheduleId } from '../../src/client/sweeper-schedule';

/**
 * Removes what a worker's start leaves on the server for its task queue: the stale-task sweeper's
 * and memory consolidation's Schedules, and its budget ledger, which would run on. On the suite's
 * own dev server that dies with it; on a server you run the suite against
 * (PANTHEON_TEST_TEMPORAL_ADDRESS) they stayed, the Schedules firing workflows no worker serves.
 */
export async function removeWorkerLeftovers(client: Client | undefined, { taskQueue, ledgerId }: { taskQueue: string; ledgerId?: string }): Promise<void> {
  if (!client) return;
  for (const id of [sweeperScheduleId(taskQueue), consolidationScheduleId(taskQueue)]) await client.schedule.getHandle(id).delete().catch(() => undefined);
  if (ledgerId) await removeLedger(client, ledgerId);
}

/** Ends a test's budget ledger, a workflow that otherwise runs on (continuing as new) for good. */
export async function removeLedger(client: Client, ledgerId: string): Promise<void> {
  await client.workflow.getHandle(ledgerId).terminate('test over').catch(() => undefined);
}
