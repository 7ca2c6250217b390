/**
 * Hybrid ranking: vector similarity fused with keyword relevance, as a weighted sum of two
 * absolute figures (cosine similarity clamped at 0, and the IDF-weighted keyword coverage of
 * src/memory/fts.ts), both in [0, 1]. A weighted sum rather than reciprocal-rank fusion because
 * ranks say nothing about whether the best match is any good: a floor needs absolute scores, so
 * that a query like nothing in memory gets nothing back.
 *
 * Why both: the hashing embedder folds words into 384 buckets (collisions add noise to cosine)
 * and a model's embedding blurs exact identifiers (an error code, a table name); keyword coverage
 * is exact on words but blind to order and phrasing. Agreement of the two is what ranks first.
 */

/** Weight of the vector side; the keyword side has the rest. */
export const VECTOR_WEIGHT = 0.5;

export interface HybridCandidate {
  rowid: number;
  /** Cosine similarity in [-1, 1]. */
  vector: number;
  /** Keyword coverage in [0, 1]. */
  keyword: number;
  /** Tie-breaks, as the vector index breaks them: newer first, then the smaller id. */
  createdAt: string;
  id: string;
}

export interface HybridHit {
  rowid: number;
  score: number;
  vector: number;
  keyword: number;
}

/** The fused relevance in [0, 1]. */
export function fuse(vector: number, keyword: number): number {
  const v = Math.max(0, Math.min(1, vector));
  const k = Math.max(0, Math.min(1, keyword));
  return VECTOR_WEIGHT * v + (1 - VECTOR_WEIGHT) * k;
}

/**
 * The `limit` best candidates scoring strictly above `minScore`, best first.
 * @example rankHybrid([{ rowid: 1, vector: 0.8, keyword: 0.9, createdAt, id }], { limit: 3, minScore: 0.3 })
 */
export function rankHybrid(candidates: readonly HybridCandidate[], options: { limit: number; minScore: number }): HybridHit[] {
  return candidates
    .map((c) => ({ c, score: fuse(c.vector, c.keyword) }))
    .filter(({ score }) => score > options.minScore)
    .sort((a, b) => b.score - a.score || b.c.createdAt.localeCompare(a.c.createdAt) || a.c.id.localeCompare(b.c.id))
    .slice(0, options.limit)
    .map(({ c, score }) => ({ rowid: c.rowid, score, vector: c.vector, keyword: c.keyword }));
}
