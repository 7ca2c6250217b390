import type { ChatMessage } from '../types';
import type { ValidatorAnswer } from '../../tasks/validator-protocol';
import { ACTION_KINDS, CONCRETE_NOUNS, POINTS_AT_MATERIAL, SYNONYMS, VAGUE_MARKERS } from './validator-lexicon';

/**
 * The offline second-stage validator: reads the message src/tasks/validator-protocol.ts writes
 * and answers only the questions it was asked, with its own lexicon (validator-lexicon.ts): a
 * constraint or scope said in other words, material pointed at but not carried, an objective with
 * nothing concrete in it. Deterministic, so tests can predict it.
 */

interface Parsed {
  objective: string;
  context: string;
  inputs: string[];
  taskConstraints: string[];
  standing: Array<{ id: string; text: string; scope?: string }>;
  questions: string[];
}

export function parseValidatorMessage(text: string): Parsed {
  const out: Parsed = { objective: '', context: '', inputs: [], taskConstraints: [], standing: [], questions: [] };
  let section: 'task' | 'standing' | 'questions' | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('Objective: ')) out.objective = line.slice(11);
    else if (line.startsWith('Context: ')) out.context = line.slice(9) === '(none)' ? '' : line.slice(9);
    else if (line.startsWith('Inputs: ')) out.inputs = line.slice(8) === '(none)' ? [] : line.slice(8).split(', ');
    else if (line === 'Task constraints:') section = 'task';
    else if (line === 'Standing constraints:') section = 'standing';
    else if (line === 'Questions:') section = 'questions';
    else if (line.startsWith('- ') && line !== '- (none)') {
      const item = line.slice(2);
      if (section === 'task') out.taskConstraints.push(item);
      else if (section === 'questions') out.questions.push(item);
      else if (section === 'standing') {
        const m = /^\[([^\]]+)\] (.*?)(?: \| scope: (.*))?$/.exec(item);
        if (m) out.standing.push({ id: m[1], text: m[2], ...(m[3] && { scope: m[3] }) });
      }
    }
  }
  return out;
}

function groupOf(word: string): string[] {
  return SYNONYMS.find((g) => g.includes(word)) ?? [word];
}

/** Every scope word (or a synonym of it) appears in the task's text. */
function inScope(scope: string | undefined, taskText: string): boolean {
  if (!scope) return true;
  const text = ` ${taskText.toLowerCase().replace(/[^a-z0-9 -]/g, ' ')} `;
  const words = scope.toLowerCase().match(/[a-z][a-z0-9-]{1,}/g)?.filter((w) => !['the', 'and', 'all', 'any', 'our', 'its', 'of', 'for', 'this', 'week'].includes(w)) ?? [];
  return words.every((w) => groupOf(w).some((syn) => new RegExp(`\\b${syn}`).test(text)));
}

