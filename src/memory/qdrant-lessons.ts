/**
 * Lessons in Qdrant: a second collection, `<collection>_lessons`, created on first use, one point
 * per lesson (point id derived from the lesson id) with two named Cosine vectors: `gist` (the
 * lesson's distinctive text, for near-duplicate checks) and `topic` (its evidence objectives, for
 * recall). The evidence list rides in the payload: `evidenceKeys` holds `<lesson key>|<task id>`
 * (indexed), so a retried write finds its own earlier evidence and counts nothing twice.
 * `topicSum` keeps the unnormalised sum of the objectives' vectors, since Qdrant normalises the
 * stored Cosine vector and a sum cannot be grown from its direction alone.
 *
 * Qdrant has no transactions: two processes recording the same lesson at the same instant can
 * each read before the other writes, and the later write wins. Evidence is then undercounted by
 * one, never double counted; the embedded store is exact.
 */
import type { Schemas } from '@qdrant/js-client-rest';
import { decodeRecalled, type MalformedSink } from './skip-malformed';
import { MAX_ACTIVE_LESSONS, NEAR_DUPLICATE, decodeStoredLesson, isOwnLesson, overCap, strongestFirst, validateLessonInput, validateLessonQuery } from './lesson-book';
import { lessonGist, lessonId } from './lesson-text';
import type { Lesson, LessonEvidence, LessonHit, LessonInput, LessonMerge, LessonQuery, LessonStatus, LessonWrite, LessonWriteOptions } from './lesson-types';
import type { QdrantApi } from './qdrant-api';
import { pointIdFor } from './uuid';
import { cosine, norm } from './vector';

type EvidenceEntry = Omit<LessonEvidence, 'lessonId'>;

/** A lesson point's payload: the lesson, its evidence, and the objectives' vector sum. */
interface LessonPayload extends Lesson {
  evidenceKeys: string[];
  evidenceLog: EvidenceEntry[];
  topicSum: number[];
}

const INDEXED: { field: string; schema: Schemas['PayloadSchemaType'] }[] = [
  { field: 'specialist', schema: 'keyword' },
  { field: 'failureType', schema: 'keyword' },
  { field: 'status', schema: 'keyword' },
  { field: 'offline', schema: 'bool' },
  { field: 'evidenceKeys', schema: 'keyword' },
];

const match = (key: string, value: string | boolean): Schemas['FieldCondition'] => ({ key, match: { value } });

function lessonOf(p: LessonPayload): Lesson {
  const { evidenceKeys: _k, evidenceLog: _l, topicSum: _t, ...lesson } = p;
  return lesson;
}

function similar(a: number[] | undefined, b: number[] | undefined, min: number): boolean {
  return a !== undefined && b !== undefined && a.length === b.length && cosine(a, b) >= min;
}

function added(a: number[], b: ArrayLike<number>): number[] {
  return a.map((x, i) => x + b[i]);
}

export class QdrantLessons {
  private ready?: Promise<void>;

  constructor(
    private readonly client: QdrantApi,
    readonly collection: string,
    private readonly dimensions: number,
    private readonly embedOne: (text: string) => Promise<Float32Array>,
    private readonly onMalformed?: MalformedSink,
  ) {}

