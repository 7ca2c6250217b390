/**
 * The remote memory store, for workers spread over several machines: a Qdrant collection with one
 * point per record. The point id is a UUID derived from the record id, so every process maps a
 * record to the same point and a repeated write cannot create a second one.
 */
import { QdrantClient, type Schemas } from '@qdrant/js-client-rest';
import { PantheonError, isPantheonError } from '../errors';
import { decodeRecalled, type MalformedSink } from './skip-malformed';
import { decodeStoredRecord, embeddingText, validateListQuery, validateRecallQuery, validateRecord } from './record';
import type { Embedder, ListQuery, MemoryHit, MemoryRecord, MemoryStore, RecallQuery } from './types';
import { pointIdFor } from './uuid';
import type { Lesson, LessonEvidence, LessonHit, LessonInput, LessonMerge, LessonQuery, LessonStatus, LessonWrite, LessonWriteOptions } from './lesson-types';
import type { QdrantApi } from './qdrant-api';
import { QdrantLessons } from './qdrant-lessons';
import { norm } from './vector';

export const DEFAULT_QDRANT_COLLECTION = 'pantheon_memory';

export interface QdrantMemoryStoreOptions {
  url: string;
  apiKey?: string;
  collection?: string;
  embedder: Embedder;
  /** A ready client (tests); otherwise one is built from url/apiKey. */
  client?: QdrantApi;
  /** Recall leaves out a record or lesson in a shape Pantheon does not write and tells this; without it, recall throws `store_corrupt`. */
  onMalformed?: MalformedSink;
}

/** The payload keys recall and count filter on; indexed so filtering stays fast (and allowed under strict mode). */
const INDEXED_FIELDS: { field: keyof MemoryRecord; schema: Schemas['PayloadSchemaType'] }[] = [
  { field: 'specialist', schema: 'keyword' },
  { field: 'success', schema: 'bool' },
  { field: 'taskId', schema: 'keyword' },
  { field: 'offline', schema: 'bool' },
  // Task history lists by time, newest first: order_by needs a range index.
  { field: 'createdAt', schema: 'datetime' },
];

/** Indexes added after the first collections were made; creating one that exists is a no-op. */
const LATER_INDEXES = INDEXED_FIELDS.filter((f) => f.field === 'offline' || f.field === 'createdAt');

/** Qdrant answers 409 (older servers: 400 "... already exists!") when another process created it first. */
function isAlreadyExists(err: unknown): boolean {
  const e = err as { status?: unknown; message?: unknown; data?: { status?: { error?: unknown } } };
  const text = `${String(e?.message ?? '')} ${String(e?.data?.status?.error ?? '')}`;
  return e?.status === 409 || /already exists/i.test(text);
}

function storeError(action: string, collection: string, err: unknown): PantheonError {
  if (isPantheonError(err)) return err;
  const status = (err as { status?: unknown })?.status;
  return PantheonError.of('store_unavailable', `qdrant memory ${collection}: ${action} failed: ${String((err as Error)?.message ?? err)}`, {
    details: { collection, status: typeof status === 'number' ? status : undefined },
    cause: err,
  });
}

function match(key: string, value: string | boolean): Schemas['FieldCondition'] {
  return { key, match: { value } };
}

export class QdrantMemoryStore implements MemoryStore {
  private closed = false;
  /** Lessons live in `<collection>_lessons`, created on first use (src/memory/qdrant-lessons.ts). */
  private readonly lessons: QdrantLessons;

  private constructor(
    private readonly client: QdrantApi,
    private readonly collection: string,
    private readonly embedder: Embedder,
    private readonly onMalformed?: MalformedSink,
  ) {
    this.lessons = new QdrantLessons(client, `${collection}_lessons`, embedder.dimensions, (text) => this.embedOne(text), onMalformed);
  }

