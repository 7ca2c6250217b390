import type { QueueItemView } from '../workflows/god-api';
import type { QueuedTask } from './types';

/** How a queued task shows in God's queries: its text trimmed, the decision without internals. */
export function queueItemView(item: QueuedTask, valueDensity?: number): QueueItemView {
  const d = item.decision;
  return {
    taskId: item.taskId,
    objective: item.task.objective.slice(0, 200),
    priority: item.task.priority,
    status: item.status,
    source: item.source,
    ...(item.goalId && { goalId: item.goalId }),
    lane: d?.lane ?? item.lane,
    ...(d && { decision: { kind: d.kind, reason: d.reason, ...(d.specialist && { specialist: d.specialist }), ...(d.plan && { plan: d.plan }) } }),
    ...(valueDensity !== undefined && { valueDensity }),
    ...(item.waitReason && { waitReason: item.waitReason }),
    ...(item.review && { review: item.review }),
    submittedAtMs: item.submittedAtMs,
  };
}

/** The one line God shows in the Web UI (markdown), kept short: it is rewritten every tick. */
export function godDetails(view: {
  paused?: string;
  queued: number;
  awaitingReview: number;
  inFlight: number;
  goals: number;
  runway?: { spentUsd: number; budgetUsd: number; lanes: Array<{ lane: string; spentUsd: number; budgetUsd: number }> };
}): string {
  const head = view.paused ? `**God paused** (${view.paused})` : '**God running**';
  const counts = `queue ${view.queued} (review ${view.awaitingReview}) · in flight ${view.inFlight} · goals ${view.goals}`;
  const money = view.runway
    ? `today $${view.runway.spentUsd.toFixed(4)} of $${view.runway.budgetUsd.toFixed(2)} · ${view.runway.lanes.map((l) => `${l.lane} $${l.spentUsd.toFixed(4)}/$${l.budgetUsd.toFixed(2)}`).join(' · ')}`
    : 'budget ledger not read yet';
  return `${head} · ${counts}\n\n${money}`;
}
