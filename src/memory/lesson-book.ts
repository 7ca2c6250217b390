/**
 * The rules lessons live by, shared by every backend, and the consolidation pass the scheduled
 * workflow runs (src/workflows/memory-consolidation.ts through src/activities/consolidate-lessons.ts).
 *
 * On the write path (each backend's recordLesson):
 * 1. A task's evidence for a lesson key is written once: a repeat is a `duplicate`.
 * 2. Exact duplicate: the key's lesson exists: evidence attaches to it (to the lesson it was merged
 *    into, if it was; a lesson retired for another reason is active again: it was just seen).
 * 3. Near duplicate: an active lesson of the same specialist, failure type and offline mark whose
 *    gist (src/memory/lesson-text.ts) has cosine similarity >= `nearDuplicate` (default 0.75):
 *    evidence attaches to the most similar one.
 * 4. Otherwise a new lesson. Then the specialist's active lessons are capped at `maxActive`
 *    (default 20): the weakest are retired first ({@link weakerFirst}).
 */
import { z } from 'zod';
import { PantheonError } from '../errors';
import type { Lesson, LessonInput, LessonMerge, LessonQuery } from './lesson-types';
import type { MemoryStore } from './types';

/**
 * Gist similarity at or above which two lessons of one specialist and failure type are one. With
 * the offline hashing embedder a reworded report of one failure ("blocked by a CAPTCHA after 20
 * requests" / "the shop blocked us with a CAPTCHA after 20 requests") scores about 0.8 and two
 * different failures ("503 Service Unavailable" / "500 Internal Server Error") about 0.
 */
export const NEAR_DUPLICATE = 0.75;
/** Active lessons kept per specialist. */
export const MAX_ACTIVE_LESSONS = 20;

/**
 * The cap's order, weakest first: least evidence, then the longest unseen (oldest last-seen),
 * then fewest times it helped, then the id (deterministic). Evidence is how often the lesson was
 * true; recency is whether it still is.
 */
