/**
 * Lessons: one imperative line per distinct thing a failure taught, kept apart from the outcome
 * records. A lesson is keyed by its offline mark, specialist, failure type and normalised text
 * (src/memory/lesson-text.ts); every task that taught it is one evidence row (lesson, task), so a
 * retried or re-executed write never counts a task twice. Every backend implements
 * {@link LessonStore}; the consolidation rules live in src/memory/lesson-book.ts.
 */

export type LessonStatus = 'active' | 'retired';

export interface Lesson {
  /** `lesson-<hash>` of the key that created it (src/memory/lesson-text.ts `lessonId`). */
  id: string;
  specialist: string;
  failureType: string;
  /** One imperative line. */
  text: string;
  status: LessonStatus;
  /** Why it was retired: `merged`, `cap`, `contradicted`. */
  retiredReason?: string;
  /** The lesson it was merged into (its evidence moved there). */
  mergedInto?: string;
  retiredAt?: string;
  /** Distinct tasks that taught it (rows in the evidence table). */
  evidence: number;
  /** Times recall returned it. */
  hits: number;
  /** Times a task it was recalled for then succeeded (counted by the caller, `markLessonsHelped`). */
  helped: number;
  createdAt: string;
  /** The latest evidence's time. */
  lastSeenAt: string;
  /** As on records: true when learned from offline runs, false from live ones. */
  offline?: boolean;
}

export interface LessonEvidence {
  lessonId: string;
  taskId: string;
  /** The key of the lesson as written (differs from the lesson's own when it attached as a near duplicate or was merged). */
  lessonKey: string;
  objective: string;
  seenAt: string;
}

/** One failure's lesson, as the recordLesson activity writes it. */
export interface LessonInput {
  taskId: string;
  specialist: string;
  failureType: string;
  text: string;
  /** The task's objective: what the lesson is about (its topic for recall). */
  objective: string;
  /** ISO-8601. */
  seenAt: string;
  offline?: boolean;
}

export interface LessonWrite {
  lessonId: string;
  /** created: a new lesson; attached: evidence added to an existing one (exact or near duplicate);
   * duplicate: this task's evidence for this lesson was already there (a retry or re-execution). */
  action: 'created' | 'attached' | 'duplicate';
  /** True when it attached to a different lesson through similarity, not its exact key. */
  nearDuplicate: boolean;
  /** Lessons of the specialist retired to keep it under the cap. */
  retired: string[];
}

export interface LessonQuery {
  /** The new task's objective; compared with the objectives of the tasks that taught each lesson. */
  text: string;
  specialist?: string;
  /** Default 5, at most 100. */
  limit?: number;
  /** Hits must score strictly above this; default 0. */
  minScore?: number;
  /** As on RecallQuery: only lessons marked offline (true) or live (false). */
  offline?: boolean;
  /** Count the returned lessons as hits (default true). */
  countHits?: boolean;
  /** Failures the asking task has had itself: a lesson taught by one task only, of one of these
   * (specialist and failure type), is that task's own, and is not returned (nor counted). */
  ownFailures?: Array<{ specialist: string; failureType: string }>;
}

export interface LessonHit {
  lesson: Lesson;
  /** Cosine similarity of the query to the centroid of the lesson's evidence objectives. */
  score: number;
}

export interface LessonMerge {
  into: string;
  merged: string[];
}

export interface LessonStore {
  /** Idempotent per (lesson key, task): consolidates on the way in (src/memory/lesson-book.ts rules). */
  recordLesson(input: LessonInput, options?: LessonWriteOptions): Promise<LessonWrite>;
  /** Active lessons only, best first; increments `hits` of the returned ones unless `countHits` is false. */
  recallLessons(query: LessonQuery): Promise<LessonHit[]>;
  getLesson(id: string): Promise<Lesson | undefined>;
  listLessons(filter?: { specialist?: string; status?: LessonStatus }): Promise<Lesson[]>;
  lessonEvidence(lessonId: string): Promise<LessonEvidence[]>;
  /** Merges active near-duplicate lessons (same specialist, failure type and mark) into the one with most evidence. */
  mergeLessons(options: { minSimilarity: number; at: string }): Promise<LessonMerge[]>;
  /** Retires an active lesson; false when it was not active. */
  retireLesson(id: string, reason: string, at: string): Promise<boolean>;
  /** Counts a task that succeeded after these lessons were recalled for it. */
  markLessonsHelped(ids: string[]): Promise<void>;
}

export interface LessonWriteOptions {
  /** Text similarity at or above which a lesson attaches to an existing one; default NEAR_DUPLICATE. */
  nearDuplicate?: number;
  /** Active lessons per specialist; default MAX_ACTIVE_LESSONS. */
  maxActive?: number;
}
