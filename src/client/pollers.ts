import type { Client } from '@temporalio/client';

/**
 * A poller the server last heard from longer ago than this is a worker that went away: the server
 * keeps listing pollers for minutes after their last poll, while a live worker polls again at
 * least every minute (each long poll lasts up to 60 s). Counting those, a command refused nothing
 * and waited for ever on a queue whose only worker had just stopped.
 */
export const POLLER_SILENT_MS = 90_000;

/** Seconds of a protobuf Timestamp (a Long or a number), as milliseconds; undefined when absent. */
function timestampMs(t: { seconds?: unknown; nanos?: number | null } | null | undefined): number | undefined {
  if (!t || t.seconds === undefined || t.seconds === null) return undefined;
  const seconds = typeof t.seconds === 'number' ? t.seconds : Number(t.seconds);
  return Number.isFinite(seconds) ? seconds * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : undefined;
}

/**
 * How many workers poll a task queue for workflow tasks (the server's pollers heard from in the
 * last POLLER_SILENT_MS), or undefined when the server could not say. A workflow started on a
 * queue nobody polls waits silently for ever: commands that start one and wait for it ask first.
 */
export async function workflowPollers(client: Client, namespace: string, taskQueue: string, nowMs = Date.now()): Promise<number | undefined> {
  try {
    // taskQueueType 1: workflow tasks.
    const res = await client.workflowService.describeTaskQueue({ namespace, taskQueue: { name: taskQueue }, taskQueueType: 1 });
    return livePollers(res.pollers ?? [], nowMs);
  } catch {
    return undefined;
  }
}

/** The pollers heard from lately; one without a time is counted (a server that does not say). */
export function livePollers(pollers: ReadonlyArray<{ lastAccessTime?: { seconds?: unknown; nanos?: number | null } | null }>, nowMs: number): number {
  return pollers.filter((p) => {
    const at = timestampMs(p.lastAccessTime);
    return at === undefined || nowMs - at <= POLLER_SILENT_MS;
  }).length;
}
