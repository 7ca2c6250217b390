/**
 * Recall quality on the labelled set (test/fixtures/memory-recall-labelled.jsonl): groups of
 * objectives that ask for the same work in different words, across unrelated domains, and
 * objectives from domains memory has never seen (group null). Shared by `npm run bench:memory`
 * and test/unit/memory-recall-quality.test.ts.
 *
 * Every grouped objective is stored as a past task; each is then asked in turn as a new task
 * (its own record left out). recall@3 = the share of the top 3 (or of its group's other members,
 * if fewer) that are from its group, averaged over queries. A no-match objective should return
 * nothing at all: the share of them that do is reported as empty-on-no-match.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { repoRoot } from '../../src/config/paths';
import { HashingEmbedder } from '../../src/memory/hashing-embedder';
import { promptRecallQuery } from '../../src/memory/recall-for-prompt';
import { SqliteMemoryStore } from '../../src/memory/sqlite-store';
import type { RecallQuery } from '../../src/memory/types';

const RowSchema = z.strictObject({ group: z.string().min(1).nullable(), objective: z.string().min(1) });
export type LabelledRow = z.infer<typeof RowSchema>;

export const LABELLED_FILE = path.join(repoRoot(), 'test', 'fixtures', 'memory-recall-labelled.jsonl');

export function loadLabelled(file = LABELLED_FILE): LabelledRow[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l, i) => {
      const parsed = RowSchema.safeParse(JSON.parse(l));
      if (!parsed.success) throw new Error(`${file}:${i + 1}: ${parsed.error.message}`);
      return parsed.data;
    });
}

export interface RecallQuality {
  /** Mean recall@3 over the grouped objectives. */
  recallAt3: number;
  /** Share of no-match objectives for which nothing passed the floor. */
  emptyOnNoMatch: number;
  /** Share of grouped objectives for which nothing passed the floor (a missed warning). */
  emptyOnGrouped: number;
  grouped: number;
  noMatch: number;
}

const K = 3;

/**
 * Runs the set through a fresh in-memory store with the given query shape (default: the one
 * prompts use, hybrid and floored).
 */
export async function evaluateRecall(rows: LabelledRow[], query: (objective: string) => RecallQuery = (o) => promptRecallQuery({ objective: o })): Promise<RecallQuality> {
  const store = await SqliteMemoryStore.open({ file: ':memory:', embedder: new HashingEmbedder() });
  try {
    const grouped = rows.filter((r) => r.group !== null);
    for (const [i, r] of grouped.entries()) {
      await store.put({
        id: `labelled-${i}:outcome`,
        taskId: `labelled-${i}`,
        specialist: ['DatabaseAgent', 'ResearchAgent', 'CodeReviewAgent', 'WriterAgent'][i % 4],
        objective: r.objective,
        approach: 'as recorded',
        result: i % 3 === 0 ? 'failed' : 'done',
        success: i % 3 !== 0,
        costUsd: 0,
        lessons: [],
        createdAt: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
      });
    }
    let recallSum = 0;
    let emptyGrouped = 0;
    for (const [i, r] of grouped.entries()) {
      const q = query(r.objective);
      const hits = (await store.recall({ ...q, limit: K + 1 })).filter((h) => h.record.id !== `labelled-${i}:outcome`).slice(0, K);
      const relevant = grouped.filter((o, j) => j !== i && o.group === r.group).length;
      const found = hits.filter((h) => grouped[Number(h.record.taskId.slice('labelled-'.length))].group === r.group).length;
      recallSum += relevant === 0 ? 1 : found / Math.min(K, relevant);
      if (hits.length === 0) emptyGrouped += 1;
    }
    const noMatch = rows.filter((r) => r.group === null);
    let empty = 0;
    for (const r of noMatch) if ((await store.recall({ ...query(r.objective), limit: K })).length === 0) empty += 1;
    return {
      recallAt3: recallSum / grouped.length,
      emptyOnNoMatch: noMatch.length ? empty / noMatch.length : 1,
      emptyOnGrouped: emptyGrouped / grouped.length,
      grouped: grouped.length,
      noMatch: noMatch.length,
    };
  } finally {
    await store.close();
  }
}
