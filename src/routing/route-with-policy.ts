import { NOT_A_TOPIC } from './kinds';
import { contentWords } from '../tasks/validation';
import { kindAndEvidence, MEMORY_STRONG_NET, type KindDecision, type Neighbour } from './memory-kind';
import { decide, decidingPolicy, seedBook, type PolicyDecision } from './policy/book';
import { successMean, type ArmStats } from './policy/arm-stats';
import { armStats, sidelined } from './policy/choose';
import type { PolicyBook, RoutingPolicy } from './policy/types';
import type { RuleScore } from './rules';
import type { TaskRouting } from '../tasks/task-input';
import type { Roster } from '../specialists/roster';

/**
 * The learned policy applied to one task, pure: what kind of task it is and what the past says
 * about each arm, which specialists may take it, and the choice (Thompson sampling over the
 * arms, src/routing/policy). God calls it with its own book (its PRNG advances in the book); the
 * routeTask activity calls it for a directly started task with a PRNG seeded from the task id,
 * so the same task and policy give the same pick on every worker and every retry.
 *
 * @example
 *   const { kind, evidence } = taskKindAndEvidence(rules.ranking, 'Generalist');
 *   const arms = policyArms(ranked, (n) => roster.get(n) !== undefined);
 *   const { book: next, route } = routeWithPolicy(book, { kind, arms, estimatedCostUsd, value: 2, evidence });
 *   route.arm; route.routing; // { policyVersion: 3, mode: 'exploit', by: 'active' }
 */

export type KindAndEvidence = KindDecision;

/**
 * The task's kind and the per-arm evidence the policy draws with: from its rule ranking and its
 * nearest past tasks in memory (src/routing/memory-kind.ts: "like 7 earlier tasks, 6 of them
 * DatabaseAgent successes"); from the rules alone when memory has nothing like it.
 */
export function taskKindAndEvidence(ranking: readonly RuleScore[], fallback: string, neighbours: readonly Neighbour[] = []): KindAndEvidence {
  return kindAndEvidence({ ranking, neighbours, fallbackName: fallback });
}

/**
 * Specialists similar past tasks clearly succeeded with (a net of at least MEMORY_STRONG_NET
 * similar successes over failures): arms beside the rules' ranking, best net first. One or two
 * lucky runs do not make a specialist a candidate for work its keywords do not name.
 */
export function rememberedArms(evidence: KindAndEvidence['evidence']): string[] {
  return Object.entries(evidence)
    .filter(([, e]) => e.successes - e.failures >= MEMORY_STRONG_NET)
    .sort((a, b) => b[1].successes - b[1].failures - (a[1].successes - a[1].failures) || a[0].localeCompare(b[0]))
    .map(([name]) => name);
}

/**
 * The arms the policy may pick among: the candidates given, in their order, without repeats, that
 * are still routable (never a retired one). The fallback is not a candidate by default: with no
 * record, a cheaper fallback's value per dollar would beat every specialist the task matched, so
 * God adds it only once every other arm keeps failing the kind (src/god/routing.ts).
 */
export function policyArms(ranked: readonly string[], routable: (name: string) => boolean): string[] {
  return [...new Set(ranked)].filter(routable);
}

export interface PolicyRouteInput {
  kind: string;
  arms: readonly string[];
  estimatedCostUsd: Readonly<Record<string, number>>;
  /** What a success is worth: goal value ÷ 5 × priority weight (1 for a direct task of normal priority ÷ 2). */
  value: number;
  evidence?: KindAndEvidence['evidence'];
  /** Per arm: its tasks of the kind running well past its usual duration (ChooseInput.overdue). */
  overdue?: Readonly<Record<string, number>>;
  /** Keep quarantined arms out of exploit picks (ChooseInput.quarantine). */
  quarantine?: boolean;
  /** Probe quarantined arms and arms on trial now and then (ChooseInput.probe). */
  probe?: boolean;
  /** Sideline good arms on an improbably losing run (ChooseInput.sideline). */
  sideline?: boolean;
  /** Arms explored but not exploited yet (ChooseInput.trial). */
  trial?: readonly string[];
}

/** The decision as God keeps it until the task ends: scores dropped (the state stays small). */
export type CompactDecision = PolicyDecision;

export interface PolicyRoute {
  arm: string;
  routing: TaskRouting;
  decision: CompactDecision;
  /** Explored picks are paid by the experimental lane. */
  experimental: boolean;
  reason: string;
}

