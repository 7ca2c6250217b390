/**
 * The embedded default memory store: one SQLite file that several worker processes on one machine
 * share. WAL lets readers and a writer proceed together; busy_timeout makes a writer wait for
 * another process's write lock instead of failing at once.
 *
 * Recall is exact: every vector is held in an in-memory index (src/memory/vector-index.ts), loaded
 * in slices when the store opens and caught up by rowid before each recall and after each put, so
 * records other processes wrote are found too. Only the best rows are read back from SQLite.
 *
 * A hybrid recall (`hybrid: true`) also asks an FTS5 table of the records' terms (src/memory/fts.ts)
 * and ranks the union of the best vector and keyword candidates by their fused relevance
 * (src/memory/hybrid-rank.ts). The FTS row is written in the put's transaction; a file from before
 * FTS is backfilled when opened, and rows written by an older worker are added as the index
 * catches up with them.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { PantheonError } from '../errors';
import { FtsIndex, keywordCoverage, termsOf } from './fts';
import { rankHybrid, type HybridCandidate } from './hybrid-rank';
import { decodeRecalled, type MalformedSink } from './skip-malformed';
import { decodeStoredRecord, embeddingText, validateListQuery, validateRecallQuery, validateRecord, type NormalisedRecallQuery } from './record';
import type { Embedder, ListQuery, MemoryHit, MemoryRecord, MemoryStore, RecallQuery } from './types';
import type { Lesson, LessonEvidence, LessonHit, LessonInput, LessonMerge, LessonQuery, LessonStatus, LessonWrite, LessonWriteOptions } from './lesson-types';
import { LESSON_SCHEMA, SqliteLessons } from './sqlite-lessons';
import { refuseForeignDatabase, refuseUnreadable, storeError } from './sqlite-file';
import { blobToVector, cosine, norm, vectorToBlob } from './vector';
import { VectorIndex } from './vector-index';

export interface SqliteMemoryStoreOptions {
  /** A file path (parent directories are created) or ':memory:' for a private in-process store. */
  file: string;
  embedder: Embedder;
  /** How long a write waits for another connection's lock before failing (default 5000 ms). */
  busyTimeoutMs?: number;
  /**
   * Opens an existing file for reading only (`pantheon history`): nothing is created or migrated,
   * so it neither waits for another connection's write lock nor adds tables to a file that is not
   * a store (refused, as is one a worker must migrate first). Writes fail.
   */
  readOnly?: boolean;
  /** Recall leaves out a record or lesson in a shape Pantheon does not write and tells this; without it, recall throws `store_corrupt`. */
  onMalformed?: MalformedSink;
}

interface Row {
  id: string;
  task_id: string;
  specialist: string;
  objective: string;
  approach: string;
  result: string;
  success: number;
  cost_usd: number;
  lessons: string;
  created_at: string;
  vector: Buffer;
  offline: number | null;
  failure_type?: string | null;
  route_method?: string | null;
  policy_version?: string | null;
  iterations?: number | null;
  tokens?: number | null;
  duration_ms?: number | null;
  kind?: string | null;
}

/** The outcome's optional facts: columns added to older files by migrate(), NULL when absent. */
const OUTCOME_COLUMNS = [
  { column: 'failure_type', type: 'TEXT', field: 'failureType' },
  { column: 'route_method', type: 'TEXT', field: 'routeMethod' },
  { column: 'policy_version', type: 'TEXT', field: 'policyVersion' },
  { column: 'iterations', type: 'INTEGER', field: 'iterations' },
  { column: 'tokens', type: 'INTEGER', field: 'tokens' },
  { column: 'duration_ms', type: 'REAL', field: 'durationMs' },
  { column: 'kind', type: 'TEXT', field: 'kind' },
] as const;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS memory_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS memories (
    id TEXT PRIMARY KEY,
    task_id TEXT NOT NULL,
    specialist TEXT NOT NULL,
    objective TEXT NOT NULL,
    approach TEXT NOT NULL,
    result TEXT NOT NULL,
    success INTEGER NOT NULL CHECK (success IN (0, 1)),
    cost_usd REAL NOT NULL,
    lessons TEXT NOT NULL,
    created_at TEXT NOT NULL,
    vector BLOB NOT NULL,
    offline INTEGER CHECK (offline IN (0, 1))
  );
  CREATE INDEX IF NOT EXISTS memories_specialist_success ON memories (specialist, success);
  CREATE INDEX IF NOT EXISTS memories_task_id ON memories (task_id);
