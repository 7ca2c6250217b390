import { PantheonError } from '../../src/errors';
import { HashingEmbedder } from '../../src/memory/hashing-embedder';
import type { Embedder, MemoryRecord, MemoryStore } from '../../src/memory/types';

/**
 * The MemoryStore contract: what every backend (embedded SQLite, Qdrant through its adapter, a
 * future one) must do the same way, since nothing outside src/memory knows which one runs. Each
 * test opens a fresh backend; `open` may be called again to reopen the same one (another process,
 * a restart).
 *
 * @example
 *   describeMemoryStoreContract('SqliteMemoryStore', () => {
 *     const file = tempFile();
 *     return { open: (embedder) => SqliteMemoryStore.open({ file, embedder }), cleanup: () => rm(file) };
 *   });
 */
export interface ContractBackend {
  /** Opens (or reopens) this test's backend with the embedder. */
  open(embedder: Embedder): Promise<MemoryStore>;
  /** Removes what the test created (a file, a collection). */
  cleanup?(): Promise<void>;
}

export function contractRecord(id: string, overrides: Partial<MemoryRecord> = {}): MemoryRecord {
  return {
    id,
    taskId: id.split(':')[0],
    specialist: 'ResearchAgent',
    objective: 'Scrape product prices from the Acme online shop',
    approach: 'fetched product pages one by one',
    result: 'blocked by a CAPTCHA after 20 requests',
    success: false,
    costUsd: 0.42,
    lessons: ['throttle requests', 'prefer the public API'],
    createdAt: '2026-05-01T10:00:00.000Z',
    ...overrides,
  };
}

/** A different vector space: same tokens, another size (a store must refuse it). */
class OtherSpaceEmbedder implements Embedder {
  readonly name = 'contract-other-space';
  readonly dimensions = 16;
  async embed(texts: string[]): Promise<Float32Array[]> {
    return texts.map(() => Float32Array.from({ length: 16 }, (_, i) => (i === 0 ? 1 : 0)));
  }
}

async function rejection(p: Promise<unknown>): Promise<PantheonError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PantheonError);
  return err as PantheonError;
}

