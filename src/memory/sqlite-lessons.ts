/**
 * Lessons in the embedded SQLite store: a `lessons` table (one row per distinct lesson, with its
 * gist vector for near-duplicate checks and the sum of its evidence objectives' vectors, whose
 * direction is the lesson's topic for recall) and a `lesson_evidence` table whose primary key
 * (lesson, task) makes a task count once per lesson, however often its write is retried. Every
 * write is one IMMEDIATE transaction, so worker processes sharing the file consolidate in turn.
 * The rules are src/memory/lesson-book.ts's.
 */
import type Database from 'better-sqlite3';
import { decodeRecalled, type MalformedSink } from './skip-malformed';
import { MAX_ACTIVE_LESSONS, NEAR_DUPLICATE, decodeStoredLesson, isOwnLesson, overCap, strongestFirst, validateLessonInput, validateLessonQuery } from './lesson-book';
import { lessonGist, lessonId } from './lesson-text';
import type { Lesson, LessonEvidence, LessonHit, LessonInput, LessonMerge, LessonQuery, LessonStatus, LessonWrite, LessonWriteOptions } from './lesson-types';
import { PantheonError } from '../errors';
import { blobToVector, cosine, norm, vectorToBlob } from './vector';

export const LESSON_SCHEMA = `
  CREATE TABLE IF NOT EXISTS lessons (
    id TEXT PRIMARY KEY,
    specialist TEXT NOT NULL,
    failure_type TEXT NOT NULL,
    text TEXT NOT NULL,
    offline INTEGER CHECK (offline IN (0, 1)),
    status TEXT NOT NULL CHECK (status IN ('active', 'retired')),
    retired_reason TEXT,
    merged_into TEXT,
    retired_at TEXT,
    evidence INTEGER NOT NULL DEFAULT 0,
    hits INTEGER NOT NULL DEFAULT 0,
    helped INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    gist_vector BLOB NOT NULL,
    topic_vector BLOB NOT NULL
  );
  CREATE INDEX IF NOT EXISTS lessons_specialist_status ON lessons (specialist, status);
  CREATE TABLE IF NOT EXISTS lesson_evidence (
    lesson_id TEXT NOT NULL,
    task_id TEXT NOT NULL,
    lesson_key TEXT NOT NULL,
    objective TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    PRIMARY KEY (lesson_id, task_id)
  );
  CREATE UNIQUE INDEX IF NOT EXISTS lesson_evidence_key_task ON lesson_evidence (lesson_key, task_id);
`;

interface LessonRow {
  id: string;
  specialist: string;
  failure_type: string;
  text: string;
  offline: number | null;
  status: LessonStatus;
  retired_reason: string | null;
  merged_into: string | null;
  retired_at: string | null;
  evidence: number;
  hits: number;
  helped: number;
  created_at: string;
  last_seen_at: string;
  gist_vector: Buffer;
  topic_vector: Buffer;
}

const flag = (v: boolean | undefined): number | null => (v === undefined ? null : v ? 1 : 0);

/** `offline IS ?` matches NULL to NULL, as the key treats "unknown" as its own mode. */
const SAME_GROUP = 'specialist = ? AND failure_type = ? AND offline IS ?';

function addInto(sum: Float32Array, v: Float32Array, lessonId: string): Float32Array {
  // Vectors of two spaces do not add (their sum was NaNs): a lesson a reembed from before
  // 2026-12-07 left behind, which the next reembed repairs.
  if (sum.length !== v.length) {
    throw PantheonError.of('store_corrupt', `lesson ${lessonId}: its topic vector has ${sum.length} dimensions, the store's embedder ${v.length}; run pantheon memory reembed to bring the lessons into the store's space`);
  }
  const out = new Float32Array(sum.length);
  for (let i = 0; i < sum.length; i++) out[i] = sum[i] + v[i];
  return out;
}

