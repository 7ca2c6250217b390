import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { HashingEmbedder } from '../../src/memory/hashing-embedder';
import { consolidateLessons, MAX_ACTIVE_LESSONS, overCap } from '../../src/memory/lesson-book';
import { lessonId, lessonLine, normaliseLesson } from '../../src/memory/lesson-text';
import type { Lesson, LessonInput } from '../../src/memory/lesson-types';
import { scopeMemoryToMode } from '../../src/memory/mode-scoped';
import type { QdrantApi } from '../../src/memory/qdrant-api';
import { QdrantMemoryStore } from '../../src/memory/qdrant-store';
import { SqliteMemoryStore } from '../../src/memory/sqlite-store';
import type { MemoryRecord, MemoryStore } from '../../src/memory/types';
import { MultiFakeQdrant } from '../support/fake-qdrant';

const embedder = new HashingEmbedder();
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pantheon-lessons-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
const backends: Array<[string, () => Promise<MemoryStore>]> = [
  ['the embedded SQLite store (a real file)', () => SqliteMemoryStore.open({ file: join(dir, `lessons-${++files}.sqlite`), embedder })],
  ['the Qdrant adapter (fake client)', () => QdrantMemoryStore.open({ url: 'http://unused:6333', embedder, client: new MultiFakeQdrant() as unknown as QdrantApi })],
];

const CAPTCHA = lessonLine({ activity: 'runSpecialist', type: 'provider_error', message: 'Blocked by a CAPTCHA after 20 requests to the shop' });

function failure(taskId: string, overrides: Partial<LessonInput> = {}): LessonInput {
  return {
    taskId,
    specialist: 'researcher',
    failureType: 'provider_error',
    text: CAPTCHA,
    objective: 'Scrape product prices from the Acme online shop',
    seenAt: '2026-11-30T10:00:00.000Z',
    ...overrides,
  };
}

function outcome(id: string, overrides: Partial<MemoryRecord> = {}): MemoryRecord {
  return {
    id: `${id}:outcome`, taskId: id, specialist: 'researcher', objective: 'Scrape product prices from the Acme online shop',
    approach: 'used the public API', result: 'done', success: true, costUsd: 0.1, lessons: [], createdAt: '2026-12-01T10:00:00.000Z', ...overrides,
  };
}

describe('lesson text', () => {
  it('keys one failure mode the same however its numbers, case and spacing differ, and other modes apart', () => {
    const a = lessonLine({ activity: 'runSpecialist', type: 'provider_error', message: 'Blocked by a CAPTCHA after 20 requests' });
    const b = lessonLine({ activity: 'runSpecialist', type: 'provider_error', message: 'blocked by a captcha   after 21 requests' });
    expect(normaliseLesson(a)).toBe(normaliseLesson(b));
    const parts = { specialist: 'researcher', failureType: 'provider_error' };
    expect(lessonId({ ...parts, text: a })).toBe(lessonId({ ...parts, text: b }));
    expect(lessonId({ ...parts, text: a })).toMatch(/^lesson-[0-9a-f]{32}$/);
    expect(lessonId({ ...parts, text: a, offline: true })).not.toBe(lessonId({ ...parts, text: a, offline: false }));
    expect(lessonId({ ...parts, failureType: 'timeout', text: a })).not.toBe(lessonId({ ...parts, text: a }));
    expect(a).toMatch(/^Avoid what ended in provider_error during runSpecialist: /);
  });

  it('ends a lesson with one stop, and keeps quotes in its message escaped', () => {
    expect(lessonLine({ activity: 'runSpecialist', type: 'provider_unavailable', message: '503 Service Unavailable' })).toBe('Avoid what ended in provider_unavailable during runSpecialist: 503 Service Unavailable.');
    expect(lessonLine({ activity: 'runSpecialist', type: 'provider_unavailable', message: 'The server had an error. Sorry about that!' })).toBe(
      'Avoid what ended in provider_unavailable during runSpecialist: The server had an error. Sorry about that!',
    );
    expect(lessonLine({ activity: 'runSpecialist', type: 'provider_rejected', message: '400 {"type":"error"}' })).toBe('Avoid what ended in provider_rejected during runSpecialist: 400 {\\"type\\":\\"error\\"}.');
  });

  it('orders the cap by least evidence, then oldest last-seen', () => {
    const l = (id: string, evidence: number, lastSeenAt: string): Lesson => ({ id, specialist: 's', failureType: 't', text: id, status: 'active', evidence, hits: 0, helped: 0, createdAt: lastSeenAt, lastSeenAt });
    const active = [l('a', 3, '2026-01-03'), l('b', 1, '2026-01-05'), l('c', 1, '2026-01-01'), l('d', 2, '2026-01-01')];
    expect(overCap(active, 2).map((x) => x.id)).toEqual(['c', 'b']);
    expect(overCap(active, 4)).toEqual([]);
  });
});