export function describeMemoryStoreContract(name: string, makeBackend: () => ContractBackend | Promise<ContractBackend>): void {
  describe(`MemoryStore contract: ${name}`, () => {
    const embedder = new HashingEmbedder();
    let backend: ContractBackend;
    let store: MemoryStore;

    beforeEach(async () => {
      backend = await makeBackend();
      store = await backend.open(embedder);
    });
    afterEach(async () => {
      await store?.close();
      await backend?.cleanup?.();
    });

    it('reads back exactly the record it stored', async () => {
      const rec = contractRecord('t1:outcome', { success: true, offline: true, lessons: [] });
      expect(await store.put(rec)).toEqual({ stored: true });
      expect(await store.get('t1:outcome')).toEqual(rec);
      expect(await store.get('absent:outcome')).toBeUndefined();
    });

    it('stores an id once: a second put (a retried activity) keeps the first record', async () => {
      await store.put(contractRecord('t1:outcome'));
      expect(await store.put(contractRecord('t1:outcome', { result: 'something else' }))).toEqual({ stored: false });
      expect((await store.get('t1:outcome'))?.result).toBe('blocked by a CAPTCHA after 20 requests');
      expect(await store.count()).toBe(1);
    });

    it('counts all records and a task\'s records', async () => {
      await store.put(contractRecord('a:failure'));
      await store.put(contractRecord('a:outcome', { success: true }));
      await store.put(contractRecord('b:outcome', { success: true }));
      expect(await store.count()).toBe(3);
      expect(await store.count({ taskId: 'a' })).toBe(2);
      expect(await store.count({ taskId: 'zzz' })).toBe(0);
    });

    it('recalls the most similar records first, scores in [-1, 1], never more than the limit', async () => {
      await store.put(contractRecord('shop:outcome', { objective: 'Scrape product prices from the Acme online shop' }));
      await store.put(contractRecord('shop2:outcome', { objective: 'Scrape prices of products on a web shop' }));
      await store.put(contractRecord('haiku:outcome', { objective: 'Write a haiku about autumn leaves' }));
      const hits = await store.recall({ text: 'scrape product prices from the Acme shop', limit: 2 });
      expect(hits.map((h) => h.record.id)).toEqual(['shop:outcome', 'shop2:outcome']);
      expect(hits[0].score).toBeGreaterThanOrEqual(hits[1].score);
      for (const h of hits) expect(Math.abs(h.score)).toBeLessThanOrEqual(1);
      expect((await store.recall({ text: 'haiku about autumn', limit: 1 })).map((h) => h.record.id)).toEqual(['haiku:outcome']);
    });

    it('filters recall by specialist, success and provenance (an unmarked record matches neither mark)', async () => {
      await store.put(contractRecord('a:outcome', { specialist: 'CodeAgent', success: true, offline: false }));
      await store.put(contractRecord('b:failure', { offline: true }));
      await store.put(contractRecord('c:failure'));
      const ids = async (q: Parameters<MemoryStore['recall']>[0]) => (await store.recall(q)).map((h) => h.record.id).sort();
      const text = 'scrape product prices';
      expect(await ids({ text })).toEqual(['a:outcome', 'b:failure', 'c:failure']);
      expect(await ids({ text, specialist: 'CodeAgent' })).toEqual(['a:outcome']);
      expect(await ids({ text, success: false })).toEqual(['b:failure', 'c:failure']);
      expect(await ids({ text, offline: false })).toEqual(['a:outcome']);
      expect(await ids({ text, offline: true })).toEqual(['b:failure']);
    });

    it('returns only hits strictly above minScore, and nothing for a query with no features', async () => {
      await store.put(contractRecord('shop:outcome'));
      const [top] = await store.recall({ text: 'scrape product prices from the Acme online shop' });
      expect(top.score).toBeGreaterThan(0.99);
      expect(await store.recall({ text: 'scrape product prices from the Acme online shop', minScore: top.score })).toEqual([]);
      expect(await store.recall({ text: 'haiku about autumn leaves', minScore: 0.5 })).toEqual([]);
      expect(await store.recall({ text: 'the and of' })).toEqual([]);
    });

    it('keeps the task history fields (kind, duration, tokens) when given, and omits them when not', async () => {
      const rec = contractRecord('h:outcome', { success: true, kind: 'research', durationMs: 12_500, tokens: 3_400 });
      await store.put(rec);
      await store.put(contractRecord('old:outcome'));
      expect(await store.get('h:outcome')).toEqual(rec);
      expect(Object.keys((await store.get('old:outcome'))!)).not.toEqual(expect.arrayContaining(['kind']));
    });

    it('lists records newest first, from a time on, at most the limit', async () => {
      const at = (day: number) => `2026-05-${String(day).padStart(2, '0')}T10:00:00.000Z`;
      for (const day of [3, 1, 7, 5]) await store.put(contractRecord(`d${day}:outcome`, { createdAt: at(day) }));
      expect((await store.list()).map((r) => r.id)).toEqual(['d7:outcome', 'd5:outcome', 'd3:outcome', 'd1:outcome']);
      expect((await store.list({ since: at(3) })).map((r) => r.id)).toEqual(['d7:outcome', 'd5:outcome', 'd3:outcome']);
      expect((await store.list({ since: '2026-05-04T12:00:00+02:00', limit: 1 })).map((r) => r.id)).toEqual(['d7:outcome']);
      expect(await store.list({ since: at(8) })).toEqual([]);
      expect((await rejection(store.list({ since: 'last week' }))).type).toBe('invalid_input');
    });

    it('rejects a malformed record or query as invalid_input, writing nothing', async () => {
      expect((await rejection(store.put(contractRecord('', {})))).type).toBe('invalid_input');
      expect((await rejection(store.put(contractRecord('x:outcome', { costUsd: -1 })))).type).toBe('invalid_input');
      expect((await rejection(store.put(contractRecord('x:outcome', { createdAt: 'yesterday' })))).type).toBe('invalid_input');
      expect((await rejection(store.recall({ text: '   ' }))).type).toBe('invalid_input');
      expect((await rejection(store.recall({ text: 'prices', limit: 0 }))).type).toBe('invalid_input');
      expect(await store.count()).toBe(0);
    });

    it('keeps records across a reopen, and refuses an embedder of another vector space', async () => {
      await store.put(contractRecord('kept:outcome'));
      await store.close();
      store = await backend.open(embedder);
      expect(await store.get('kept:outcome')).toEqual(contractRecord('kept:outcome'));
      expect((await rejection(backend.open(new OtherSpaceEmbedder()))).type).toBe('config_invalid');
    });

    it('refuses calls after close as store_unavailable', async () => {
      await store.close();
      expect((await rejection(store.put(contractRecord('late:outcome')))).type).toBe('store_unavailable');
      expect((await rejection(store.get('late:outcome'))).type).toBe('store_unavailable');
    });
  });
}