export class SqliteLessons {
  constructor(
    private readonly db: Database.Database,
    private readonly embedOne: (text: string) => Promise<Float32Array>,
    private readonly onMalformed?: MalformedSink,
  ) {}

  async record(input: LessonInput, options: LessonWriteOptions = {}): Promise<LessonWrite> {
    const valid = validateLessonInput(input);
    const key = lessonId(valid);
    const gist = await this.embedOne(lessonGist(valid.text));
    const topic = await this.embedOne(valid.objective);
    const threshold = options.nearDuplicate ?? NEAR_DUPLICATE;
    const maxActive = options.maxActive ?? MAX_ACTIVE_LESSONS;
    const db = this.db;
    return db.transaction((): LessonWrite => {
      const seen = db.prepare('SELECT lesson_id FROM lesson_evidence WHERE lesson_key = ? AND task_id = ?').get(key, valid.taskId) as { lesson_id: string } | undefined;
      if (seen) return { lessonId: seen.lesson_id, action: 'duplicate', nearDuplicate: false, retired: [] };

      let target = this.activeTarget(key);
      let nearDuplicate = false;
      let created = false;
      if (!target) {
        const near = this.nearest(valid, gist, threshold);
        if (near) {
          target = near;
          nearDuplicate = true;
        }
      }
      if (!target) {
        db.prepare(
          `INSERT INTO lessons (id, specialist, failure_type, text, offline, status, created_at, last_seen_at, gist_vector, topic_vector)
           VALUES (?, ?, ?, ?, ?, 'active', ?, ?, ?, ?)`,
        ).run(key, valid.specialist, valid.failureType, valid.text, flag(valid.offline), valid.seenAt, valid.seenAt, vectorToBlob(gist), vectorToBlob(new Float32Array(topic.length)));
        target = key;
        created = true;
      }
      const inserted = db
        .prepare('INSERT OR IGNORE INTO lesson_evidence (lesson_id, task_id, lesson_key, objective, seen_at) VALUES (?, ?, ?, ?, ?)')
        .run(target, valid.taskId, key, valid.objective, valid.seenAt).changes === 1;
      if (!inserted) return { lessonId: target, action: 'duplicate', nearDuplicate, retired: [] };
      const row = db.prepare('SELECT topic_vector, last_seen_at FROM lessons WHERE id = ?').get(target) as Pick<LessonRow, 'topic_vector' | 'last_seen_at'>;
      db.prepare(
        `UPDATE lessons SET evidence = (SELECT COUNT(*) FROM lesson_evidence WHERE lesson_id = ?), topic_vector = ?,
           last_seen_at = max(last_seen_at, ?), status = 'active', retired_reason = NULL, retired_at = NULL WHERE id = ?`,
      ).run(target, vectorToBlob(addInto(blobToVector(row.topic_vector), topic, target)), valid.seenAt, target);
      const retired = this.cap(valid.specialist, maxActive, valid.seenAt);
      return { lessonId: target, action: created ? 'created' : 'attached', nearDuplicate, retired };
    }).immediate();
  }

  async recall(query: LessonQuery): Promise<LessonHit[]> {
    const q = validateLessonQuery(query);
    const probe = await this.embedOne(q.text);
    if (norm(probe) === 0) return [];
    const db = this.db;
    // A read, unless hits are counted: then one write transaction, so counts from two processes add up.
    const recall = (): LessonHit[] => {
      const where = ["status = 'active'"];
      const params: unknown[] = [];
      if (q.specialist !== undefined) (where.push('specialist = ?'), params.push(q.specialist));
      if (q.offline !== undefined) (where.push('offline = ?'), params.push(q.offline ? 1 : 0));
      const rows = db.prepare(`SELECT * FROM lessons WHERE ${where.join(' AND ')}`).all(...params) as LessonRow[];
      const hits = rows
        .filter((r) => !isOwnLesson({ specialist: r.specialist, failureType: r.failure_type, evidence: r.evidence }, q.ownFailures))
        .map((r) => ({ row: r, score: cosine(probe, blobToVector(r.topic_vector)) }))
        .filter((h) => h.score > q.minScore)
        .sort((a, b) => b.score - a.score || (a.row.last_seen_at < b.row.last_seen_at ? 1 : a.row.last_seen_at > b.row.last_seen_at ? -1 : a.row.id < b.row.id ? -1 : 1))
        .slice(0, q.limit);
      if (q.countHits && hits.length > 0) {
        const bump = db.prepare('UPDATE lessons SET hits = hits + 1 WHERE id = ?');
        for (const h of hits) {
          bump.run(h.row.id);
          h.row.hits += 1;
        }
      }
      return decodeRecalled(hits, (h) => ({ lesson: this.decode(h.row), score: h.score }), this.onMalformed);
    };
    return q.countHits ? db.transaction(recall).immediate() : recall();
  }

