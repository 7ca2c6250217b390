import type { ChatMessage } from '../types';
import type { RouterAnswer } from '../../specialists/protocol';
import { keywordsNamed, stem, stems } from '../../routing/stem';
import { keywords } from './words';

/**
 * The router's pick: the roster entry whose keywords and description the task shares most with,
 * compared in stem form ("reviewing" meets "review"). For the choice a keyword the task names
 * counts twice, a description word once; the confidence is 0.4 + 0.1 a shared word. A plain
 * count keeps the choice explainable and lets tests predict it.
 */

export const FALLBACK_SPECIALIST = 'Generalist';

interface RosterEntry {
  name: string;
  description: string;
  keywords: string[];
}

const ROSTER_LINE = /^\s*-\s+([A-Za-z][\w.-]*):\s*(.+?)\s*$/;
/** describeRoster's tail: " Keywords: a, b, c." */
const KEYWORDS_TAIL = /\s*Keywords:\s*(.*?)\.?$/;

export function parseRoster(system: string): RosterEntry[] {
  return system.split(/\r?\n/).flatMap((line) => {
    const m = ROSTER_LINE.exec(line);
    if (!m) return [];
    const tail = KEYWORDS_TAIL.exec(m[2]);
    const description = tail ? m[2].slice(0, tail.index) : m[2];
    const listed = tail ? tail[1].split(',').map((k) => k.trim()).filter(Boolean) : [];
    return [{ name: m[1], description, keywords: listed }];
  });
}

export function routerAnswer(system: string, messages: readonly ChatMessage[]): RouterAnswer {
  const text = messages
    .filter((m) => m.role === 'user')
    .map((m) => m.content)
    .join('\n');
  const words = stems(text);
  // Each stem with the task's own word for it, so the reason quotes the task.
  const taskWords = new Map<string, string>();
  for (const w of keywords(text)) if (!taskWords.has(stem(w))) taskWords.set(stem(w), w);
  let best: { entry: RosterEntry; shared: string[]; score: number } | undefined;
  for (const entry of parseRoster(system)) {
    const named = keywordsNamed(words, entry.keywords);
    const namedStems = new Set(named.flatMap(stems));
    const described = [...new Set(keywords(entry.description).map(stem))].filter((w) => taskWords.has(w) && !namedStems.has(w)).map((w) => taskWords.get(w)!);
    const score = 2 * named.length + described.length;
    // Strictly greater: on a tie the entry listed first keeps the task.
    if (score > 0 && score > (best?.score ?? 0)) best = { entry, shared: [...named, ...described], score };
  }
  if (!best) {
    return {
      specialist: FALLBACK_SPECIALIST,
      confidence: 0.3,
      reason: 'No roster entry shares a keyword with the task, so the Generalist takes it.',
    };
  }
  return {
    specialist: best.entry.name,
    // Each shared keyword or word counts 0.1 here (the scale God's thresholds were set on); only the choice weighs keywords double.
    confidence: Math.round(Math.min(0.95, 0.4 + 0.1 * best.shared.length) * 100) / 100,
    reason: `The task shares ${best.shared.length} word(s) with ${best.entry.name}'s keywords and description: ${best.shared.slice(0, 8).join(', ')}.`,
  };
}
