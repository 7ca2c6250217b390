import type { ChatMessage } from '../types';
import type { SpecialistStep } from '../../specialists/protocol';
import { outlineTask, readProgress, totalSteps, type TaskOutline } from './conversation';
import { unitsOf } from './voice';
import { voiceFor } from './voices';

/**
 * The next step of a specialist: one step per work item plus a final step that delivers the
 * result. Progress is read back from the conversation, so feeding answers back advances the work
 * and a progress summary after compression resumes it where it stopped.
 */
export function specialistAnswer(agent: string, messages: readonly ChatMessage[]): SpecialistStep {
  const progress = readProgress(messages);
  const found = outlineTask(messages);
  const outline: TaskOutline = found ?? { title: '', items: [] };
  const total = found ? totalSteps(found) : (progress.total ?? 2);
  const step = Math.min(progress.done + 1, total);
  const voice = voiceFor(agent);
  if (step >= total) {
    return { step, of: total, status: 'done', note: voice.finalNote(outline, total), result: voice.result(outline) };
  }
  const units = unitsOf(outline);
  const item = units[Math.min(step, units.length) - 1];
  return { step, of: total, status: 'continue', note: voice.note({ step, total, item }) };
}