  static async open(options: QdrantMemoryStoreOptions): Promise<QdrantMemoryStore> {
    const collection = options.collection ?? DEFAULT_QDRANT_COLLECTION;
    const { embedder } = options;
    let client: QdrantApi;
    try {
      // The version check would only print a warning, from a promise nobody awaits.
      client = options.client ?? new QdrantClient({ url: options.url, apiKey: options.apiKey, checkCompatibility: false });
    } catch (err) {
      // A malformed URL does not heal by retrying.
      throw PantheonError.of('config_invalid', `qdrant memory: bad client settings: ${(err as Error).message}`, { cause: err });
    }
    try {
      const { exists } = await client.collectionExists(collection);
      if (!exists) await QdrantMemoryStore.create(client, collection, embedder);
      // Collections from before records were marked offline (or listed by time) lack those indexes.
      else for (const { field, schema } of LATER_INDEXES) await client.createPayloadIndex(collection, { field_name: field, field_schema: schema, wait: true });
      await QdrantMemoryStore.checkVectors(client, collection, embedder);
      return new QdrantMemoryStore(client, collection, embedder, options.onMalformed);
    } catch (err) {
      throw storeError('open', collection, err);
    }
  }

  private static async create(client: QdrantApi, collection: string, embedder: Embedder): Promise<void> {
    try {
      await client.createCollection(collection, { vectors: { size: embedder.dimensions, distance: 'Cosine' } });
    } catch (err) {
      if (isAlreadyExists(err)) return; // a concurrent worker won the race; it builds the indexes
      throw err;
    }
    for (const { field, schema } of INDEXED_FIELDS) {
      await client.createPayloadIndex(collection, { field_name: field, field_schema: schema, wait: true });
    }
  }

  /** Refuse a collection built for another vector space: recall against it would be silently wrong. */
  private static async checkVectors(client: QdrantApi, collection: string, embedder: Embedder): Promise<void> {
    const info = await client.getCollection(collection);
    const vectors = info.config.params.vectors as Partial<Schemas['VectorParams']> | undefined;
    if (vectors?.size !== embedder.dimensions || vectors?.distance !== 'Cosine') {
      throw PantheonError.of(
        'config_invalid',
        `qdrant collection ${collection} holds ${vectors?.size ?? 'unnamed/multiple'}-dimension ${vectors?.distance ?? '?'} vectors, ` +
          `but embedder ${embedder.name} makes ${embedder.dimensions}-dimension Cosine vectors; use another collection`,
        { details: { collection, size: vectors?.size, distance: vectors?.distance, dimensions: embedder.dimensions } },
      );
    }
  }

  async put(record: MemoryRecord): Promise<{ stored: boolean }> {
    const valid = validateRecord(record);
    const vector = await this.embedOne(embeddingText(valid));
    const id = pointIdFor(valid.id);
    return this.run('put', async () => {
      const existing = await this.client.retrieve(this.collection, { ids: [id], with_payload: false, with_vector: false });
      if (existing.length > 0) return { stored: false };
      // insert_only: if another process wrote the point between our check and now, the first write
      // wins, as with SQLite's INSERT OR IGNORE.
      await this.client.upsert(this.collection, {
        wait: true,
        update_mode: 'insert_only',
        points: [{ id, vector: Array.from(vector), payload: { ...valid, embedder: this.embedder.name } }],
      });
      return { stored: true };
    });
  }

  async get(id: string): Promise<MemoryRecord | undefined> {
    return this.run('get', async () => {
      const [point] = await this.client.retrieve(this.collection, { ids: [pointIdFor(id)], with_payload: true, with_vector: false });
      return point ? this.decode(point.payload, point.id) : undefined;
    });
  }