  async record(input: LessonInput, options: LessonWriteOptions = {}): Promise<LessonWrite> {
    const valid = validateLessonInput(input);
    const key = lessonId(valid);
    const gist = await this.embedOne(lessonGist(valid.text));
    const topic = await this.embedOne(valid.objective);
    await this.ensure();
    const evidenceKey = `${key}|${valid.taskId}`;
    const [seen] = await this.scroll([match('evidenceKeys', evidenceKey)], 1);
    if (seen) return { lessonId: seen.id, action: 'duplicate', nearDuplicate: false, retired: [] };

    let target = await this.activeTarget(key);
    let nearDuplicate = false;
    if (!target && norm(gist) > 0) {
      const group = await this.scroll(this.groupFilter(valid), 1_000, true);
      let best: { p: LessonPayload; score: number } | undefined;
      for (const p of group) {
        const score = p.gistVector?.length === gist.length ? cosine(gist, p.gistVector) : 0;
        if (score >= (options.nearDuplicate ?? NEAR_DUPLICATE) && (!best || score > best.score)) best = { p, score };
      }
      if (best) {
        target = best.p;
        nearDuplicate = true;
      }
    }
    let created = false;
    if (!target) {
      created = true;
      target = {
        id: key, specialist: valid.specialist, failureType: valid.failureType, text: valid.text, status: 'active', evidence: 0, hits: 0, helped: 0,
        createdAt: valid.seenAt, lastSeenAt: valid.seenAt, ...(valid.offline === undefined ? {} : { offline: valid.offline }),
        evidenceKeys: [], evidenceLog: [], topicSum: new Array<number>(this.dimensions).fill(0),
      };
    }
    if (target.evidenceLog.some((e) => e.taskId === valid.taskId)) return { lessonId: target.id, action: 'duplicate', nearDuplicate, retired: [] };
    const topicSum = added(target.topicSum, topic);
    const next: LessonPayload = {
      ...target,
      status: 'active',
      retiredReason: undefined,
      retiredAt: undefined,
      evidence: target.evidence + 1,
      lastSeenAt: valid.seenAt > target.lastSeenAt ? valid.seenAt : target.lastSeenAt,
      evidenceKeys: [...target.evidenceKeys, evidenceKey],
      evidenceLog: [...target.evidenceLog, { taskId: valid.taskId, lessonKey: key, objective: valid.objective, seenAt: valid.seenAt }],
      topicSum,
    };
    delete next.retiredReason;
    delete next.retiredAt;
    await this.write(next, created ? gist : undefined);
    const retired = await this.cap(valid.specialist, options.maxActive ?? MAX_ACTIVE_LESSONS, valid.seenAt);
    return { lessonId: target.id, action: created ? 'created' : 'attached', nearDuplicate, retired };
  }

  async recall(query: LessonQuery): Promise<LessonHit[]> {
    const q = validateLessonQuery(query);
    const probe = await this.embedOne(q.text);
    if (norm(probe) === 0) return [];
    await this.ensure();
    const must = [match('status', 'active')];
    if (q.specialist !== undefined) must.push(match('specialist', q.specialist));
    if (q.offline !== undefined) must.push(match('offline', q.offline));
    // The asking task's own lessons are left out after the query: ask for as many more as there could be.
    const { points } = await this.client.query(this.collection, { query: Array.from(probe), using: 'topic', filter: { must }, limit: q.limit + q.ownFailures.length, with_payload: true, score_threshold: q.minScore });
    const above = points.filter((p) => p.score > q.minScore);
    const hits = decodeRecalled(above, (p) => ({ payload: this.decode(p.payload, p.id), score: Math.max(-1, Math.min(1, p.score)) }), this.onMalformed)
      .filter((h) => !isOwnLesson(h.payload, q.ownFailures))
      .slice(0, q.limit);
    if (q.countHits) {
      for (const h of hits) {
        h.payload.hits += 1;
        await this.client.setPayload(this.collection, { points: [pointIdFor(h.payload.id)], payload: { hits: h.payload.hits }, wait: true });
      }
    }
    return hits.map((h) => ({ lesson: lessonOf(h.payload), score: h.score }));
  }

  async get(id: string): Promise<Lesson | undefined> {
    const p = await this.getPayload(id);
    return p && lessonOf(p);
  }

  async list(filter: { specialist?: string; status?: LessonStatus } = {}): Promise<Lesson[]> {
    await this.ensure();
    const must: Schemas['FieldCondition'][] = [];
    if (filter.specialist !== undefined) must.push(match('specialist', filter.specialist));
    if (filter.status !== undefined) must.push(match('status', filter.status));
    const all = await this.scroll(must, Number.MAX_SAFE_INTEGER);
    return all.map(lessonOf).sort((a, b) => (a.specialist + a.createdAt + a.id < b.specialist + b.createdAt + b.id ? -1 : 1));
  }

