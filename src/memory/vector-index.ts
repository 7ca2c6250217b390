/**
 * An in-memory index over a store's vectors, so recall does not read and decode every row from
 * SQLite on every query (1.7 s at 100k records). Each vector is normalised once on insertion and
 * kept as postings per dimension (the dimensions where it is not zero): a query touches only the
 * dimensions it has, which for the hashing embedder is a few dozen of 384. A dense vector (a
 * model's embedding) simply has postings in every dimension; the cost is then a plain scan.
 *
 * Scores are true cosine similarities (both sides normalised, accumulated in float64), ranked as
 * the store always ranked them: score, then the newer record, then the id.
 */

/** What recall filters on, per row. `offline` is null for records without the mark. */
export interface IndexedRow {
  rowid: number;
  id: string;
  specialist: string;
  success: boolean;
  offline: boolean | null;
  createdAt: string;
}

export interface IndexFilter {
  specialist?: string;
  success?: boolean;
  offline?: boolean;
}

export interface IndexHit {
  rowid: number;
  score: number;
}

/** A growable pair of typed arrays: one dimension's postings (row, value). */
class Postings {
  rows = new Int32Array(16);
  values = new Float32Array(16);
  length = 0;

  push(row: number, value: number): void {
    if (this.length === this.rows.length) {
      const rows = new Int32Array(this.rows.length * 2);
      rows.set(this.rows);
      this.rows = rows;
      const values = new Float32Array(this.values.length * 2);
      values.set(this.values);
      this.values = values;
    }
    this.rows[this.length] = row;
    this.values[this.length] = value;
    this.length += 1;
  }
}

export class VectorIndex {
  private readonly postings: Postings[];
  private readonly meta: IndexedRow[] = [];
  /** Interned specialist names: filtering compares small integers, not strings. */
  private readonly specialistCodes = new Map<string, number>();
  private specialistOf = new Int32Array(1024);
  private scores = new Float64Array(1024);

  constructor(readonly dimensions: number) {
    this.postings = Array.from({ length: dimensions }, () => new Postings());
  }

  get size(): number {
    return this.meta.length;
  }

  /** Adds one row; a zero vector is kept (it matches nothing, as cosine says). */
  add(row: IndexedRow, vector: ArrayLike<number>): void {
    if (vector.length !== this.dimensions) throw new RangeError(`vector of ${vector.length} dimensions in an index of ${this.dimensions}`);
    const n = this.meta.length;
    let sum = 0;
    for (let d = 0; d < vector.length; d++) sum += vector[d] * vector[d];
    const inv = sum > 0 ? 1 / Math.sqrt(sum) : 0;
    if (inv > 0) for (let d = 0; d < vector.length; d++) if (vector[d] !== 0) this.postings[d].push(n, vector[d] * inv);
    if (n === this.specialistOf.length) {
      const grown = new Int32Array(n * 2);
      grown.set(this.specialistOf);
      this.specialistOf = grown;
    }
    let code = this.specialistCodes.get(row.specialist);
    if (code === undefined) this.specialistCodes.set(row.specialist, (code = this.specialistCodes.size));
    this.specialistOf[n] = code;
    this.meta.push(row);
  }

  /** The `limit` best rows scoring strictly above `minScore`, best first. */
  search(probe: ArrayLike<number>, options: IndexFilter & { limit: number; minScore: number }): IndexHit[] {
    if (probe.length !== this.dimensions) throw new RangeError(`probe of ${probe.length} dimensions in an index of ${this.dimensions}`);
    let sum = 0;
    for (let d = 0; d < probe.length; d++) sum += probe[d] * probe[d];
    if (sum === 0) return [];
    const inv = 1 / Math.sqrt(sum);
    const n = this.meta.length;
    if (this.scores.length < n) this.scores = new Float64Array(Math.max(n, this.scores.length * 2));
    const scores = this.scores;
    scores.fill(0, 0, n);
    for (let d = 0; d < probe.length; d++) {
      const q = probe[d] * inv;
      if (q === 0) continue;
      const { rows, values, length } = this.postings[d];
      for (let i = 0; i < length; i++) scores[rows[i]] += q * values[i];
    }

    const wanted = options.specialist === undefined ? -1 : (this.specialistCodes.get(options.specialist) ?? -2);
    if (wanted === -2) return [];
    const best: number[] = [];
    for (let r = 0; r < n; r++) {
      const score = Math.max(-1, Math.min(1, scores[r]));
      if (!(score > options.minScore)) continue;
      if (wanted >= 0 && this.specialistOf[r] !== wanted) continue;
      const m = this.meta[r];
      if (options.success !== undefined && m.success !== options.success) continue;
      if (options.offline !== undefined && m.offline !== options.offline) continue;
      scores[r] = score;
      // Insertion into the short ranked list; most rows fall off its end at the first compare.
      if (best.length === options.limit && !this.before(r, best[best.length - 1])) continue;
      let at = best.length;
      while (at > 0 && this.before(r, best[at - 1])) at--;
      best.splice(at, 0, r);
      if (best.length > options.limit) best.pop();
    }
    return best.map((r) => ({ rowid: this.meta[r].rowid, score: scores[r] }));
  }

  /** True when row `a` ranks before row `b`: higher score, then newer, then smaller id. */
  private before(a: number, b: number): boolean {
    const s = this.scores;
    if (s[a] !== s[b]) return s[a] > s[b];
    const ma = this.meta[a];
    const mb = this.meta[b];
    if (ma.createdAt !== mb.createdAt) return ma.createdAt.localeCompare(mb.createdAt) > 0;
    return ma.id.localeCompare(mb.id) < 0;
  }
}
