import { decayedRuns, FAILING_BELOW_SUCCESS, recordCounting, RECORD_JOIN_RUNS, type ArmStats } from './arm-stats';
import { beta, uniform, type RandomState } from './random';
import { losingRun, SIDELINED_PROBE_SHARE } from './sideline';
import type { ArmChoice, RoutingPolicy } from './types';

/**
 * Choosing an arm for a task: Thompson sampling over success with a cost penalty. Each arm's
 * success is drawn from its Beta posterior (its decayed record, plus similar past outcomes from
 * memory as half-weight evidence); the arm with the best draw × value ÷ expected cost wins. A
 * share of decisions (the policy's `explorationShare`) instead picks uniformly, and says so with
 * its probability, so explored outcomes can score other policies without bias. Pure: the only
 * randomness is the policy's own stream.
 *
 * @example
 *   chooseArm(policy, book.rng, { kind: 'database', arms: ['DatabaseAgent', 'Generalist'], estimatedCostUsd: { DatabaseAgent: 0.01, Generalist: 0.004 }, value: 1 })
 *   // { arm: 'DatabaseAgent', mode: 'exploit', scores: { DatabaseAgent: 71.2, Generalist: 55.0 }, policyVersion: 3 }
 */

export interface ChooseInput {
  kind: string;
  /** The arms that can take the task, in a stable order (draws are made in this order). */
  arms: readonly string[];
  /** What one run of each arm is estimated to cost before it has a record (USD). */
  estimatedCostUsd: Readonly<Record<string, number>>;
  /** What a success is worth (goal value × priority weight); 1 when nothing says otherwise. */
  value: number;
  /** Similar past tasks from memory, per arm: evidence for (successes) and against (failures). */
  evidence?: Readonly<Record<string, { successes: number; failures: number }>>;
  /** Per arm: its tasks of this kind still running well past its usual duration. Each counts as a
   * failure until it reports (then its real outcome is in the record): a specialist that starts
   * failing slowly is seen to fail before its runs end. */
  overdue?: Readonly<Record<string, number>>;
  /** Bar quarantined arms from exploit picks (see {@link quarantined}); God sets it from the
   * 'routing-quarantines-changed-arms' patch on, so its older histories replay. */
  quarantine?: boolean;
  /** Probe quarantined arms (see {@link probeShare}) and arms on trial, and when every arm is
   * quarantined exploit the one best on its means; God sets it from the 'routing-probes-quarantined'
   * patch on. Needs `quarantine`. */
  probe?: boolean;
  /** Arms on trial: explored like the others (uniform picks count them), never exploited or
   * guessed. God puts the fallback on trial where it has no record of the kind yet, so a cheap
   * generalist earns a record where no rule or memory names it; with one, it joins the arms
   * ({@link recordedArms}). Absent: every arm may be exploited. */
  trial?: readonly string[];
  /** Sideline good arms on an improbably losing run (sideline.ts): held from exploit picks like a
   * quarantined arm and probed at SIDELINED_PROBE_SHARE until two successes in a row; God sets it
   * from the 'routing-sidelines-losing-arms' patch on. Needs `quarantine`. */
  sideline?: boolean;
}

/**
 * Whether `arm` is quarantined for the kind: the change detector flagged it (its record restarted
 * from a failure streak its history made improbable, arm-stats.ts) and it still fails more than
 * FAILING_BELOW_SUCCESS, its overdue runs counted as failures. A quarantined arm is not
 * exploited while another arm can take the task, however a draw between two poor arms falls:
 * a specialist that starts failing loses its traffic. It is still explored (with its probability
 * logged), and those runs are how it earns its way back above the bar. A sidelined arm (input
 * `sideline`, sideline.ts: a good arm on an improbably losing run) is held out the same way.
 */
export function quarantined(policy: RoutingPolicy, input: ChooseInput, arm: string): boolean {
  return sidelined(policy, input, arm) || changedAndFailing(policy, input, arm);
}

