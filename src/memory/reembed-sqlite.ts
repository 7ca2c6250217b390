/**
 * Rebuilds an embedded store's vectors in another vector space (`pantheon memory reembed`): every
 * record is embedded again with the new embedder, then vectors and the store's recorded space
 * (memory_meta) change in one transaction, so readers see the old space or the new one, never a
 * mix. New vectors are kept in a side table as they are made: an interrupted run resumes where it
 * stopped instead of paying for its embeddings twice. Workers must be stopped first: a running one
 * would go on writing vectors of the old space (a stopped one refuses to start against the new
 * space with its old embedder).
 */
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { PantheonError } from '../errors';
import { embeddingText } from './record';
import { isSqliteError, refuseUnreadable, storeError } from './sqlite-file';
import type { Embedder, MemoryRecord } from './types';
import { vectorToBlob } from './vector';

export interface ReembedReport {
  records: number;
  /** Records embedded by this run (the rest were done by an interrupted earlier one). */
  embedded: number;
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
    if (from === to) return { records: total(), embedded: 0, from, to };

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
      // The switch: only when every record has its new vector, all at once.
      const switched = db
        .transaction(() => {
          if ((missing.all(1) as Row[]).length > 0) return false;
          db.exec('UPDATE memories SET vector = (SELECT r.vector FROM memory_reembed r WHERE r.id = memories.id)');
          const put = db.prepare('INSERT OR REPLACE INTO memory_meta (key, value) VALUES (?, ?)');
          put.run('embedder_name', embedder.name);
          put.run('embedder_dimensions', String(embedder.dimensions));
          db.prepare("DELETE FROM memory_meta WHERE key = 'reembed_target'").run();
          db.exec('DROP TABLE memory_reembed');
          return true;
        })
        .immediate();
      if (switched) return { records: total(), embedded, from, to };
    }
    throw PantheonError.of('store_unavailable', `memory store ${file}: records kept arriving while re-embedding; stop the workers and run it again (it resumes)`);
  } catch (err) {
    throw named(file, err);
  } finally {
    db.close();
  }
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
