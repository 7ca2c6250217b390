/**
 * What the routing policy knows of one arm (a specialist, or a chain template such as
 * "chain:ResearchAgent>DatabaseAgent") for one task kind: decayed counts of successes and
 * failures, and the decayed mean and spread of cost and duration. Older outcomes fade by `decay`
 * per new outcome of the same arm, so a specialist that starts failing is seen to fail within
 * tens of tasks rather than after its whole history is outweighed. Pure.
 *
 * @example
 *   let s = emptyArm();
 *   s = observeArm(s, { success: true, costUsd: 0.01, durationMs: 4000 }, 0.97);
 *   successMean(s); // 0.667 (prior of one success and one failure)
 */

export interface ArmStats {
  /** Decayed count of outcomes. */
  n: number;
  successes: number;
  failures: number;
  costMeanUsd: number;
  /** Decayed sum of squared deviations of cost (spread = sqrt(costM2 / n)). */
  costM2: number;
  durationMeanMs: number;
  /** Failures in a row, newest last (0 after a success). Absent in records from before it. */
  failStreak?: number;
  /** The change detector restarted this record: memory's similar past outcomes (mostly from before
   * the change; recall does not weigh age) no longer speak for the arm. */
  changed?: true;
  /** While changed (ChangeRules.recovers): successes in a row, and runs failed since the change. */
  winStreak?: number;
  failedSinceChange?: number;
  /** With ChangeRules.recentRuns: the record's latest outcomes since it (re)started, newest in bit 0,
   * 1 = failure, and how many it keeps (RECENT_RUNS at most). */
  recentFailures?: number;
  recentRuns?: number;
}

/**
 * How the change detector reads a record (God's histories from before a rule replay without it).
 * `recovers`: a changed arm that then succeeds RECOVERY_RUN times in a row has changed back (its
 * record restarts from that run, memory speaks for it again), so a false alarm on a healthy arm
 * (a mixed record's unlucky streak) does not hold it out for good.
 */
export interface ChangeRules {
  recovers?: boolean;
  /** Keep the latest outcomes one by one, which sidelining reads (sideline.ts). */
  recentRuns?: boolean;
  /** Also judge a failure run against the record as it stood before the run began
   * ({@link unlikelyAfterRecordBefore}), not only against the mean the run has pulled down. */
  recordBeforeRun?: boolean;
}

export interface ArmOutcome {
  success: boolean;
  costUsd: number;
  durationMs: number;
}

/** How much an outcome counts after each later outcome of the same arm: half-life ≈ 14 outcomes,
 * so a record never weighs more than ~20 runs and a specialist that starts failing loses its
 * traffic within tens of tasks. */
export const DEFAULT_DECAY = 0.95;

export function emptyArm(): ArmStats {
  return { n: 0, successes: 0, failures: 0, costMeanUsd: 0, costM2: 0, durationMeanMs: 0 };
}

/**
 * A change detector: a run of failures the arm's own record makes improbable (its chance below
 * CHANGE_P) means the arm has changed, not that it was unlucky: its record restarts from the run,
 * so a long good history cannot shield a specialist that starts failing, and an occasional success
 * afterwards cannot restore it; from then on only its own runs speak for it (memory's similar
 * outcomes are mostly from before the change).
 *
 * The run is judged against the record as it stood before the run began (ChangeRules
 * recordBeforeRun, {@link unlikelyAfterRecordBefore}), where that record has RECORD_MIN_RUNS runs
 * and reads at least CHANGE_BEFORE_MIN_SUCCESS: the run's chance under that record, its
 * uncertainty included (a short record is a loose bar, so a lucky start does not make an ordinary
 * run look improbable). A 92 % record of 20 runs is flagged at its third failure in a row, an 86 %
 * one at the fourth, a 70 % one at the sixth; short records a little later: 74 % of 8 runs and
 * 68 % of 15 at the sixth, 67 % of 10 at the seventh. Beside it, and alone in God's histories from
 * before the rule, the run is judged against the record's success mean after it (below CHANGE_P),
 * which the run's own failures have pulled down: with the decay a short or middling record's mean
 * never falls far enough, and those three short records were flagged at the 94th, 93rd and 8th
 * failure (a coin flip's record of 20 runs at the fifteenth).
 */