`;

/**
 * Files created before records were marked offline lack the column: add it, nullable, so their
 * records read as provenance unknown (recalled by offline runs, never by live ones).
 */
function migrate(db: Database.Database): void {
  const columns = db.prepare('PRAGMA table_info(memories)').all() as { name: string }[];
  if (!columns.some((c) => c.name === 'offline')) db.exec('ALTER TABLE memories ADD COLUMN offline INTEGER CHECK (offline IN (0, 1))');
  for (const { column, type } of OUTCOME_COLUMNS) {
    if (!columns.some((c) => c.name === column)) db.exec(`ALTER TABLE memories ADD COLUMN ${column} ${type}`);
  }
  // Task history (`pantheon history stats` reads by time).
  db.exec('CREATE INDEX IF NOT EXISTS memories_created_at ON memories (created_at)');
}

/** How often a busy open is tried before the error reaches the caller. */
const OPEN_ATTEMPTS = 10;

/** Rows read into the index per slice: a slice takes a few milliseconds, so the event loop never stalls long.
 * 500 since each row is also tokenized for keyword statistics (and, in a file from before FTS, indexed). */
const INDEX_SLICE = 500;

/** Candidates a hybrid recall takes from each side before fusing them: a deeper vector list costs
 * the index's ranking most of a recall's time at 100k records, for hits that rarely reach the top 5. */
const VECTOR_CANDIDATES = 20;
const KEYWORD_CANDIDATES = 30;

interface IndexRow {
  rowid: number;
  id: string;
  specialist: string;
  success: number;
  offline: number | null;
  created_at: string;
  vector: Buffer;
  objective: string;
}

export class SqliteMemoryStore implements MemoryStore {
  private closed = false;
  private readonly index: VectorIndex;
  /** The highest rowid in the index; rows are only ever appended, so newer rows have higher ids. */
  private indexedRowid = 0;
  private readonly lessons: SqliteLessons;
  private readonly fts: FtsIndex;

  private constructor(
    private readonly db: Database.Database,
    private readonly file: string,
    private readonly embedder: Embedder,
    private readonly readOnly = false,
    private readonly onMalformed?: MalformedSink,
  ) {
    this.index = new VectorIndex(embedder.dimensions);
    this.lessons = new SqliteLessons(db, (text) => this.embedOne(text), onMalformed);
    this.fts = new FtsIndex(db);
  }

  /**
   * Opens (creating if needed) the store. Two processes opening a new file at the same moment can
   * meet SQLITE_BUSY while one switches it to WAL, a case SQLite's busy timeout does not cover;
   * the open is retried a few times with a short backoff before it gives up.
   */
  static async open(options: SqliteMemoryStoreOptions): Promise<SqliteMemoryStore> {
    for (let attempt = 1; ; attempt++) {
      try {
        const store = SqliteMemoryStore.openOnce(options);
        try {
          await store.loadIndex();
        } catch (err) {
          await store.close();
          throw storeError('open', store.file, err);
        }
        return store;
      } catch (err) {
        const busy = err instanceof PantheonError && err.details.code === 'SQLITE_BUSY';
        if (!busy || attempt >= OPEN_ATTEMPTS) throw err;
        await new Promise((r) => setTimeout(r, 25 * attempt + Math.floor(Math.random() * 25)));
      }
    }
  }

  private static openOnce(options: SqliteMemoryStoreOptions): SqliteMemoryStore {
    const { embedder } = options;
    const file = options.file === ':memory:' ? ':memory:' : resolve(options.file);
    let db: Database.Database | undefined;
    try {
      const readOnly = options.readOnly === true;
      if (file !== ':memory:' && !readOnly) mkdirSync(dirname(file), { recursive: true });
      db = new Database(file, readOnly ? { readonly: true, fileMustExist: true } : {});
      // busy_timeout first: switching to WAL itself needs a lock another process may hold.
      db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
      const conn = db;
      if (readOnly) {
        // A WAL file's readers never wait for its writer: the file is read as the workers left it.
        refuseUnreadable(conn, file, { asIs: true });
      } else {
        conn.pragma('journal_mode = WAL');
        conn.pragma('synchronous = NORMAL');
        // IMMEDIATE takes the write lock up front, so two processes creating the file at once cannot
        // both record a different embedder.
        conn.transaction(() => {
          refuseForeignDatabase(conn, file);
          conn.exec(SCHEMA);
          migrate(conn);
          conn.exec(LESSON_SCHEMA);
          FtsIndex.createSchema(conn);
          const put = conn.prepare('INSERT OR IGNORE INTO memory_meta (key, value) VALUES (?, ?)');
          put.run('embedder_name', embedder.name);
          put.run('embedder_dimensions', String(embedder.dimensions));
        }).immediate();
      }
      const meta = new Map(
        (conn.prepare('SELECT key, value FROM memory_meta').all() as { key: string; value: string }[]).map((r) => [r.key, r.value]),
      );
      const storedName = meta.get('embedder_name');
      const storedDims = Number(meta.get('embedder_dimensions'));
      if (storedName !== embedder.name || storedDims !== embedder.dimensions) {
        // Vectors from another embedder live in another space: mixing them would make recall silently wrong.
        throw PantheonError.of(
          'config_invalid',
          `memory store ${file} was built with embedder ${storedName}/${storedDims} dimensions, ` +
            `but ${embedder.name}/${embedder.dimensions} was given; use a matching embedder or a new file`,
          { details: { file, storedEmbedder: storedName, storedDimensions: storedDims, embedder: embedder.name, dimensions: embedder.dimensions } },
        );
      }
      return new SqliteMemoryStore(conn, file, embedder, readOnly, options.onMalformed);
    } catch (err) {
      db?.close();
      throw storeError('open', file, err);
    }
  }

  async put(record: MemoryRecord): Promise<{ stored: boolean }> {
    const valid = validateRecord(record);
    const vector = await this.embedOne(embeddingText(valid));
    return this.run('put', () => {
      const info = this.db.transaction(() => {
        const inserted = this.db
          .prepare(
            `INSERT OR IGNORE INTO memories
               (id, task_id, specialist, objective, approach, result, success, cost_usd, lessons, created_at, vector, offline,
                ${OUTCOME_COLUMNS.map((c) => c.column).join(', ')})
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?${', ?'.repeat(OUTCOME_COLUMNS.length)})`,
          )
          .run(
            valid.id, valid.taskId, valid.specialist, valid.objective, valid.approach, valid.result,
            valid.success ? 1 : 0, valid.costUsd, JSON.stringify(valid.lessons), valid.createdAt, vectorToBlob(vector),
            valid.offline === undefined ? null : valid.offline ? 1 : 0,
            ...OUTCOME_COLUMNS.map((c) => valid[c.field] ?? null),
          );
        if (inserted.changes === 1) this.fts.add(inserted.lastInsertRowid, embeddingText(valid));
        return inserted;
      })();
      this.catchUpIndex();
      return { stored: info.changes === 1 };
    });
  }

  async get(id: string): Promise<MemoryRecord | undefined> {
    return this.run('get', () => {
      const row = this.db.prepare('SELECT * FROM memories WHERE id = ?').get(id) as Row | undefined;
      return row && this.decode(row);
    });
  }

  async recall(query: RecallQuery): Promise<MemoryHit[]> {
    const q = validateRecallQuery(query);
    const probe = await this.embedOne(q.text);
    // A query with no features (only stopwords, say) has no direction to rank by.
    if (norm(probe) === 0) return [];
    return this.run('recall', () => {
      this.catchUpIndex();
      if (q.hybrid) return this.recallHybrid(q, probe);
      const ranked = this.index.search(probe, { limit: q.limit, minScore: q.minScore, specialist: q.specialist, success: q.success, offline: q.offline });
      if (ranked.length === 0) return [];
      const rows = this.db.prepare(`SELECT rowid, * FROM memories WHERE rowid IN (${ranked.map(() => '?').join(', ')})`).all(...ranked.map((h) => h.rowid)) as Array<Row & { rowid: number }>;
      const byRowid = new Map(rows.map((r) => [r.rowid, r]));
      const found = ranked.flatMap(({ rowid, score }) => {
        const row = byRowid.get(rowid);
        return row ? [{ row, score }] : [];
      });
      return decodeRecalled(found, ({ row, score }) => ({ record: this.decode(row), score }), this.onMalformed);
    });
  }

  async count(filter: { taskId?: string } = {}): Promise<number> {
    return this.run('count', () => {
      const row = (
        filter.taskId === undefined
          ? this.db.prepare('SELECT COUNT(*) AS n FROM memories').get()
          : this.db.prepare('SELECT COUNT(*) AS n FROM memories WHERE task_id = ?').get(filter.taskId)
      ) as { n: number };
      return row.n;
    });
  }

  async recordLesson(input: LessonInput, options?: LessonWriteOptions): Promise<LessonWrite> {
    return this.runAsync('recordLesson', () => this.lessons.record(input, options));
  }

  async recallLessons(query: LessonQuery): Promise<LessonHit[]> {
    return this.runAsync('recallLessons', () => this.lessons.recall(query));
  }

  async getLesson(id: string): Promise<Lesson | undefined> {
    return this.run('getLesson', () => this.lessons.get(id));
  }

  async listLessons(filter?: { specialist?: string; status?: LessonStatus }): Promise<Lesson[]> {
    return this.run('listLessons', () => this.lessons.list(filter));
  }

  async lessonEvidence(lessonId: string): Promise<LessonEvidence[]> {
    return this.run('lessonEvidence', () => this.lessons.evidence(lessonId));
  }

  async mergeLessons(options: { minSimilarity: number; at: string }): Promise<LessonMerge[]> {
    return this.run('mergeLessons', () => this.lessons.merge(options));
  }

  async retireLesson(id: string, reason: string, at: string): Promise<boolean> {
    return this.run('retireLesson', () => this.lessons.retire(id, reason, at));
  }

  async markLessonsHelped(ids: string[]): Promise<void> {
    return this.run('markLessonsHelped', () => this.lessons.markHelped(ids));
  }

  async list(query?: ListQuery): Promise<MemoryRecord[]> {
    const q = validateListQuery(query);
    return this.run('list', () => {
      // ISO-8601 strings in one form (UTC, milliseconds) sort as their instants do.
      const rows = (
        q.since === undefined
          ? this.db.prepare('SELECT * FROM memories ORDER BY created_at DESC, rowid DESC LIMIT ?').all(q.limit)
          : this.db.prepare('SELECT * FROM memories WHERE created_at >= ? ORDER BY created_at DESC, rowid DESC LIMIT ?').all(q.since, q.limit)
      ) as Row[];
      return rows.map((r) => this.decode(r));
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  /**
   * The best vector candidates and the best keyword candidates, each scored on both sides, fused,
   * floored at `minScore` and cut to `limit`. Filters apply to both sides alike.
   */
  private recallHybrid(q: NormalisedRecallQuery, probe: Float32Array): MemoryHit[] {
    const filter = { specialist: q.specialist, success: q.success, offline: q.offline };
    const byVector = this.index.search(probe, { ...filter, limit: VECTOR_CANDIDATES, minScore: 0 });
    const keywords = this.fts.probe(q.text, KEYWORD_CANDIDATES);
    const vectorOf = new Map(byVector.map((h) => [h.rowid, h.score]));
    const rowids = [...new Set([...vectorOf.keys(), ...keywords.candidates])];
    if (rowids.length === 0) return [];
    const rows = this.db.prepare(`SELECT rowid, * FROM memories WHERE rowid IN (${rowids.map(() => '?').join(', ')})`).all(...rowids) as Array<Row & { rowid: number }>;
    const byRowid = new Map<number, Row & { rowid: number }>();
    const candidates: HybridCandidate[] = [];
    for (const row of rows) {
      if (q.specialist !== undefined && row.specialist !== q.specialist) continue;
      if (q.success !== undefined && (row.success === 1) !== q.success) continue;
      if (q.offline !== undefined && (row.offline === null || row.offline === undefined || (row.offline === 1) !== q.offline)) continue;
      byRowid.set(row.rowid, row);
      const vector = vectorOf.get(row.rowid) ?? cosine(probe, blobToVector(row.vector));
      const keyword = keywordCoverage(keywords.terms, new Set(termsOf(embeddingText(row))), keywords.weights);
      candidates.push({ rowid: row.rowid, vector, keyword, createdAt: row.created_at, id: row.id });
    }
    const ranked = rankHybrid(candidates, { limit: q.limit, minScore: q.minScore });
    return decodeRecalled(ranked, (h) => ({ record: this.decode(byRowid.get(h.rowid)!), score: h.score, parts: { vector: h.vector, keyword: h.keyword } }), this.onMalformed);
  }

  /** Reads the whole file into the index in slices, yielding between them (a big store opens without stalling the worker). */
  private async loadIndex(): Promise<void> {
    while (this.catchUpIndex(INDEX_SLICE) === INDEX_SLICE) await new Promise((r) => setImmediate(r));
  }

  /** Adds rows written since the last catch-up (by this process or another); returns how many. */
  private catchUpIndex(limit = Number.MAX_SAFE_INTEGER): number {
    const rows = this.db
      .prepare('SELECT rowid, id, specialist, success, offline, created_at, vector, objective FROM memories WHERE rowid > ? ORDER BY rowid LIMIT ?')
      .all(this.indexedRowid, Math.min(limit, Number.MAX_SAFE_INTEGER)) as IndexRow[];
    // A put writes its row's FTS entry; a row without one comes from a file made before FTS (the
    // whole file, once, slice by slice as it is first opened) or from an older worker, and gets it here.
    const terms = rows.map((r) => termsOf(embeddingText(r)));
    // Checked again under the write lock, so two processes backfilling the same rows add each once.
    // A read-only store leaves that to the workers: until then such a row is found by its vector alone.
    const missing = this.readOnly ? [] : rows.flatMap((r, i) => (this.fts.has(r.rowid) ? [] : [{ rowid: r.rowid, terms: terms[i] }]));
    if (missing.length > 0) this.fts.addMany(missing);
    terms.forEach((t) => this.fts.count(t));
    for (const row of rows) {
      const vector = blobToVector(row.vector);
      // Cannot happen under the meta check; never compare across spaces.
      if (vector.length === this.index.dimensions) {
        this.index.add({ rowid: row.rowid, id: row.id, specialist: row.specialist, success: row.success === 1, offline: row.offline === null || row.offline === undefined ? null : row.offline === 1, createdAt: row.created_at }, vector);
      }
      this.indexedRowid = row.rowid;
    }
    return rows.length;
  }

  private async embedOne(text: string): Promise<Float32Array> {
    const [v] = await this.embedder.embed([text]);
    if (!v || v.length !== this.embedder.dimensions) {
      throw PantheonError.of('config_invalid', `embedder ${this.embedder.name} returned a vector of ${v?.length} dimensions, not ${this.embedder.dimensions}`);
    }
    return v;
  }

  /** As run, for work that awaits the embedder before its transaction. */
  private async runAsync<T>(action: string, fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw PantheonError.of('store_unavailable', `memory store ${this.file} is closed`);
    try {
      return await fn();
    } catch (err) {
      throw storeError(action, this.file, err);
    }
  }

  private run<T>(action: string, fn: () => T): T {
    if (this.closed) throw PantheonError.of('store_unavailable', `memory store ${this.file} is closed`);
    try {
      return fn();
    } catch (err) {
      throw storeError(action, this.file, err);
    }
  }

  private decode(row: Row): MemoryRecord {
    let lessons: unknown;
    try {
      lessons = JSON.parse(row.lessons);
    } catch {
      lessons = undefined; // the schema check below reports it
    }
    return decodeStoredRecord(
      {
        id: row.id,
        taskId: row.task_id,
        specialist: row.specialist,
        objective: row.objective,
        approach: row.approach,
        result: row.result,
        success: row.success === 1,
        costUsd: row.cost_usd,
        lessons,
        createdAt: row.created_at,
        ...(row.offline === null || row.offline === undefined ? {} : { offline: row.offline === 1 }),
        ...Object.fromEntries(OUTCOME_COLUMNS.flatMap((c) => (row[c.column] === null || row[c.column] === undefined ? [] : [[c.field, row[c.column]]]))),
      },
      `${this.file} (id ${row.id})`,
    );
  }
}
