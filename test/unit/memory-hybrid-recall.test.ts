import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { idf, keywordCoverage, termsOf } from '../../src/memory/fts';
import { HashingEmbedder } from '../../src/memory/hashing-embedder';
import { fuse, rankHybrid } from '../../src/memory/hybrid-rank';
import { embeddingText, recallText } from '../../src/memory/record';
import { PROMPT_RELEVANCE_FLOOR, promptRecallQuery } from '../../src/memory/recall-for-prompt';
import { SqliteMemoryStore } from '../../src/memory/sqlite-store';
import type { MemoryRecord } from '../../src/memory/types';
import { vectorToBlob } from '../../src/memory/vector';

const embedder = new HashingEmbedder();

function record(id: string, objective: string, overrides: Partial<MemoryRecord> = {}): MemoryRecord {
  return {
    id: `${id}:outcome`,
    taskId: id,
    specialist: 'DatabaseAgent',
    objective,
    approach: 'as recorded',
    result: 'failed: lock timeout',
    success: false,
    costUsd: 0.01,
    lessons: [],
    createdAt: '2026-11-23T09:00:00.000Z',
    ...overrides,
  };
}

describe('query text', () => {
  it('recalls by exactly the text records are embedded by: the objective, not the context', () => {
    const task = { objective: 'Add a unique index on users.email', context: 'A long context about the migration window and the team' };
    expect(recallText(task)).toBe(embeddingText(task));
    expect(recallText(task)).toBe(task.objective);
    expect(promptRecallQuery(task)).toMatchObject({ text: task.objective, hybrid: true, minScore: PROMPT_RELEVANCE_FLOOR, limit: 5 });
  });
});

describe('keyword coverage and fusion', () => {
  it('weights a rare query word above a common one, and stays in [0, 1]', () => {
    const weights = new Map([
      ['invoic', idf(2, 1000)],
      ['report', idf(900, 1000)],
    ]);
    expect(weights.get('invoic')!).toBeGreaterThan(weights.get('report')! * 3);
    const rare = keywordCoverage(['invoic', 'report'], new Set(['invoic']), weights);
    const common = keywordCoverage(['invoic', 'report'], new Set(['report']), weights);
    expect(rare).toBeGreaterThan(0.7);
    expect(common).toBeLessThan(0.3);
    expect(keywordCoverage(['invoic', 'report'], new Set(['invoic', 'report']), weights)).toBeCloseTo(1, 10);
    expect(keywordCoverage([], new Set(['x']), weights)).toBe(0);
  });

  it('fuses two absolute figures, so a weak best match stays below the floor', () => {
    expect(fuse(1, 1)).toBeCloseTo(1, 10);
    expect(fuse(-0.4, 0)).toBe(0);
    const hits = rankHybrid(
      [
        { rowid: 1, vector: 0.2, keyword: 0.1, createdAt: '2026-01-01', id: 'a' },
        { rowid: 2, vector: 0.7, keyword: 0.8, createdAt: '2026-01-01', id: 'b' },
        { rowid: 3, vector: 0.7, keyword: 0.8, createdAt: '2026-02-01', id: 'c' },
      ],
      { limit: 5, minScore: PROMPT_RELEVANCE_FLOOR },
    );
    expect(hits.map((h) => h.rowid)).toEqual([3, 2]); // equal scores: the newer first; rowid 1 under the floor
  });
});

