import { keywordsNamed, stems } from './stem';

/**
 * Rule-based routing: score each specialist by the keywords of its roster file found in the task
 * (compared word by word in stem form, src/routing/stem.ts).
 * When the rules are sure, no LLM is asked; when they are not, the route activity asks a cheap
 * classifier. Pure functions.
 */

export interface RoutableSpecialist {
  name: string;
  keywords: readonly string[];
}

export interface RuleScore {
  specialist: string;
  score: number;
  matched: string[];
}

export interface RuleDecision {
  /** Best first; specialists with no match are left out. */
  ranking: RuleScore[];
  /** The rules' pick, when they are sure enough to skip the classifier. */
  choice?: { specialist: string; confidence: number; reason: string };
}

/** Below this the rules defer to the classifier. */
export const RULE_CONFIDENCE_THRESHOLD = 0.6;

export function scoreSpecialists(text: string, specialists: readonly RoutableSpecialist[]): RuleScore[] {
  const words = stems(text);
  return specialists
    .map((s) => {
      const matched = keywordsNamed(words, s.keywords);
      return { specialist: s.name, score: matched.length, matched };
    })
    .filter((s) => s.score > 0)
    .sort((a, b) => b.score - a.score || a.specialist.localeCompare(b.specialist));
}

/**
 * The specialists the rules put in the running: the top scorer and whoever matched at least half
 * as many keywords. A word a task shares with another field in passing ("writes" in a database
 * task is the Generalist's "write") does not make that specialist a candidate the routing policy
 * may pick, or a cheap one would win tasks on price that it was never asked to do.
 */
export function contenders(ranking: readonly RuleScore[]): RuleScore[] {
  const top = ranking[0]?.score ?? 0;
  return ranking.filter((r) => 2 * r.score >= top);
}

/** Confidence grows with the winner's lead over the runner-up, and a little with its own score. */
export function ruleConfidence(top: number, second: number): number {
  if (top === 0) return 0;
  return Math.min(0.95, 0.35 + 0.15 * (top - second) + 0.05 * top);
}

export function decideByRules(text: string, specialists: readonly RoutableSpecialist[]): RuleDecision {
  const ranking = scoreSpecialists(text, specialists);
  const [first, second] = ranking;
  if (!first) return { ranking };
  const confidence = ruleConfidence(first.score, second?.score ?? 0);
  if (confidence < RULE_CONFIDENCE_THRESHOLD || first.score === second?.score) return { ranking };
  return {
    ranking,
    choice: {
      specialist: first.specialist,
      confidence,
      reason: `rules: matched ${first.matched.map((m) => `"${m}"`).join(', ')}${second ? `; runner-up ${second.specialist} matched ${second.score}` : ''}`,
    },
  };
}
