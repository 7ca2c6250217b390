import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { PantheonError } from '../../src/errors';
import { HashingEmbedder } from '../../src/memory/hashing-embedder';
import { lessonLine } from '../../src/memory/lesson-text';
import type { QdrantApi } from '../../src/memory/qdrant-api';
import { DEFAULT_QDRANT_COLLECTION, QdrantMemoryStore } from '../../src/memory/qdrant-store';
import type { MalformedSink } from '../../src/memory/skip-malformed';
import { SqliteMemoryStore } from '../../src/memory/sqlite-store';
import type { MemoryRecord, MemoryStore } from '../../src/memory/types';
import { pointIdFor } from '../../src/memory/uuid';
import { MultiFakeQdrant } from '../support/fake-qdrant';

/**
 * A record or lesson in a shape Pantheon does not write (an older or buggy process sharing the
 * store, a hand edit) is left out of a recall that was given a sink for it, and the sink hears of
 * it naming the record; the rest of the recall is served. Without a sink the recall throws
 * store_corrupt, as before (readers such as `pantheon history` are told, not served less).
 */

const embedder = new HashingEmbedder();
const OBJECTIVE = 'Scrape product prices from the Acme online shop';

function record(taskId: string, overrides: Partial<MemoryRecord> = {}): MemoryRecord {
  return {
    id: `${taskId}:failure`, taskId, specialist: 'researcher', objective: OBJECTIVE, approach: 'fetched product pages one by one',
    result: 'blocked by a CAPTCHA', success: false, costUsd: 0.1, lessons: [], createdAt: '2026-12-01T10:00:00.000Z', ...overrides,
  };
}

/** A backend, opened with or without a sink, and a way to spoil one stored record or lesson in place. */
interface Backend {
  open(onMalformed?: MalformedSink): Promise<MemoryStore>;
  spoilRecord(id: string): Promise<void>;
  spoilLesson(id: string): Promise<void>;
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pantheon-malformed-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function sqliteBackend(): Backend {
  const file = join(dir, `memory-${++files}.sqlite`);
  const sql = (statement: string, id: string) => {
    const db = new Database(file);
    try {
      expect(db.prepare(statement).run(id).changes).toBe(1);
    } finally {
      db.close();
    }
  };
  return {
    open: (onMalformed) => SqliteMemoryStore.open({ file, embedder, onMalformed }),
    spoilRecord: async (id) => sql("UPDATE memories SET created_at = 'last tuesday' WHERE id = ?", id),
    spoilLesson: async (id) => sql("UPDATE lessons SET created_at = 'last tuesday' WHERE id = ?", id),
  };
}

function qdrantBackend(): Backend {
  const client = new MultiFakeQdrant();
  const spoil = (collection: string, id: string) => client.setPayload(collection, { points: [pointIdFor(id)], payload: { createdAt: 'last tuesday' } });
  return {
    open: (onMalformed) => QdrantMemoryStore.open({ url: 'http://unused:6333', embedder, client: client as unknown as QdrantApi, onMalformed }),
    spoilRecord: async (id) => void (await spoil(DEFAULT_QDRANT_COLLECTION, id)),
    spoilLesson: async (id) => void (await spoil(`${DEFAULT_QDRANT_COLLECTION}_lessons`, id)),
  };
}

describe.each([
  ['the embedded SQLite store (a real file)', sqliteBackend],
  ['the Qdrant adapter (fake client)', qdrantBackend],
])('a recall from %s that meets a malformed record', (_name, makeBackend) => {
  let backend: Backend;
  let store: MemoryStore | undefined;
  beforeEach(async () => {
    backend = makeBackend();
    const writer = await backend.open();
    for (const taskId of ['t1', 't2', 't3']) await writer.put(record(taskId));
    await writer.close();
    await backend.spoilRecord('t2:failure');
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  it.each([false, true])('serves the other records and names the bad one to the sink (hybrid %s)', async (hybrid) => {
    const problems: PantheonError[] = [];
    store = await backend.open((p) => problems.push(p));
    const hits = await store.recall({ text: OBJECTIVE, limit: 5, hybrid });
    expect(hits.map((h) => h.record.id).sort()).toEqual(['t1:failure', 't3:failure']);
    expect(problems).toHaveLength(1);
    expect(problems[0].type).toBe('store_corrupt');
    expect(problems[0].message).toMatch(/malformed memory record in .*t2:failure|malformed memory record in qdrant /);
    expect(problems[0].message).toContain('createdAt');
  });

  it('throws store_corrupt without a sink, as every other read does', async () => {
    store = await backend.open();
    await expect(store.recall({ text: OBJECTIVE, limit: 5 })).rejects.toMatchObject({ type: 'store_corrupt' });
    await expect(store.get('t2:failure')).rejects.toMatchObject({ type: 'store_corrupt' });
  });
});

describe.each([
  ['the embedded SQLite store (a real file)', sqliteBackend],
  ['the Qdrant adapter (fake client)', qdrantBackend],
])('a lesson recall from %s that meets a malformed lesson', (_name, makeBackend) => {
  it('serves the other lessons and names the bad one to the sink; without one it throws store_corrupt', async () => {
    const backend = makeBackend();
    const writer = await backend.open();
    const teach = (taskId: string, failureType: string, message: string) =>
      writer.recordLesson({ taskId, specialist: 'researcher', failureType, text: lessonLine({ activity: 'runSpecialist', type: failureType, message }), objective: OBJECTIVE, seenAt: '2026-12-01T10:00:00.000Z' });
    const good = await teach('t1', 'provider_error', 'Blocked by a CAPTCHA after 20 requests to the shop');
    const bad = await teach('t2', 'invalid_output', 'The price table came back as prose, not JSON');
    expect(good.lessonId).not.toBe(bad.lessonId);
    await writer.close();
    await backend.spoilLesson(bad.lessonId);

    const problems: PantheonError[] = [];
    const store = await backend.open((p) => problems.push(p));
    try {
      const hits = await store.recallLessons({ text: OBJECTIVE, limit: 5 });
      expect(hits.map((h) => h.lesson.id)).toEqual([good.lessonId]);
      expect(problems.map((p) => p.type)).toEqual(['store_corrupt']);
      expect(problems[0].message).toContain('malformed lesson in');
    } finally {
      await store.close();
    }
    const strict = await backend.open();
    try {
      await expect(strict.recallLessons({ text: OBJECTIVE, limit: 5 })).rejects.toMatchObject({ type: 'store_corrupt' });
    } finally {
      await strict.close();
    }
  });
});
