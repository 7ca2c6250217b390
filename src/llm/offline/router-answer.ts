import type { ChatMessage } from '../types';
import type { RouterAnswer } from '../../specialists/protocol';
import { keywords } from './words';

/**
 * The router's pick: the roster entry whose description shares the most keywords with the task.
 * A plain overlap count keeps the choice explainable and lets tests predict it exactly.
 */

export const FALLBACK_SPECIALIST = 'Generalist';

interface RosterEntry {
  name: string;
  description: string;
}

const ROSTER_LINE = /^\s*-\s+([A-Za-z][\w.-]*):\s*(.+?)\s*$/;

export function parseRoster(system: string): RosterEntry[] {
  return system.split(/\r?\n/).flatMap((line) => {
    const m = ROSTER_LINE.exec(line);
    return m ? [{ name: m[1], description: m[2] }] : [];
  });
}

export function routerAnswer(system: string, messages: readonly ChatMessage[]): RouterAnswer {
  const taskWords = keywords(
    messages
      .filter((m) => m.role === 'user')
      .map((m) => m.content)
      .join('\n'),
  );
  let best: { entry: RosterEntry; shared: string[] } | undefined;
  for (const entry of parseRoster(system)) {
    const described = new Set(keywords(entry.description));
    const shared = taskWords.filter((w) => described.has(w));
    // Strictly greater: on a tie the entry listed first keeps the task.
    if (shared.length > 0 && shared.length > (best?.shared.length ?? 0)) best = { entry, shared };
  }
  if (!best) {
    return {
      specialist: FALLBACK_SPECIALIST,
      confidence: 0.3,
      reason: 'No roster description shares a keyword with the task, so the Generalist takes it.',
    };
  }
  const overlap = best.shared.length;
  return {
    specialist: best.entry.name,
    confidence: Math.round(Math.min(0.95, 0.4 + 0.1 * overlap) * 100) / 100,
    reason: `The task shares ${overlap} keyword(s) with ${best.entry.name}'s description: ${best.shared.slice(0, 8).join(', ')}.`,
  };
}
