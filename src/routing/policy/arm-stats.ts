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
 * From the third failure in a row, an arm's past successes fade this much more per failure: a
 * run of failures is news (a specialist that starts failing), not noise, and a long good record
 * must not shield it for dozens of tasks. A success ends the run.
 */
export const STREAK_FORGET = 0.6;
export const STREAK_FROM = 3;

export function observeArm(s: ArmStats, o: ArmOutcome, decay = DEFAULT_DECAY): ArmStats {
  const n = s.n * decay + 1;
  const costMeanUsd = s.costMeanUsd + (o.costUsd - s.costMeanUsd) / n;
  const failStreak = o.success ? 0 : (s.failStreak ?? 0) + 1;
  const forget = failStreak >= STREAK_FROM ? STREAK_FORGET : 1;
  return {
    n,
    failStreak,
    successes: s.successes * decay * forget + (o.success ? 1 : 0),
    failures: s.failures * decay + (o.success ? 0 : 1),
    costMeanUsd,
    costM2: s.costM2 * decay + (o.costUsd - s.costMeanUsd) * (o.costUsd - costMeanUsd),
    durationMeanMs: s.durationMeanMs + (o.durationMs - s.durationMeanMs) / n,
  };
}

/** Posterior mean of success with a uniform prior (one success, one failure). */
export function successMean(s: ArmStats): number {
  return (s.successes + 1) / (s.n + 2);
}

export function costSpreadUsd(s: ArmStats): number {
  return s.n > 0 ? Math.sqrt(Math.max(0, s.costM2) / s.n) : 0;
}
