/**
 * Rebuilds an embedded store's vectors in another vector space (`pantheon memory reembed`): every
 * record and every lesson is embedded again with the new embedder, then vectors and the store's recorded space
 * (memory_meta) change in one transaction, so readers see the old space or the new one, never a
 * mix. New vectors are kept in a side table as they are made: an interrupted run resumes where it
 * stopped instead of paying for its embeddings twice. Workers must be stopped first: a running one
 * would go on writing vectors of the old space (a stopped one refuses to start against the new
 * space with its old embedder).
 */
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { PantheonError } from '../errors';
import { lessonGist } from './lesson-text';
import { embeddingText } from './record';
import { isSqliteError, refuseUnreadable, storeError } from './sqlite-file';
import type { Embedder, MemoryRecord } from './types';
import { vectorToBlob } from './vector';

export interface ReembedReport {
  records: number;
  /** Records embedded by this run (the rest were done by an interrupted earlier one). */
  embedded: number;
  /** Lessons whose vectors (gist and topic) were made again in the new space. */
  lessons: number;
  from: string;
  to: string;
}

/** Texts per embedder call. */
const BATCH = 128;
/** Catch-up rounds for records written while the run embedded (by a worker that should have been stopped). */
const MAX_ROUNDS = 5;

interface Row {
  id: string;
  task_id: string;
  specialist: string;
  objective: string;
  approach: string;
  result: string;
  success: number;
  cost_usd: number;
  created_at: string;
}

const space = (name: string, dimensions: number | string) => `${name}/${dimensions}`;

export async function reembedSqlite(file: string, embedder: Embedder, progress?: (done: number, total: number) => void): Promise<ReembedReport> {
  if (!existsSync(file)) throw PantheonError.of('invalid_input', `no memory store at ${file} (PANTHEON_MEMORY_FILE)`, { details: { field: 'PANTHEON_MEMORY_FILE' } });
  const db = openStoreFile(file);
  try {
    const meta = (key: string) => (db.prepare('SELECT value FROM memory_meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
    const from = space(meta('embedder_name') ?? '?', meta('embedder_dimensions') ?? '?');
    const to = space(embedder.name, embedder.dimensions);
    const total = () => (db.prepare('SELECT COUNT(*) AS n FROM memories').get() as { n: number }).n;
    if (from === to) {
      // Records in this space already; lessons an earlier reembed (before lessons were re-embedded
      // too) left in the old one are made again here.
      const stale = staleLessonCount(db, embedder.dimensions);
      if (stale === 0) return { records: total(), embedded: 0, lessons: 0, from, to };
      const lessons = await embedLessons(db, embedder);
      const written = db.transaction(() => (lessons.evidence === evidenceCount(db) ? writeLessons(db, lessons.vectors) : -1)).immediate();
      if (written < 0) throw PantheonError.of('store_unavailable', `memory store ${file}: lessons kept arriving while re-embedding; stop the workers and run it again`);
      return { records: total(), embedded: 0, lessons: written, from, to };
    }

    db.exec('CREATE TABLE IF NOT EXISTS memory_reembed (id TEXT PRIMARY KEY, vector BLOB NOT NULL)');
    // Vectors of an interrupted run toward another space are of no use.
    if (meta('reembed_target') !== to) {
      db.transaction(() => {
        db.exec('DELETE FROM memory_reembed');
        db.prepare("INSERT OR REPLACE INTO memory_meta (key, value) VALUES ('reembed_target', ?)").run(to);
      })();
    }
    const missing = db.prepare(
      `SELECT m.id, m.task_id, m.specialist, m.objective, m.approach, m.result, m.success, m.cost_usd, m.created_at
         FROM memories m LEFT JOIN memory_reembed r ON r.id = m.id WHERE r.id IS NULL ORDER BY m.rowid LIMIT ?`,
    );
    const keep = db.prepare('INSERT OR REPLACE INTO memory_reembed (id, vector) VALUES (?, ?)');
    let embedded = 0;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      for (let rows = missing.all(BATCH) as Row[]; rows.length > 0; rows = missing.all(BATCH) as Row[]) {
        const vectors = await embedder.embed(rows.map((r) => embeddingText(recordOf(r))));
        if (vectors.length !== rows.length || vectors.some((v) => v.length !== embedder.dimensions)) {
          throw PantheonError.of('config_invalid', `embedder ${embedder.name} did not return ${rows.length} vectors of ${embedder.dimensions} dimensions`);
        }
        db.transaction(() => rows.forEach((r, i) => keep.run(r.id, vectorToBlob(vectors[i]))))();
        embedded += rows.length;
        progress?.(embedded, total());
      }
      // Lessons are few (a cap per specialist): made whole each round, not kept between runs.
      const lessons = await embedLessons(db, embedder);
      // The switch: only when every record has its new vector, all at once, lessons with them.
      let lessonsWritten = 0;
      const switched = db
        .transaction(() => {
          if ((missing.all(1) as Row[]).length > 0 || lessons.evidence !== evidenceCount(db)) return false;
          db.exec('UPDATE memories SET vector = (SELECT r.vector FROM memory_reembed r WHERE r.id = memories.id)');
          lessonsWritten = writeLessons(db, lessons.vectors);
          const put = db.prepare('INSERT OR REPLACE INTO memory_meta (key, value) VALUES (?, ?)');
          put.run('embedder_name', embedder.name);
          put.run('embedder_dimensions', String(embedder.dimensions));
          db.prepare("DELETE FROM memory_meta WHERE key = 'reembed_target'").run();
          db.exec('DROP TABLE memory_reembed');
          return true;
        })
        .immediate();
      if (switched) return { records: total(), embedded, lessons: lessonsWritten, from, to };
    }
    throw PantheonError.of('store_unavailable', `memory store ${file}: records kept arriving while re-embedding; stop the workers and run it again (it resumes)`);
  } catch (err) {
    throw named(file, err);
  } finally {
    db.close();
  }
}

interface LessonVectors {
  id: string;
  gist: Float32Array;
  topic: Float32Array;
}

const hasLessons = (db: Database.Database) => db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'lessons'").get() !== undefined;
const evidenceCount = (db: Database.Database) => (hasLessons(db) ? (db.prepare('SELECT COUNT(*) AS n FROM lesson_evidence').get() as { n: number }).n : 0);

/** Lessons whose vectors are not of `dimensions` (left in another space). */
function staleLessonCount(db: Database.Database, dimensions: number): number {
  if (!hasLessons(db)) return 0;
  const bytes = dimensions * 4;
  return (db.prepare('SELECT COUNT(*) AS n FROM lessons WHERE length(gist_vector) != ? OR length(topic_vector) != ?').get(bytes, bytes) as { n: number }).n;
}

/** Texts embedded BATCH at a time, each vector checked. */
async function embedAll(embedder: Embedder, texts: string[]): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (let i = 0; i < texts.length; i += BATCH) {
    const batch = texts.slice(i, i + BATCH);
    const vectors = await embedder.embed(batch);
    if (vectors.length !== batch.length || vectors.some((v) => v.length !== embedder.dimensions)) {
      throw PantheonError.of('config_invalid', `embedder ${embedder.name} did not return ${batch.length} vectors of ${embedder.dimensions} dimensions`);
    }
    out.push(...vectors);
  }
  return out;
}

