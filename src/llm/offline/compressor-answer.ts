import type { ChatMessage } from '../types';
import type { CompressorAnswer } from '../../specialists/protocol';
import { meteredTokens } from './meter';
import { outlineFromText, readProgressInText, stepNotesInText, totalSteps } from './conversation';
import { clip, firstWords } from './words';

/**
 * The compressor's summary of a specialist history, in the structure Pantheon asks for: the goal
 * (the task's title), progress (a machine-readable line the specialist resumes from, "Completed
 * step D of M.", then one short sentence per finished step), the current state (the next step and
 * the first words of the last note) and no open questions. It keeps only what resuming needs, so
 * details deep in a note are lost, as with a terse model: pinned facts never depend on it.
 */

const WORDS_PER_SENTENCE = 12;
const WORDS_OF_LAST_NOTE = 16;
// An earlier summary quoted in the history: carry its sentences forward instead of losing them.
const SUMMARY_SENTENCE = /^Step (\d+): (.+)$/gm;

function plain(body: string): string {
  return body
    .replace(/^Step \d+ of \d+:\s*/, '')
    .replace(/["{}[\]]/g, '')
    .replace(/[.\s]+$/, '');
}

function sentence(step: number, body: string): string {
  // "Step N:" takes two of the twelve words.
  return `Step ${step}: ${firstWords(plain(body), WORDS_PER_SENTENCE - 2)}.`;
}

export function compressorAnswer(
  messages: readonly ChatMessage[],
  maxTokens = Number.POSITIVE_INFINITY,
): CompressorAnswer {
  const text = messages.map((m) => m.content).join('\n');
  const outline = outlineFromText(text);
  const progress = readProgressInText(text);
  const total = outline ? totalSteps(outline) : Math.max(progress.total ?? 0, progress.done, 1);
  const done = Math.min(progress.done, total);
  const notes = stepNotesInText(text);
  const earlier = new Map([...text.matchAll(SUMMARY_SENTENCE)].map((m) => [Number(m[1]), m[2]] as const));

  const sentences: string[] = [];
  for (let step = 1; step <= done; step++) {
    const item = outline?.items[step - 1];
    const body = item
      ? `finished ${item}`
      : (earlier.get(step) ?? notes.get(step) ?? 'finished as recorded in the history');
    sentences.push(sentence(step, body));
  }
  const goal = clip(outline?.title || 'Finish the task as given', 160);
  const nextItem = done < total ? outline?.items[done] : undefined;
  const next = done >= total ? 'All steps are done.' : `Next: step ${done + 1} of ${total}${nextItem ? `, ${clip(nextItem, 80)}` : done + 1 === total ? ', the final result' : ''}.`;
  const lastNote = notes.get(done);
  const currentState = lastNote ? `${next} Last step: ${firstWords(plain(lastNote), WORDS_OF_LAST_NOTE)}.` : next;
  // The oldest steps matter least for resuming, so they fold into one line first when the
  // summary would not fit max_tokens; the progress line always stays.
  const render = (folded: number): CompressorAnswer => {
    const rest = sentences.slice(folded);
    const fold = folded === 0 ? [] : [folded === 1 ? 'Step 1: finished earlier.' : `Steps 1-${folded}: finished earlier.`];
    const progressText = [`Completed step ${done} of ${total}.`, ...fold, ...rest].join('\n');
    return { goal, progress: progressText, current_state: currentState, open_questions: [] };
  };
  let answer = render(0);
  for (let folded = 1; folded <= sentences.length && meteredTokens(JSON.stringify(answer)) > maxTokens; folded++) {
    answer = render(folded);
  }
  return answer;
}
