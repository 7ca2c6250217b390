import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { PantheonError } from '../../src/errors';
import { HashingEmbedder } from '../../src/memory/hashing-embedder';
import { reembedSqlite } from '../../src/memory/reembed-sqlite';
import { SqliteMemoryStore } from '../../src/memory/sqlite-store';
import type { Embedder } from '../../src/memory/types';
import { contractRecord } from '../support/memory-contract';

const dir = mkdtempSync(join(tmpdir(), 'pantheon-reembed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The real hashing embedder in another space (64 dimensions), whose provider goes down after `okCalls` calls. */
function failingAfter(okCalls: number): Embedder & { texts: number } {
  const inner = new HashingEmbedder({ dimensions: 64 });
  let calls = 0;
  return {
    name: inner.name,
    dimensions: 64,
    texts: 0,
    async embed(texts) {
      if (++calls > okCalls) throw PantheonError.of('provider_unavailable', 'embeddings provider down');
      this.texts += texts.length;
      return inner.embed(texts);
    },
  };
}

describe('reembedSqlite', () => {
  it('keeps the old space whole when interrupted, and resumes without embedding a record twice', async () => {
    const file = join(dir, 'm.sqlite');
    const store = await SqliteMemoryStore.open({ file, embedder: new HashingEmbedder() });
    for (let i = 0; i < 300; i++) await store.put(contractRecord(`t${i}:outcome`, { objective: `Task number ${i} about index ${i % 7}` }));
    await store.close();

    // Batches of 128: the first is kept, the second call fails.
    const broken = failingAfter(1);
    expect(((await reembedSqlite(file, broken).catch((e: unknown) => e)) as PantheonError).type).toBe('provider_unavailable');
    const old = await SqliteMemoryStore.open({ file, embedder: new HashingEmbedder() });
    expect(await old.count()).toBe(300);
    expect((await old.recall({ text: 'Task number 5 about index 5', limit: 1 }))[0].record.id).toBe('t5:outcome');
    await old.close();

    const resumed = failingAfter(100);
    expect(await reembedSqlite(file, resumed)).toEqual({ records: 300, embedded: 300 - 128, lessons: 0, from: 'hashing-fnv1a-uni-bi-v1/384', to: 'hashing-fnv1a-uni-bi-v1/64' });
    expect(resumed.texts).toBe(300 - 128);
    const moved = await SqliteMemoryStore.open({ file, embedder: new HashingEmbedder({ dimensions: 64 }) });
    expect((await moved.recall({ text: 'Task number 5 about index 5', limit: 1 }))[0].record.id).toBe('t5:outcome');
    await moved.close();
    await expect(SqliteMemoryStore.open({ file, embedder: new HashingEmbedder() })).rejects.toMatchObject({ type: 'config_invalid' });
  });

  it('re-embeds lessons with the records: recalled in the new space, and new evidence adds to a topic of the same length', async () => {
    const file = join(dir, 'lessons.sqlite');
    const store = await SqliteMemoryStore.open({ file, embedder: new HashingEmbedder() });
    await store.put(contractRecord('t1:outcome', { objective: 'Add a covering index on payments.settled_at in Postgres' }));
    const lesson = (taskId: string, objective: string) => ({
      taskId, specialist: 'DatabaseAgent', failureType: 'quota_exhausted', text: 'DatabaseAgent failed in runSpecialist with quota_exhausted: the billing quota is spent', objective, seenAt: '2026-12-07T10:00:00Z',
    });
    await store.recordLesson(lesson('t1', 'Add a covering index on payments.settled_at in Postgres'));
    await store.recordLesson(lesson('t2', 'Add an index on payments.created_at in Postgres'));
    await store.close();

    expect(await reembedSqlite(file, new HashingEmbedder({ dimensions: 64 }))).toMatchObject({ records: 1, lessons: 1 });
    const moved = await SqliteMemoryStore.open({ file, embedder: new HashingEmbedder({ dimensions: 64 }) });
    const probe = { text: 'Add a covering index on payments.settled_at in the Postgres ledger database', limit: 3, minScore: 0.3 };
    const [hit] = await moved.recallLessons(probe);
    expect(hit?.lesson).toMatchObject({ specialist: 'DatabaseAgent', failureType: 'quota_exhausted', evidence: 2 });
    // More evidence in the new space: the topic stays a vector of the space's length (not NaNs).
    await moved.recordLesson(lesson('t3', 'Add an index on payments.settled_at in Postgres'));
    const [again] = await moved.recallLessons(probe);
    expect(again.lesson.evidence).toBe(3);
    expect(Number.isFinite(again.score)).toBe(true);
    await moved.close();
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT length(gist_vector) AS g, length(topic_vector) AS t FROM lessons').all()).toEqual([{ g: 64 * 4, t: 64 * 4 }]);
    db.close();
  });

  it('repairs lessons an earlier reembed left in the old space, when the records are already in the new one', async () => {
    const file = join(dir, 'stale-lessons.sqlite');
    const store = await SqliteMemoryStore.open({ file, embedder: new HashingEmbedder() });
    await store.put(contractRecord('t1:outcome', { objective: 'Add a covering index on payments.settled_at in Postgres' }));
    await store.recordLesson({ taskId: 't1', specialist: 'DatabaseAgent', failureType: 'quota_exhausted', text: 'DatabaseAgent failed with quota_exhausted', objective: 'Add a covering index on payments.settled_at in Postgres', seenAt: '2026-12-07T10:00:00Z' });
    await store.close();
    // What a reembed did before lessons were re-embedded: the records and the space moved, the lessons did not.
    expect((await reembedSqlite(file, new HashingEmbedder({ dimensions: 64 }))).lessons).toBe(1);
    const db = new Database(file);
    db.prepare('UPDATE lessons SET gist_vector = zeroblob(384 * 4), topic_vector = zeroblob(384 * 4)').run();
    db.close();

    expect(await reembedSqlite(file, new HashingEmbedder({ dimensions: 64 }))).toMatchObject({ records: 1, embedded: 0, lessons: 1 });
    const moved = await SqliteMemoryStore.open({ file, embedder: new HashingEmbedder({ dimensions: 64 }) });
    expect(await moved.recallLessons({ text: 'Add a covering index on payments.settled_at in Postgres', limit: 3, minScore: 0.3 })).toHaveLength(1);
    await moved.close();
    // Nothing left to repair: nothing done.
    expect(await reembedSqlite(file, new HashingEmbedder({ dimensions: 64 }))).toMatchObject({ embedded: 0, lessons: 0 });
  });

  it('refuses a file that does not exist', async () => {
    await expect(reembedSqlite(join(dir, 'none.sqlite'), new HashingEmbedder())).rejects.toMatchObject({ type: 'invalid_input' });
  });

  it('refuses a file without the memory tables, naming it and PANTHEON_MEMORY_FILE, and adds nothing to it', async () => {
    const file = join(dir, 'empty.sqlite');
    const other = new Database(file);
    other.exec('CREATE TABLE t (x)');
    other.close();
    const err = (await reembedSqlite(file, failingAfter(5)).catch((e: unknown) => e)) as PantheonError;
    expect(err.type).toBe('config_invalid');
    expect(err.message).toBe(
      `environment variable PANTHEON_MEMORY_FILE: ${file} is not a Pantheon memory store (it has no memory_meta or memories table); point PANTHEON_MEMORY_FILE at the file the workers use`,
    );
    const db = new Database(file, { readonly: true });
    expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all()).toEqual([{ name: 't' }]);
    db.close();
  });

  it('reports a file that is not a database as store_corrupt, naming PANTHEON_MEMORY_FILE', async () => {
    const file = join(dir, 'notes.sqlite');
    writeFileSync(file, 'these are notes, not a database\n'.repeat(40));
    const err = (await reembedSqlite(file, failingAfter(5)).catch((e: unknown) => e)) as PantheonError;
    expect(err.type).toBe('store_corrupt');
    expect(err.message).toContain(`memory store ${file} (PANTHEON_MEMORY_FILE): reembed failed: file is not a database`);
  });
});