/**
 * Every lesson's vectors in the new space, as sqlite-lessons.ts makes them: its gist's, and the sum
 * of its evidence objectives' (the topic recall ranks by). Left in the old space, a lesson was
 * never recalled again (its topic's length differs from every probe's), and the next evidence
 * added vectors of two lengths into NaNs. `evidence`: how many evidence rows the topics sum.
 */
async function embedLessons(db: Database.Database, embedder: Embedder): Promise<{ vectors: LessonVectors[]; evidence: number }> {
  if (!hasLessons(db)) return { vectors: [], evidence: 0 };
  const lessons = db.prepare('SELECT id, text FROM lessons ORDER BY rowid').all() as Array<{ id: string; text: string }>;
  const evidence = db.prepare('SELECT lesson_id, objective FROM lesson_evidence ORDER BY rowid').all() as Array<{ lesson_id: string; objective: string }>;
  const gists = await embedAll(embedder, lessons.map((l) => lessonGist(l.text)));
  const objectives = await embedAll(embedder, evidence.map((e) => e.objective));
  const topics = new Map(lessons.map((l) => [l.id, new Float32Array(embedder.dimensions)]));
  evidence.forEach((e, i) => {
    const topic = topics.get(e.lesson_id);
    if (topic) for (let d = 0; d < topic.length; d++) topic[d] += objectives[i][d];
  });
  return { vectors: lessons.map((l, i) => ({ id: l.id, gist: gists[i], topic: topics.get(l.id)! })), evidence: evidence.length };
}

/** Writes the lessons' new vectors (inside the caller's transaction); how many. */
function writeLessons(db: Database.Database, vectors: LessonVectors[]): number {
  const put = db.prepare('UPDATE lessons SET gist_vector = ?, topic_vector = ? WHERE id = ?');
  for (const v of vectors) put.run(vectorToBlob(v.gist), vectorToBlob(v.topic), v.id);
  return vectors.length;
}

/** The file, refused unless it is a memory store (another program's database, an empty file) before anything is read or written. */
function openStoreFile(file: string): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = new Database(file);
    db.pragma('busy_timeout = 5000');
    refuseUnreadable(db, file, { asIs: false });
    return db;
  } catch (err) {
    db?.close();
    throw named(file, err);
  }
}

/** The driver's own failures (a file that is not a database, a lock held past the timeout), named as the store's are. */
const named = (file: string, err: unknown) => (isSqliteError(err) ? storeError('reembed', file, err) : err);

/** The record as far as its embedding text needs (src/memory/record.ts `embeddingText`). */
function recordOf(r: Row): MemoryRecord {
  return {
    id: r.id, taskId: r.task_id, specialist: r.specialist, objective: r.objective, approach: r.approach, result: r.result,
    success: r.success === 1, costUsd: r.cost_usd, lessons: [], createdAt: r.created_at,
  };
}
