import { Context } from '@temporalio/activity';
import type { ChatRequest } from '../llm/types';

/**
 * Reservation keys for calls made inside an activity: `${workflowId}:${runId}:${activityId}:
 * ${attempt}:${n}`, n counting the calls of this attempt. A retried attempt makes new calls and
 * gets new keys; a retried ledger update of the same call keeps its key. Outside an activity it
 * throws: a call nobody can attribute is not made.
 */
export function activityCallKeys(): (request: ChatRequest) => string {
  const calls = new WeakMap<Context, number>();
  return () => {
    const ctx = Context.current();
    const n = calls.get(ctx) ?? 0;
    calls.set(ctx, n + 1);
    const { workflowExecution, activityRunId, activityId, attempt } = ctx.info;
    // A standalone activity has no workflow; its own run id makes the key just as unique.
    const owner = workflowExecution ? `${workflowExecution.workflowId}:${workflowExecution.runId}` : `activity:${activityRunId}`;
    return `${owner}:${activityId}:${attempt}:${n}`;
  };
}

/** Whether a call key (see {@link activityCallKeys}) names an activity attempt after the first; false for any other key. */
export function retriedAttempt(key: string): boolean {
  const parts = key.split(':');
  const [attempt, n] = parts.slice(-2).map((p) => (/^\d+$/.test(p) ? Number(p) : NaN));
  return parts.length >= 5 && Number.isInteger(n) && attempt > 1;
}
