import { usd } from './pacing';
import type { QueuedTask } from './types';

/**
 * A task costs at most the ledger's per-task limit: past it the ledger stops the task
 * (budget_exceeded). An estimate above the limit is capped there, so God does not wait for runway
 * no task can need. Pure.
 *
 * @example
 *   const { queue, capped } = capAtTaskLimit(state.queue, 0.02);
 *   // a queued decision expected at $0.044 now expects $0.020; capped: ['warehouse-backfill']
 */
export function capAtTaskLimit(queue: readonly QueuedTask[], perTaskUsd: number): { queue: QueuedTask[]; capped: string[] } {
  const capped: string[] = [];
  const next = queue.map((q) => {
    const d = q.decision;
    if (!d || d.expectedCostUsd <= perTaskUsd) return q;
    capped.push(q.taskId);
    const reason = `${d.reason}; estimate ~${usd(d.expectedCostUsd)} capped at the per-task limit ${usd(perTaskUsd)}`;
    return { ...q, decision: { ...d, expectedCostUsd: perTaskUsd, reason } };
  });
  return { queue: next, capped };
}
