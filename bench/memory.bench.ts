/**
 * `npm run bench:memory [-- --sizes 1000,10000,100000 --json]`: the embedded memory store at
 * scale. For each size, a fresh SQLite file is filled with that many outcome records (in one
 * transaction, as a long-lived store would have accumulated them), then opened through the store
 * as a worker opens it, and measured: open time, put and recall latency (p50/p95), and the longest
 * event-loop stall seen during the open and during the puts and recalls. Recall is measured both
 * vector-only and hybrid (vector + FTS5 keywords, floored: what prompts use).
 * Then recall quality on the labelled set (bench/recall/evaluate.ts): recall@3 and the share of
 * never-seen tasks that get nothing.
 * Targets (issue 9): at 100k records, recall p95 ≤ 50 ms, put p95 ≤ 5 ms, no stall over 50 ms;
 * recall@3 ≥ 0.7 with the hashing embedder and ≥ 90 % empty on no-match queries.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { FtsIndex } from '../src/memory/fts';
import { HashingEmbedder } from '../src/memory/hashing-embedder';
import { promptRecallQuery } from '../src/memory/recall-for-prompt';
import { SqliteMemoryStore } from '../src/memory/sqlite-store';
import type { MemoryRecord } from '../src/memory/types';
import { vectorToBlob } from '../src/memory/vector';
import { evaluateRecall, loadLabelled, type RecallQuality } from './recall/evaluate';
import { percentile } from './stats';

const PUTS = 500;
const RECALLS = 300;

/** A seeded PRNG: the same sizes give the same records and queries. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return s / 2 ** 32;
  };
}

const VERBS = ['optimise', 'migrate', 'review', 'compare', 'summarise', 'index', 'audit', 'refactor', 'benchmark', 'document', 'profile', 'harden'];
const THINGS = ['orders table', 'billing service', 'checkout api', 'search cache', 'payment gateway', 'user sessions', 'inventory queries', 'vector databases', 'raft consensus', 'onboarding runbook', 'log pipeline', 'auth tokens', 'feature flags', 'rate limiter', 'report exports', 'kafka consumers'];
const DETAILS = ['slow joins', 'missing indexes', 'p95 latency', 'error budget', 'cost per request', 'schema drift', 'retry storms', 'memory leaks', 'cold starts', 'lock contention', 'stale reads', 'timeouts under load', 'n plus one queries', 'unbounded growth'];
const SPECIALISTS = ['DatabaseAgent', 'ResearchAgent', 'CodeReviewAgent', 'WriterAgent', 'GeneralistAgent', 'DataAgent'];

function objective(rand: () => number): string {
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  return `${pick(VERBS)} the ${pick(THINGS)} and report ${pick(DETAILS)} with ${pick(DETAILS)} for the ${pick(THINGS)} team ${Math.floor(rand() * 500)}`;
}

function record(i: number, rand: () => number): MemoryRecord {
  return {
    id: `bench-${i}:outcome`,
    taskId: `bench-${i}`,
    specialist: SPECIALISTS[Math.floor(rand() * SPECIALISTS.length)],
    objective: objective(rand),
    approach: 'planned, queried, summarised',
    result: rand() < 0.7 ? 'done' : 'failed: timeout',
    success: rand() < 0.7,
    costUsd: 0.001,
    lessons: rand() < 0.3 ? ['check the index before rewriting the query'] : [],
    createdAt: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
    offline: true,
  };
}

/** Fills a new store file directly, as months of puts would have (with their FTS rows). */
async function seed(file: string, size: number, embedder: HashingEmbedder, rand: () => number): Promise<void> {
  // Creates the schema and the embedder's meta through the store itself.
  await (await SqliteMemoryStore.open({ file, embedder })).close();
  const db = new Database(file);
  const insert = db.prepare(
    `INSERT INTO memories (id, task_id, specialist, objective, approach, result, success, cost_usd, lessons, created_at, vector, offline)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const fts = new FtsIndex(db);
  db.transaction(() => {
    for (let i = 0; i < size; i++) {
      const r = record(i, rand);
      const { lastInsertRowid } = insert.run(r.id, r.taskId, r.specialist, r.objective, r.approach, r.result, r.success ? 1 : 0, r.costUsd, JSON.stringify(r.lessons), r.createdAt, vectorToBlob(embedder.embedOne(r.objective)), 1);
      fts.add(lastInsertRowid, r.objective);
    }
  })();
  db.close();
}

interface SizeResult {
  records: number;
  openMs: number;
  openMaxStallMs: number;
  putP50Ms: number;
  putP95Ms: number;
  recallP50Ms: number;
  recallP95Ms: number;
  hybridP50Ms: number;
  hybridP95Ms: number;
  maxStallMs: number;
  meanHits: number;
}

async function measure(size: number): Promise<SizeResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pantheon-bench-memory-'));
  const file = path.join(dir, 'memory.sqlite');
  const embedder = new HashingEmbedder();
  const rand = prng(size);
  try {
    await seed(file, size, embedder, rand);

    const openStall = monitorEventLoopDelay({ resolution: 5 });
    openStall.enable();
    const t0 = performance.now();
    const store = await SqliteMemoryStore.open({ file, embedder });
    const openMs = performance.now() - t0;
    openStall.disable();

    const stall = monitorEventLoopDelay({ resolution: 5 });
    stall.enable();
    const puts: number[] = [];
    const recalls: number[] = [];
    const hybrids: number[] = [];
    let hits = 0;
    for (let i = 0; i < Math.max(PUTS, RECALLS); i++) {
      if (i < PUTS) {
        const r = record(size + i, rand);
        const t = performance.now();
        await store.put(r);
        puts.push(performance.now() - t);
      }
      if (i < RECALLS) {
        const query = { text: objective(rand), limit: 5, success: i % 2 === 0 ? undefined : false, offline: true };
        const t = performance.now();
        hits += (await store.recall(query)).length;
        recalls.push(performance.now() - t);
        const hybrid = promptRecallQuery({ objective: objective(rand) }, { success: query.success, offline: true });
        const th = performance.now();
        await store.recall(hybrid);
        hybrids.push(performance.now() - th);
      }
      // Let the event-loop monitor run between operations, as a worker's loop would.
      await new Promise((r) => setImmediate(r));
    }
    stall.disable();
    await store.close();
    return {
      records: size,
      openMs,
      openMaxStallMs: openStall.max / 1e6,
      putP50Ms: percentile(puts, 50),
      putP95Ms: percentile(puts, 95),
      recallP50Ms: percentile(recalls, 50),
      recallP95Ms: percentile(recalls, 95),
      hybridP50Ms: percentile(hybrids, 50),
      hybridP95Ms: percentile(hybrids, 95),
      maxStallMs: stall.max / 1e6,
      meanHits: hits / RECALLS,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function parseSizes(argv: string[]): number[] {
  const at = argv.indexOf('--sizes');
  const raw = at >= 0 ? argv[at + 1] : process.env.BENCH_MEMORY_SIZES;
  if (!raw) return [1_000, 10_000, 100_000];
  const sizes = raw.split(',').map((s) => Number(s.trim()));
  if (sizes.some((n) => !Number.isInteger(n) || n < 1)) {
    process.stderr.write(`--sizes: expected comma-separated positive integers, got "${raw}"\n`);
    process.exit(2);
  }
  return sizes;
}

async function main(): Promise<void> {
  const sizes = parseSizes(process.argv.slice(2));
  const json = process.argv.includes('--json') || process.env.BENCH_JSON === '1';
  const results: SizeResult[] = [];
  for (const size of sizes) {
    if (!json) process.stderr.write(`memory bench: ${size} records…\n`);
    results.push(await measure(size));
  }
  const quality: RecallQuality = await evaluateRecall(loadLabelled());
  if (json) {
    process.stdout.write(`${JSON.stringify({ host: { cpus: os.cpus().length, load: os.loadavg()[0] }, results, quality })}\n`);
    return;
  }
  const f = (n: number) => n.toFixed(n < 10 ? 2 : 0);
  console.log(`embedded memory store (SQLite + in-memory index, hashing embedder ${new HashingEmbedder().dimensions} dims); ${PUTS} puts, ${RECALLS} recalls per size; load ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`);
  console.log('| records | open | longest stall while opening | put p50 / p95 | recall p50 / p95 (vector) | recall p50 / p95 (hybrid) | longest stall while serving | hits per recall |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    console.log(`| ${r.records} | ${f(r.openMs)} ms | ${f(r.openMaxStallMs)} ms | ${f(r.putP50Ms)} / ${f(r.putP95Ms)} ms | ${f(r.recallP50Ms)} / ${f(r.recallP95Ms)} ms | ${f(r.hybridP50Ms)} / ${f(r.hybridP95Ms)} ms | ${f(r.maxStallMs)} ms | ${r.meanHits.toFixed(1)} |`);
  }
  const big = results.find((r) => r.records >= 100_000);
  if (big) {
    const ok = (b: boolean) => (b ? 'met' : 'NOT met');
    console.log(`targets at ${big.records}: recall p95 ≤ 50 ms ${ok(Math.max(big.recallP95Ms, big.hybridP95Ms) <= 50)}; put p95 ≤ 5 ms ${ok(big.putP95Ms <= 5)}; no stall over 50 ms ${ok(Math.max(big.maxStallMs, big.openMaxStallMs) <= 50)}`);
  }
  const pct = (x: number) => `${(100 * x).toFixed(0)} %`;
  console.log(
    `recall quality (labelled set: ${quality.grouped} objectives in groups, ${quality.noMatch} no-match; hashing embedder, hybrid, floor as for prompts): ` +
      `recall@3 ${quality.recallAt3.toFixed(2)} (target ≥ 0.7 ${quality.recallAt3 >= 0.7 ? 'met' : 'NOT met'}); ` +
      `empty on no-match ${pct(quality.emptyOnNoMatch)} (target ≥ 90 % ${quality.emptyOnNoMatch >= 0.9 ? 'met' : 'NOT met'}); ` +
      `grouped queries with nothing recalled ${pct(quality.emptyOnGrouped)}`,
  );
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