function changedAndFailing(policy: RoutingPolicy, input: ChooseInput, arm: string): boolean {
  const s = armStats(policy, input.kind, arm);
  return s.changed === true && recordCounting(s, input.overdue?.[arm]).successMean < FAILING_BELOW_SUCCESS;
}

/**
 * Whether `arm` is sidelined for the kind (where the input asks for sidelining, sideline.ts): on an
 * improbably losing run, and some other arm that may be exploited would be worth more per dollar
 * on its means than this one were it really failing (its success read off the losing run alone,
 * Jeffreys' estimate: (successes + ½) ÷ (runs + 1), 0.17 for two failures in two). A cheap arm is
 * not held out for a dear one it would still beat failing: that trade costs more than the failures
 * it saves (without this check a bench:routing run sent general work to the reviewer at 20× the
 * Generalist's price, and cost per success fell to 6 % below the static rules').
 */
export function sidelined(policy: RoutingPolicy, input: ChooseInput, arm: string): boolean {
  if (input.sideline !== true) return false;
  const run = losingRun(armStats(policy, input.kind, arm), input.overdue?.[arm]);
  if (!run) return false;
  const failing = score(policy, input, arm, (run.runs - run.failures + 0.5) / (run.runs + 1));
  return input.arms.some((other) => other !== arm && !input.trial?.includes(other) && !changedAndFailing(policy, input, other) && score(policy, input, other, posteriorMean(policy, input, other)) > failing);
}

/** The chance, per decision of its kind, of a probe run: of an arm on trial, and of a quarantined
 * arm that has failed none of its runs since its change. */
export const PROBE_SHARE = 0.2;

/**
 * How often a quarantined arm is probed: PROBE_SHARE, halved for each run it failed since its
 * change. A quarantined arm wins no exploit pick, and uniform exploration alone gives it a run in
 * a hundred of its kind's tasks, too few to clear a false alarm (a healthy arm whose mixed record
 * had an unlucky streak) within hundreds of tasks; its probes are how it shows RECOVERY_RUN
 * successes in a row (arm-stats.ts). An arm that really fails stops being probed: after three
 * failed probes one decision in forty, and the probes it does get, it keeps failing. A sidelined
 * arm is probed at SIDELINED_PROBE_SHARE: two successes in a row end its sidelining, and until the
 * change detector restarts its record a really failing arm's probes are what bring that about.
 */
export function probeShare(policy: RoutingPolicy, input: ChooseInput, arm: string): number {
  if (sidelined(policy, input, arm)) return SIDELINED_PROBE_SHARE;
  return changedAndFailing(policy, input, arm) ? probeShareOf(armStats(policy, input.kind, arm)) : 0;
}

/** A quarantined record's probe share (PROBE_SHARE halved per run it failed since its change). */
export function probeShareOf(s: ArmStats): number {
  return PROBE_SHARE * Math.pow(0.5, s.failedSinceChange ?? 0);
}

/**
 * A probe, drawn from `rng`: of a quarantined arm while the quarantine holds it out of exploit picks
 * (at its probeShare), or of an arm on trial (at PROBE_SHARE: uniform exploration alone gave a
 * fallback on trial about one run in twenty of its kind's tasks, so in a run of 300 mixed tasks it
 * often never earned the record that lets it join, and the dear specialist kept work the cheap
 * fallback does as well).
 */
function probePick(policy: RoutingPolicy, rng: RandomState, input: ChooseInput): ArmChoice | undefined {
  const open = exploitable(policy, input, input.arms);
  const held = input.arms.filter((arm) => !open.includes(arm)).map((arm) => ({ arm, share: input.trial?.includes(arm) ? PROBE_SHARE : probeShare(policy, input, arm) })).filter((h) => h.share > 0);
  if (held.length === 0) return undefined;
  let u = uniform(rng);
  for (const { arm, share } of held) {
    if (u < share) return { arm, mode: 'explore', probe: true, probability: share, scores: {}, policyVersion: policy.version };
    u -= share;
  }
  return undefined;
}