  get(id: string): Lesson | undefined {
    const row = this.db.prepare('SELECT * FROM lessons WHERE id = ?').get(id) as LessonRow | undefined;
    return row && this.decode(row);
  }

  list(filter: { specialist?: string; status?: LessonStatus } = {}): Lesson[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.specialist !== undefined) (where.push('specialist = ?'), params.push(filter.specialist));
    if (filter.status !== undefined) (where.push('status = ?'), params.push(filter.status));
    const sql = `SELECT * FROM lessons ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY specialist, created_at, id`;
    return (this.db.prepare(sql).all(...params) as LessonRow[]).map((r) => this.decode(r));
  }

  evidence(lessonId: string): LessonEvidence[] {
    const rows = this.db.prepare('SELECT * FROM lesson_evidence WHERE lesson_id = ? ORDER BY seen_at, task_id').all(lessonId) as Array<{ lesson_id: string; task_id: string; lesson_key: string; objective: string; seen_at: string }>;
    return rows.map((r) => ({ lessonId: r.lesson_id, taskId: r.task_id, lessonKey: r.lesson_key, objective: r.objective, seenAt: r.seen_at }));
  }

  merge(options: { minSimilarity: number; at: string }): LessonMerge[] {
    const db = this.db;
    return db.transaction((): LessonMerge[] => {
      const rows = db.prepare("SELECT * FROM lessons WHERE status = 'active'").all() as LessonRow[];
      const groups = new Map<string, LessonRow[]>();
      for (const r of rows) {
        const g = `${r.specialist}\n${r.failure_type}\n${r.offline}`;
        groups.set(g, [...(groups.get(g) ?? []), r]);
      }
      const merges: LessonMerge[] = [];
      for (const group of groups.values()) {
        // Strongest first: each lesson is absorbed by the strongest near one not itself absorbed.
        const ordered = group.map((r) => ({ row: r, lesson: this.decode(r) })).sort((a, b) => strongestFirst(a.lesson, b.lesson));
        const absorbed = new Set<string>();
        for (const keeper of ordered) {
          if (absorbed.has(keeper.row.id)) continue;
          const kv = blobToVector(keeper.row.gist_vector);
          const taken = ordered.filter((o) => o !== keeper && !absorbed.has(o.row.id) && cosine(kv, blobToVector(o.row.gist_vector)) >= options.minSimilarity);
          if (taken.length === 0) continue;
          absorbed.add(keeper.row.id);
          for (const t of taken) {
            absorbed.add(t.row.id);
            this.absorb(keeper.row.id, t.row, options.at);
          }
          merges.push({ into: keeper.row.id, merged: taken.map((t) => t.row.id) });
        }
      }
      return merges;
    }).immediate();
  }

  retire(id: string, reason: string, at: string): boolean {
    return this.db.prepare("UPDATE lessons SET status = 'retired', retired_reason = ?, retired_at = ? WHERE id = ? AND status = 'active'").run(reason, at, id).changes === 1;
  }

  markHelped(ids: string[]): void {
    const bump = this.db.prepare('UPDATE lessons SET helped = helped + 1 WHERE id = ?');
    this.db.transaction(() => ids.forEach((id) => bump.run(id))).immediate();
  }

  /** Moves `from`'s evidence (a task already evidence of `into` stays counted once) and topic into `into`. */
  private absorb(into: string, from: LessonRow, at: string): void {
    const db = this.db;
    db.prepare('UPDATE OR IGNORE lesson_evidence SET lesson_id = ? WHERE lesson_id = ?').run(into, from.id);
    const keeper = db.prepare('SELECT topic_vector FROM lessons WHERE id = ?').get(into) as Pick<LessonRow, 'topic_vector'>;
    db.prepare(
      `UPDATE lessons SET evidence = (SELECT COUNT(*) FROM lesson_evidence WHERE lesson_id = ?), topic_vector = ?, last_seen_at = max(last_seen_at, ?),
         hits = hits + ?, helped = helped + ? WHERE id = ?`,
    ).run(into, vectorToBlob(addInto(blobToVector(keeper.topic_vector), blobToVector(from.topic_vector), into)), from.last_seen_at, from.hits, from.helped, into);
    db.prepare("UPDATE lessons SET status = 'retired', retired_reason = 'merged', merged_into = ?, retired_at = ? WHERE id = ?").run(into, at, from.id);
    // Lessons merged into `from` earlier now point at the survivor directly.
    db.prepare('UPDATE lessons SET merged_into = ? WHERE merged_into = ?').run(into, from.id);
  }

  /** The lesson evidence for this key goes to: the key's own lesson, or the one it was merged into. */
  private activeTarget(key: string): string | undefined {
    let id: string | undefined = key;
    for (let hops = 0; id && hops < 10; hops++) {
      const row = this.db.prepare('SELECT id, merged_into FROM lessons WHERE id = ?').get(id) as { id: string; merged_into: string | null } | undefined;
      if (!row) return undefined;
      if (!row.merged_into) return row.id;
      id = row.merged_into;
    }
    return undefined;
  }

  private nearest(input: LessonInput, gist: Float32Array, threshold: number): string | undefined {
    if (norm(gist) === 0) return undefined;
    const rows = this.db
      .prepare(`SELECT id, gist_vector FROM lessons WHERE status = 'active' AND ${SAME_GROUP}`)
      .all(input.specialist, input.failureType, flag(input.offline)) as Array<Pick<LessonRow, 'id' | 'gist_vector'>>;
    let best: { id: string; score: number } | undefined;
    for (const r of rows) {
      const score = cosine(gist, blobToVector(r.gist_vector));
      if (score >= threshold && (!best || score > best.score)) best = { id: r.id, score };
    }
    return best?.id;
  }

  private cap(specialist: string, maxActive: number, at: string): string[] {
    const active = (this.db.prepare("SELECT * FROM lessons WHERE specialist = ? AND status = 'active'").all(specialist) as LessonRow[]).map((r) => this.decode(r));
    const weakest = overCap(active, maxActive);
    for (const l of weakest) this.retire(l.id, 'cap', at);
    return weakest.map((l) => l.id);
  }

  private decode(row: LessonRow): Lesson {
    return decodeStoredLesson(
      {
        id: row.id,
        specialist: row.specialist,
        failureType: row.failure_type,
        text: row.text,
        status: row.status,
        ...(row.retired_reason ? { retiredReason: row.retired_reason } : {}),
        ...(row.merged_into ? { mergedInto: row.merged_into } : {}),
        ...(row.retired_at ? { retiredAt: row.retired_at } : {}),
        evidence: row.evidence,
        hits: row.hits,
        helped: row.helped,
        createdAt: row.created_at,
        lastSeenAt: row.last_seen_at,
        ...(row.offline === null || row.offline === undefined ? {} : { offline: row.offline === 1 }),
      },
      `lessons (id ${row.id})`,
    );
  }
}
