import { GENERAL_KIND, kindOfSpecialist } from './kinds';
import { ruleConfidence, RULE_CONFIDENCE_THRESHOLD, type RuleScore } from './rules';

/**
 * A task's kind from its keyword rules and its nearest past tasks in memory (issue 8), and the
 * evidence those past tasks give each specialist: similar successes count for a specialist,
 * similar failures against it. Deterministic and explainable: the same inputs give the same kind
 * and the same sentence, e.g. "memory: like 7 earlier tasks, 6 of them DatabaseAgent successes".
 *
 * The rule, in order:
 *  1. Neighbours at or below {@link MEMORY_SIMILARITY_FLOOR} are ignored.
 *  2. Memory's leader is the specialist with the highest net record among the neighbours
 *     (successes − failures; ties: more successes, then name). It leads when its net is at least
 *     {@link MEMORY_MIN_NET}.
 *  3. Confident rules (the same confidence the route uses, {@link RULE_CONFIDENCE_THRESHOLD}, and
 *     no tie at the top) give the kind unless memory disagrees strongly: its leader is another
 *     specialist with a net of at least {@link MEMORY_STRONG_NET} and at least
 *     {@link MEMORY_STRONG_LEAD} above the rules' pick.
 *  4. Otherwise a leading memory gives the kind; else the rules' top match; else "general".
 *
 * @example
 *   kindAndEvidence({ ranking: [], fallbackName: 'Generalist', neighbours: [
 *     { specialist: 'DatabaseAgent', success: true, similarity: 0.6 }, …] })
 *   // { kind: 'database', evidence: { DatabaseAgent: { successes: 6, failures: 0 }, … },
 *   //   source: 'memory', explanation: 'memory: like 7 earlier tasks, 6 of them DatabaseAgent successes; no rule matched' }
 */

/** Hybrid relevance a past task must exceed to count (the prompt's floor, src/memory/recall-for-prompt.ts). */
export const MEMORY_SIMILARITY_FLOOR = 0.25;
/** Net successes memory's leader needs to name the kind when the rules are unsure: one similar
 * success that no similar failure of the same specialist cancels beats an unsure keyword (on the
 * labelled routing set, requiring 2 left 85 % of tasks to the rules: `npm run bench:routing-accuracy`). */
export const MEMORY_MIN_NET = 1;
/** Net successes memory's leader needs to overrule confident rules… */
export const MEMORY_STRONG_NET = 3;
/** …and its lead over the rules' pick. */
export const MEMORY_STRONG_LEAD = 3;

export interface Neighbour {
  specialist: string;
  success: boolean;
  /** The recall's relevance of the past task to this one. */
  similarity: number;
}

export interface Evidence {
  successes: number;
  failures: number;
}

export interface KindInput {
  /** The rules' ranking (src/routing/rules.ts `decideByRules`), best first. */
  ranking: readonly RuleScore[];
  neighbours: readonly Neighbour[];
  /** The roster's fallback specialist, whose kind is "general". */
  fallbackName: string;
}

export interface KindDecision {
  kind: string;
  /** Per specialist, what the similar past tasks say (for the policy's `ChooseInput.evidence`). */
  evidence: Record<string, Evidence>;
  /** What decided the kind. */
  source: 'rules' | 'memory' | 'none';
  explanation: string;
}

interface Tally extends Evidence {
  specialist: string;
  net: number;
}

function leaderOf(evidence: Record<string, Evidence>): Tally | undefined {
  const tallies = Object.entries(evidence).map(([specialist, e]) => ({ specialist, ...e, net: e.successes - e.failures }));
  tallies.sort((a, b) => b.net - a.net || b.successes - a.successes || a.specialist.localeCompare(b.specialist));
  return tallies[0];
}

function net(evidence: Record<string, Evidence>, specialist: string): number {
  const e = evidence[specialist];
  return e ? e.successes - e.failures : 0;
}

function memorySentence(kept: number, evidence: Record<string, Evidence>, leader: Tally | undefined): string {
  if (kept === 0) return 'memory: no similar earlier task';
  const tasks = kept === 1 ? '1 earlier task' : `${kept} earlier tasks`;
  if (!leader || leader.net <= 0) return `memory: like ${tasks}, none a clear success`;
  const against = Object.entries(evidence)
    .filter(([, e]) => e.failures > 0)
    .sort((a, b) => b[1].failures - a[1].failures || a[0].localeCompare(b[0]))
    .map(([s, e]) => `${e.failures} ${s} failure${e.failures === 1 ? '' : 's'}`);
  const ofThem = leader.successes === kept ? 'all' : `${leader.successes} of them`;
  return `memory: like ${tasks}, ${ofThem} ${leader.specialist} success${leader.successes === 1 ? '' : 'es'}${against.length ? ` (${against.join(', ')})` : ''}`;
}

function rulesSentence(ranking: readonly RuleScore[], confident: boolean): string {
  const [first, second] = ranking;
  if (!first) return 'no rule matched';
  const matched = first.matched.map((m) => `"${m}"`).join(', ');
  const runnerUp = second ? `; runner-up ${second.specialist} matched ${second.score}` : '';
  return `rules${confident ? '' : ' (unsure)'}: ${first.specialist} matched ${matched}${runnerUp}`;
}

export function kindAndEvidence(input: KindInput): KindDecision {
  const kept = input.neighbours.filter((n) => n.similarity > MEMORY_SIMILARITY_FLOOR);
  const evidence: Record<string, Evidence> = {};
  for (const n of kept) {
    const e = (evidence[n.specialist] ??= { successes: 0, failures: 0 });
    if (n.success) e.successes += 1;
    else e.failures += 1;
  }
  const leader = leaderOf(evidence);
  const [first, second] = input.ranking;
  const confident = first !== undefined && first.score !== second?.score && ruleConfidence(first.score, second?.score ?? 0) >= RULE_CONFIDENCE_THRESHOLD;
  const memory = memorySentence(kept.length, evidence, leader);
  const rules = rulesSentence(input.ranking, confident);
  const kindOf = (specialist: string) => kindOfSpecialist(specialist, input.fallbackName);
  const decided = (kind: string, source: KindDecision['source'], explanation: string): KindDecision => ({ kind, evidence, source, explanation });

  const memoryLeads = leader !== undefined && leader.net >= MEMORY_MIN_NET;
  if (confident) {
    const strong = memoryLeads && leader.specialist !== first.specialist && leader.net >= MEMORY_STRONG_NET && leader.net - net(evidence, first.specialist) >= MEMORY_STRONG_LEAD;
    if (!strong) return decided(kindOf(first.specialist), 'rules', `${rules}; ${memory}`);
    return decided(kindOf(leader.specialist), 'memory', `${memory}; overrules ${rules}`);
  }
  if (memoryLeads) return decided(kindOf(leader.specialist), 'memory', `${memory}; ${rules}`);
  if (first) return decided(kindOf(first.specialist), 'rules', `${rules}; ${memory}`);
  return decided(GENERAL_KIND, 'none', `${memory}; ${rules}`);
}
