import { Context } from '@temporalio/activity';

/** How often a waiting activity tells the server it is alive; well inside the heartbeat timeout. */
export const HEARTBEAT_EVERY_MS = 5_000;

/**
 * Heartbeats while a long call is in flight, so a worker that dies mid-call is noticed within the
 * heartbeat timeout, not the call's own (much longer) timeout.
 */
export async function heartbeatWhile<T>(work: Promise<T>, details: () => unknown, everyMs = HEARTBEAT_EVERY_MS): Promise<T> {
  const ctx = Context.current();
  const timer = setInterval(() => ctx.heartbeat(details()), everyMs);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}