/** RECORD_JOIN_RUNS runs as a decayed count (a hair under, for rounding). */
const JOIN_AT = decayedRuns(RECORD_JOIN_RUNS) - 1e-9;

/**
 * The arms with a record of their own for `kind`: RECORD_JOIN_RUNS or more runs (decayed), in
 * name order. Whatever first sent them such tasks (an explored pick, the classifier, memory), what
 * worked before routes what comes next: they stand beside the arms the rules and memory name, and
 * the draw weighs their record against their cost, so a cheap specialist that does the work well
 * wins it, and one whose record fails it rarely draws well enough to be chosen. (Joining on
 * success alone would hang on luck: a 75 % arm's record of five runs is below half a fifth of
 * the time, and once out it earns no record but its explored runs.)
 */
export function recordedArms(policy: RoutingPolicy, kind: string): string[] {
  return Object.entries(policy.arms[kind] ?? {})
    .filter(([, s]) => s.n >= JOIN_AT)
    .map(([arm]) => arm)
    .sort();
}

/** `arms` but those on trial, or all when every one is. */
function offTrial(input: ChooseInput, arms: readonly string[]): readonly string[] {
  const tried = input.trial?.length ? arms.filter((arm) => !input.trial!.includes(arm)) : arms;
  return tried.length > 0 ? tried : arms;
}

/** The arms an exploit pick may choose: all but those on trial and the quarantined ones. When that
 * leaves none, all of them; with `probe` on, the one of them doing best on its record's means
 * (every arm changed and still failing: a draw between such records is mostly noise, and the
 * others are probed like any quarantined arm). */
function exploitable(policy: RoutingPolicy, input: ChooseInput, arms: readonly string[]): readonly string[] {
  const base = offTrial(input, arms);
  if (!input.quarantine) return base;
  const open = base.filter((arm) => !quarantined(policy, input, arm));
  if (open.length > 0) return open;
  return input.probe && base.length > 1 ? [bestOnMeans(policy, input, base).best] : base;
}

/** How much one similar past outcome from memory counts against one outcome of the arm itself. */
export const EVIDENCE_WEIGHT = 0.5;
/** Below this many (decayed) runs the task's own estimate is the expected cost; history blends in after. */
export const COST_HISTORY_MIN_RUNS = 3;
/** No arm is treated as cheaper than this: a free-looking arm would win every draw. */
export const MIN_COST_USD = 1e-5;

const EMPTY: ArmStats = { n: 0, successes: 0, failures: 0, costMeanUsd: 0, costM2: 0, durationMeanMs: 0 };

export function armStats(policy: RoutingPolicy, kind: string, arm: string): ArmStats {
  return policy.arms[kind]?.[arm] ?? EMPTY;
}

/** What a run of `arm` is expected to cost: its estimate, moving toward its record as runs accrue. */
export function expectedCostUsd(policy: RoutingPolicy, input: ChooseInput, arm: string): number {
  const s = armStats(policy, input.kind, arm);
  const estimate = Math.max(0, input.estimatedCostUsd[arm] ?? 0);
  const weight = s.n >= COST_HISTORY_MIN_RUNS ? s.n / (s.n + COST_HISTORY_MIN_RUNS) : 0;
  return Math.max(MIN_COST_USD, weight * s.costMeanUsd + (1 - weight) * estimate);
}

function posterior(policy: RoutingPolicy, input: ChooseInput, arm: string): { a: number; b: number } {
  const s = armStats(policy, input.kind, arm);
  // Memory's outcomes of an arm that has since changed are no evidence of what it does now.
  const e = s.changed ? undefined : input.evidence?.[arm];
  return { a: 1 + s.successes + EVIDENCE_WEIGHT * (e?.successes ?? 0), b: 1 + s.failures + EVIDENCE_WEIGHT * (e?.failures ?? 0) + (input.overdue?.[arm] ?? 0) };
}