describe.each(backends)('lessons in %s', (_name, open) => {
  let store: MemoryStore;
  beforeEach(async () => {
    store = await open();
  });
  afterEach(() => store.close());

  it('50 identical failures leave one lesson with 50 evidence rows, however often each is retried', async () => {
    for (let i = 0; i < 50; i++) {
      const first = await store.recordLesson(failure(`task-${i}`, { seenAt: `2026-11-30T10:${String(i).padStart(2, '0')}:00.000Z` }));
      expect(first.action).toBe(i === 0 ? 'created' : 'attached');
      // A retried activity (and a re-executed one) writes the same evidence again: nothing changes.
      expect((await store.recordLesson(failure(`task-${i}`))).action).toBe('duplicate');
    }
    const lessons = await store.listLessons();
    expect(lessons).toHaveLength(1);
    expect(lessons[0]).toEqual(expect.objectContaining({ evidence: 50, status: 'active', text: CAPTCHA, lastSeenAt: '2026-11-30T10:49:00.000Z' }));
    const evidence = await store.lessonEvidence(lessons[0].id);
    expect(evidence).toHaveLength(50);
    expect(new Set(evidence.map((e) => e.taskId)).size).toBe(50);
  });

  it('attaches a near duplicate (a reworded failure) to the existing lesson, and a different failure type makes a new one', async () => {
    const first = await store.recordLesson(failure('t1'));
    const reworded = lessonLine({ activity: 'runSpecialist', type: 'provider_error', message: 'The shop blocked us with a CAPTCHA after 20 requests' });
    const near = await store.recordLesson(failure('t2', { text: reworded }));
    expect(near).toEqual(expect.objectContaining({ lessonId: first.lessonId, action: 'attached', nearDuplicate: true }));
    // Its retry finds its own evidence through its own key, not the similarity.
    expect((await store.recordLesson(failure('t2', { text: reworded }))).action).toBe('duplicate');

    const other = await store.recordLesson(failure('t3', { failureType: 'timeout', text: lessonLine({ activity: 'runSpecialist', type: 'timeout', message: 'Blocked by a CAPTCHA after 20 requests to the shop' }) }));
    expect(other.action).toBe('created');
    const unrelated = await store.recordLesson(failure('t4', { text: lessonLine({ activity: 'runSpecialist', type: 'provider_error', message: '503 Service Unavailable' }) }));
    expect(unrelated.action).toBe('created');
    // Another specialist's identical failure is its own lesson.
    expect((await store.recordLesson(failure('t5', { specialist: 'coder' }))).action).toBe('created');

    expect((await store.getLesson(first.lessonId))?.evidence).toBe(2);
    expect(await store.listLessons({ specialist: 'researcher' })).toHaveLength(3);
  });

  it(`keeps at most ${MAX_ACTIVE_LESSONS} active lessons per specialist, retiring the weakest (least evidence, then oldest last-seen) first`, async () => {
    const text = (i: number) => lessonLine({ activity: 'runSpecialist', type: 'provider_error', message: `${['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima', 'zulu', 'november', 'oscar', 'papa', 'quebec', 'romeo', 'sierra', 'tango', 'uniform', 'victor'][i]}` });
    // Lesson 0 has two pieces of evidence; lessons 1..19 one each, seen in order.
    await store.recordLesson(failure('strong-a', { text: text(0), seenAt: '2026-11-01T00:00:00.000Z' }));
    await store.recordLesson(failure('strong-b', { text: text(0), seenAt: '2026-11-01T00:00:01.000Z' }));
    for (let i = 1; i < 20; i++) await store.recordLesson(failure(`t${i}`, { text: text(i), seenAt: `2026-11-02T00:00:${String(i).padStart(2, '0')}.000Z` }));
    expect(await store.listLessons({ specialist: 'researcher', status: 'active' })).toHaveLength(20);

    const write = await store.recordLesson(failure('t20', { text: text(20), seenAt: '2026-11-03T00:00:00.000Z' }));
    expect(write.action).toBe('created');
    // The weakest: one piece of evidence and the oldest last-seen (lesson 1), not lesson 0 (older, but stronger).
    const retiredId = lessonId({ specialist: 'researcher', failureType: 'provider_error', text: text(1) });
    expect(write.retired).toEqual([retiredId]);
    expect(await store.getLesson(retiredId)).toEqual(expect.objectContaining({ status: 'retired', retiredReason: 'cap' }));
    expect(await store.listLessons({ specialist: 'researcher', status: 'active' })).toHaveLength(20);

    // New evidence for a retired lesson makes it active again (and the cap retires the next weakest).
    const again = await store.recordLesson(failure('t1-again', { text: text(1), seenAt: '2026-11-04T00:00:00.000Z' }));
    expect(again.lessonId).toBe(retiredId);
    expect((await store.getLesson(retiredId))?.status).toBe('active');
    expect(await store.listLessons({ specialist: 'researcher', status: 'active' })).toHaveLength(20);
  });

  it("leaves out, and does not count, a lesson the asking task alone taught (one of its own failures)", async () => {
    await store.recordLesson(failure('t-own'));
    const own = [{ specialist: 'researcher', failureType: 'provider_error' }];
    const text = 'Scrape prices of products in the Acme online shop';
    expect(await store.recallLessons({ text, limit: 5, minScore: 0.3, ownFailures: own })).toEqual([]);
    const [hit] = await store.recallLessons({ text, limit: 5, minScore: 0.3, countHits: false });
    expect(hit.lesson).toEqual(expect.objectContaining({ evidence: 1, hits: 0 }));
    // Of another failure type, or taught by a second task too: returned.
    expect(await store.recallLessons({ text, limit: 5, minScore: 0.3, countHits: false, ownFailures: [{ specialist: 'researcher', failureType: 'invalid_output' }] })).toHaveLength(1);
    await store.recordLesson(failure('t-other', { objective: 'Collect product prices from the Acme shop catalogue' }));
    expect(await store.recallLessons({ text, limit: 5, minScore: 0.3, countHits: false, ownFailures: own })).toHaveLength(1);
  });

  it('recalls active lessons by task similarity with their evidence counts, counting hits', async () => {
    await store.recordLesson(failure('t1'));
    await store.recordLesson(failure('t2', { objective: 'Collect product prices from the Acme shop catalogue' }));
    await store.recordLesson(failure('t3', { objective: 'Write a haiku about autumn leaves', text: lessonLine({ activity: 'runSpecialist', type: 'invalid_output', message: 'missing field poem' }), failureType: 'invalid_output' }));
    const hits = await store.recallLessons({ text: 'Scrape prices of products in the Acme online shop', limit: 5, minScore: 0.3 });
    expect(hits).toHaveLength(1);
    expect(hits[0].lesson).toEqual(expect.objectContaining({ text: CAPTCHA, evidence: 2, hits: 1 }));
    expect(hits[0].score).toBeGreaterThan(0.5);
    expect(await store.recallLessons({ text: 'Scrape prices of products in the Acme online shop', specialist: 'coder', limit: 5 })).toEqual([]);
    await store.recallLessons({ text: 'Scrape prices of products in the Acme online shop', limit: 5, minScore: 0.3, countHits: false });
    expect((await store.getLesson(hits[0].lesson.id))?.hits).toBe(1);
    await store.markLessonsHelped([hits[0].lesson.id]);
    expect((await store.getLesson(hits[0].lesson.id))?.helped).toBe(1);
    // Retired lessons are not recalled.
    await store.retireLesson(hits[0].lesson.id, 'contradicted', '2026-12-01T00:00:00.000Z');
    expect(await store.recallLessons({ text: 'Scrape prices of products in the Acme online shop', limit: 5, minScore: 0.3 })).toEqual([]);
  });

  it('keeps a live worker from recalling lessons learned offline', async () => {
    const offline = scopeMemoryToMode(store, true);
    const live = scopeMemoryToMode(store, false);
    await offline.recordLesson(failure('t1'));
    expect(await offline.recallLessons({ text: 'Scrape product prices from the Acme shop', limit: 5 })).toHaveLength(1);
    expect(await live.recallLessons({ text: 'Scrape product prices from the Acme shop', limit: 5 })).toEqual([]);
    expect((await live.recordLesson(failure('t2'))).action).toBe('created'); // the live lesson is its own
  });

  it('consolidation merges near-duplicate lessons without double counting, and routes their key to the survivor', async () => {
    // Written with near-duplicate attachment off, as lessons written by an older worker would be.
    const reworded = lessonLine({ activity: 'runSpecialist', type: 'provider_error', message: 'The shop blocked us with a CAPTCHA after 20 requests' });
    const a = await store.recordLesson(failure('t1'), { nearDuplicate: 1.01 });
    await store.recordLesson(failure('t2'), { nearDuplicate: 1.01 });
    const b = await store.recordLesson(failure('t3', { text: reworded }), { nearDuplicate: 1.01 });
    await store.recordLesson(failure('t1', { text: reworded }), { nearDuplicate: 1.01 }); // t1 is evidence of both
    expect(b.action).toBe('created');

    const report = await consolidateLessons(store, { at: '2026-12-01T00:00:00.000Z' });
    expect(report.merged).toEqual([{ into: a.lessonId, merged: [b.lessonId] }]);
    expect(await store.getLesson(b.lessonId)).toEqual(expect.objectContaining({ status: 'retired', retiredReason: 'merged', mergedInto: a.lessonId }));
    expect((await store.getLesson(a.lessonId))?.evidence).toBe(3); // t1, t2, t3: t1 once
    // The merged lesson's key now sends evidence to the survivor; its old evidence stays idempotent.
    expect((await store.recordLesson(failure('t4', { text: reworded }))).lessonId).toBe(a.lessonId);
    expect((await store.recordLesson(failure('t3', { text: reworded }))).action).toBe('duplicate');
    expect((await store.getLesson(a.lessonId))?.evidence).toBe(4);
    // A second pass has nothing left to do.
    expect((await consolidateLessons(store, { at: '2026-12-02T00:00:00.000Z' })).merged).toEqual([]);
  });

  it('consolidation retires a lesson contradicted by a later success of the same specialist at a similar task', async () => {
    const lesson = await store.recordLesson(failure('t1', { seenAt: '2026-11-30T10:00:00.000Z' }));
    const kept = await store.recordLesson(failure('t2', { specialist: 'coder', seenAt: '2026-11-30T10:00:00.000Z' }));
    // Not contradictions: another specialist's success, an earlier success, an unrelated success.
    await store.put(outcome('s0', { specialist: 'writer' }));
    await store.put(outcome('s1', { createdAt: '2026-11-29T10:00:00.000Z', specialist: 'coder' }));
    await store.put(outcome('s2', { objective: 'Write a haiku about autumn', specialist: 'coder' }));
    let report = await consolidateLessons(store, { at: '2026-12-01T00:00:00.000Z' });
    expect(report.contradicted).toEqual([]);

    await store.put(outcome('s3')); // researcher, same task, a day later
    report = await consolidateLessons(store, { at: '2026-12-02T00:00:00.000Z' });
    expect(report.contradicted).toEqual([expect.objectContaining({ lessonId: lesson.lessonId, byTaskId: 's3' })]);
    expect(await store.getLesson(lesson.lessonId)).toEqual(expect.objectContaining({ status: 'retired', retiredReason: 'contradicted', retiredAt: '2026-12-02T00:00:00.000Z' }));
    expect((await store.getLesson(kept.lessonId))?.status).toBe('active');
    expect(report.activeAfter).toBe(1);
  });
});

