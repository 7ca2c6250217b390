import { contentWords } from '../tasks/validation';

/**
 * Task kinds: the coarse categories God keeps statistics by ("database", "research", "general").
 * A kind is read off the specialist the rules picked, and a spawned specialist is named after the
 * kind it was made for, so the two map onto each other: "legal" ⇄ "LegalAgent". Pure.
 *
 * @example
 *   kindOfSpecialist('CodeReviewAgent', 'Generalist') // 'code-review'
 *   specialistNameForKind('code-review')               // 'CodeReviewAgent'
 */

/** What nothing in the roster matched, and what the fallback specialist handles. */
export const GENERAL_KIND = 'general';

const MAX_KIND_CHARS = 40;

/** A kind as God stores it: lowercase words joined by "-", at most 40 characters; '' if nothing is left. */
export function normaliseKind(text: string): string {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_KIND_CHARS)
    .replace(/-+$/, '');
}

/** The kind a specialist handles: its name without "Agent", or "general" for the fallback. */
export function kindOfSpecialist(name: string, fallbackName?: string): string {
  if (name === fallbackName) return GENERAL_KIND;
  return normaliseKind(name.replace(/Agent$/, '')) || GENERAL_KIND;
}

/** The PascalCase name a specialist spawned for `kind` gets; "Spawned" + "Agent" when the kind has no letters. */
export function specialistNameForKind(kind: string): string {
  const words = normaliseKind(kind).split('-').filter((w) => /^[a-z]/.test(w) || /^[0-9]/.test(w));
  const pascal = words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
  const base = /^[A-Z]/.test(pascal) ? pascal : `Spawned${pascal}`;
  return base.endsWith('Agent') ? base : `${base}Agent`;
}

// Verbs and filler that say what to do, not what a task is about.
export const NOT_A_TOPIC: ReadonlySet<string> = new Set(
  'write draft review create prepare analyse analyze summarise summarize update build check list find make produce propose outline explain describe document compare research plan design improve help handle give provide tasks task short detailed concise clear each every with from into'.split(' '),
);

/**
 * The kind to spawn a specialist for when the tasks' own kind says nothing ("general": no keyword
 * matched): the subject word the examples share most, first seen winning a tie; "general" when
 * they share none.
 *
 * @example spawnKind('general', ['Draft the vendor contract renewal', 'Check the contract for GDPR terms']) // 'contract'
 */
export function spawnKind(kind: string, examples: readonly string[]): string {
  const given = normaliseKind(kind);
  if (given && given !== GENERAL_KIND) return given;
  const counts = new Map<string, { n: number; first: number }>();
  let order = 0;
  for (const example of examples) {
    for (const word of new Set(contentWords(example))) {
      if (NOT_A_TOPIC.has(word) || !/^[a-z]+$/.test(word)) continue;
      const c = counts.get(word) ?? { n: 0, first: order++ };
      c.n += 1;
      counts.set(word, c);
    }
  }
  const best = [...counts.entries()].sort((a, b) => b[1].n - a[1].n || a[1].first - b[1].first)[0];
  return best ? normaliseKind(best[0]) || GENERAL_KIND : GENERAL_KIND;
}
