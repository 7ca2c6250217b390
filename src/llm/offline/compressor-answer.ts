import type { ChatMessage } from '../types';
import type { CompressorAnswer } from '../../specialists/protocol';
import { meteredTokens } from './meter';
import { outlineFromText, readProgressInText, stepNotesInText, totalSteps } from './conversation';
import { firstWords } from './words';

/**
 * The compressor's summary of a specialist history: a machine-readable progress line the
 * specialist resumes from ("Completed step D of M."), then one short sentence per finished step.
 * It keeps only what resuming needs, which is why it is far shorter than the history.
 */

const WORDS_PER_SENTENCE = 12;
// An earlier summary quoted in the history: carry its sentences forward instead of losing them.
const SUMMARY_SENTENCE = /^Step (\d+): (.+)$/gm;

function sentence(step: number, body: string): string {
  const words = body
    .replace(/^Step \d+ of \d+:\s*/, '')
    .replace(/["{}[\]]/g, '')
    .replace(/[.\s]+$/, '');
  // "Step N:" takes two of the twelve words.
  return `Step ${step}: ${firstWords(words, WORDS_PER_SENTENCE - 2)}.`;
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
  // The oldest steps matter least for resuming, so they fold into one line first when the
  // summary would not fit max_tokens; the progress line always stays.
  const render = (folded: number): CompressorAnswer => {
    const rest = sentences.slice(folded);
    const fold = folded === 0 ? [] : [folded === 1 ? 'Step 1: finished earlier.' : `Steps 1-${folded}: finished earlier.`];
    return { summary: [`Completed step ${done} of ${total}.`, ...fold, ...rest].join('\n') };
  };
  let answer = render(0);
  for (let folded = 1; folded <= sentences.length && meteredTokens(JSON.stringify(answer)) > maxTokens; folded++) {
    answer = render(folded);
  }
  return answer;
}