describe('lessons in the embedded store, shared by two workers', () => {
  it('counts each task once when two stores on one file write the same failures at once', async () => {
    const file = join(dir, 'shared-lessons.sqlite');
    const a = await SqliteMemoryStore.open({ file, embedder });
    const b = await SqliteMemoryStore.open({ file, embedder });
    try {
      await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).recordLesson(failure(`task-${i % 20}`))));
      const lessons = await a.listLessons();
      expect(lessons).toHaveLength(1);
      expect(lessons[0].evidence).toBe(20);
      expect(await b.lessonEvidence(lessons[0].id)).toHaveLength(20);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('keeps an outcome record\'s facts, and opens a file written before they existed', async () => {
    const file = join(dir, 'old-outcomes.sqlite');
    const old = new Database(file);
    old.exec(`CREATE TABLE memory_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      INSERT INTO memory_meta VALUES ('embedder_name', '${embedder.name}'), ('embedder_dimensions', '384');
      CREATE TABLE memories (id TEXT PRIMARY KEY, task_id TEXT NOT NULL, specialist TEXT NOT NULL, objective TEXT NOT NULL, approach TEXT NOT NULL,
        result TEXT NOT NULL, success INTEGER NOT NULL, cost_usd REAL NOT NULL, lessons TEXT NOT NULL, created_at TEXT NOT NULL, vector BLOB NOT NULL);
      INSERT INTO memories VALUES ('old:outcome', 'old', 'researcher', 'x', '', '', 1, 0, '[]', '2026-01-01T00:00:00.000Z', zeroblob(1536));`);
    old.close();
    const store = await SqliteMemoryStore.open({ file, embedder });
    try {
      expect(await store.get('old:outcome')).toEqual(expect.not.objectContaining({ iterations: expect.anything() }));
      const rich = outcome('new', { success: false, failureType: 'provider_error', routeMethod: 'rules', policyVersion: 'v3', iterations: 4, tokens: 1234, durationMs: 5678.5 });
      await store.put(rich);
      expect(await store.get('new:outcome')).toEqual(rich);
      expect(await store.listLessons()).toEqual([]);
    } finally {
      await store.close();
    }
  });
});

