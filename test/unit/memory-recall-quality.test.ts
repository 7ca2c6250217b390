import { evaluateRecall, loadLabelled, type RecallQuality } from '../../bench/recall/evaluate';

/**
 * The labelled recall set's figures (the computation `npm run bench:memory` prints), with the
 * offline hashing embedder and the query prompts use (hybrid, floored). Fails below the targets:
 * recall@3 ≥ 0.7 and ≥ 90 % of never-seen tasks recalling nothing.
 */

const rows = loadLabelled();
let quality: RecallQuality;

beforeAll(async () => {
  quality = await evaluateRecall(rows);
});

describe('the labelled recall set', () => {
  it('holds at least 150 objectives in groups of paraphrases across many domains, and no-match objectives', () => {
    const grouped = rows.filter((r) => r.group !== null);
    expect(grouped.length).toBeGreaterThanOrEqual(150);
    const sizes = new Map<string, number>();
    for (const r of grouped) sizes.set(r.group!, (sizes.get(r.group!) ?? 0) + 1);
    expect(sizes.size).toBeGreaterThanOrEqual(25);
    expect([...sizes.values()].every((n) => n >= 3)).toBe(true);
    expect(rows.filter((r) => r.group === null).length).toBeGreaterThanOrEqual(30);
    expect(new Set(rows.map((r) => r.objective.toLowerCase())).size).toBe(rows.length);
  });

  it('recalls a similar past task in the top 3 at least 70 % of the time', () => {
    expect(quality.recallAt3).toBeGreaterThanOrEqual(0.7);
  });

  it('returns nothing for at least 90 % of tasks from domains memory has never seen', () => {
    expect(quality.emptyOnNoMatch).toBeGreaterThanOrEqual(0.9);
  });
});