  async evidence(lessonId: string): Promise<LessonEvidence[]> {
    const p = await this.getPayload(lessonId);
    return (p?.evidenceLog ?? []).map((e) => ({ lessonId, ...e })).sort((a, b) => (a.seenAt + a.taskId < b.seenAt + b.taskId ? -1 : 1));
  }

  async merge(options: { minSimilarity: number; at: string }): Promise<LessonMerge[]> {
    await this.ensure();
    const active = await this.scroll([match('status', 'active')], Number.MAX_SAFE_INTEGER, true);
    const groups = new Map<string, typeof active>();
    for (const p of active) {
      const g = `${p.specialist}\n${p.failureType}\n${String(p.offline)}`;
      groups.set(g, [...(groups.get(g) ?? []), p]);
    }
    const merges: LessonMerge[] = [];
    for (const group of groups.values()) {
      const ordered = [...group].sort((a, b) => strongestFirst(a, b));
      const absorbed = new Set<string>();
      for (const keeper of ordered) {
        if (absorbed.has(keeper.id)) continue;
        const taken = ordered.filter((o) => o !== keeper && !absorbed.has(o.id) && similar(keeper.gistVector, o.gistVector, options.minSimilarity));
        if (taken.length === 0) continue;
        absorbed.add(keeper.id);
        let into: LessonPayload = keeper;
        for (const t of taken) {
          absorbed.add(t.id);
          const fresh = t.evidenceLog.filter((e) => !into.evidenceLog.some((k) => k.taskId === e.taskId));
          into = {
            ...into,
            evidence: into.evidence + fresh.length,
            evidenceLog: [...into.evidenceLog, ...fresh],
            evidenceKeys: [...into.evidenceKeys, ...fresh.map((e) => `${e.lessonKey}|${e.taskId}`)],
            topicSum: added(into.topicSum, t.topicSum),
            lastSeenAt: t.lastSeenAt > into.lastSeenAt ? t.lastSeenAt : into.lastSeenAt,
            hits: into.hits + t.hits,
            helped: into.helped + t.helped,
          };
          await this.client.setPayload(this.collection, { points: [pointIdFor(t.id)], payload: { status: 'retired', retiredReason: 'merged', mergedInto: keeper.id, retiredAt: options.at }, wait: true });
        }
        const { gistVector: _g, ...payload } = into as LessonPayload & { gistVector?: number[] };
        await this.write(payload);
        merges.push({ into: keeper.id, merged: taken.map((t) => t.id) });
      }
    }
    return merges;
  }

  async retire(id: string, reason: string, at: string): Promise<boolean> {
    const p = await this.getPayload(id);
    if (!p || p.status !== 'active') return false;
    await this.client.setPayload(this.collection, { points: [pointIdFor(id)], payload: { status: 'retired', retiredReason: reason, retiredAt: at }, wait: true });
    return true;
  }

  async markHelped(ids: string[]): Promise<void> {
    for (const id of ids) {
      const p = await this.getPayload(id);
      if (p) await this.client.setPayload(this.collection, { points: [pointIdFor(id)], payload: { helped: p.helped + 1 }, wait: true });
    }
  }

  /** Creates the collection and its indexes once per process (another process may have: fine). */
  private ensure(): Promise<void> {
    this.ready ??= (async () => {
      const { exists } = await this.client.collectionExists(this.collection);
      if (exists) return;
      try {
        await this.client.createCollection(this.collection, {
          vectors: { gist: { size: this.dimensions, distance: 'Cosine' }, topic: { size: this.dimensions, distance: 'Cosine' } },
        });
      } catch (err) {
        const e = err as { status?: unknown; message?: unknown };
        if (e?.status !== 409 && !/already exists/i.test(String(e?.message ?? ''))) throw err;
      }
      for (const { field, schema } of INDEXED) await this.client.createPayloadIndex(this.collection, { field_name: field, field_schema: schema, wait: true });
    })().catch((err: unknown) => {
      this.ready = undefined; // a later call tries again
      throw err;
    });
    return this.ready;
  }

