import type { Lane } from '../tasks/task-input';
import type { QueuedTask } from './types';
import { assessErrorOf } from './assess-backoff';
import { expensive } from './decide';

/** One task in God's queue as the queries show it (the task's text trimmed). */
export interface QueueItemView {
  taskId: string;
  objective: string;
  priority: string;
  status: QueuedTask['status'];
  source: QueuedTask['source'];
  goalId?: string;
  lane: Lane;
  decision?: { kind: string; reason: string; specialist?: string; plan?: string[] };
  valueDensity?: number;
  waitReason?: string;
  /** While its assessment keeps failing: how many times in a row, when God tries it again
   * (workflow clock), and the last error as far as God keeps it (src/god/assess-backoff.ts). */
  assessFailed?: { failures: number; retryAtMs: number; lastError?: string };
  /** `costOnly`: reviewed for its cost alone, it leaves review by itself once what is left of the
   * day pays for it. `beyondWholeDay`: not even a whole day's review share pays for it, so under
   * the limits as they stand only a person (or a raised limit) lets it run. */
  review?: { reasons: string[]; sinceMs: number; deadlineMs: number; costOnly?: true; beyondWholeDay?: true };
  submittedAtMs: number;
}

export interface LaneView {
  lane: Lane;
  /** The lane's share of the day, and its budget in USD. */
  share: number;
  budgetUsd: number;
  spentUsd: number;
  reservedUsd: number;
  remainingUsd: number;
}

/** The daily budget as a runway: what is left, how fast it burns, when it runs out at that rate. */
export interface RunwayView {
  dayKey: string;
  budgetUsd: number;
  spentUsd: number;
  reservedUsd: number;
  remainingUsd: number;
  /** What pacing allows spent by now (the whole budget when pacing is off). */
  pacedAllowanceUsd: number;
  /** USD per hour over the day so far. */
  burnRateUsdPerHour: number;
  /** Workflow-clock time at which the remaining budget runs out at the burn rate; absent if it does not today. */
  runsOutAtMs?: number;
  lanes: LaneView[];
  breakerOpen: boolean;
  /** When the ledger's numbers were read. */
  asOfMs: number;
}

/** How a queued task shows in God's queries: its text trimmed, the decision without internals. */
export function queueItemView(item: QueuedTask, valueDensity?: number, wholeDay?: WholeDay): QueueItemView {
  const d = item.decision;
  const beyondWholeDay = !!item.review?.costOnly && !!d && !!wholeDay && expensive(d.expectedCostUsd, wholeDay.budgetUsd, wholeDay) !== undefined;
  const assessFailed = assessFailedView(item);
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
    ...(assessFailed && { assessFailed }),
    ...(item.review && { review: beyondWholeDay ? { ...item.review, beyondWholeDay: true as const } : item.review }),
    submittedAtMs: item.submittedAtMs,
  };
}

/** The day's whole budget and God's review share: what a review for cost alone is released within at best. */
export interface WholeDay {
  budgetUsd: number;
  reviewCostShare: number;
}

function assessFailedView(item: QueuedTask): QueueItemView['assessFailed'] {
  if (!item.assessFailures || item.assessAfterMs === undefined) return undefined;
  const lastError = assessErrorOf(item.waitReason);
  return { failures: item.assessFailures, retryAtMs: item.assessAfterMs, ...(lastError && { lastError }) };
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
