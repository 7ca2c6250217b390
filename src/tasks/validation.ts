import type { Task } from './task-input';

/**
 * Pre-flight checks that cost nothing: a task that is vague, blocked on a missing input or
 * contradicts itself is rejected before any specialist (or any dollar) touches it.
 * Pure functions; the validate activity wraps them.
 */

export interface ValidationVerdict {
  ok: boolean;
  reasons: string[];
}

/** Phrases that point at something the task does not say. */
const VAGUE_REFERENCES: Array<[RegExp, string]> = [
  [/\b(the|that|this) (thing|stuff)\b/i, 'refers to "$&" without saying what it is'],
  // "the issue" alone is vague; "the issue reported in OPS-412" is not.
  [/\b(the|that|this) (issue|problem|one)\b(?=\s*($|[.,;:!?]))/i, 'refers to "$&" without saying what it is'],
  [/\b(from|since|like) (yesterday|last (week|time|meeting)|before|earlier)\b(?!['’]s)/i, 'refers to "$&", which the task does not describe'],
  [/\bas (discussed|agreed|mentioned|usual)\b/i, 'relies on "$&", which the task does not include'],
  [/\b(fix|improve|update|clean up|handle|sort out|look at) (it|things|everything|stuff)\b/i, 'asks to "$&" without naming the target'],
  // "fix this" is vague; "fix this SQL query" names its target.
  [/\b(fix|improve|update|clean up|handle|sort out|look at) (this|that)\b(?!\s+[a-z0-9_])/i, 'asks to "$&" without naming the target'],
  [/\bmake (it|things|everything) (better|work|faster|nicer)\b/i, 'asks to "$&" without a measurable goal'],
];

const STOPWORDS = new Set(
  'about above after again also around because been before being below between both could does doing down during each from further have having here into itself just more most much other over same should some such than that their them then there these they this those through under until very what when where which while will with would your please make need want some thing things stuff'.split(' '),
);

/** Content words: what a task is actually about. */
export function contentWords(text: string): string[] {
  return (text.toLowerCase().match(/[a-z][a-z0-9_-]{3,}/g) ?? []).filter((w) => !STOPWORDS.has(w));
}

export const MIN_CONTENT_WORDS = 3;

export function checkSpecificity(task: Pick<Task, 'objective' | 'context'>): string[] {
  const reasons: string[] = [];
  for (const [pattern, template] of VAGUE_REFERENCES) {
    const match = pattern.exec(task.objective);
    if (match) reasons.push(`objective ${template.replace('$&', match[0])}`);
  }
  const words = new Set(contentWords(`${task.objective} ${task.context}`));
  if (words.size < MIN_CONTENT_WORDS) {
    reasons.push(`objective is too vague: it names ${words.size} concrete term(s); at least ${MIN_CONTENT_WORDS} are needed`);
  }
  return reasons;
}

export function checkDependencies(task: Pick<Task, 'requires' | 'inputs'>): string[] {
  return task.requires
    .filter((key) => !(task.inputs[key] ?? '').trim())
    .map((key) => `requires: input "${key}" is missing or empty`);
}

/** Pairs that cannot both hold: [constraint pattern, objective pattern, why]. */
const CONTRADICTIONS: Array<[RegExp, RegExp, string]> = [
  [/\b(no|zero|without) downtime\b/i, /\b(take|taking|bring|put)\b.*\b(offline|down)\b|\bshut ?down\b|\bmaintenance window\b/i, 'demands no downtime but the objective takes the system down'],
  [/\bread[- ]only\b/i, /\b(insert|update|delete|drop|truncate|write|alter|migrate)\b/i, 'is read-only but the objective writes'],
  [/\bno new dependenc(y|ies)\b/i, /\badd (a |an |the )?(new )?(dependency|library|package)\b/i, 'forbids new dependencies but the objective adds one'],
];

/** A constraint "do not X Y" against an objective that says "X ... Y". */
const PROHIBITION = /^(?:do not|don't|never|must not)\s+([a-z]+)\s+(?:the |any |a )?([a-z][a-z0-9_-]{2,}(?: [a-z][a-z0-9_-]{2,}){0,2})/i;

/** Words that end the object of a prohibition: "do not drop the users table in production". */
const OBJECT_END = /\s(?:in|on|at|for|from|under|without|unless|until|during|before|after|while|when|or|and|ever|again|anymore)\b.*$/i;

export function checkContradictions(task: Pick<Task, 'objective' | 'constraints'>): string[] {
  const reasons: string[] = [];
  task.constraints.forEach((constraint, i) => {
    for (const [rule, objective, why] of CONTRADICTIONS) {
      if (rule.test(constraint) && objective.test(task.objective)) reasons.push(`constraints.${i} ("${constraint}") ${why}`);
    }
    const prohibition = PROHIBITION.exec(constraint.trim());
    if (prohibition) {
      const [, verb, phrase] = prohibition;
      const object = phrase.replace(OBJECT_END, '').replace(/\s+/g, '\\s+');
      // "drop the users table's old column" acts on a part of the object, not the object itself.
      const says = new RegExp(`\\b${verb}\\b[^.]*\\b${object}\\b(?!['’]s)`, 'i');
      if (says.test(task.objective)) reasons.push(`constraints.${i} ("${constraint}") forbids what the objective asks`);
    }
  });
  return reasons;
}

export function validateTaskRules(task: Task): ValidationVerdict {
  const reasons = [...checkSpecificity(task), ...checkDependencies(task), ...checkContradictions(task)];
  return { ok: reasons.length === 0, reasons };
}