  async recall(query: RecallQuery): Promise<MemoryHit[]> {
    const q = validateRecallQuery(query);
    const probe = await this.embedOne(q.text);
    if (norm(probe) === 0) return []; // no features, no direction to rank by (same as SQLite)
    const must: Schemas['FieldCondition'][] = [];
    if (q.specialist !== undefined) must.push(match('specialist', q.specialist));
    if (q.success !== undefined) must.push(match('success', q.success));
    // A point without the field (written before the mark) matches neither value, as in SQLite.
    if (q.offline !== undefined) must.push(match('offline', q.offline));
    return this.run('recall', async () => {
      const { points } = await this.client.query(this.collection, {
        query: Array.from(probe),
        filter: must.length ? { must } : undefined,
        limit: q.limit,
        with_payload: true,
        score_threshold: q.minScore,
      });
      // Qdrant's threshold is inclusive; the port promises strictly above minScore.
      const above = points.filter((p) => p.score > q.minScore);
      return decodeRecalled(above, (p) => ({ record: this.decode(p.payload, p.id), score: Math.max(-1, Math.min(1, p.score)) }), this.onMalformed);
    });
  }

  async count(filter: { taskId?: string } = {}): Promise<number> {
    return this.run('count', async () => {
      const res = await this.client.count(this.collection, {
        exact: true,
        filter: filter.taskId === undefined ? undefined : { must: [match('taskId', filter.taskId)] },
      });
      return res.count;
    });
  }

  recordLesson(input: LessonInput, options?: LessonWriteOptions): Promise<LessonWrite> {
    return this.run('recordLesson', () => this.lessons.record(input, options));
  }

  recallLessons(query: LessonQuery): Promise<LessonHit[]> {
    return this.run('recallLessons', () => this.lessons.recall(query));
  }

  getLesson(id: string): Promise<Lesson | undefined> {
    return this.run('getLesson', () => this.lessons.get(id));
  }

  listLessons(filter?: { specialist?: string; status?: LessonStatus }): Promise<Lesson[]> {
    return this.run('listLessons', () => this.lessons.list(filter));
  }

  lessonEvidence(lessonId: string): Promise<LessonEvidence[]> {
    return this.run('lessonEvidence', () => this.lessons.evidence(lessonId));
  }

  mergeLessons(options: { minSimilarity: number; at: string }): Promise<LessonMerge[]> {
    return this.run('mergeLessons', () => this.lessons.merge(options));
  }

  retireLesson(id: string, reason: string, at: string): Promise<boolean> {
    return this.run('retireLesson', () => this.lessons.retire(id, reason, at));
  }

  markLessonsHelped(ids: string[]): Promise<void> {
    return this.run('markLessonsHelped', () => this.lessons.markHelped(ids));
  }

  async list(query?: ListQuery): Promise<MemoryRecord[]> {
    const q = validateListQuery(query);
    return this.run('list', async () => {
      const { points } = await this.client.scroll(this.collection, {
        filter: q.since === undefined ? undefined : { must: [{ key: 'createdAt', range: { gte: q.since } }] },
        order_by: { key: 'createdAt', direction: 'desc' },
        limit: q.limit,
        with_payload: true,
        with_vector: false,
      });
      return points.map((p) => this.decode(p.payload, p.id));
    });
  }

  /** The REST client holds no connection that needs closing; later calls are refused. */
  async close(): Promise<void> {
    this.closed = true;
  }

  private async embedOne(text: string): Promise<Float32Array> {
    const [v] = await this.embedder.embed([text]);
    if (!v || v.length !== this.embedder.dimensions) {
      throw PantheonError.of('config_invalid', `embedder ${this.embedder.name} returned a vector of ${v?.length} dimensions, not ${this.embedder.dimensions}`);
    }
    return v;
  }

  private async run<T>(action: string, fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw PantheonError.of('store_unavailable', `qdrant memory ${this.collection} is closed`);
    try {
      return await fn();
    } catch (err) {
      throw storeError(action, this.collection, err);
    }
  }

  private decode(payload: unknown, pointId: Schemas['ExtendedPointId']): MemoryRecord {
    const { embedder: _embedder, ...fields } = (payload ?? {}) as Record<string, unknown>;
    return decodeStoredRecord(fields, `qdrant ${this.collection} (point ${pointId})`);
  }
}