  /** Writes the whole point; the gist vector is kept (given only when the lesson is new). */
  private async write(p: LessonPayload, gist?: Float32Array): Promise<void> {
    const gistVector = gist ? Array.from(gist) : ((await this.getPayload(p.id, true))?.gistVector ?? new Array<number>(this.dimensions).fill(0));
    const topic = norm(p.topicSum) > 0 ? p.topicSum : new Array<number>(this.dimensions).fill(0);
    await this.client.upsert(this.collection, { wait: true, points: [{ id: pointIdFor(p.id), vector: { gist: gistVector, topic }, payload: { ...p } as unknown as Record<string, unknown> }] });
  }

  private groupFilter(input: LessonInput): Schemas['FieldCondition'][] {
    const must = [match('status', 'active'), match('specialist', input.specialist), match('failureType', input.failureType)];
    // A lesson with no mark has no `offline` field; Qdrant's is_empty would find those, the key keeps them apart anyway.
    if (input.offline !== undefined) must.push(match('offline', input.offline));
    return must;
  }

  private async activeTarget(key: string): Promise<LessonPayload | undefined> {
    let id: string | undefined = key;
    for (let hops = 0; id && hops < 10; hops++) {
      const p = await this.getPayload(id);
      if (!p) return undefined;
      if (!p.mergedInto) return p;
      id = p.mergedInto;
    }
    return undefined;
  }

  private async getPayload(id: string, withGist = false): Promise<(LessonPayload & { gistVector?: number[] }) | undefined> {
    await this.ensure();
    const [point] = await this.client.retrieve(this.collection, { ids: [pointIdFor(id)], with_payload: true, with_vector: withGist ? ['gist'] : false });
    if (!point) return undefined;
    const decoded = this.decode(point.payload, point.id);
    return withGist ? { ...decoded, gistVector: this.gistOf(point.vector) } : decoded;
  }

  private async scroll(must: Schemas['FieldCondition'][], limit: number, withGist = false): Promise<Array<LessonPayload & { gistVector?: number[] }>> {
    const out: Array<LessonPayload & { gistVector?: number[] }> = [];
    let offset: Schemas['ExtendedPointId'] | undefined;
    do {
      const page = await this.client.scroll(this.collection, { filter: must.length ? { must } : undefined, limit: Math.min(256, limit - out.length), offset, with_payload: true, with_vector: withGist ? ['gist'] : false });
      for (const p of page.points) out.push(withGist ? { ...this.decode(p.payload, p.id), gistVector: this.gistOf(p.vector) } : this.decode(p.payload, p.id));
      offset = (page.next_page_offset ?? undefined) as Schemas['ExtendedPointId'] | undefined;
    } while (offset !== undefined && out.length < limit);
    return out;
  }

  private gistOf(vector: unknown): number[] | undefined {
    const v = (vector as { gist?: unknown } | null | undefined)?.gist;
    return Array.isArray(v) ? (v as number[]) : undefined;
  }

  private decode(payload: unknown, pointId: Schemas['ExtendedPointId']): LessonPayload {
    const p = (payload ?? {}) as Partial<LessonPayload>;
    const lesson = decodeStoredLesson(lessonOf({ evidenceKeys: [], evidenceLog: [], topicSum: [], ...p } as LessonPayload), `qdrant ${this.collection} (point ${pointId})`);
    return { ...lesson, evidenceKeys: Array.isArray(p.evidenceKeys) ? p.evidenceKeys : [], evidenceLog: Array.isArray(p.evidenceLog) ? p.evidenceLog : [], topicSum: Array.isArray(p.topicSum) ? p.topicSum : new Array<number>(this.dimensions).fill(0) };
  }

  private async cap(specialist: string, maxActive: number, at: string): Promise<string[]> {
    const active = await this.list({ specialist, status: 'active' });
    const weakest = overCap(active, maxActive);
    for (const l of weakest) await this.retire(l.id, 'cap', at);
    return weakest.map((l) => l.id);
  }
}
