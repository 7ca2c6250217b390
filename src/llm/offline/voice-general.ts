import { choose } from './prng';
import { unitsOf, type Voice } from './voice';
import { clip, topicWords } from './words';

/** Generalist, and any specialist the provider does not know: a plan and concrete actions. */

function planFor(item: string): string {
  const topic = topicWords(item)[0] ?? 'the item';
  return choose(
    [
      `split ${topic} into small checks and finish each before moving on`,
      `start from what is already known about ${topic}, then close the gaps`,
      `settle the riskiest part of ${topic} first so surprises surface early`,
    ],
    item,
  );
}

export const generalVoice: Voice = {
  note: ({ step, total, item }) =>
    `Step ${step} of ${total}: worked on ${clip(item, 50)}. Plan: ${planFor(item)}. ` +
    'Actions: listed inputs and constraints, did the work, checked the outcome against the item. ' +
    `Next: ${step + 1 < total ? `item ${step + 1}` : 'final review'}.`,
  finalNote: (outline, total) =>
    `Step ${total} of ${total}: all ${unitsOf(outline).length} item(s) are done. Reviewed the outcomes together ` +
    'for gaps, contradictions and loose ends, confirmed each item against the original task, then wrote the ' +
    'summary in the result.',
  result: (outline) => ({
    head: [`Summary: ${clip(outline.title, 80)}`],
    body: unitsOf(outline).map((item) => `- Done: ${clip(item, 90)}`),
    tail: [],
    omitted: (n) => `- ${n} more item(s) done, omitted for length`,
  }),
};