function posteriorMean(policy: RoutingPolicy, input: ChooseInput, arm: string): number {
  const { a, b } = posterior(policy, input, arm);
  return a / (a + b);
}

function score(policy: RoutingPolicy, input: ChooseInput, arm: string, success: number): number {
  return (success * input.value) / Math.pow(expectedCostUsd(policy, input, arm), policy.thresholds.costWeight);
}

/** One decision: explore with the policy's share, else the best Thompson draw. Advances `rng`. */
export function chooseArm(policy: RoutingPolicy, rng: RandomState, input: ChooseInput): ArmChoice {
  if (input.arms.length === 0) throw new RangeError('chooseArm needs at least one arm');
  const probe = input.quarantine && input.probe ? probePick(policy, rng, input) : undefined;
  if (probe) return probe;
  if (input.arms.length > 1 && uniform(rng) < policy.explorationShare) {
    const arm = input.arms[Math.min(input.arms.length - 1, Math.floor(uniform(rng) * input.arms.length))];
    return { arm, mode: 'explore', probability: policy.explorationShare / input.arms.length, scores: {}, policyVersion: policy.version };
  }
  const scores: Record<string, number> = {};
  const open = exploitable(policy, input, input.arms);
  let best = open[0];
  // Every arm draws, quarantined or not: the stream advances the same whichever arms may win.
  for (const arm of input.arms) {
    const { a, b } = posterior(policy, input, arm);
    scores[arm] = score(policy, input, arm, beta(rng, a, b));
    if (open.includes(arm) && scores[arm] > scores[best]) best = arm;
  }
  return { arm: best, mode: 'exploit', scores, policyVersion: policy.version };
}

/** The arm among `arms` with the best score on its posterior mean (the first on a tie), and every score. */
function bestOnMeans(policy: RoutingPolicy, input: ChooseInput, arms: readonly string[]): { best: string; scores: Record<string, number> } {
  const scores: Record<string, number> = {};
  let best = arms[0];
  for (const arm of arms) {
    scores[arm] = score(policy, input, arm, posteriorMean(policy, input, arm));
    if (scores[arm] > scores[best]) best = arm;
  }
  return { best, scores };
}

/** What the policy would pick on its means alone (no draw; arms on trial apart): for shadow scoring and `routing show`. */
export function greedyArm(policy: RoutingPolicy, input: ChooseInput): string {
  return bestOnMeans(policy, input, offTrial(input, input.arms)).best;
}

/** Whether the policy knows anything of `arm` for the kind: its own runs or similar past outcomes. */
function hasRecord(policy: RoutingPolicy, input: ChooseInput, arm: string): boolean {
  const e = input.evidence?.[arm];
  return armStats(policy, input.kind, arm).n > 0 || (e?.successes ?? 0) + (e?.failures ?? 0) > 0;
}

/**
 * The policy's best guess, no draw: for a task started directly, which must not gamble (exploring
 * is God's, paid by its experimental lane). Arms with a record for the kind compete on their
 * means; of the arms with none, only the first in `arms` (the rules' order) stands, so with no
 * record anywhere the rules' pick wins, whatever the arms cost and whatever the task id.
 */
export function bestGuessArm(policy: RoutingPolicy, input: ChooseInput): ArmChoice {
  if (input.arms.length === 0) throw new RangeError('bestGuessArm needs at least one arm');
  const arms = exploitable(policy, input, input.arms);
  const firstUnknown = arms.find((arm) => !hasRecord(policy, input, arm));
  const contenders = arms.filter((arm) => arm === firstUnknown || hasRecord(policy, input, arm));
  const { best, scores } = bestOnMeans(policy, input, contenders);
  return { arm: best, mode: 'exploit', scores, policyVersion: policy.version };
}
