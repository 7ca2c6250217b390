import { DEFAULT_DECAY, emptyArm, observeArm, type ChangeRules } from './arm-stats';
import { bestGuessArm, chooseArm, greedyArm, MIN_COST_USD, type ChooseInput } from './choose';
import { uniform } from './random';
import { applyRuleEdits, proposeRuleEdits, tallyWords } from './rule-edits';
import type { ArmChoice, PolicyAuditEntry, PolicyBook, RoutingPolicy, TrialTally } from './types';

/**
 * The routing policy's life cycle, pure (God wires it to Temporal): seed, decide, learn from each
 * finished task, derive a candidate every N tasks, try it on a canary share and in shadow, promote
 * it only on enough evidence of more value per dollar, watch it on probation and roll it back when
 * it does worse. Every function returns a new book; the input is never changed.
 */

export const POLICY_RULES = {
  /** A candidate is derived after this many finished tasks. */
  rewriteEvery: 50,
  /** Share of decisions the candidate makes while on trial. */
  canaryShare: 0.1,
  /** Canary tasks a candidate needs before it can be promoted. */
  minPromotionSamples: 50,
  /** Value per dollar the candidate must beat the active policy by. */
  minGain: 0.05,
  /** Tasks a promoted version is watched for. */
  probationTasks: 30,
  /** Success may fall this much (absolute) on probation before it is rolled back. */
  maxSuccessDrop: 0.1,
  /** Cost per success may rise this much (relative) on probation before it is rolled back. */
  maxCostPerSuccessRise: 0.25,
  /** Each rewrite explores a little less, down to this share. */
  minExploration: 0.02,
  explorationDecay: 0.8,
  maxHistory: 20,
  maxAudit: 50,
} as const;

export interface SeedInput {
  rules: Record<string, string[]>;
  nowMs: number;
  seed: number;
  explorationShare?: number;
  ruleConfidence?: number;
}

export function seedBook(input: SeedInput): PolicyBook {
  const active: RoutingPolicy = {
    version: 1,
    createdAtMs: input.nowMs,
    reason: 'seeded from the roster',
    arms: {},
    rules: Object.fromEntries(Object.entries(input.rules).map(([s, k]) => [s, [...k]])),
    thresholds: { ruleConfidence: input.ruleConfidence ?? 0.6, costWeight: 1 },
    explorationShare: input.explorationShare ?? 0.1,
  };
  return { active, history: [], sinceRewrite: 0, lastVersion: 1, rng: { s: input.seed >>> 0 }, words: {}, audit: [{ atMs: input.nowMs, kind: 'seeded', version: 1, detail: active.reason }] };
}

/** A routing decision and what each policy would have picked on its means (for shadow scoring). */
export interface PolicyDecision {
  choice: ArmChoice;
  by: 'active' | 'candidate';
  shadow: { active: string; candidate?: string };
  arms: number;
}

/** The version that makes a decision `by` the active policy or the candidate on trial. */
export function decidingPolicy(book: PolicyBook, by: PolicyDecision['by']): RoutingPolicy {
  return by === 'candidate' && book.candidate ? book.candidate.policy : book.active;
}

/**
 * Which policy decides (the candidate on its canary share) and its pick: a Thompson draw, or for a
 * task that must not gamble its best guess (choose.ts bestGuessArm). Advances the book's stream.
 */
export function decide(book: PolicyBook, input: ChooseInput, how: 'draw' | 'best-guess' = 'draw'): { book: PolicyBook; decision: PolicyDecision } {
  const rng = { ...book.rng };
  const byCandidate = book.candidate !== undefined && uniform(rng) < POLICY_RULES.canaryShare;
  const policy = decidingPolicy(book, byCandidate ? 'candidate' : 'active');
  const choice = how === 'draw' ? chooseArm(policy, rng, input) : bestGuessArm(policy, input);
  const shadow = { active: greedyArm(book.active, input), ...(book.candidate && { candidate: greedyArm(book.candidate.policy, input) }) };
  return { book: { ...book, rng }, decision: { choice, by: byCandidate ? 'candidate' : 'active', shadow, arms: input.arms.length } };
}

/** A finished task, as the policy learns from it. */
export interface RoutedOutcome {
  kind: string;
  decision: PolicyDecision;
  success: boolean;
  costUsd: number;
  durationMs: number;
  /** What the success was worth (the value the decision was made with). */
  value: number;
  /** The task's content words (rule rewrites read them); empty for chains. */
  words: readonly string[];
}

export function emptyTally(): TrialTally {
  return { tasks: 0, successes: 0, costUsd: 0, value: 0 };
}

function counted(t: TrialTally, o: Pick<RoutedOutcome, 'success' | 'costUsd' | 'value'>, weight = 1): TrialTally {
  return { tasks: t.tasks + weight, successes: t.successes + (o.success ? weight : 0), costUsd: t.costUsd + weight * o.costUsd, value: t.value + (o.success ? weight * o.value : 0) };
}

