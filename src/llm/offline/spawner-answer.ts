import { firstQuoted, SPAWNER_SECTIONS, sectionLines } from '../../god/protocol';
import { GENERAL_KIND, normaliseKind, specialistNameForKind } from '../../routing/kinds';
import type { ChatMessage } from '../types';
import { topicWords } from './words';

/**
 * God's spawner, offline: a valid specialist definition named after the kind ("legal" →
 * "LegalAgent", a digit added when the name is taken), whose keywords are the kind and the
 * subject words the example tasks share most, so those tasks route to it once it is live.
 */

export interface SpawnerDefinition {
  name: string;
  description: string;
  provider: 'openai';
  model: string;
  keywords: string[];
  system_prompt: string;
  expected_duration_minutes: number;
  max_output_tokens: number;
}

export const SPAWNED_MODEL = 'gpt-4.1-mini';
const MAX_KEYWORDS = 8;
// Verbs and filler that would route unrelated tasks here, and destructive verbs.
const NOT_A_KEYWORD = new Set([
  'write', 'draft', 'review', 'create', 'prepare', 'check', 'make', 'give', 'provide', 'produce', 'propose', 'outline',
  'tasks', 'task', 'short', 'concise', 'detailed', 'clear', 'each', 'every', 'drop', 'delete', 'remove', 'truncate',
]);

function uniqueName(base: string, existing: ReadonlySet<string>): string {
  if (!existing.has(base)) return base;
  for (let n = 2; n < 100; n++) {
    const name = base.replace(/Agent$/, `${n}Agent`);
    if (!existing.has(name)) return name;
  }
  return base.replace(/Agent$/, `${existing.size + 100}Agent`);
}

/** Subject words of the examples, most shared first (first seen breaking ties). */
function sharedWords(examples: readonly string[]): string[] {
  const counts = new Map<string, { n: number; first: number }>();
  let order = 0;
  for (const example of examples) {
    for (const word of new Set(topicWords(example))) {
      if (NOT_A_KEYWORD.has(word) || !/^[a-z]+$/.test(word)) continue;
      const c = counts.get(word) ?? { n: 0, first: order++ };
      c.n += 1;
      counts.set(word, c);
    }
  }
  return [...counts.entries()].sort((a, b) => b[1].n - a[1].n || a[1].first - b[1].first).map(([w]) => w);
}

export function spawnerAnswer(messages: readonly ChatMessage[]): SpawnerDefinition {
  const text = messages.filter((m) => m.role === 'user').map((m) => m.content).join('\n');
  const headings = Object.values(SPAWNER_SECTIONS);
  const kind = normaliseKind(firstQuoted(sectionLines(text, SPAWNER_SECTIONS.kind, headings)[0] ?? '') ?? '') || GENERAL_KIND;
  const examples = sectionLines(text, SPAWNER_SECTIONS.examples, headings).map(firstQuoted).filter((e): e is string => e !== undefined);
  const existing = new Set((sectionLines(text, SPAWNER_SECTIONS.existing, headings)[0] ?? '').split(/\s*,\s*/).filter(Boolean));
  const name = uniqueName(specialistNameForKind(kind), existing);
  const kindWords = kind.split('-').filter((w) => w.length >= 3);
  const keywords = [...new Set([...kindWords, ...sharedWords(examples)])].slice(0, MAX_KEYWORDS);
  const label = kind.replace(/-/g, ' ');
  return {
    name,
    description: `Handles ${label} tasks that no other specialist covers well: ${keywords.slice(0, 5).join(', ') || label}. Works one step at a time and delivers concrete, checkable results.`,
    provider: 'openai',
    model: SPAWNED_MODEL,
    keywords,
    system_prompt: [
      `You are ${name}, a specialist in ${label} work inside Pantheon.`,
      'Work one step at a time: each step handles one item of the task and says what it produced.',
      `You know ${keywords.join(', ') || label} well; state the assumptions you make and how to check them.`,
      "When the task needs another specialist's depth (databases, research, code review), say so in your note.",
    ].join('\n'),
    expected_duration_minutes: 15,
    max_output_tokens: 700,
  };
}
