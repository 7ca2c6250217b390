import { choose } from './prng';
import { unitsOf, type Voice } from './voice';
import { clip, topicWords } from './words';

/** ResearchAgent: answers with claims, how to verify each, and where to look. */

function topicOf(item: string): string {
  return topicWords(item).slice(0, 2).join(' ') || 'this question';
}

function claimFor(item: string): string {
  const topic = topicOf(item);
  return choose(
    [
      `${topic} is the deciding factor here, though most evidence for it is anecdotal`,
      `published figures on ${topic} disagree widely depending on methodology`,
      `recent work on ${topic} supersedes the baseline most articles still cite`,
    ],
    item,
  );
}

function verificationFor(item: string): string {
  return choose(
    [
      'compare two independent primary sources and note their dates',
      'reproduce the headline number from the raw data before citing it',
      'check whether the cited study was replicated or retracted',
    ],
    `verify:${item}`,
  );
}

function sourcesFor(item: string): string {
  return choose(
    [
      'official documentation, peer-reviewed papers and vendor changelogs',
      'standards bodies, benchmark repositories and issue trackers',
      'government statistics, survey microdata and archived press releases',
    ],
    `sources:${item}`,
  );
}

export const researchVoice: Voice = {
  note: ({ step, total, item }) =>
    `Step ${step} of ${total}: researched ${clip(item, 50)}. Claim: ${claimFor(item)}. ` +
    `Verify by: ${verificationFor(item)}. Sources to check: ${sourcesFor(item)}.`,
  finalNote: (outline, total) =>
    `Step ${total} of ${total}: compiled ${unitsOf(outline).length} claim(s) into a brief. Each lists how to ` +
    'verify it; none should be cited as fact until that check is done.',
  result: (outline) => ({
    head: [`Research brief: ${clip(outline.title, 80)}`],
    body: unitsOf(outline).map((item, i) => `${i + 1}. ${claimFor(item)}. Verify: ${verificationFor(item)}.`),
    tail: [],
    omitted: (n) => `(${n} more claim(s) omitted for length)`,
  }),
};
