import { describeSetter, type StandingConstraint } from '../constraints/schema';
import type { ValidatorAnswer } from './validator-protocol';
import { DOING_WORDS } from './doing-words';
import { checkStanding } from './standing-rules';
import type { Task } from './task-input';
import { checkContradictions, checkDependencies, checkSpecificity, contentWords } from './validation';

/**
 * Two-stage validation, stage one: the free rules, with a third answer besides accept and reject.
 * `undecided` lists what the rules cannot judge (a borderline objective, material the task points
 * at but does not carry, a constraint in words no rule knows, a standing constraint said in other
 * words); only then is the cheap model asked (src/activities/second-stage.ts). When the rules
 * reject, nothing is asked: they are sure. Pure.
 */

export type StageOneDecision = 'accept' | 'reject' | 'undecided';

export interface StageOneVerdict {
  decision: StageOneDecision;
  /** Sure rejections (decision 'reject'). */
  reasons: string[];
  /** What the second stage is asked to judge (decision 'undecided'). */
  questions: string[];
  /** The standing constraints the question is about (sent to the second stage with their ids). */
  constraints: StandingConstraint[];
}

/** Anchors make an objective concrete: numbers, identifiers, paths, tickets, quoted names. */
const ANCHOR = /\d|[A-Za-z]+_[A-Za-z]|[a-z][A-Z]|\/[a-z]|\.[a-z]{2,4}\b|"[^"]+"|`[^`]+`|\b[A-Z]{2,}\b/;
/** Words that often mean "no particular goal", and sometimes do not ("improve p95 latency below 200 ms"). */
const SOFT_VAGUE = /\b(improve|better|optimi[sz]e|clean ?up|tidy|somehow|stuff|things|etc|various|general(ly)?|nicer|properly|issues|problems|look into|work on|deal with|whatever|something|figure out|a bit|robust|help with|user[- ]friendly|easier|simpler|smoother|intuitive|moderni[sz]e|polish|more (usable|reliable|efficient|scalable|secure|maintainable|modern))\b/i;
/** Material the task points at that may or may not be in its inputs or context. */
const POINTS_AT = /\b(attached|enclosed|attachment|uploaded|the (file|spreadsheet|document|doc|screenshot|logs?|csv|pdf|link|list|draft|notes|export|dump|figures|numbers)s?\b[^.]{0,30}?\b(i|we|you|they|she|he|[A-Z][a-z]+) (sent|shared|uploaded|gave|provided|forwarded|pasted|will send|posted)|(i|we)('ll| will) (send|share|provide)|once .{1,60}\b(arrives?|is ready|is in|lands|comes in)|(below|above)\b[^.]*\b(data|list|table|log|figures))/i;

function specificityQuestion(task: Pick<Task, 'objective' | 'context'>): string | undefined {
  if (ANCHOR.test(`${task.objective} ${task.context}`)) return undefined;
  const soft = SOFT_VAGUE.exec(task.objective);
  return soft ? `specificity: the objective says "${soft[0]}" without a number, name or identifier to measure it by` : undefined;
}

function materialQuestion(task: Pick<Task, 'objective' | 'inputs' | 'context'>): string | undefined {
  const pointed = POINTS_AT.exec(task.objective);
  if (!pointed || Object.keys(task.inputs).length > 0) return undefined;
  return `dependencies: the objective points at "${pointed[0]}" and the task has no inputs`;
}

/**
 * A task constraint the rules did not find broken (a sure break rejects before this is asked) gets
 * a second look when the objective acts or shares its words. That holds for the forms the rules
 * know too: "read-only" says nothing about "add an index", "do not add any packages" nothing about
 * "install lodash", though both break it; the rules' silence is not an acceptance.
 */
function constraintQuestions(task: Pick<Task, 'objective' | 'constraints'>): string[] {
  return task.constraints.flatMap((c, i) => {
    const related = contentWords(c).some((w) => contentWords(task.objective).includes(w));
    return related || DOING_WORDS.test(task.objective) ? [`constraints.${i} ("${c}"): does the objective break it in words no rule knows?`] : [];
  });
}

/**
 * Stage one. `standing` are the active standing constraints (God's); each rejection names the
 * constraint and who set it.
 */
export function firstStage(task: Task, standing: readonly StandingConstraint[] = []): StageOneVerdict {
  const vague = checkSpecificity(task);
  const checked = checkStanding(task, standing);
  const sure = [...checkDependencies(task), ...checkContradictions(task), ...checked.reasons];
  // "Make it faster: the nightly job run_reports.py takes 40 minutes" trips a vague phrase but
  // carries numbers and names: borderline, for the second stage, unless something else is sure.
  // A too-short objective stays sure: only a vague phrase can be excused by its anchors.
  const borderline = vague.length > 0 && vague.every((v) => !v.startsWith('objective is too vague')) && ANCHOR.test(`${task.objective} ${task.context}`);
  const reasons = [...(borderline ? [] : vague), ...sure];
  if (reasons.length) return { decision: 'reject', reasons, questions: [], constraints: [] };
  const questions = [
    ...(borderline ? vague.map((v) => `specificity: ${v}, yet it names something concrete`) : []),
    ...(borderline ? [] : [specificityQuestion(task)]),
    materialQuestion(task),
    ...constraintQuestions(task),
    ...checked.undecided.map((c) => `standing constraint ${c.id}: "${c.text}"${c.scope ? ` (scope: ${c.scope})` : ''}: does the objective break it, in other words?`),
  ].filter((q): q is string => q !== undefined);
  return { decision: questions.length ? 'undecided' : 'accept', reasons: [], questions, constraints: checked.undecided };
}

/** What the second stage gave: its checked answer, or why there is none (a failed or refused call). */
export type SecondStageOutcome = { answer: ValidatorAnswer } | { failed: string };

export interface FinalVerdict {
  ok: boolean;
  reasons: string[];
  /** rules: the rules were sure; model: the second stage decided; rules_fallback: it was asked and failed, the rules' verdict stands. */
  stage: 'rules' | 'model' | 'rules_fallback';
  /** What the verdict rests on when it is not a rejection (e.g. why the second stage gave none). */
  notes: string[];
}

/**
 * The verdict from both stages. The rules' sure answers stand without a call; an undecided case
 * takes the model's verdict; a model that failed leaves the rules' verdict (they found nothing to
 * reject), noted. A model reason naming a constraint the task was not checked against is dropped:
 * the answer is data and may not invent constraints.
 */
export function finalVerdict(first: StageOneVerdict, second?: SecondStageOutcome): FinalVerdict {
  if (first.decision !== 'undecided' || !second) return { ok: first.decision !== 'reject', reasons: first.reasons, stage: 'rules', notes: [] };
  if ('failed' in second) return { ok: true, reasons: [], stage: 'rules_fallback', notes: [`second stage unavailable (${second.failed}); the rules' verdict stands`] };
  if (second.answer.verdict === 'accept') return { ok: true, reasons: [], stage: 'model', notes: [] };
  const reasons = second.answer.reasons.flatMap((r) => {
    if (r.constraintId === undefined) return [`${r.category} (second stage): ${r.text}`];
    const c = first.constraints.find((k) => k.id === r.constraintId);
    if (!c) return [];
    // The model's words may name the constraint already: then only who set it is added.
    const setBy = r.text.includes(c.id) ? ` (${c.id} set by ${c.setBy.kind} ${c.setBy.id})` : `; standing constraint ${describeSetter(c)}`;
    return [`${r.category} (second stage): ${r.text}${setBy}`];
  });
  if (!reasons.length) return { ok: true, reasons: [], stage: 'model', notes: ['the second stage rejected without a usable reason; accepted'] };
  return { ok: false, reasons, stage: 'model', notes: [] };
}
