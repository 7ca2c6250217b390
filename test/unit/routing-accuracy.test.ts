import path from 'node:path';
import { loadConfig } from '../../src/config/env';
import { repoRoot } from '../../src/config/paths';
import { startOfflineProvider, type OfflineProvider } from '../../src/llm/offline';
import { createConfiguredLlmClient } from '../../src/llm/providers';
import { loadRoster } from '../../src/specialists/roster';
import { learnedAccuracy, loadHistory, loadLabelled, rulesMiss, share, todaysAccuracy } from '../../bench/routing/evaluate';

/**
 * Routing accuracy on the labelled set (issue 8): after learning from the simulated history
 * (memory-derived kinds and evidence, the routing policy with exploration off) routing beats
 * today's keyword rules and offline classifier. `npm run bench:routing-accuracy` prints the figures.
 */
const rows = loadLabelled();
const history = loadHistory();
const roster = loadRoster(path.join(repoRoot(), 'agents'));
let provider: OfflineProvider;

beforeAll(async () => {
  provider = await startOfflineProvider({ port: 0 });
});

afterAll(async () => {
  await provider?.close();
});

it('the labelled set covers every specialist with at least 100 tasks, a third of them beyond the keyword rules, none copied from the history', () => {
  expect(rows.length).toBeGreaterThanOrEqual(100);
  const names = roster.specialists.map((s) => s.name).sort();
  expect([...new Set(rows.map((r) => r.specialist))].sort()).toEqual(names);
  expect(rulesMiss(rows, roster) / rows.length).toBeGreaterThanOrEqual(0.3);
  const past = new Set(history.map((h) => h.objective));
  expect(past.size).toBe(history.length);
  expect(past.size).toBeGreaterThanOrEqual(150);
  expect(rows.filter((r) => past.has(r.objective))).toEqual([]);
  expect(history.flatMap((h) => h.attempts.map((a) => a.specialist)).every((s) => names.includes(s))).toBe(true);
});

it('routes the labelled set more accurately after learning from the history than with the rules and the classifier', async () => {
  const config = loadConfig({ PANTHEON_LLM_MODE: 'offline', PANTHEON_OFFLINE_URL: provider.url });
  const today = await todaysAccuracy(rows, { llm: createConfiguredLlmClient(config), roster });
  // The classifier really ran: the provider saw one router call per task the rules were unsure of.
  expect(provider.calls().filter((c) => c.purpose === 'router')).toHaveLength(today.classifierCalls);
  expect(today.classifierCalls).toBeGreaterThan(0);

  const learned = await learnedAccuracy(rows, history, roster);
  expect(share(learned.sampled)).toBeGreaterThan(share(today));
  expect(share(learned.greedy)).toBeGreaterThan(share(today));
  expect(share(learned.bestGuess)).toBeGreaterThan(share(today)); // how a directly started task is routed
  expect(learned.byMemory).toBeGreaterThan(0);
});

it('owes the gain to memory: the same routing with an empty memory does worse', async () => {
  const learned = await learnedAccuracy(rows, history, roster);
  const blank = await learnedAccuracy(rows, [], roster);
  expect(blank.byMemory).toBe(0);
  expect(share(learned.greedy)).toBeGreaterThan(share(blank.greedy));
  expect(share(learned.sampled)).toBeGreaterThan(share(blank.sampled));
});

it('holds on the blind set (written after the rest, in new words): learning beats today, and owes it to memory', async () => {
  const blind = loadLabelled(path.join(repoRoot(), 'test/fixtures/routing-blind.jsonl'));
  expect(blind.length).toBeGreaterThanOrEqual(40);
  const past = new Set(history.map((h) => h.objective));
  expect(blind.filter((r) => past.has(r.objective) || rows.some((l) => l.objective === r.objective))).toEqual([]);
  const config = loadConfig({ PANTHEON_LLM_MODE: 'offline', PANTHEON_OFFLINE_URL: provider.url });
  const today = await todaysAccuracy(blind, { llm: createConfiguredLlmClient(config), roster });
  const learned = await learnedAccuracy(blind, history, roster);
  const blank = await learnedAccuracy(blind, [], roster);
  expect(share(learned.greedy)).toBeGreaterThan(share(today));
  expect(share(learned.bestGuess)).toBeGreaterThan(share(today));
  expect(share(learned.greedy)).toBeGreaterThan(share(blank.greedy));
});
