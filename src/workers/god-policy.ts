import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { RoutingPolicySource } from '../activities/deps';
import { routingPolicyQuery, type RoutingPolicyView } from '../workflows/god-api';

/**
 * The routeTask activity's way to God's active routing policy: its `routingPolicy` query, used for
 * at most God's tick (`tickSeconds`, which the answer carries), so a rollback or promotion reaches
 * every worker within a tick and a burst of tasks asks once. No God running (never started,
 * closed, or no policy seeded yet) means none: the activity routes with the roster's rules as
 * version 0. A God that does not answer keeps the last policy read (logged by the caller's reason).
 */

export const GOD_POLICY_TIMEOUT_MS = 3_000;
/** How long "no God policy" is believed before God is asked again. */
export const NO_POLICY_TTL_MS = 10_000;

export interface GodPolicyOptions {
  timeoutMs?: number;
  noPolicyTtlMs?: number;
  now?: () => number;
}

export function godRoutingPolicy(client: Client, godId: string, options: GodPolicyOptions = {}): RoutingPolicySource {
  const timeoutMs = options.timeoutMs ?? GOD_POLICY_TIMEOUT_MS;
  const now = options.now ?? Date.now;
  let cached: { at: number; ttlMs: number; view?: RoutingPolicyView } | undefined;
  let inFlight: Promise<RoutingPolicyView | undefined> | undefined;
  const handle = () => client.workflow.getHandle(godId);

  const fetchNow = async (): Promise<RoutingPolicyView | undefined> => {
    let view: RoutingPolicyView | undefined;
    try {
      // A query to a closed workflow waits for a worker to replay it: ask the server first.
      const { status } = await client.withDeadline(now() + timeoutMs, () => handle().describe());
      if (status.name === 'RUNNING') view = await client.withDeadline(now() + timeoutMs, () => handle().query(routingPolicyQuery));
    } catch (err) {
      // Not found: no God. Anything else (no policy seeded yet, a God that does not answer): the
      // last policy read, else none.
      view = err instanceof WorkflowNotFoundError ? undefined : cached?.view;
    }
    cached = { at: now(), ttlMs: view ? view.tickSeconds * 1000 : (options.noPolicyTtlMs ?? NO_POLICY_TTL_MS), view };
    return view;
  };

  return {
    owner: godId,
    async active() {
      if (cached && now() - cached.at < cached.ttlMs) return cached.view;
      // Concurrent activities share one read.
      inFlight ??= fetchNow().finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },
  };
}