/** One decision with `book`'s stream (a Thompson draw, or the best guess); returns the advanced book. */
export function routeWithPolicy(book: PolicyBook, input: PolicyRouteInput, how: 'draw' | 'best-guess' = 'draw'): { book: PolicyBook; route: PolicyRoute } {
  const choose = { kind: input.kind, arms: input.arms, estimatedCostUsd: input.estimatedCostUsd, value: input.value, ...(input.evidence && { evidence: input.evidence }), ...(input.overdue && { overdue: input.overdue }), ...(input.quarantine && { quarantine: true }), ...(input.probe && { probe: true }), ...(input.sideline && { sideline: true }), ...(input.trial?.length && { trial: input.trial }) };
  const { book: next, decision } = decide(book, choose, how);
  const c = decision.choice;
  const routing: TaskRouting = { policyVersion: c.policyVersion, mode: c.mode, by: decision.by, ...(c.probability !== undefined && { probability: c.probability }) };
  const trial = input.trial?.length ? input.arms.filter((arm) => input.trial!.includes(arm)) : [];
  const among = input.arms.filter((arm) => !trial.includes(arm)).join(', ');
  const pick = c.probe
    ? `probed while ${trial.includes(c.arm) ? 'on trial' : sidelined(decidingPolicy(book, decision.by), choose, c.arm) ? 'sidelined' : 'quarantined'} (p=${(c.probability ?? 0).toFixed(3)}, experimental lane)`
    : c.mode === 'explore'
      ? `explored (p=${(c.probability ?? 0).toFixed(3)}, experimental lane)`
      : `${how === 'draw' ? 'Thompson pick' : 'best guess'} among ${among}`;
  const trying = trial.length ? `; ${trial.join(', ')} on trial (explored only)` : '';
  const reason = `policy v${c.policyVersion} (${decision.by}): ${c.arm}, ${pick}${trying}; kind "${input.kind}"; ${recordOf(armStats(decidingPolicy(book, decision.by), input.kind, c.arm))}`;
  return { book: next, route: { arm: c.arm, routing, decision: { ...decision, choice: { ...c, scores: {} } }, experimental: c.mode === 'explore', reason } };
}

/** What the deciding policy held of the chosen arm for the kind, for the decision's reason: what a
 * late or surprising pick is read against (its change detector's streak and mark included). The
 * success is the posterior estimate (one success and one failure assumed before any run), not a
 * measured rate, so it is named an estimate beside the decayed count it comes from: one good run
 * reads "1.0 succeeded, success estimated at 67 %" (it read "success 67 %" until 2026-12-07). */
export function recordOf(s: ArmStats): string {
  if (s.n === 0) return 'its record: none';
  const streak = s.failStreak ? `, ${s.failStreak} failed in a row` : '';
  return `its record: ${s.n.toFixed(1)} runs, ${s.successes.toFixed(1)} succeeded, success estimated at ${(successMean(s) * 100).toFixed(0)} %${streak}${s.changed ? ', changed' : ''}`;
}

/** A 32-bit seed from a task id (FNV-1a): the same id always gives the same stream. */
export function seedFromId(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * A decision for a task routed outside God: never explored and never a draw (its submitter's
 * lane pays, and the same task must route the same on every worker): the policy's best guess,
 * the rules' pick until the kind has a record. Which policy decides (canary) comes from a stream
 * seeded by the task id.
 */
export function routeTaskWithPolicy(book: PolicyBook, taskId: string, input: PolicyRouteInput): PolicyRoute {
  return routeWithPolicy({ ...book, rng: { s: seedFromId(taskId) } }, input, 'best-guess').route;
}

/** Keyword rules from roster entries (specialist → keywords): what a policy is seeded with. */
export function rulesOf(specialists: readonly { name: string; keywords: readonly string[] }[]): Record<string, string[]> {
  return Object.fromEntries(specialists.map((s) => [s.name, [...s.keywords]]));
}

/** Roster entries with the policy's keywords where it has rules for them (a spawned specialist
 * the policy has not seen keeps its own). */
export function withPolicyKeywords<S extends { name: string; keywords: string[] }>(specialists: readonly S[], policy: Pick<RoutingPolicy, 'rules'>): S[] {
  return specialists.map((s) => (policy.rules[s.name] ? { ...s, keywords: policy.rules[s.name] } : s));
}

/** The roster as the policy's rules see it: same entries, the policy's keywords. */
export function withPolicyRules(roster: Roster, rules: Readonly<Record<string, string[]>>): Roster {
  const specialists = withPolicyKeywords(roster.specialists, { rules: rules as Record<string, string[]> });
  return { specialists, fallback: roster.fallback, get: (name) => specialists.find((s) => s.name === name) ?? roster.get(name) };
}

/** The stand-in when no God runs: the roster's rules as version 0, which says so. */
export function rosterPolicyBook(specialists: readonly { name: string; keywords: readonly string[] }[], nowMs: number): PolicyBook {
  const book = seedBook({ rules: rulesOf(specialists), nowMs, seed: 0 });
  return { ...book, active: { ...book.active, version: 0, reason: 'no God running: seeded from the roster' }, lastVersion: 0 };
}

/** Words of a task's objective the rule rewrites tally (bounded: God carries them until the task ends). */
export function taskWords(objective: string, max = 20): string[] {
  // Subject words only: stop words and the verbs that say what to do ("write", "review") are no topic.
  const words = contentWords(objective).filter((w) => w.length <= 31 && !NOT_A_TOPIC.has(w));
  return [...new Set(words)].slice(0, max);
}