export const CHANGE_P = 0.01;
/** No shorter run counts as a change, however good the record. */
export const CHANGE_MIN_RUN = 3;
/**
 * How improbable a failure run must be under the record before it (ChangeRules recordBeforeRun).
 * Stricter than CHANGE_P: every run of a middling arm is tested at each of its failures, and at 1 %
 * the cheap Generalist's 70 – 75 % research and review records were flagged often enough that
 * bench:routing-sim's healthy runs cost 3 % more per success (their work went to dearer arms
 * while quarantined); at 0.5 % 1.5 %, and flagged stationary 30 – 90 % arms in 3 – 8 % of 65-run
 * records (the older rule alone: 0 – 3.5 %).
 */
export const CHANGE_BEFORE_P = 0.005;
/** Only a record that read at least this well before a failure run is judged by it (ChangeRules
 * recordBeforeRun): a poor arm failing again is no news, and its long runs of failures are ordinary. */
export const CHANGE_BEFORE_MIN_SUCCESS = 0.6;

/**
 * Successes in a row that clear a change (ChangeRules.recovers). The changed record's success mean
 * is at most 1 ÷ (CHANGE_MIN_RUN + 2) = 0.2, under which three in a row have a chance of 0.008
 * (below CHANGE_P); an arm that really fails 90 % of its runs does it once in a thousand tries,
 * a healthy 80 % arm held out by a false alarm half the time in its first three runs back.
 */
export const RECOVERY_RUN = 3;

function changed(before: ArmStats, failStreak: number, decay: number, rules: ChangeRules): boolean {
  if (failStreak < CHANGE_MIN_RUN) return false;
  if (Math.pow(1 - successMean(before), failStreak) < CHANGE_P) return true;
  return rules.recordBeforeRun === true && unlikelyAfterRecordBefore(before, decay);
}

/**
 * Whether the failure that extends `s`'s run (s.failStreak + 1 in a row) is improbable under the
 * record `s` had before the run began: that record is recovered exactly by undoing the decay (as
 * sideline.ts does), and the run's chance is its Beta-binomial predictive, ∏ (b + i) ÷ (a + b + i)
 * over the run's failures, with a = successes + 1 and b = failures + 1 before it. A changed
 * record (restarted from a run) is not judged this way: its run is the change itself.
 */
export function unlikelyAfterRecordBefore(s: ArmStats, decay = DEFAULT_DECAY): boolean {
  const before = recordBeforeRun(s, decay);
  const run = (s.failStreak ?? 0) + 1;
  if (s.changed || before.n < RECORD_MIN_RUNS - 1e-9 || successMean(before) < CHANGE_BEFORE_MIN_SUCCESS) return false;
  const a = before.successes + 1;
  const b = before.n - before.successes + 1;
  let chance = 1;
  for (let i = 0; i < run; i++) chance *= (b + i) / (a + b + i);
  return chance < CHANGE_BEFORE_P;
}

/** `s`'s counts as they stood before its current failure run (the run's failures undone; cost and duration as they are). */
export function recordBeforeRun(s: ArmStats, decay = DEFAULT_DECAY): ArmStats {
  const run = s.failStreak ?? 0;
  const kept = Math.pow(decay, run);
  const n = Math.max(0, (s.n - decayedRuns(run, decay)) / kept);
  const successes = Math.min(n, Math.max(0, s.successes / kept));
  return { ...s, n, successes, failures: n - successes, failStreak: 0 };
}