describe('lessons in Qdrant (fake client)', () => {
  it('creates the lessons collection on first use, with gist and topic vectors and indexed payload, beside the records collection', async () => {
    const fake = new MultiFakeQdrant();
    const store = await QdrantMemoryStore.open({ url: 'http://unused:6333', embedder, client: fake as unknown as QdrantApi });
    expect([...fake.collections.keys()]).toEqual(['pantheon_memory']);
    const write = await store.recordLesson(failure('t1'));
    expect([...fake.collections.keys()]).toEqual(['pantheon_memory', 'pantheon_memory_lessons']);
    const lessons = fake.collections.get('pantheon_memory_lessons')!;
    expect(lessons.vectors).toEqual({ gist: { size: 384, distance: 'Cosine' }, topic: { size: 384, distance: 'Cosine' } });
    expect(lessons.indexes).toEqual(['specialist:keyword', 'failureType:keyword', 'status:keyword', 'offline:bool', 'evidenceKeys:keyword']);
    const [point] = [...lessons.points.values()];
    expect(point.payload).toEqual(expect.objectContaining({ id: write.lessonId, evidence: 1, evidenceKeys: [`${write.lessonId}|t1`] }));
    // The records collection holds no lesson.
    expect(await store.count()).toBe(0);
  });
});
