import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { SpawnedSnapshot } from '../specialists/live-roster';
import { godRosterQuery } from '../workflows/god-api';

/** A roster query waits at most this long: a God whose worker is down must not stall activities. */
export const GOD_ROSTER_QUERY_TIMEOUT_MS = 3_000;

/**
 * Reads the spawned specialists from God's `roster` query. God not running (never started) means
 * no spawned specialists: the seed roster alone. Any other failure is thrown, and the live roster
 * keeps what it had.
 */
export function godRosterFetcher(client: Client, godId: string, timeoutMs = GOD_ROSTER_QUERY_TIMEOUT_MS): () => Promise<SpawnedSnapshot> {
  return async () => {
    try {
      return await client.withDeadline(Date.now() + timeoutMs, () => client.workflow.getHandle(godId).query(godRosterQuery));
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return { version: 0, specialists: [] };
      throw err;
    }
  };
}
