import { Context } from '@temporalio/activity';

/** How often a waiting activity tells the server it is alive; well inside the heartbeat timeout. */
export const HEARTBEAT_EVERY_MS = 5_000;

/**
 * The longest the worker holds back a heartbeat (its `maxHeartbeatThrottleInterval`). The SDK's
 * own default is 80 % of the heartbeat timeout (12 s for a 15 s timeout): a specialist's
 * checkpoint would sit in the worker that long, and a crash meanwhile would make the retry pay
 * again for every iteration of those seconds. At 1 s a checkpoint reaches the server before the
 * next LLM call returns, so a crash costs at most the iteration in flight (and, in the moment a
 * checkpoint is still on its way to the server as the next call leaves, the one before it: the
 * SDK does not acknowledge a heartbeat to the activity). Only activities that
 * heartbeat often feel the throttle; Pantheon's heartbeat once per iteration or every 5 s.
 */
export const HEARTBEAT_THROTTLE_MS = 1_000;

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
