/**
 * Keyword rules that follow results. Every finished task adds its content words to a small,
 * bounded tally per specialist (successes and failures); a rewrite then proposes edits where the
 * outcomes show a specialist winning or losing a kind of task: a word that keeps ending in its
 * successes (and is no other specialist's keyword) is added to its rules, and one of its keywords
 * that keeps ending in failures is dropped. Edits are data (validated words), never code. Pure.
 *
 * @example
 *   tally = tallyWords(tally, 'ResearchAgent', ['vector', 'databases', 'compare'], true);
 *   proposeRuleEdits(rules, tally) // [{ specialist: 'ResearchAgent', add: ['vector'], drop: [], reason: 'vector: 9 of 10 succeeded' }]
 */

export interface WordTally {
  s: number;
  f: number;
}

/** specialist → word → tally. */
export type WordTallies = Record<string, Record<string, WordTally>>;

export interface RuleEdit {
  specialist: string;
  add: string[];
  drop: string[];
  reason: string;
}

/** Words kept per specialist: the tally is carried in God's state, so it stays small. */
export const MAX_WORDS_PER_SPECIALIST = 60;
/** Outcomes a word needs before it can change a rule. */
export const MIN_WORD_EVIDENCE = 5;
export const ADD_AT_SUCCESS_RATE = 0.8;
export const DROP_AT_FAILURE_RATE = 0.7;
/** A specialist keeps at least this many keywords, whatever its failures say. */
export const MIN_KEYWORDS = 3;
export const MAX_EDITS_PER_SPECIALIST = 3;

const WORD = /^[a-z][a-z0-9-]{2,30}$/;

/** Adds a finished task's words to `specialist`'s tally, evicting the least-seen words past the bound. */
export function tallyWords(tallies: WordTallies, specialist: string, words: readonly string[], success: boolean): WordTallies {
  const mine = { ...(tallies[specialist] ?? {}) };
  for (const word of new Set(words.map((w) => w.toLowerCase()).filter((w) => WORD.test(w)))) {
    const t = mine[word] ?? { s: 0, f: 0 };
    mine[word] = success ? { s: t.s + 1, f: t.f } : { s: t.s, f: t.f + 1 };
  }
  const entries = Object.entries(mine);
  if (entries.length > MAX_WORDS_PER_SPECIALIST) {
    // Least evidence goes first; ties by word, so every worker and replay evicts the same.
    entries.sort((a, b) => b[1].s + b[1].f - (a[1].s + a[1].f) || a[0].localeCompare(b[0]));
    return { ...tallies, [specialist]: Object.fromEntries(entries.slice(0, MAX_WORDS_PER_SPECIALIST)) };
  }
  return { ...tallies, [specialist]: mine };
}

/** The edits the tallies support against `rules` (specialist → keywords). */
export function proposeRuleEdits(rules: Readonly<Record<string, readonly string[]>>, tallies: WordTallies): RuleEdit[] {
  const owner = new Map<string, string>();
  for (const [specialist, keywords] of Object.entries(rules)) for (const k of keywords) owner.set(k.toLowerCase(), specialist);
  const edits: RuleEdit[] = [];
  for (const specialist of Object.keys(tallies).sort()) {
    if (!rules[specialist]) continue; // not on the roster (retired): nothing to edit
    const keywords = new Set(rules[specialist].map((k) => k.toLowerCase()));
    const words = Object.entries(tallies[specialist]).sort((a, b) => a[0].localeCompare(b[0]));
    const rate = ([, t]: [string, WordTally]) => t.s / (t.s + t.f);
    // A word other specialists' tasks use as much says nothing about who should take a task.
    const shared = (w: string) => Object.keys(tallies).some((other) => other !== specialist && (tallies[other][w]?.s ?? 0) + (tallies[other][w]?.f ?? 0) >= MIN_WORD_EVIDENCE);
    const add = words
      .filter(([w, t]) => !owner.has(w) && !shared(w) && t.s + t.f >= MIN_WORD_EVIDENCE && rate([w, t]) >= ADD_AT_SUCCESS_RATE)
      .sort((a, b) => b[1].s - a[1].s || a[0].localeCompare(b[0]))
      .slice(0, MAX_EDITS_PER_SPECIALIST);
    const droppable = Math.max(0, keywords.size - MIN_KEYWORDS);
    const drop = words
      .filter(([w, t]) => keywords.has(w) && t.s + t.f >= MIN_WORD_EVIDENCE && t.f / (t.s + t.f) >= DROP_AT_FAILURE_RATE)
      .sort((a, b) => b[1].f - a[1].f || a[0].localeCompare(b[0]))
      .slice(0, Math.min(MAX_EDITS_PER_SPECIALIST, droppable));
    if (add.length === 0 && drop.length === 0) continue;
    const said = (list: Array<[string, WordTally]>, what: 'succeeded' | 'failed') => list.map(([w, t]) => `${w}: ${what === 'succeeded' ? t.s : t.f} of ${t.s + t.f} ${what}`);
    edits.push({ specialist, add: add.map(([w]) => w), drop: drop.map(([w]) => w), reason: [...said(add, 'succeeded'), ...said(drop, 'failed')].join('; ') });
  }
  return edits;
}

/** `rules` with `edits` applied (a new record; the input is left alone). */
export function applyRuleEdits(rules: Readonly<Record<string, readonly string[]>>, edits: readonly RuleEdit[]): Record<string, string[]> {
  const out: Record<string, string[]> = Object.fromEntries(Object.entries(rules).map(([s, k]) => [s, [...k]]));
  for (const e of edits) {
    if (!out[e.specialist]) continue;
    const dropped = new Set(e.drop);
    out[e.specialist] = [...out[e.specialist].filter((k) => !dropped.has(k.toLowerCase())), ...e.add.filter((w) => !out[e.specialist].includes(w))];
  }
  return out;
}
