import { PantheonError } from '../../src/errors';
import { HashingEmbedder } from '../../src/memory/hashing-embedder';
import type { QdrantApi } from '../../src/memory/qdrant-api';
import { QdrantMemoryStore } from '../../src/memory/qdrant-store';
import type { MemoryRecord } from '../../src/memory/types';
import { PANTHEON_MEMORY_NAMESPACE, pointIdFor, uuidV5 } from '../../src/memory/uuid';
import { FakeQdrant } from '../support/fake-qdrant';

const V5 = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uuid derivation', () => {
  it('matches the RFC 9562 version-5 test vector', () => {
    // uuid.uuid5(uuid.NAMESPACE_DNS, 'www.example.com') in Python
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('maps a record id to the same valid v5 UUID every time, and different ids apart', () => {
    const id = pointIdFor('wf-42:outcome');
    expect(id).toMatch(V5);
    expect(pointIdFor('wf-42:outcome')).toBe(id);
    expect(id).toBe(uuidV5('wf-42:outcome', PANTHEON_MEMORY_NAMESPACE));
    expect(pointIdFor('wf-43:outcome')).not.toBe(id);
    expect(pointIdFor('')).toMatch(V5);
    expect(() => uuidV5('x', 'not-a-uuid')).toThrow(RangeError);
  });
});

function record(id: string, overrides: Partial<MemoryRecord> = {}): MemoryRecord {
  return {
    id, taskId: id.split(':')[0], specialist: 'researcher', objective: 'Scrape product prices from the Acme shop',
    approach: 'paged through listings', result: 'CAPTCHA', success: false, costUsd: 0.1, lessons: ['slow down'],
    createdAt: '2024-05-01T00:00:00.000Z', ...overrides,
  };
}

describe('QdrantMemoryStore (against a fake client)', () => {
  const embedder = new HashingEmbedder();
  const open = (fake: FakeQdrant, e = embedder) =>
    QdrantMemoryStore.open({ url: 'http://unused:6333', embedder: e, client: fake as unknown as QdrantApi });

  it('creates a Cosine collection of the embedder size with payload indexes', async () => {
    const fake = new FakeQdrant();
    await open(fake);
    expect(fake.collection).toEqual({ size: 384, distance: 'Cosine' });
    expect(fake.indexes).toEqual(['specialist:keyword', 'success:bool', 'taskId:keyword', 'offline:bool', 'createdAt:datetime']);
  });

  it('tolerates a concurrent creator but surfaces other creation errors', async () => {
    const raced = new FakeQdrant();
    raced.createError = Object.assign(new Error('Conflict'), { status: 409 });
    raced.collection = undefined;
    raced.getCollection = async () => ({ config: { params: { vectors: { size: 384, distance: 'Cosine' } } } });
    await expect(open(raced)).resolves.toBeInstanceOf(QdrantMemoryStore);

    const broken = new FakeQdrant();
    broken.createError = Object.assign(new Error('Forbidden'), { status: 403 });
    const err = await open(broken).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PantheonError);
    expect((err as PantheonError).type).toBe('store_unavailable');
    expect((err as PantheonError).details.status).toBe(403);
  });

  it('reports a malformed url as config_invalid', async () => {
    const err = await QdrantMemoryStore.open({ url: 'localhost:6333', embedder }).catch((e: unknown) => e);
    expect((err as PantheonError).type).toBe('config_invalid');
  });

  it('refuses a collection of another vector size', async () => {
    const fake = new FakeQdrant();
    fake.collection = { size: 128, distance: 'Cosine' };
    const err = await open(fake).catch((e: unknown) => e);
    expect((err as PantheonError).type).toBe('config_invalid');
    expect((err as PantheonError).message).toContain('128-dimension');
  });

  it('stores under the derived point id, idempotently, and reads the record back', async () => {
    const fake = new FakeQdrant();
    const store = await open(fake);
    expect(await store.put(record('wf-1:outcome'))).toEqual({ stored: true });
    expect(await store.put(record('wf-1:outcome', { result: 'other' }))).toEqual({ stored: false });
    expect([...fake.points.keys()]).toEqual([pointIdFor('wf-1:outcome')]);
    expect(fake.points.get(pointIdFor('wf-1:outcome'))?.payload.embedder).toBe(embedder.name);
    expect(await store.get('wf-1:outcome')).toEqual(record('wf-1:outcome'));
    expect(await store.get('nope')).toBeUndefined();
  });

  it('recalls with payload filters and counts by task', async () => {
    const store = await open(new FakeQdrant());
    await store.put(record('a:outcome', { specialist: 'coder', success: true }));
    await store.put(record('b:outcome'));
    await store.put(record('c:outcome', { objective: 'Write a haiku about autumn' }));
    const hits = await store.recall({ text: 'scrape prices from a shop' });
    expect(hits.map((h) => h.record.id).sort()).toEqual(['a:outcome', 'b:outcome']);
    expect(hits[0].score).toBeGreaterThan(0.4);
    expect((await store.recall({ text: 'scrape prices', specialist: 'coder' })).map((h) => h.record.id)).toEqual(['a:outcome']);
    expect((await store.recall({ text: 'scrape prices', success: false })).map((h) => h.record.id)).toEqual(['b:outcome']);
    expect(await store.count()).toBe(3);
    expect(await store.count({ taskId: 'b' })).toBe(1);
  });
});
