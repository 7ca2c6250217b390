/**
 * Keyword relevance for the embedded store, on SQLite's FTS5 (compiled into better-sqlite3).
 *
 * The FTS table holds, per memory row (same rowid), the record's *terms*: its embedding text run
 * through the hashing embedder's tokenizer (lower case, no accents, no stopwords, light stemming),
 * so a keyword matches exactly when the vector side sees the same word. FTS5's own `unicode61`
 * tokenizer then only splits on the spaces between them.
 *
 * Keyword relevance is an absolute figure, so a floor can be applied to it: the share of the
 * query's information a record contains, each query term weighted by its inverse document
 * frequency (a rare word like an error code or a table name counts much more than "report").
 * Document frequencies are counted in memory as the store's index reads each row (FTS5's vocab
 * table counts them by walking a term's whole doclist: 12 ms a query at 100k records).
 */
import type Database from 'better-sqlite3';
import { tokenize } from './hashing-embedder';

export const FTS_SCHEMA = `
  CREATE VIRTUAL TABLE IF NOT EXISTS memories_fts USING fts5(terms, tokenize = 'unicode61');
`;

/**
 * Unseen records added to the document count before IDF is taken: in a young store (a handful of
 * records) every known word would otherwise look common and a good match would score low.
 */
const IDF_PRIOR_RECORDS = 100;

/** Keyword candidates come from the query's rare terms only: a word in more than this share of the
 * records (at least RARE_MIN_DF of them) ranks nothing, and searching it would touch most of the file. */
const RARE_SHARE = 0.01;
const RARE_MIN_DF = 200;

/** The distinct terms of a text, in first-seen order. */
export function termsOf(text: string): string[] {
  return [...new Set(tokenize(text))];
}

/** Robertson–Spärck Jones IDF with the +1 inside the log (never negative), over a smoothed count. */
export function idf(df: number, records: number): number {
  const n = records + IDF_PRIOR_RECORDS;
  return Math.log(1 + (n - df + 0.5) / (df + 0.5));
}

/**
 * The IDF-weighted share of the query's terms that a record's terms contain, in [0, 1].
 * @example keywordCoverage(['invoic', 'tabl'], new Set(['invoic']), weights) // ≈ 0.6 when "invoic" is the rarer term
 */
export function keywordCoverage(queryTerms: readonly string[], recordTerms: ReadonlySet<string>, weights: ReadonlyMap<string, number>): number {
  let total = 0;
  let matched = 0;
  for (const t of queryTerms) {
    const w = weights.get(t) ?? 0;
    total += w;
    if (recordTerms.has(t)) matched += w;
  }
  return total > 0 ? matched / total : 0;
}

/** Per-query view of the FTS table: term weights and keyword candidates. */
export interface KeywordProbe {
  terms: string[];
  /** IDF of each query term. */
  weights: Map<string, number>;
  /** Rowids of records holding the query's rare terms, best BM25 first. */
  candidates: number[];
}

export class FtsIndex {
  private readonly insertRow: Database.Statement;
  private readonly mergeStep: Database.Statement;
  private readonly hasRow: Database.Statement;
  /** Records holding each term, over the rows {@link count} was given. */
  private readonly df = new Map<string, number>();
  private records = 0;

  constructor(private readonly db: Database.Database) {
    this.insertRow = db.prepare('INSERT INTO memories_fts (rowid, terms) VALUES (?, ?)');
    // At most 8 pages written per step (FTS5's 'merge' command).
    this.mergeStep = db.prepare("INSERT INTO memories_fts (memories_fts, rank) VALUES ('merge', 8)");
    // A point lookup: FTS5 serves `rowid = ?` directly but scans the whole table for a rowid range.
    this.hasRow = db.prepare('SELECT 1 FROM memories_fts WHERE rowid = ?');
  }

  /** Counts one record's distinct terms into the document frequencies (once per row). */
  count(terms: readonly string[]): void {
    this.records += 1;
    for (const t of terms) this.df.set(t, (this.df.get(t) ?? 0) + 1);
  }

  /**
   * Creates the table; run inside the store's schema transaction. FTS5's automatic merging is
   * switched off: it merges whole levels inside whichever put happens to trigger it (up to 70 ms
   * at 100k rows, on a worker's event loop). Each put does a bounded step of merging instead
   * ({@link add}); crisismerge is raised so a forced merge of a level is rare.
   */
  static createSchema(db: Database.Database): void {
    const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'memories_fts'").get() !== undefined;
    db.exec(FTS_SCHEMA);
    if (exists) return;
    db.exec("INSERT INTO memories_fts (memories_fts, rank) VALUES ('automerge', 0)");
    db.exec("INSERT INTO memories_fts (memories_fts, rank) VALUES ('crisismerge', 64)");
  }

  /** Adds a memory row's terms, with a small step of merging; call in the transaction that inserted the row. */
  add(rowid: number | bigint, embeddingText: string, terms = termsOf(embeddingText)): void {
    this.insertRow.run(rowid, terms.join(' '));
    this.mergeStep.run();
  }

  /** Adds many rows' terms in one transaction (a backfill): one segment, one step of merging. */
  addMany(rows: readonly { rowid: number; terms: readonly string[] }[]): void {
    this.db.transaction(() => {
      for (const r of rows) if (!this.has(r.rowid)) this.insertRow.run(r.rowid, r.terms.join(' '));
      this.mergeStep.run();
    }).immediate();
  }

  /** True when the row has its FTS entry. */
  has(rowid: number): boolean {
    return this.hasRow.get(rowid) !== undefined;
  }

  /** Weights for the query's terms and the best keyword candidates. */
  probe(text: string, limit: number): KeywordProbe {
    const terms = termsOf(text);
    if (terms.length === 0) return { terms, weights: new Map(), candidates: [] };
    const df = (t: string) => this.df.get(t) ?? 0;
    const weights = new Map(terms.map((t) => [t, idf(df(t), this.records)]));
    const rareMax = Math.max(RARE_MIN_DF, this.records * RARE_SHARE);
    const rare = terms.filter((t) => df(t) > 0 && df(t) <= rareMax);
    if (rare.length === 0) return { terms, weights, candidates: [] };
    // Terms are letters and digits only (the tokenizer splits on everything else); quoted anyway.
    const match = rare.map((t) => `"${t.replace(/"/g, '""')}"`).join(' OR ');
    const candidates = (
      this.db.prepare('SELECT rowid FROM memories_fts WHERE memories_fts MATCH ? ORDER BY rank LIMIT ?').all(match, limit) as { rowid: number }[]
    ).map((r) => r.rowid);
    return { terms, weights, candidates };
  }
}