/** Value of successes per dollar spent. */
export function valuePerDollar(t: TrialTally): number {
  return t.value / Math.max(t.costUsd, MIN_COST_USD);
}

function withArm(policy: RoutingPolicy, o: RoutedOutcome, rules: ChangeRules): RoutingPolicy {
  const arm = o.decision.choice.arm;
  const kind = { ...(policy.arms[o.kind] ?? {}) };
  kind[arm] = observeArm(kind[arm] ?? emptyArm(), o, DEFAULT_DECAY, rules);
  return { ...policy, arms: { ...policy.arms, [o.kind]: kind } };
}

function audited(book: PolicyBook, entry: PolicyAuditEntry): PolicyBook {
  return { ...book, audit: [...book.audit, entry].slice(-POLICY_RULES.maxAudit) };
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

/** Learns from one finished task; may promote, discard, roll back or derive a version. `rules`:
 * how the change detector reads the records (arm-stats.ts ChangeRules). */
export function observe(before: PolicyBook, o: RoutedOutcome, nowMs: number, rules: ChangeRules = {}): PolicyBook {
  let book: PolicyBook = { ...before, active: withArm(before.active, o, rules), sinceRewrite: before.sinceRewrite + 1 };
  const ran = o.decision.choice.arm;
  if (!ran.startsWith('chain:')) book.words = tallyWords(book.words, ran, o.words, o.success);

  if (book.candidate) {
    const c = book.candidate;
    const trial = { ...c, policy: withArm(c.policy, o, rules) };
    if (o.decision.by === 'candidate') trial.canary = counted(c.canary, o);
    else trial.control = counted(c.control, o);
    if (o.decision.choice.mode === 'explore' && !o.decision.choice.probe) {
      // Inverse propensity: within exploration every arm had 1 / arms of being picked (a probe's
      // arm was not drawn uniformly, so it scores nothing).
      if (ran === o.decision.shadow.candidate) trial.shadow = counted(c.shadow, o, o.decision.arms);
      if (ran === o.decision.shadow.active) trial.shadowControl = counted(c.shadowControl, o, o.decision.arms);
    }
    book.candidate = trial;
    book = judgeCandidate(book, nowMs);
  } else if (book.probation && o.decision.choice.policyVersion === book.probation.version) {
    book.probation = { ...book.probation, after: counted(book.probation.after, o) };
    book = judgeProbation(book, nowMs);
  }

  if (book.sinceRewrite >= POLICY_RULES.rewriteEvery && !book.candidate && !book.probation) book = derive(book, nowMs);
  return book;
}

function judgeCandidate(book: PolicyBook, nowMs: number): PolicyBook {
  const c = book.candidate!;
  if (c.canary.tasks < POLICY_RULES.minPromotionSamples) return book;
  const gain = valuePerDollar(c.canary) / Math.max(valuePerDollar(c.control), Number.MIN_VALUE) - 1;
  const shadow = c.shadow.tasks > 0 && c.shadowControl.tasks > 0 ? `; shadow ${valuePerDollar(c.shadow).toFixed(1)} vs ${valuePerDollar(c.shadowControl).toFixed(1)} value/$` : '';
  const figures = `${c.canary.tasks} canary tasks: ${valuePerDollar(c.canary).toFixed(1)} value/$ vs ${valuePerDollar(c.control).toFixed(1)} (${gain >= 0 ? '+' : ''}${pct(gain)})${shadow}`;
  if (gain < POLICY_RULES.minGain) {
    return audited({ ...book, candidate: undefined, sinceRewrite: 0 }, { atMs: nowMs, kind: 'discarded', version: c.policy.version, detail: `not promoted: ${figures}; needs +${pct(POLICY_RULES.minGain)}` });
  }
  const baseline = { successRate: c.control.successes / Math.max(1, c.control.tasks), costPerSuccessUsd: c.control.costUsd / Math.max(1, c.control.successes) };
  const promoted: PolicyBook = {
    ...book,
    active: c.policy,
    history: [...book.history, book.active].slice(-POLICY_RULES.maxHistory),
    candidate: undefined,
    probation: { version: c.policy.version, previous: book.active.version, baseline, after: emptyTally() },
    sinceRewrite: 0,
  };
  return audited(promoted, { atMs: nowMs, kind: 'promoted', version: c.policy.version, detail: `promoted over v${book.active.version}: ${figures}` });
}

function judgeProbation(book: PolicyBook, nowMs: number): PolicyBook {
  const p = book.probation!;
  const { after, baseline } = p;
  const n = POLICY_RULES.probationTasks;
  const floor = baseline.successRate - POLICY_RULES.maxSuccessDrop;
  // Rolled back as soon as the window cannot end above the floor, else judged when it is full.
  const bestPossible = (after.successes + Math.max(0, n - after.tasks)) / Math.max(n, after.tasks);
  const rate = after.successes / Math.max(1, after.tasks);
  const costPerSuccess = after.costUsd / Math.max(1, after.successes);
  let why: string | undefined;
  if (bestPossible < floor) why = `success ${pct(rate)} over ${after.tasks} tasks cannot reach ${pct(floor)} (was ${pct(baseline.successRate)})`;
  else if (after.tasks >= n && rate < floor) why = `success fell to ${pct(rate)} from ${pct(baseline.successRate)} over ${after.tasks} tasks`;
  else if (after.tasks >= n && costPerSuccess > baseline.costPerSuccessUsd * (1 + POLICY_RULES.maxCostPerSuccessRise)) {
    why = `cost per success rose to $${costPerSuccess.toFixed(4)} from $${baseline.costPerSuccessUsd.toFixed(4)} over ${after.tasks} tasks`;
  }
  if (why) return rollbackTo(book, p.previous, `automatic: ${why}`, 'god', nowMs);
  if (after.tasks >= n) return { ...book, probation: undefined };
  return book;
}

function derive(book: PolicyBook, nowMs: number): PolicyBook {
  const edits = proposeRuleEdits(book.active.rules, book.words);
  const share = Math.max(POLICY_RULES.minExploration, book.active.explorationShare * POLICY_RULES.explorationDecay);
  const changes = [...edits.map((e) => `${e.specialist}${e.add.length ? ` +${e.add.join(' +')}` : ''}${e.drop.length ? ` -${e.drop.join(' -')}` : ''} (${e.reason})`)];
  if (share !== book.active.explorationShare) changes.push(`exploration ${pct(book.active.explorationShare)} → ${pct(share)}`);
  if (changes.length === 0) return { ...book, sinceRewrite: 0 };
  const version = book.lastVersion + 1;
  const policy: RoutingPolicy = {
    ...book.active,
    version,
    parent: book.active.version,
    createdAtMs: nowMs,
    reason: `rewrite after ${book.sinceRewrite} tasks: ${changes.join('; ')}`,
    rules: applyRuleEdits(book.active.rules, edits),
    explorationShare: share,
  };
  const trial = { policy, canary: emptyTally(), control: emptyTally(), shadow: emptyTally(), shadowControl: emptyTally(), startedAtMs: nowMs };
  return audited({ ...book, candidate: trial, sinceRewrite: 0, lastVersion: version }, { atMs: nowMs, kind: 'derived', version, detail: policy.reason });
}

/** What a rollback may name, said the same way everywhere: the earlier versions kept, and the active one it cannot. */
export function rollbackTargetsText(book: Pick<PolicyBook, 'history' | 'active'>): string {
  return `earlier versions kept: ${book.history.map((p) => `v${p.version}`).join(', ') || 'none'}; v${book.active.version} is active`;
}

/**
 * Why `version` is no rollback target (already active, the candidate on trial, not kept), said the
 * same way by God's update validator and here; undefined when it is one. The candidate is listed
 * by `routing history`, so naming it is told what becomes of it rather than that it does not exist.
 */
export function rollbackRefusal(book: Pick<PolicyBook, 'history' | 'active' | 'candidate'>, version: number): string | undefined {
  if (version === book.active.version) return `v${version} is already active`;
  if (book.history.some((p) => p.version === version)) return undefined;
  if (book.candidate?.policy.version === version) {
    const early = book.history.length > 0 ? 'a rollback to an earlier version ends its trial' : 'no command ends its trial early';
    return (
      `v${version} is the candidate on trial (never active, so no rollback target): it is promoted once ` +
      `${POLICY_RULES.minPromotionSamples} canary tasks show ${Math.round(POLICY_RULES.minGain * 100)} % more value per dollar than v${book.active.version}, ` +
      `else discarded; ${early} (its canary so far: pantheon routing show; ${rollbackTargetsText(book)})`
    );
  }
  return `no policy v${version} to roll back to (${rollbackTargetsText(book)})`;
}

/**
 * Makes `version` active again (an operator's rollback, or probation's): its rules, thresholds and
 * exploration share come back; what has been learned about the arms stays (it is evidence about
 * the specialists, not a choice of the version). Any candidate and probation end.
 */
export function rollbackTo(book: PolicyBook, version: number, reason: string, by: string, nowMs: number): PolicyBook {
  const refusal = rollbackRefusal(book, version);
  if (refusal) throw new RangeError(refusal);
  const target = book.history.find((p) => p.version === version)!;
  const active: RoutingPolicy = { ...target, arms: book.active.arms };
  const history = [...book.history.filter((p) => p.version !== version), book.active].slice(-POLICY_RULES.maxHistory);
  const next: PolicyBook = { ...book, active, history, candidate: undefined, probation: undefined, sinceRewrite: 0 };
  return audited(next, { atMs: nowMs, kind: 'rolled_back', version, detail: `v${book.active.version} rolled back to v${version}: ${reason}`, by });
}
