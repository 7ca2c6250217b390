import type { ArmStats } from './arm-stats';
import type { RandomState } from './random';
import type { WordTallies } from './rule-edits';

/**
 * The routing policy as versioned data (issue 8): what each arm has done per task kind, the
 * keyword rules per specialist, the thresholds and the exploration share. God owns the active
 * version and its history; every routing decision names the version that made it.
 */
export interface RoutingPolicy {
  /** 1, 2, … in order of creation; never reused (a rollback re-activates an old number). */
  version: number;
  /** The version it was derived from; absent for the first. */
  parent?: number;
  createdAtMs: number;
  /** Why it exists: "seed from agents/", "rewrite after 50 tasks: …", "rollback of v4: …". */
  reason: string;
  /** kind → arm → statistics. */
  arms: Record<string, Record<string, ArmStats>>;
  /** specialist → keywords (seeded from the roster files; rewrites add and drop). */
  rules: Record<string, string[]>;
  thresholds: PolicyThresholds;
  /** Share of decisions picked uniformly at random (logged with their probability; experimental lane). */
  explorationShare: number;
}

export interface PolicyThresholds {
  /** Below this rule confidence the route asks the classifier (today's RULE_CONFIDENCE_THRESHOLD). */
  ruleConfidence: number;
  /** Cost weight: an arm's value is sampled success × value ÷ cost^costWeight (1 = value per dollar). */
  costWeight: number;
}

/** One routing choice among arms for a task. */
export interface ArmChoice {
  arm: string;
  mode: 'exploit' | 'explore';
  /** The probability the choice had under its mode (explore: share ÷ arms; a probe: its share;
   * exploit: not computed). */
  probability?: number;
  /** An explored run of a quarantined arm or an arm on trial (choose.ts probePick): not uniform, so
   * off-policy scoring leaves it out. */
  probe?: true;
  /** Each arm's sampled score (exploit) — the evidence for the log and the Web UI. */
  scores: Record<string, number>;
  policyVersion: number;
}

/** The live book God keeps: the active policy, a candidate on trial, a promoted one on probation. */
export interface PolicyBook {
  active: RoutingPolicy;
  /** Earlier versions, newest last (bounded: see MAX_HISTORY), for rollback and diff. */
  history: RoutingPolicy[];
  candidate?: CandidateTrial;
  probation?: Probation;
  /** Completed tasks since the last rewrite (or the last candidate's end). */
  sinceRewrite: number;
  /** The highest version number ever given: numbers are never reused, even a discarded candidate's. */
  lastVersion: number;
  rng: RandomState;
  /** Words of finished tasks per specialist: what rule rewrites read. */
  words: WordTallies;
  /** Audit of promotions, rollbacks and rewrites, newest last (bounded). */
  audit: PolicyAuditEntry[];
}

/** Outcomes gathered per arm of the decision (active vs candidate) while a candidate is on trial. */
export interface TrialTally {
  tasks: number;
  successes: number;
  costUsd: number;
  /** Sum of value of successful tasks (goal value × priority weight), for value per dollar. */
  value: number;
}

export interface CandidateTrial {
  policy: RoutingPolicy;
  /** Live tasks routed by the candidate (the canary share). */
  canary: TrialTally;
  /** Live tasks routed by the active policy meanwhile. */
  control: TrialTally;
  /** Explored tasks whose logged arm is what the candidate would have chosen, inverse-propensity weighted. */
  shadow: TrialTally;
  /** The same for the active policy, over the same explored tasks. */
  shadowControl: TrialTally;
  startedAtMs: number;
}

export interface Probation {
  /** The version promoted, and the one it replaced (the rollback target). */
  version: number;
  previous: number;
  /** The replaced version's record just before promotion. */
  baseline: { successRate: number; costPerSuccessUsd: number };
  after: TrialTally;
}

export interface PolicyAuditEntry {
  atMs: number;
  kind: 'seeded' | 'derived' | 'promoted' | 'discarded' | 'rolled_back';
  version: number;
  detail: string;
  by?: string;
}