describe('hybrid recall in the SQLite store', () => {
  let store: SqliteMemoryStore;
  beforeEach(async () => {
    store = await SqliteMemoryStore.open({ file: ':memory:', embedder });
  });
  afterEach(() => store.close());

  it('ranks a paraphrase first and returns nothing for a task from an unseen domain', async () => {
    await store.put(record('pg', 'Add a NOT NULL column to the huge invoices table in Postgres without locking it'));
    await store.put(record('scrape', 'Scrape product prices from the Acme online shop every night'));
    await store.put(record('blog', 'Write a launch blog post announcing team workspaces'));
    const hits = await store.recall(promptRecallQuery({ objective: 'Safely add a required column to the invoices table in PostgreSQL' }));
    expect(hits.map((h) => h.record.id)).toEqual(['pg:outcome']);
    expect(hits[0].parts!.keyword).toBeGreaterThan(0.3);
    expect(hits[0].score).toBeCloseTo(fuse(hits[0].parts!.vector, hits[0].parts!.keyword), 10);
    expect(await store.recall(promptRecallQuery({ objective: 'Plan a team offsite in Lisbon for twelve people' }))).toEqual([]);
  });

  it('finds a record by a rare identifier that the keyword side matches exactly', async () => {
    for (let i = 0; i < 40; i++) await store.put(record(`noise-${i}`, `Review the deployment checklist for service number ${i} and report problems`));
    await store.put(record('code', 'Investigate ERR_SSL_PROTOCOL errors from the payments gateway'));
    const hits = await store.recall(promptRecallQuery({ objective: 'ERR_SSL_PROTOCOL again: look into it' }));
    expect(hits[0].record.id).toBe('code:outcome');
    expect(hits[0].parts!.keyword).toBeGreaterThan(0.5);
  });

  it('applies specialist, success and offline filters to keyword candidates too', async () => {
    const objective = 'Rotate the OAuth refresh tokens of the mobile app';
    await store.put(record('a', objective, { specialist: 'ResearchAgent', success: true, offline: true }));
    await store.put(record('b', objective, { specialist: 'DatabaseAgent', success: false, offline: false }));
    const ids = async (extra: object) => (await store.recall(promptRecallQuery({ objective }, extra))).map((h) => h.record.id);
    expect((await ids({})).sort()).toEqual(['a:outcome', 'b:outcome']);
    expect(await ids({ specialist: 'ResearchAgent' })).toEqual(['a:outcome']);
    expect(await ids({ success: false })).toEqual(['b:outcome']);
    expect(await ids({ offline: true })).toEqual(['a:outcome']);
  });
});

describe('FTS for files from before it', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pantheon-fts-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('backfills the keyword index of an existing file when opened, and of rows an older worker writes later', async () => {
    const file = join(dir, 'memory.sqlite');
    // A file as the store wrote it before FTS existed: the memories table and the embedder's meta only.
    const old = new Database(file);
    old.exec(`CREATE TABLE memory_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE memories (id TEXT PRIMARY KEY, task_id TEXT NOT NULL, specialist TEXT NOT NULL, objective TEXT NOT NULL,
        approach TEXT NOT NULL, result TEXT NOT NULL, success INTEGER NOT NULL, cost_usd REAL NOT NULL, lessons TEXT NOT NULL,
        created_at TEXT NOT NULL, vector BLOB NOT NULL, offline INTEGER);`);
    old.prepare('INSERT INTO memory_meta VALUES (?, ?), (?, ?)').run('embedder_name', embedder.name, 'embedder_dimensions', String(embedder.dimensions));
    const insert = old.prepare(`INSERT INTO memories VALUES (?, ?, 'DatabaseAgent', ?, 'x', 'failed', 0, 0, '[]', '2026-11-01T00:00:00Z', ?, NULL)`);
    const objectives = Array.from({ length: 2500 }, (_, i) => `Tune the autovacuum settings of shard ${i} in Postgres`);
    old.transaction(() => objectives.forEach((o, i) => insert.run(`old-${i}:outcome`, `old-${i}`, o, vectorToBlob(embedder.embedOne(o)))))();
    old.close();

    const store = await SqliteMemoryStore.open({ file, embedder });
    const db = new Database(file, { readonly: true });
    const ftsCount = () => (db.prepare('SELECT COUNT(*) AS n FROM memories_fts').get() as { n: number }).n;
    expect(ftsCount()).toBe(2500);
    const hit = (await store.recall(promptRecallQuery({ objective: 'autovacuum tuning for shard 1234' })))[0];
    expect(hit.record.id).toBe('old-1234:outcome');

    // An older worker (no FTS write) adds a row while this store is open: the next recall indexes it.
    const writer = new Database(file);
    const late = 'Rebuild the bloated GIN index on the documents table';
    writer.prepare(`INSERT INTO memories (id, task_id, specialist, objective, approach, result, success, cost_usd, lessons, created_at, vector, offline) VALUES ('late:outcome', 'late', 'DatabaseAgent', ?, 'x', 'failed', 0, 0, '[]', '2026-11-02T00:00:00Z', ?, NULL)`).run(late, vectorToBlob(embedder.embedOne(late)));
    writer.close();
    expect((await store.recall(promptRecallQuery({ objective: 'The GIN index on documents is bloated; rebuild it' })))[0].record.id).toBe('late:outcome');
    expect(ftsCount()).toBe(2501);
    expect(termsOf(late)).toEqual(['rebuild', 'bloat', 'gin', 'index', 'document', 'tabl']);
    db.close();
    await store.close();
  });
});
