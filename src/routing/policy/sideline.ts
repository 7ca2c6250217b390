import { DEFAULT_DECAY, type ArmStats } from './arm-stats';

/**
 * Sidelining: a good arm whose latest runs fail far more than its record makes likely stops being
 * exploited at once, before the change detector (arm-stats.ts) has the streak it needs to restart
 * the record. The change detector waits for failures in a row tested against a mean those very
 * failures have pulled down, so a lucky success among a failing specialist's first runs, or a
 * record that read 80 % rather than 90 %, kept it chosen for tens of tasks. Sidelining is
 * provisional: nothing in the record changes, and two successes in a row (which a really failing
 * arm rarely shows) end it. Meanwhile the arm is probed at SIDELINED_PROBE_SHARE of its kind's
 * decisions, so a healthy arm with an unlucky run is back within a few tasks of its kind. Pure.
 *
 * The test: for each run of the arm's latest outcomes (newest first, up to arm-stats.ts RECENT_RUNS, its
 * overdue runs in flight counted as failures on top), the record it had before that run (recovered
 * exactly by undoing the decay) must have SIDELINE_MIN_RUNS runs and read at least
 * SIDELINE_MIN_SUCCESS; then the chance of so many failures among so many runs under that record
 * (binomial) below SIDELINE_P sidelines it, where another arm is worth more than it would be failing
 * (choose.ts sidelined). Measured around the pure policy (`npm run bench:routing-sim`): with
 * bench:routing's regression the failing specialist's last exploit pick came within 30 tasks in
 * 89 % of 400 seeded runs against 53 % without, at the same cost per success.
 */

/** A run of outcomes this improbable under the arm's record before it sidelines the arm. */
export const SIDELINE_P = 0.05;
/** Only an arm whose record read this well is sidelined: a poor arm failing again is no news, and
 * the draw already weighs it by its record. */
export const SIDELINE_MIN_SUCCESS = 0.78;
/** Runs (decayed) the record before the run needs: a short record's mean is too noisy a bar. */
export const SIDELINE_MIN_RUNS = 5;
/** No shorter run (in flight included) sidelines an arm. */
export const SIDELINE_MIN_RUN = 2;
/** Successes in a row that end sidelining. */
export const SIDELINE_ENDS_AFTER = 2;
/** A sidelined arm's chance, per decision of its kind, of a probe run (choose.ts probeShare). */
export const SIDELINED_PROBE_SHARE = 0.4;

/** What a sidelining test found: the run it read and the record it read it against. */
export interface LosingRun {
  runs: number;
  failures: number;
  /** Success mean of the record before the run. */
  before: number;
  /** The run's chance under that record. */
  p: number;
}

/** The improbable run that sidelines `s`, if any; `overdue`: its runs in flight past their usual duration. */
export function losingRun(s: ArmStats, overdue = 0, decay = DEFAULT_DECAY): LosingRun | undefined {
  const kept = s.recentRuns ?? 0;
  if (s.changed || kept === 0) return undefined;
  const bits = s.recentFailures ?? 0;
  if (overdue === 0 && kept >= SIDELINE_ENDS_AFTER && (bits & ((1 << SIDELINE_ENDS_AFTER) - 1)) === 0) return undefined;
  let n = s.n;
  let successes = s.successes;
  let failures = overdue;
  for (let runs = 1; runs <= kept; runs++) {
    const failed = (bits >> (runs - 1)) & 1;
    failures += failed;
    // The record before this outcome: n = n' ÷ decay − 1 ÷ decay, successes likewise.
    n = (n - 1) / decay;
    successes = (successes - (failed ? 0 : 1)) / decay;
    const total = runs + overdue;
    if (total < SIDELINE_MIN_RUN || n < SIDELINE_MIN_RUNS - 1e-9) continue;
    const before = (successes + 1) / (n + 2);
    if (before < SIDELINE_MIN_SUCCESS) continue;
    const p = binomialTail(total, failures, 1 - before);
    if (p < SIDELINE_P) return { runs: total, failures, before, p };
  }
  return undefined;
}

/** P(at least k successes in n trials of chance p). */
export function binomialTail(n: number, k: number, p: number): number {
  let total = 0;
  let c = 1; // C(n, i), built up from C(n, 0)
  for (let i = 0; i <= n; i++) {
    if (i >= k) total += c * Math.pow(p, i) * Math.pow(1 - p, n - i);
    c = (c * (n - i)) / (i + 1);
  }
  return Math.min(1, total);
}
