import type { Client } from '@temporalio/client';
import { runPool } from './pool';
import { timelineOf, type HistoryEvent, type Timeline } from './timeline';

/** Each workflow's history (events) and its timeline, fetched after a phase (never timed). */
export async function fetchTimelines(client: Client, workflowIds: readonly string[], signal: AbortSignal): Promise<Array<{ events: HistoryEvent[]; timeline: Timeline }>> {
  return runPool(
    workflowIds,
    8,
    async (id) => {
      const history = await client.workflow.getHandle(id).fetchHistory();
      const events = history.events ?? [];
      try {
        return { events, timeline: timelineOf(events) };
      } catch (err) {
        throw new Error(`workflow ${id}: ${(err as Error).message}`);
      }
    },
    { signal },
  );
}
