import type { ChatMessage } from '../types';
import type { SpecialistStep } from '../../specialists/protocol';
import { meteredTokens } from './meter';
import { outlineTask, readProgress, totalSteps, type TaskOutline } from './conversation';
import { renderDeliverable, unitsOf } from './voice';
import { voiceFor } from './voices';

/**
 * The next step of a specialist: one step per work item plus a final step that delivers the
 * result. Progress is read back from the conversation, so feeding answers back advances the work
 * and a progress summary after compression resumes it where it stopped.
 */
export function specialistAnswer(
  agent: string,
  messages: readonly ChatMessage[],
  maxTokens = Number.POSITIVE_INFINITY,
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
    return { step, of: total, status: 'continue', note: voice.note({ step, total, item, title: outline.title }) };
  }
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
