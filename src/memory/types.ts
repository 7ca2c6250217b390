import type { LessonStore } from './lesson-types';

/**
 * The shared-memory port: what every specialist's past outcome looks like, and the narrow store
 * interface the rest of Pantheon depends on. Backends (SQLite embedded, Qdrant remote) implement
 * {@link MemoryStore}; nothing outside src/memory should know which one is in use.
 */

/** One remembered outcome of a specialist's task; the unit of write and recall. */
export interface MemoryRecord {
  /** Idempotency key, e.g. `${workflowId}:outcome`; writing the same id twice stores one record. */
  id: string;
  /** The workflow id of the task. */
  taskId: string;
  specialist: string;
  objective: string;
  /** What the specialist did. */
  approach: string;
  /** The outcome text, or the failure. */
  result: string;
  success: boolean;
  costUsd: number;
  /** Warnings for next time. */
  lessons: string[];
  /** ISO-8601 time. */
  createdAt: string;
  /** True when the outcome came from the offline provider, false when from a live one; absent on
   * records written before the mark (provenance unknown). Live runs recall only `false`. */
  offline?: boolean;
  /** The outcome's facts (absent on records written before they were kept). The failure type
   * is the last failure's, on failed outcomes only. */
  failureType?: string;
  /** How the task was routed (rules, classifier, requested, fallback). */
  routeMethod?: string;
  /** The routing policy version that routed it; absent until routing is versioned. */
  policyVersion?: string;
  iterations?: number;
  /** Tokens the task spent in all. */
  tokens?: number;
  /** From the task's start to its end, in milliseconds (workflow time). */
  durationMs?: number;
  /** The task's kind, read off its specialist (src/routing/kinds.ts), for `pantheon history stats --by kind`. */
  kind?: string;
}

/** A recalled record with its cosine similarity to the query, in [-1, 1]. */
export interface MemoryHit {
  record: MemoryRecord;
  /** Cosine similarity; with `hybrid`, the fused relevance in [0, 1] (src/memory/hybrid-rank.ts). */
  score: number;
  /** With `hybrid` on a store that ranks by keywords too: the two figures that were fused. */
  parts?: { vector: number; keyword: number };
}

export interface RecallQuery {
  /** The new task's embedding text (src/memory/record.ts `recallText`): the same text records are
   * embedded by, so both sides of the comparison are alike. */
  text: string;
  /** Most hits to return; default 5. */
  limit?: number;
  /** Only records of this specialist. */
  specialist?: string;
  /** Only successes (true) or only failures (false). */
  success?: boolean;
  /** Only records marked offline (true) or marked live (false); records without the mark match neither. */
  offline?: boolean;
  /** Hits must score strictly above this; default 0. */
  minScore?: number;
  /** Rank by vector similarity fused with keyword relevance (src/memory/hybrid-rank.ts); `score`
   * is then the fused relevance. Stores without a keyword index (Qdrant) rank by vector alone. */
  hybrid?: boolean;
}

export interface ListQuery {
  /** ISO-8601 time; records created before it are left out. */
  since?: string;
  /** Most records to return; default 10,000, at most 100,000. */
  limit?: number;
}

/** Every store keeps lessons too (src/memory/lesson-types.ts). */
export interface MemoryStore extends LessonStore {
  /** Idempotent: returns `{ stored: false }` when a record with this id already exists. */
  put(record: MemoryRecord): Promise<{ stored: boolean }>;
  get(id: string): Promise<MemoryRecord | undefined>;
  /** Most similar records first; never more than `limit`. */
  recall(query: RecallQuery): Promise<MemoryHit[]>;
  count(filter?: { taskId?: string }): Promise<number>;
  /** Records created at or after `since`, newest first, at most `limit` (default 10,000): task history. */
  list(query?: ListQuery): Promise<MemoryRecord[]>;
  close(): Promise<void>;
}

/** Turns texts into fixed-size vectors; `name` + `dimensions` identify a compatible vector space. */
export interface Embedder {
  readonly dimensions: number;
  readonly name: string;
  embed(texts: string[]): Promise<Float32Array[]>;
}
