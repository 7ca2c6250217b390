import path from 'node:path';
import type { Logger } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { z } from 'zod';
import { createClassifier, type Classification } from '../../src/activities/classify-task';
import { DEFAULT_SYSTEM_MODELS } from '../../src/activities/deps';
import { repoRoot } from '../../src/config/paths';
import type { LlmClient } from '../../src/llm/types';
import { HashingEmbedder } from '../../src/memory/hashing-embedder';
import { SqliteMemoryStore } from '../../src/memory/sqlite-store';
import { kindOfSpecialist } from '../../src/routing/kinds';
import { kindAndEvidence } from '../../src/routing/memory-kind';
import { observe, seedBook } from '../../src/routing/policy/book';
import { bestGuessArm, chooseArm, greedyArm } from '../../src/routing/policy/choose';
import type { PolicyBook } from '../../src/routing/policy/types';
import { decideByRules } from '../../src/routing/rules';
import { similarOutcomes } from '../../src/routing/similar-outcomes';
import type { Roster } from '../../src/specialists/roster';
import { TaskInputSchema } from '../../src/tasks/task-input';
import { readJsonl } from '../jsonl';

/**
 * Routing accuracy on the labelled set (test/fixtures/routing-labelled.jsonl), two ways:
 *  (a) today: the keyword rules, and the classifier (the real activity code, through the real SDK
 *      client, answered by the offline provider over HTTP) when the rules are unsure;
 *  (b) after learning: the simulated history (test/fixtures/routing-history.jsonl) written to a
 *      real SQLite memory store and replayed through the routing policy, then each labelled task
 *      routed by its kind and evidence (src/routing/memory-kind.ts) and the policy's choice with
 *      exploration off.
 * Labelled tasks are only routed, never learned from.
 */

export const LABELLED_FILE = path.join(repoRoot(), 'test/fixtures/routing-labelled.jsonl');
export const HISTORY_FILE = path.join(repoRoot(), 'test/fixtures/routing-history.jsonl');

const LabelledRow = z.strictObject({ objective: z.string().min(1), context: z.string().optional(), specialist: z.string().min(1) });
export type LabelledRow = z.infer<typeof LabelledRow>;

const HistoryRow = z.strictObject({
  objective: z.string().min(1),
  /** Who ran the task, in order: a failed attempt, then the specialist it was reassigned to. */
  attempts: z.array(z.strictObject({ specialist: z.string().min(1), success: z.boolean() })).min(1),
});
export type HistoryRow = z.infer<typeof HistoryRow>;

export const loadLabelled = (file = LABELLED_FILE) => readJsonl(file, LabelledRow).map(({ row }) => row);
export const loadHistory = (file = HISTORY_FILE) => readJsonl(file, HistoryRow).map(({ row }) => row);

/** What the keyword rules read (the route activity's text: objective and context). */
const ruleText = (row: { objective: string; context?: string }) => `${row.objective}\n${row.context ?? ''}`;

export interface Accuracy {
  correct: number;
  total: number;
  /** Labelled objectives routed wrongly, with the pick. */
  misses: Array<{ objective: string; expected: string; picked: string }>;
}

export const share = (a: Accuracy) => a.correct / a.total;

function tally(rows: readonly LabelledRow[], picks: readonly string[]): Accuracy {
  const misses = rows.flatMap((row, i) => (picks[i] === row.specialist ? [] : [{ objective: row.objective, expected: row.specialist, picked: picks[i] }]));
  return { correct: rows.length - misses.length, total: rows.length, misses };
}

/** Rows today's rules do not route to their specialist on their own (unsure, or sure and wrong). */
export function rulesMiss(rows: readonly LabelledRow[], roster: Roster): number {
  return rows.filter((row) => decideByRules(ruleText(row), roster.specialists).choice?.specialist !== row.specialist).length;
}

const silent: Logger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** (a) The rules, else the classifier activity code (it reads its activity context, so it runs in a MockActivityEnvironment). */
export async function todaysAccuracy(rows: readonly LabelledRow[], deps: { llm: LlmClient; roster: Roster }): Promise<Accuracy & { classifierCalls: number }> {
  const classify = createClassifier({ ...deps, models: DEFAULT_SYSTEM_MODELS });
  const picks: string[] = [];
  let classifierCalls = 0;
  for (const [i, row] of rows.entries()) {
    const rules = decideByRules(ruleText(row), deps.roster.specialists);
    if (rules.choice) {
      picks.push(rules.choice.specialist);
      continue;
    }
    classifierCalls += 1;
    const task = TaskInputSchema.parse({ objective: row.objective, ...(row.context && { context: row.context }) });
    const env = new MockActivityEnvironment(undefined, { logger: silent });
    const pick: Classification = await env.run(classify, `routing-bench-${i}`, task);
    picks.push(pick.specialist);
  }
  return { ...tally(rows, picks), classifierCalls };
}

