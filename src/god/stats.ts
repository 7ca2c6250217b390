import type { KindStats, TaskFinished } from './types';

/**
 * What history says about a task kind on a specialist: how often it succeeds, what it costs, how
 * long it takes. The prioritiser reads expectations from here; outcomes and fallbacks feed it.
 * Pure: every function returns a new record and leaves its input alone.
 *
 * @example
 *   stats = recordOutcome(stats, { kind: 'database', specialist: 'DatabaseAgent', finished });
 *   expectationOf(stats, 'database', 'DatabaseAgent', 0.01); // { success: 0.78, costUsd: 0.009, ... }
 */

/** Weight of the newest run in the moving means: recent runs count more, old ones fade. */
export const EWMA_ALPHA = 0.3;
/** The success prior: as if every pair (kind, specialist) had already run twice at 70 %. */
export const PRIOR_RUNS = 2;
export const PRIOR_SUCCESS = 0.7;
/** Below this many runs the task's own estimate is the expected cost; history blends in after. */
export const COST_HISTORY_MIN_RUNS = 3;

export function statsKey(kind: string, specialist: string): string {
  return `${kind}|${specialist}`;
}

/** The name a chain's statistics go under: its plan, in order ("chain:ResearchAgent>DatabaseAgent"). */
export function chainStatsName(plan: readonly string[]): string {
  return `chain:${plan.join('>')}`;
}

function empty(): KindStats {
  return { runs: 0, successes: 0, meanCostUsd: 0, meanDurationMs: 0, fallbacks: 0 };
}

function ewma(mean: number, value: number, runsBefore: number): number {
  return runsBefore === 0 ? value : EWMA_ALPHA * value + (1 - EWMA_ALPHA) * mean;
}

/** Counts a finished task: a run, a success when it completed, and its cost and duration. */
export function recordOutcome(stats: Record<string, KindStats>, args: { kind: string; specialist: string; finished: TaskFinished }): Record<string, KindStats> {
  const key = statsKey(args.kind, args.specialist);
  const before = stats[key] ?? empty();
  const { finished } = args;
  return {
    ...stats,
    [key]: {
      ...before,
      runs: before.runs + 1,
      successes: before.successes + (finished.status === 'completed' ? 1 : 0),
      meanCostUsd: ewma(before.meanCostUsd, finished.costUsd, before.runs),
      meanDurationMs: ewma(before.meanDurationMs, finished.durationMs, before.runs),
    },
  };
}

/** Counts one time routing fell back to `specialist` (the fallback) for a task of `kind`. */
export function recordFallback(stats: Record<string, KindStats>, kind: string, specialist: string): Record<string, KindStats> {
  const key = statsKey(kind, specialist);
  const before = stats[key] ?? empty();
  return { ...stats, [key]: { ...before, fallbacks: before.fallbacks + 1 } };
}

/** All fallbacks recorded for `kind`, whichever specialist took them. */
export function fallbacksOf(stats: Record<string, KindStats>, kind: string): number {
  let n = 0;
  for (const [key, s] of Object.entries(stats)) if (key.startsWith(`${kind}|`)) n += s.fallbacks;
  return n;
}

export interface Expectation {
  /** Chance of completing, 0–1. */
  success: number;
  costUsd: number;
  /** 0 when there is no history. */
  durationMs: number;
  runs: number;
}

/**
 * What to expect of a task of `kind` on `specialist`. Success is smoothed toward 70 % with two
 * pseudo-runs, so one lucky or unlucky run does not decide. Cost is the task's own estimate until
 * three runs exist, then moves toward the moving mean as runs accumulate (runs ÷ (runs + 3) of the
 * weight: half at 3 runs, 90 % at 27).
 */
export function expectationOf(stats: Record<string, KindStats>, kind: string, specialist: string, estimatedCostUsd: number): Expectation {
  const s = stats[statsKey(kind, specialist)] ?? empty();
  const success = (s.successes + PRIOR_RUNS * PRIOR_SUCCESS) / (s.runs + PRIOR_RUNS);
  const estimate = Math.max(0, estimatedCostUsd);
  const weight = s.runs >= COST_HISTORY_MIN_RUNS ? s.runs / (s.runs + COST_HISTORY_MIN_RUNS) : 0;
  return {
    success,
    costUsd: weight * s.meanCostUsd + (1 - weight) * estimate,
    durationMs: s.runs > 0 ? s.meanDurationMs : 0,
    runs: s.runs,
  };
}

/**
 * Whether a task ended cancelled by an operator (a task's or a chain's first reason then starts
 * "cancelled by request"): that says nothing of how well its specialist does. Other cancels do:
 * the sweeper's of a stale run, a poison task's after its requeues, an end reconcile found
 * without a result.
 */
/** The budget denials a dead letter's reason may end on (the task was stopped by a limit, not failed by a specialist). */
const BUDGET_DENIAL = /\bfailed(?: after their retries)?; last: (agent_budget_exhausted|system_budget_full|lane_budget_full|breaker_open)\b/;

/**
 * A task dead-lettered because a budget limit refused its specialists' calls (an agent's hourly
 * window spent, say): `DatabaseAgent, Generalist failed; last: agent_budget_exhausted: …`. It says
 * nothing about how well any specialist does: counted, a tight hour taught the routing policy that
 * the Generalist "failed 7 in a row". Where an earlier candidate failed for real before the others
 * were denied, that failure is not counted either (the report names only the last).
 */
export function deniedByBudget(finished: Pick<TaskFinished, 'status' | 'reason'>): boolean {
  return finished.status === 'dead_lettered' && BUDGET_DENIAL.test(finished.reason);
}

/** How the ledger's refusal of a task spawned too deep ends its reason (src/budget/ledger-checks.ts). */
const PAST_SPAWN_DEPTH = /\bpast max_spawn_depth \d+; it makes no call\b/;

/**
 * A task the ledger stopped for its place in the tree of spawned tasks (`budget_exceeded`, $0: its
 * lineage is past max_spawn_depth, so its first call is refused). No specialist ran: counted, a
 * runaway chain of spawns taught God that the specialist it was routed to fails.
 */
export function stoppedBySpawnDepth(finished: Pick<TaskFinished, 'status' | 'reason'>): boolean {
  return finished.status === 'budget_exceeded' && PAST_SPAWN_DEPTH.test(finished.reason);
}

export function cancelledByOperator(finished: Pick<TaskFinished, 'status' | 'reason'>): boolean {
  return finished.status === 'cancelled' && finished.reason.startsWith('cancelled by request');
}