/** "do not change public API signatures", "never delete audit logs": a prohibition that protects one thing, not everything. */
const PROHIBITION = /\b(?:don't|do not|must not|never)\s+(?:touch|modify|change|alter|write|edit|delete|remove|drop|purge|erase|wipe)\w*\s+(?:(?:to|the|any|our|its|their)\s+)*([a-z][\w-]*(?:\s+[a-z][\w-]*){0,3})/i;
const NOT_AN_OBJECT = new Set(['the', 'any', 'our', 'its', 'their', 'until', 'before', 'after', 'during', 'while', 'without', 'unless', 'from', 'this', 'that', 'week', 'month', 'today', 'tonight']);

/** The words that name what a prohibition protects, cut at the first that cannot name it. */
function protectedWords(constraint: string): string[] | undefined {
  const m = PROHIBITION.exec(constraint);
  if (!m) return undefined;
  const words: string[] = [];
  for (const w of m[1].toLowerCase().split(/\s+/)) {
    if (NOT_AN_OBJECT.has(w)) break;
    if (w.length >= 2) words.push(w);
  }
  return words.length ? words : undefined;
}

function mentionsAny(words: readonly string[], text: string): boolean {
  const lower = text.toLowerCase();
  return words.some((w) => groupOf(w.replace(/s$/, '')).concat(groupOf(w)).some((syn) => new RegExp(`\\b${syn}`).test(lower)));
}

/** "keep the mailing list": what a constraint says must stay. */
const KEEP = /\b(?:keep|retain|preserve)\s+(?:(?:the|our|its|their)\s+)?([a-z][\w-]*(?:\s+[a-z][\w-]*){0,2})/i;

/** Deleting what the constraint says to keep: "delete the mailing list" against "keep the mailing list". */
function deletesWhatIsKept(constraint: string, objective: string): boolean {
  const kept = KEEP.exec(constraint)?.[1].toLowerCase().split(/\s+/).filter((w) => !NOT_AN_OBJECT.has(w) && w.length >= 3);
  const deleting = ACTION_KINDS.find((k) => k.name === 'deleting data');
  return !!kept?.length && !!deleting?.acts.test(objective) && new RegExp(`\\b(delete|purge|wipe|erase|drop|remove)\\w*\\b[^.]{0,30}\\b${kept.join('\\s+')}`, 'i').test(objective);
}

function broken(constraint: string, objective: string): string | undefined {
  if (deletesWhatIsKept(constraint, objective)) return 'deleting data';
  return ACTION_KINDS.find((k) => {
    if (!k.forbids.test(constraint) || !k.acts.test(objective)) return false;
    // A change or deletion forbidden to one thing is broken only by a task that touches that thing.
    const guarded = k.name === 'writes' || k.name === 'deleting data' ? protectedWords(constraint) : undefined;
    return guarded === undefined || mentionsAny(guarded, objective);
  })?.name;
}

function vagueness(objective: string, context: string): string | undefined {
  const text = `${objective} ${context}`;
  const concrete = (text.match(CONCRETE_NOUNS) ?? []).length + (/\d|"[^"]+"|`[^`]+`|[a-z]_[a-z]|\/[a-z]|\b[A-Z][a-z]+[A-Z]|\b[A-Z]{2,}\b/.test(text) ? 2 : 0);
  const proper = (objective.slice(1).match(/(?<![.!?]\s)\b[A-Z][a-z]{2,}/g) ?? []).length;
  const markers = objective.match(VAGUE_MARKERS) ?? [];
  const score = concrete + proper;
  if (score === 0) return 'names nothing concrete to work on (no system, file, number or name)';
  if (markers.length > 0 && score < 2) return `says "${markers[0]}" with too little that is concrete to know when it is done`;
  return undefined;
}

export function validatorAnswer(messages: readonly ChatMessage[]): ValidatorAnswer {
  const task = parseValidatorMessage(messages.filter((m) => m.role === 'user').map((m) => m.content).join('\n'));
  const asked = (prefix: string) => task.questions.some((q) => q.startsWith(prefix));
  const reasons: ValidatorAnswer['reasons'] = [];
  const taskText = `${task.objective} ${task.context}`;
  if (asked('specificity')) {
    const why = vagueness(task.objective, task.context);
    if (why) reasons.push({ category: 'vague', text: `the objective ${why}` });
  }
  if (asked('dependencies')) {
    const pointed = POINTS_AT_MATERIAL.exec(task.objective);
    if (pointed && task.inputs.length === 0 && task.context.length < 80) reasons.push({ category: 'blocked', text: `the objective relies on "${pointed[0]}", which the task does not carry` });
  }
  if (asked('constraints.')) {
    task.taskConstraints.forEach((c, i) => {
      const kind = broken(c, task.objective);
      if (kind) reasons.push({ category: 'contradiction', text: `constraints.${i} ("${c}") rules out ${kind}, which the objective asks for` });
    });
  }
  for (const c of task.standing) {
    const kind = broken(c.text, task.objective);
    if (kind && inScope(c.scope, taskText)) reasons.push({ category: 'contradiction', text: `standing constraint ${c.id} ("${c.text}") rules out ${kind}, which the objective asks for`, constraintId: c.id });
  }
  return { verdict: reasons.length ? 'reject' : 'accept', reasons };
}