const T0 = Date.parse('2026-11-01T00:00:00Z');
/** Every arm costs the same here: the figures are about who can do the work, not price. */
const COST_USD = 0.01;

/** The history as memory records: one per attempt, the attempts of a task under one task id. */
export async function rememberHistory(store: SqliteMemoryStore, history: readonly HistoryRow[]): Promise<void> {
  let minute = 0;
  for (const [i, row] of history.entries()) {
    for (const [j, a] of row.attempts.entries()) {
      await store.put({
        id: `history-${i}:${j}`,
        taskId: `history-${i}`,
        specialist: a.specialist,
        objective: row.objective,
        approach: 'simulated history',
        result: a.success ? 'done' : 'failed',
        success: a.success,
        costUsd: COST_USD,
        lessons: [],
        createdAt: new Date(T0 + minute++ * 60_000).toISOString(),
        ...(a.success ? {} : { failureType: 'iteration_limit' }),
      });
    }
  }
}

/**
 * The policy after the history: each attempt an outcome of the task's kind as its memory record
 * has it, read off the specialist that finished it (src/routing/kinds.ts; a task nobody finished
 * keeps the kind of its last attempt).
 */
export function learnFromHistory(history: readonly HistoryRow[], roster: Roster, seed: number): PolicyBook {
  const rules = Object.fromEntries(roster.specialists.map((s) => [s.name, [...s.keywords]]));
  let book = seedBook({ rules, nowMs: T0, seed, explorationShare: 0 });
  for (const [i, row] of history.entries()) {
    const finisher = row.attempts.find((a) => a.success) ?? row.attempts[row.attempts.length - 1];
    const kind = kindOfSpecialist(finisher.specialist, roster.fallback.name);
    for (const a of row.attempts) {
      const choice = { arm: a.specialist, mode: 'exploit' as const, scores: {}, policyVersion: book.active.version };
      const decision = { choice, by: 'active' as const, shadow: { active: a.specialist }, arms: roster.specialists.length };
      // No words: this measures kinds and evidence, not rule rewrites.
      book = observe(book, { kind, decision, success: a.success, costUsd: COST_USD, durationMs: 60_000, value: 1, words: [] }, T0 + i * 60_000);
    }
  }
  return book;
}

export interface LearnedAccuracy {
  /** The policy's decision (Thompson sampling, exploration off): what the route would do. */
  sampled: Accuracy;
  /** What the policy would pick on its means alone (greedyArm): the same knowledge without the draw. */
  greedy: Accuracy;
  /** The policy's best guess (bestGuessArm), as a directly started task is routed. */
  bestGuess: Accuracy;
  /** Tasks whose kind memory named (kindAndEvidence source "memory"). */
  byMemory: number;
}

/** (b) Each labelled task routed by its kind and evidence and the active policy, exploration off. */
export async function learnedAccuracy(rows: readonly LabelledRow[], history: readonly HistoryRow[], roster: Roster, seed = 8): Promise<LearnedAccuracy> {
  const store = await SqliteMemoryStore.open({ file: ':memory:', embedder: new HashingEmbedder() });
  try {
    await rememberHistory(store, history);
    const policy = { ...learnFromHistory(history, roster, seed).active, explorationShare: 0 };
    const rng = { s: seed >>> 0 };
    const names = roster.specialists.map((s) => s.name);
    const estimatedCostUsd = Object.fromEntries(names.map((a) => [a, COST_USD]));
    const sampled: string[] = [];
    const greedy: string[] = [];
    const bestGuess: string[] = [];
    let byMemory = 0;
    for (const row of rows) {
      const neighbours = await similarOutcomes(store, row);
      const k = kindAndEvidence({ ranking: decideByRules(ruleText(row), roster.specialists).ranking, neighbours, fallbackName: roster.fallback.name });
      if (k.source === 'memory') byMemory += 1;
      // The kind's own specialist first, as the route orders its candidates: it keeps a tie.
      const own = names.filter((n) => kindOfSpecialist(n, roster.fallback.name) === k.kind);
      const input = { kind: k.kind, arms: [...own, ...names.filter((n) => !own.includes(n))], estimatedCostUsd, value: 1, evidence: k.evidence };
      sampled.push(chooseArm(policy, rng, input).arm);
      greedy.push(greedyArm(policy, input));
      bestGuess.push(bestGuessArm(policy, input).arm);
    }
    return { sampled: tally(rows, sampled), greedy: tally(rows, greedy), bestGuess: tally(rows, bestGuess), byMemory };
  } finally {
    await store.close();
  }
}
