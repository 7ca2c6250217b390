import { cosine } from '../../src/memory/vector';
import { VectorIndex, type IndexedRow } from '../../src/memory/vector-index';

/**
 * The index must rank exactly as a full scan by cosine would (the definition in vector.ts), with
 * the store's tie-breaks, for sparse vectors (the hashing embedder's) and dense ones alike.
 */

/** A seeded PRNG, so a failure reproduces. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return s / 2 ** 32;
  };
}

const DIMS = 64;
const SPECIALISTS = ['DatabaseAgent', 'ResearchAgent', 'CodeReviewAgent'];

function vectorOf(rand: () => number, nonZero: number): Float32Array {
  const v = new Float32Array(DIMS);
  for (let k = 0; k < nonZero; k++) v[Math.floor(rand() * DIMS)] += rand() * 2 - 1;
  return v;
}

function corpus(seed: number, n: number, nonZero: number) {
  const rand = prng(seed);
  const rows: Array<{ row: IndexedRow; vector: Float32Array }> = [];
  for (let i = 0; i < n; i++) {
    const vector = vectorOf(rand, nonZero);
    // Some exact duplicates, to exercise the tie-breaks.
    const dup = i > 10 && rand() < 0.3 ? rows[Math.floor(rand() * rows.length)].vector : vector;
    const offlineRoll = rand();
    rows.push({
      row: {
        rowid: i + 1,
        id: `r-${String(Math.floor(rand() * 1000)).padStart(4, '0')}-${i}`,
        specialist: SPECIALISTS[Math.floor(rand() * SPECIALISTS.length)],
        success: rand() < 0.6,
        offline: offlineRoll < 0.2 ? null : offlineRoll < 0.6,
        createdAt: new Date(Date.UTC(2026, 10, 1) + Math.floor(rand() * 2) * 86_400_000).toISOString(),
      },
      vector: dup,
    });
  }
  return { rows, rand };
}

/** The reference: every row scored by cosine, filtered, sorted by score, newer, then id. */
function bruteForce(rows: Array<{ row: IndexedRow; vector: Float32Array }>, probe: Float32Array, q: { limit: number; minScore: number; specialist?: string; success?: boolean; offline?: boolean }) {
  return rows
    .map(({ row, vector }) => ({ row, score: cosine(probe, vector) }))
    .filter(({ row, score }) => score > q.minScore && (q.specialist === undefined || row.specialist === q.specialist) && (q.success === undefined || row.success === q.success) && (q.offline === undefined || row.offline === q.offline))
    .sort((a, b) => b.score - a.score || b.row.createdAt.localeCompare(a.row.createdAt) || a.row.id.localeCompare(b.row.id))
    .slice(0, q.limit);
}

describe('VectorIndex', () => {
  it.each([
    ['sparse vectors', 4],
    ['dense vectors', DIMS * 3],
  ])('ranks %s exactly as a full cosine scan, with filters and the store tie-breaks', (_name, nonZero) => {
    const { rows, rand } = corpus(nonZero, 600, nonZero);
    const index = new VectorIndex(DIMS);
    for (const { row, vector } of rows) index.add(row, vector);
    expect(index.size).toBe(rows.length);
    const queries = [
      { limit: 5, minScore: 0 },
      { limit: 20, minScore: 0.1, specialist: 'DatabaseAgent' },
      { limit: 10, minScore: 0, success: false, offline: true },
      { limit: 7, minScore: -1, offline: false },
      { limit: 100, minScore: 0.5 },
    ];
    let ties = 0;
    for (let i = 0; i < 40; i++) {
      // Half the probes are stored vectors themselves, so exact duplicates tie at the top.
      const probe = i % 2 === 0 ? rows[Math.floor(rand() * rows.length)].vector : vectorOf(rand, nonZero);
      const q = queries[i % queries.length];
      const expected = bruteForce(rows, probe, q);
      const got = index.search(probe, q);
      // Float32 postings against a float64 scan: scores agree to 1e-6, and the order may differ only
      // between rows whose scores are that close but not equal; exact ties (duplicates) must be
      // broken as the store breaks them.
      expect(got.length).toBe(expected.length);
      const exact = new Map(rows.map(({ row, vector }) => [row.rowid, cosine(probe, vector)]));
      got.forEach((hit, k) => {
        expect(hit.score).toBeCloseTo(expected[k].score, 5);
        if (hit.rowid === expected[k].row.rowid) return;
        const mine = exact.get(hit.rowid)!;
        expect({ rank: k, near: Math.abs(mine - expected[k].score) < 1e-6, tie: mine === expected[k].score }).toEqual({ rank: k, near: true, tie: false });
      });
      ties += got.filter((hit, k) => k > 0 && exact.get(hit.rowid) === exact.get(got[k - 1].rowid)).length;
    }
    // The corpus has duplicates, so the tie-breaks were exercised.
    expect(ties).toBeGreaterThan(5);
  });

  it('returns nothing for a zero probe, an unknown specialist, or a zero stored vector', () => {
    const index = new VectorIndex(4);
    const row = (rowid: number, specialist: string): IndexedRow => ({ rowid, id: `r${rowid}`, specialist, success: true, offline: true, createdAt: '2026-11-01T00:00:00.000Z' });
    index.add(row(1, 'A'), [1, 0, 0, 0]);
    index.add(row(2, 'A'), [0, 0, 0, 0]);
    expect(index.search([0, 0, 0, 0], { limit: 5, minScore: -1 })).toEqual([]);
    expect(index.search([1, 0, 0, 0], { limit: 5, minScore: 0, specialist: 'B' })).toEqual([]);
    // The zero vector scores 0, so it is found only when the floor is below 0.
    expect(index.search([1, 0, 0, 0], { limit: 5, minScore: 0 }).map((h) => h.rowid)).toEqual([1]);
    expect(index.search([1, 0, 0, 0], { limit: 5, minScore: -0.5 }).map((h) => h.rowid)).toEqual([1, 2]);
    expect(() => index.add(row(3, 'A'), [1, 0])).toThrow(RangeError);
  });
});
