import { z } from 'zod';

/**
 * What God's two LLM calls look like on the wire: the sections of the user message (each under a
 * heading line of its own) and the shape of the answer. The generator and spawner activities
 * write these and parse the answers with these schemas; the offline provider reads the same
 * sections to answer. Everything in a section is data, JSON-quoted where it is free text.
 */

export const GENERATOR_SECTIONS = {
  seed: 'SEED',
  count: 'COUNT',
  goal: 'GOAL',
  recent: 'RECENT OUTCOMES',
  lessons: 'LESSONS FROM MEMORY',
} as const;

export const SPAWNER_SECTIONS = {
  kind: 'KIND',
  examples: 'EXAMPLES',
  existing: 'EXISTING SPECIALISTS',
} as const;

/** The fields of a task the generator may propose; anything else it sends is ignored. */
export const PROPOSED_TASK_FIELDS = ['objective', 'context', 'priority', 'constraints'] as const;

/** The generator's answer: proposals are checked one by one afterwards, so one bad task does not
 * sink the others. */
export const GeneratorAnswer = z.object({ tasks: z.array(z.unknown()).max(20) });
export type GeneratorAnswer = z.infer<typeof GeneratorAnswer>;

/** The spawner's answer: one object, checked field by field like a roster file afterwards. */
export const SpawnerAnswer = z.record(z.string(), z.unknown());
export type SpawnerAnswer = z.infer<typeof SpawnerAnswer>;

/** The lines under `heading` in a message (up to the next known heading), trimmed, blanks dropped. */
export function sectionLines(text: string, heading: string, headings: readonly string[]): string[] {
  const lines = text.split(/\r?\n/);
  const start = lines.findIndex((line) => line.trim() === heading);
  if (start < 0) return [];
  const out: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (headings.includes(line.trim())) break;
    if (line.trim()) out.push(line.trim());
  }
  return out;
}

/** The first JSON string literal on a line ("..." with escapes), decoded; undefined if none. */
export function firstQuoted(line: string): string | undefined {
  const m = /"(?:[^"\\]|\\.)*"/.exec(line);
  if (!m) return undefined;
  try {
    return JSON.parse(m[0]) as string;
  } catch {
    return undefined;
  }
}