export function weakerFirst(a: Pick<Lesson, 'evidence' | 'lastSeenAt' | 'helped' | 'id'>, b: Pick<Lesson, 'evidence' | 'lastSeenAt' | 'helped' | 'id'>): number {
  if (a.evidence !== b.evidence) return a.evidence - b.evidence;
  if (a.lastSeenAt !== b.lastSeenAt) return a.lastSeenAt < b.lastSeenAt ? -1 : 1;
  if (a.helped !== b.helped) return a.helped - b.helped;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The lessons to retire so that at most `maxActive` of these (one specialist's active ones) stay. */
export function overCap(active: Lesson[], maxActive: number): Lesson[] {
  if (active.length <= maxActive) return [];
  return [...active].sort(weakerFirst).slice(0, active.length - maxActive);
}

/** Of near-duplicate lessons, the one that absorbs the others: most evidence, then oldest, then id. */
export function strongestFirst(a: Lesson, b: Lesson): number {
  if (a.evidence !== b.evidence) return b.evidence - a.evidence;
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? -1 : 1;
  return a.id < b.id ? -1 : 1;
}

const iso = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO date-time');

const lessonInputSchema = z.object({
  taskId: z.string().min(1).max(512),
  specialist: z.string().min(1).max(200),
  failureType: z.string().min(1).max(200),
  text: z.string().refine((s) => s.trim().length > 0, 'must not be empty').pipe(z.string().max(1000)),
  objective: z.string().max(10_000),
  seenAt: iso,
  offline: z.boolean().optional(),
});

const lessonQuerySchema = z.object({
  text: z.string().refine((s) => s.trim().length > 0, 'must not be empty'),
  specialist: z.string().min(1).optional(),
  limit: z.number().int().min(1).max(100).default(5),
  minScore: z.number().min(-1).max(1).default(0),
  offline: z.boolean().optional(),
  countHits: z.boolean().default(true),
  ownFailures: z.array(z.object({ specialist: z.string(), failureType: z.string() })).max(100).default([]),
});

/** Whether a lesson is the asking task's own (see LessonQuery.ownFailures). */
export function isOwnLesson(lesson: { specialist: string; failureType: string; evidence: number }, own: readonly { specialist: string; failureType: string }[]): boolean {
  return lesson.evidence <= 1 && own.some((f) => f.specialist === lesson.specialist && f.failureType === lesson.failureType);
}

export type NormalisedLessonQuery = z.output<typeof lessonQuerySchema>;

export function validateLessonInput(input: LessonInput): LessonInput {
  const parsed = lessonInputSchema.safeParse(input);
  if (!parsed.success) throw PantheonError.of('invalid_input', `invalid lesson: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

export function validateLessonQuery(query: LessonQuery): NormalisedLessonQuery {
  const parsed = lessonQuerySchema.safeParse(query);
  if (!parsed.success) throw PantheonError.of('invalid_input', `invalid lesson query: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

const lessonSchema = z.object({
  id: z.string().min(1),
  specialist: z.string().min(1),
  failureType: z.string().min(1),
  text: z.string(),
  status: z.enum(['active', 'retired']),
  retiredReason: z.string().optional(),
  mergedInto: z.string().optional(),
  retiredAt: z.string().optional(),
  evidence: z.number().int().nonnegative(),
  hits: z.number().int().nonnegative(),
  helped: z.number().int().nonnegative(),
  createdAt: iso,
  lastSeenAt: iso,
  offline: z.boolean().optional(),
});

/** A lesson read back from a shared store: checked, not trusted (as records are). */
export function decodeStoredLesson(value: unknown, where: string): Lesson {
  const parsed = lessonSchema.safeParse(value);
  if (!parsed.success) throw PantheonError.of('store_corrupt', `malformed lesson in ${where}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

export interface ConsolidationOptions {
  /** Gist similarity at which active lessons merge; default NEAR_DUPLICATE. */
  mergeSimilarity?: number;
  /** Objective similarity at which a later success counts as "a similar task"; default 0.8. */
  contradictSimilarity?: number;
  /** Evidence objectives checked per lesson for contradicting successes; default 5 (the latest). */
  objectivesPerLesson?: number;
  /** ISO-8601 "now", the retirement time. */
  at: string;
}

export interface ConsolidationReport {
  merged: LessonMerge[];
  /** Lessons retired because the same specialist later succeeded at a similar task. */
  contradicted: Array<{ lessonId: string; byTaskId: string; score: number }>;
  activeAfter: number;
}

/**
 * One consolidation pass: merges near-duplicate active lessons, then retires each active lesson
 * contradicted by a later success of the same approach: a success of the same specialist (same
 * offline mark) at a task similar to one that taught the lesson, recorded after the lesson was
 * last seen. Safe to repeat: a second pass over the same store changes nothing.
 */
export async function consolidateLessons(store: MemoryStore, options: ConsolidationOptions): Promise<ConsolidationReport> {
  const merged = await store.mergeLessons({ minSimilarity: options.mergeSimilarity ?? NEAR_DUPLICATE, at: options.at });
  const contradicted: ConsolidationReport['contradicted'] = [];
  const minScore = options.contradictSimilarity ?? 0.8;
  for (const lesson of await store.listLessons({ status: 'active' })) {
    const evidence = (await store.lessonEvidence(lesson.id)).sort((a, b) => (a.seenAt < b.seenAt ? 1 : -1)).slice(0, options.objectivesPerLesson ?? 5);
    let contradiction: ConsolidationReport['contradicted'][number] | undefined;
    for (const e of evidence) {
      if (e.objective.trim().length === 0) continue;
      const hits = await store.recall({ text: e.objective, specialist: lesson.specialist, success: true, offline: lesson.offline, minScore, limit: 5 });
      const later = hits.find((h) => h.record.createdAt > lesson.lastSeenAt);
      if (later) {
        contradiction = { lessonId: lesson.id, byTaskId: later.record.taskId, score: later.score };
        break;
      }
    }
    if (contradiction && (await store.retireLesson(lesson.id, 'contradicted', options.at))) contradicted.push(contradiction);
  }
  const activeAfter = (await store.listLessons({ status: 'active' })).length;
  return { merged, contradicted, activeAfter };
}
