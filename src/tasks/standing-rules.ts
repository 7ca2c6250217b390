import { describeSetter, type StandingConstraint } from '../constraints/schema';
import type { Task } from './task-input';
import { DOING_WORDS } from './doing-words';
import { checkContradictions, contentWords } from './validation';

/**
 * The free first look at a task against the standing constraints: sure when the constraint's own
 * words and a contradiction rule both match ("no writes to the billing database" and "delete rows
 * from the billing database"), or when the task has nothing to do with it; undecided when only one
 * side matches or they merely share words (a scope or an action said in other words). Pure.
 */

export interface StandingCheck {
  /** Sure contradictions, each naming the constraint and who set it. */
  reasons: string[];
  /** Constraints the rules cannot judge against this task (the second stage may). */
  undecided: StandingConstraint[];
}

/** A word matches when one is a prefix of the other (at least 4 letters): "write"/"writes", "database"/"databases". */
function related(a: string, b: string): boolean {
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  return short.length >= 4 && long.startsWith(short.slice(0, Math.max(4, short.length - 1)));
}

function mentions(words: readonly string[], text: string): boolean {
  const have = contentWords(text);
  return words.every((w) => have.some((h) => related(w, h)));
}

function sharesWord(a: string, b: string): boolean {
  const have = contentWords(b);
  return contentWords(a).some((w) => have.some((h) => related(w, h)));
}

/** "No writes to X", "freeze X": a standing form the task-constraint rules do not spell, and the
 * writes it forbids (writing a document is not one). */
const NO_WRITES = /\bno (writes?|changes|modifications)\b|\b(write|change|data) freeze\b|\bread[- ]only\b/i;
const WRITES = /\b(insert|update|delete|drop|truncate|alter|migrate)\b|\bwrite (to|into)\b/i;

function contradicts(text: string, objective: string): boolean {
  if (NO_WRITES.test(text)) return WRITES.test(objective);
  return checkContradictions({ objective, constraints: [text] }).length > 0;
}

export function checkStanding(task: Pick<Task, 'objective' | 'context'>, constraints: readonly StandingConstraint[]): StandingCheck {
  const reasons: string[] = [];
  const undecided: StandingConstraint[] = [];
  const taskText = `${task.objective}\n${task.context}`;
  for (const c of constraints) {
    const scopeWords = c.scope ? contentWords(c.scope) : [];
    const inScope = scopeWords.length === 0 || mentions(scopeWords, taskText);
    const hit = contradicts(c.text, task.objective);
    if (hit && inScope) {
      reasons.push(`standing constraint ${describeSetter(c)}: "${c.text}"${c.scope ? ` (scope: ${c.scope})` : ''} forbids what the objective asks`);
    } else if (hit || (inScope && scopeWords.length > 0) || DOING_WORDS.test(task.objective) || sharesWord(`${c.text} ${c.scope ?? ''}`, taskText)) {
      undecided.push(c);
    }
  }
  return { reasons, undecided };
}
