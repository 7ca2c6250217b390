import type { RuleScore } from './rules';
import { indexOfPhrase, stems } from './stem';

/**
 * A chain proposal read off the keyword rules: a task that clearly spans several specialists
 * ("research the options, then write the migration") names each of them more than once. The plan
 * orders them by where the task first mentions them, which is the order a person wrote the steps
 * in. Pure; God decides whether to run it as a chain.
 */

/** A specialist must match at least this many of its keywords to be a step. */
export const MIN_PLAN_HITS = 2;
export const MAX_PLAN_STEPS = 4;

/** Where in `text` the first of `keywords` appears (its word's place, words compared in stem form as the rules match them); Infinity if none. */
export function firstMention(text: string, keywords: readonly string[]): number {
  const words = stems(text);
  let first = Number.POSITIVE_INFINITY;
  for (const keyword of keywords) {
    const at = indexOfPhrase(words, stems(keyword));
    if (at >= 0 && at < first) first = at;
  }
  return first;
}

/**
 * The steps of a chain when at least two specialists match `minHits` keywords or more, in order of
 * first mention, at most `maxSteps`; undefined when the task is one specialist's.
 */
export function planFromRules(text: string, ranking: readonly RuleScore[], minHits = MIN_PLAN_HITS, maxSteps = MAX_PLAN_STEPS): string[] | undefined {
  const steps = ranking
    .filter((r) => r.score >= minHits)
    // The strongest first, so the cap keeps the specialists the task leans on most.
    .slice(0, maxSteps)
    .map((r) => ({ specialist: r.specialist, at: firstMention(text, r.matched) }))
    .sort((a, b) => a.at - b.at || a.specialist.localeCompare(b.specialist))
    .map((s) => s.specialist);
  return steps.length >= 2 ? steps : undefined;
}
