import type { ChatMessage } from '../types';
import type { SpecialistStep } from '../../specialists/protocol';
import { meteredTokens } from './meter';
import { outlineTask, readProgress, totalSteps, type TaskOutline } from './conversation';
import { capitalise, renderDeliverable, unitsOf } from './voice';
import { voiceFor } from './voices';

// A work item such as "Decide: keys are UUID v7" makes the step declare that decision final.
const DECIDE_ITEM = /^decide\b[\s:,-]*(?:on\s+|that\s+)?(\S.*)$/i;

/** The decision a work item asks for, worded as the specialist declares it (not as the task says it). */
export function decisionFor(item: string | undefined, step: number): string | undefined {
  const m = item ? DECIDE_ITEM.exec(item.trim()) : null;
  return m ? `${capitalise(m[1].replace(/[.\s]+$/, ''))} (declared final at step ${step})` : undefined;
}

/**
 * The next step of a specialist: one step per work item plus a final step that delivers the
 * result. Progress is read back from the conversation, so feeding answers back advances the work
 * and a progress summary after compression resumes it where it stopped.
 */
export function specialistAnswer(
  agent: string,
  messages: readonly ChatMessage[],
  maxTokens = Number.POSITIVE_INFINITY,
  stuck = false,
): SpecialistStep {
  const progress = readProgress(messages);
  const found = outlineTask(messages);
  const outline: TaskOutline = found ?? { title: '', items: [] };
  const total = found ? totalSteps(found) : (progress.total ?? 2);
  const step = Math.min(progress.done + 1, total);
  const voice = voiceFor(agent);
  if (step < total) {
    const units = unitsOf(outline);
    const item = units[Math.min(step, units.length) - 1];
    const note = voice.note({ step, total, item, title: outline.title });
    const decision = decisionFor(item, step);
    return decision ? { step, of: total, status: 'continue', note, decisions: [decision] } : { step, of: total, status: 'continue', note };
  }
  // A scenario's failure (scenario.ts): the work items go as usual, but the deliverable never
  // comes, so Pantheon's own loop ends the run at the task's iteration limit.
  if (stuck) return { step, of: total, status: 'continue', note: stuckNote(outline, total) };
  // A long deliverable sheds body lines until the answer fits max_tokens: a model that knows its
  // limit summarises, and a cut-off answer would fail the same way on every retry.
  const note = voice.finalNote(outline, total);
  const deliverable = voice.result(outline);
  let answer: SpecialistStep = { step, of: total, status: 'done', note, result: renderDeliverable(deliverable) };
  for (let keep = deliverable.body.length - 1; keep >= 0 && meteredTokens(JSON.stringify(answer)) > maxTokens; keep--) {
    answer = { ...answer, result: renderDeliverable(deliverable, keep) };
  }
  return answer;
}

/** What a specialist that cannot deliver says each time it is asked for the result. */
export function stuckNote(outline: TaskOutline, total: number): string {
  const what = outline.title ? `"${outline.title.slice(0, 120)}"` : 'the task';
  return `Step ${total} of ${total}: could not produce a usable deliverable for ${what}; the approach does not hold up, trying again.`;
}