export function observeArm(s: ArmStats, o: ArmOutcome, decay = DEFAULT_DECAY, rules: ChangeRules = {}): ArmStats {
  const n = s.n * decay + 1;
  const costMeanUsd = s.costMeanUsd + (o.costUsd - s.costMeanUsd) / n;
  const failStreak = o.success ? 0 : (s.failStreak ?? 0) + 1;
  const costAndTime = {
    costMeanUsd,
    costM2: s.costM2 * decay + (o.costUsd - s.costMeanUsd) * (o.costUsd - costMeanUsd),
    durationMeanMs: s.durationMeanMs + (o.durationMs - s.durationMeanMs) / n,
  };
  if (changed(s, failStreak, decay, rules)) {
    return { n: failStreak, failStreak, successes: 0, failures: failStreak, ...costAndTime, changed: true, ...(rules.recovers && { winStreak: 0, failedSinceChange: 0 }) };
  }
  const winStreak = rules.recovers && s.changed ? (o.success ? (s.winStreak ?? 0) + 1 : 0) : undefined;
  if (winStreak !== undefined && winStreak >= RECOVERY_RUN) return { n: winStreak, failStreak: 0, successes: winStreak, failures: 0, ...costAndTime };
  return {
    n,
    failStreak,
    ...(s.changed && { changed: true as const }),
    ...(winStreak !== undefined && { winStreak, failedSinceChange: (s.failedSinceChange ?? 0) + (o.success ? 0 : 1) }),
    ...(rules.recentRuns && withRecentRun(s, o.success)),
    successes: s.successes * decay + (o.success ? 1 : 0),
    failures: s.failures * decay + (o.success ? 0 : 1),
    ...costAndTime,
  };
}

/** Outcomes a record keeps one by one (ChangeRules.recentRuns): sidelining reads a failing arm within them (sideline.ts). */
export const RECENT_RUNS = 10;

/** The outcome bits a record keeps after `success` (newest in bit 0, 1 = failure). */
function withRecentRun(s: ArmStats, success: boolean): Pick<ArmStats, 'recentFailures' | 'recentRuns'> {
  return {
    recentFailures: (((s.recentFailures ?? 0) << 1) | (success ? 0 : 1)) & ((1 << RECENT_RUNS) - 1),
    recentRuns: Math.min(RECENT_RUNS, (s.recentRuns ?? 0) + 1),
  };
}

/** Posterior mean of success with a uniform prior (one success, one failure). */
export function successMean(s: ArmStats): number {
  return (s.successes + 1) / (s.n + 2);
}

/** Runs (decayed) an arm's record needs before it is judged failing (the fallback joins). */
export const RECORD_MIN_RUNS = 3;

/** Runs of its own an arm needs for a kind before it stands beside the named arms (choose.ts
 * recordedArms): the draw weighs so short a record by its spread, and a cheap arm that draws well
 * runs again and fills it in. */
export const RECORD_JOIN_RUNS = 2;

/** What `runs` outcomes in a row weigh once decayed (3 runs: 1 + 0.95 + 0.9025 = 2.85). */
export function decayedRuns(runs: number, decay = DEFAULT_DECAY): number {
  return (1 - Math.pow(decay, runs)) / (1 - decay);
}

/** Below this success mean an arm fails more than it should (the fallback joins, a changed arm stays quarantined). */
export const FAILING_BELOW_SUCCESS = 0.7;

/**
 * An arm's record counted with what it does not hold yet: `overdue` runs still in flight as
 * failures, and `remembered` outcomes (memory's similar tasks) as runs, unless the arm has
 * changed since (its old outcomes are no evidence of what it does now). Runs and success mean.
 */
export function recordCounting(s: ArmStats, overdue = 0, remembered?: { successes: number; failures: number }): { n: number; successMean: number } {
  const e = s.changed ? undefined : remembered;
  const successes = s.successes + (e?.successes ?? 0);
  const failures = s.failures + overdue + (e?.failures ?? 0);
  const n = s.n + overdue + (e?.successes ?? 0) + (e?.failures ?? 0);
  return { n, successMean: successMean({ ...s, n, successes, failures }) };
}

export function costSpreadUsd(s: ArmStats): number {
  return s.n > 0 ? Math.sqrt(Math.max(0, s.costM2) / s.n) : 0;
}
