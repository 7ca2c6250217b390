import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { HashingEmbedder } from '../../src/memory/hashing-embedder';
import { SqliteMemoryStore } from '../../src/memory/sqlite-store';
import type { MemoryRecord } from '../../src/memory/types';
import { runCli } from '../support/cli';

/**
 * `pantheon history` through the real CLI, reading a real SQLite memory file: no Temporal server
 * is involved, as after retention has dropped the tasks' workflows.
 */
const dir = mkdtempSync(join(tmpdir(), 'pantheon-history-'));
const file = join(dir, 'memory.sqlite');
const env = { PANTHEON_MEMORY_FILE: file };
const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();

const rec = (taskId: string, o: Partial<MemoryRecord>): MemoryRecord => ({
  id: `${taskId}:${o.success ? 'outcome' : 'failure'}`, taskId, specialist: 'DatabaseAgent', objective: 'Add a unique index on users.email in Postgres',
  approach: 'migration', result: 'index added', success: true, costUsd: 0.002, lessons: [], createdAt: ago(1), ...o,
});

beforeAll(async () => {
  const store = await SqliteMemoryStore.open({ file, embedder: new HashingEmbedder() });
  for (const r of [
    rec('db-1', { kind: 'database', durationMs: 40_000, tokens: 1_200 }),
    rec('db-2', { kind: 'database', durationMs: 60_000, tokens: 1_500, costUsd: 0.004, objective: 'Create an index on the orders.status column in Postgres' }),
    rec('db-3', { kind: 'database', success: false, costUsd: 0.006, result: 'permission denied on schema public', lessons: ['ask for the migration role first'], objective: 'Add an index on orders.created_at in the Postgres database' }),
    // Written before kind and duration were kept: its kind is read off the specialist.
    rec('res-1', { specialist: 'ResearchAgent', objective: 'Summarise recent papers on vector search', costUsd: 0.01 }),
    // Older than a week: out of the default window.
    rec('db-old', { createdAt: ago(9), costUsd: 5 }),
  ]) await store.put(r);
  await store.close();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tablesOf = (path: string) => {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
  } finally {
    db.close();
  }
};

/** Fails a CLI run that outlasts `ms` (one that waits out a lock would take about a minute). */
const withTimeout = <T>(run: Promise<T>, ms: number) =>
  Promise.race([run, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref())]);

describe('pantheon history', () => {
  it('stats --by specialist: success rate, cost per success and median time over the last 7 days', async () => {
    const { code, stdout, stderr } = await runCli(['history', 'stats', '--by', 'specialist', '--since', '7d'], env);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^4 tasks since /);
    // 3 database tasks, 2 succeeded; $0.012 paid in all over 2 successes; median of 40 s and 60 s.
    expect(stdout).toMatch(/\nDatabaseAgent +3 +2 +67 % +\$0\.006000 +50\.0 s +\$0\.0120\n/);
    expect(stdout).toMatch(/\nResearchAgent +1 +1 +100 % +\$0\.0100 +- +\$0\.0100\n/);
  });

  it('stats --by kind, and a wider window takes in older tasks', async () => {
    // Two readers of one file, independent: run at once.
    const [byKind, month] = await Promise.all([runCli(['history', 'stats', '--by', 'kind'], env), runCli(['history', 'stats', '--since', '30d'], env)]);
    expect(byKind.code).toBe(0);
    expect(byKind.stdout).toMatch(/\ndatabase +3 /);
    expect(byKind.stdout).toMatch(/\nresearch +1 /);
    expect(month.stdout).toMatch(/^5 tasks since /);
    expect(month.stdout).toMatch(/\nDatabaseAgent +4 +3 /);
  });

  it('similar: past tasks like the objective, who did them, how they ended and what they cost', async () => {
    const [{ code, stdout }, none] = await Promise.all([
      runCli(['history', 'similar', 'Add an index to the orders table in Postgres', '--limit', '3'], env),
      runCli(['history', 'similar', 'Write a haiku about autumn leaves'], env),
    ]);
    expect(code).toBe(0);
    const heads = stdout.split('\n').filter((l) => /^\d\.\d\d /.test(l));
    expect(heads).toHaveLength(3);
    expect(heads.every((l) => l.includes('DatabaseAgent'))).toBe(true);
    expect(stdout).toMatch(/DatabaseAgent {2}failed {2}\$0\.006000 {2}db-3/);
    expect(stdout).toContain('failure: permission denied on schema public');
    expect(stdout).toContain('lessons: ask for the migration role first');
    // The recall routing and prompts use: vector similarity fused with keyword relevance.
    expect(stdout).toMatch(/\n {6}relevance: vector \d\.\d\d, keywords \d\.\d\d\n/);
    expect(stdout).toMatch(/DatabaseAgent {2}completed {2}\$0\.004000 \(1\.0 min, 1500 tokens\) {2}db-2/);
    expect(none.stdout).toBe('no similar past tasks\n');
  });

  it.each([
    [['history', 'stats', '--by', 'team'], /--by: expected one of specialist, kind, got "team"/],
    [['history', 'stats', '--since', '7'], /--since: expected a span such as 12h, 7d or 2w/],
    [['history', 'stats', '--period', '7d'], /--period/],
    [['history', 'similar', 'index', '--limit', '0'], /--limit: expected an integer from 1 to 100, got "0"/],
    [['history', 'similar', 'index', '--min-score', '2'], /--min-score: expected a number from 0 to below 1/],
    [['history', 'similar'], /objective: give the objective to compare/],
    [['history', 'recent'], /history: unknown subcommand "recent"; the subcommands are similar, stats/],
  ])('%j fails naming what is wrong, exit 1', async (args, message) => {
    const { code, stdout, stderr } = await runCli(args, env);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
  });

  it('stats says it reached --limit when the records read reach it, though a task holding two counts once', async () => {
    const twice = join(dir, 'twice.sqlite');
    const store = await SqliteMemoryStore.open({ file: twice, embedder: new HashingEmbedder() });
    // The newest two records are one task's: it failed, was reset and then completed.
    await store.put(rec('db-9', { success: false, createdAt: ago(0.2) }));
    await store.put(rec('db-9', { success: true, createdAt: ago(0.1) }));
    await store.put(rec('db-8', { createdAt: ago(2) }));
    await store.close();
    const [limited, all, under] = await Promise.all(['2', '3', '4'].map((limit) => runCli(['history', 'stats', '--limit', limit], { PANTHEON_MEMORY_FILE: twice })));
    expect(limited.code).toBe(0);
    expect(limited.stdout).toMatch(/^1 task since \S+ \(from the newest 2 records; raise --limit for more\)\n/);
    expect(all.stdout).toMatch(/^2 tasks since \S+ \(from the newest 3 records; raise --limit for more\)\n/);
    expect(under.stdout).toMatch(/^2 tasks since \S+\n/);
  });

  it('reads the store while another connection holds its write lock (a worker writing, a consolidation, an outage), without waiting for it', async () => {
    const writer = new Database(file);
    writer.pragma('busy_timeout = 100');
    writer.exec('BEGIN IMMEDIATE');
    try {
      // Until 2026-12-07 it opened the file for writing: it waited out the lock (~53 s), then failed with exit 75.
      const { code, stdout, stderr } = await withTimeout(runCli(['history', 'stats'], env), 20_000);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(stdout).toMatch(/^4 tasks since /);
    } finally {
      writer.exec('ROLLBACK');
      writer.close();
    }
  });

  it("refuses another program's SQLite file as not a memory store, naming PANTHEON_MEMORY_FILE, exit 1, and adds nothing to it", async () => {
    const other = join(dir, 'other.sqlite');
    const db = new Database(other);
    db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
    db.close();
    const { code, stdout, stderr } = await runCli(['history', 'stats'], { PANTHEON_MEMORY_FILE: other });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      `error: config_invalid: environment variable PANTHEON_MEMORY_FILE: ${other} is not a Pantheon memory store (it has no memory_meta or memories table); point PANTHEON_MEMORY_FILE at the file the workers use\n`,
    );
    expect(tablesOf(other)).toEqual(['t']);
  });

  it('says a store of an older layout is migrated by a worker on its next start, exit 1, and leaves it as it is', async () => {
    const old = join(dir, 'old.sqlite');
    const db = new Database(old);
    db.exec(`CREATE TABLE memory_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE memories (id TEXT PRIMARY KEY, task_id TEXT NOT NULL, specialist TEXT NOT NULL, objective TEXT NOT NULL, approach TEXT NOT NULL,
        result TEXT NOT NULL, success INTEGER NOT NULL, cost_usd REAL NOT NULL, lessons TEXT NOT NULL, created_at TEXT NOT NULL, vector BLOB NOT NULL);`);
    db.close();
    const { code, stderr } = await runCli(['history', 'stats'], { PANTHEON_MEMORY_FILE: old });
    expect(code).toBe(1);
    expect(stderr).toContain(`environment variable PANTHEON_MEMORY_FILE: memory store ${old} is of an older layout (no memories_fts, memories.offline); a worker migrates it when it next starts`);
    expect(tablesOf(old)).toEqual(['memories', 'memory_meta']);
  });

  it('refuses a file that is not a database as store_corrupt naming PANTHEON_MEMORY_FILE, exit 1 (not 75: no wait cures it)', async () => {
    const notes = join(dir, 'notdb.sqlite');
    writeFileSync(notes, 'these are notes, not a database\n'.repeat(40));
    const { code, stderr } = await runCli(['history', 'stats'], { PANTHEON_MEMORY_FILE: notes });
    expect(code).toBe(1);
    expect(stderr).toContain(`error: store_corrupt: memory store ${notes} (PANTHEON_MEMORY_FILE): open failed: file is not a database`);
  });

  it('refuses a memory file that is a folder as config_invalid naming PANTHEON_MEMORY_FILE, exit 1, as the worker does (history stats, history similar, memory reembed)', async () => {
    const folder = `${join(dir, 'a-folder')}/`;
    mkdirSync(folder);
    const commands = [['history', 'stats'], ['history', 'similar', 'Add an index on orders.created_at'], ['memory', 'reembed']];
    const runs = await Promise.all(commands.map((args) => runCli(args, { PANTHEON_MEMORY_FILE: folder, TEMPORAL_ADDRESS: '127.0.0.1:1' })));
    commands.forEach((args, i) => {
      const { code, stderr } = runs[i];
      expect({ args, code, stderr }).toEqual({ args, code: 1, stderr: `error: config_invalid: environment variable PANTHEON_MEMORY_FILE: ${folder} is not a file\n` });
    });
  });

  it('says there is no history yet when the memory file does not exist (and does not create it)', async () => {
    const missing = join(dir, 'none', 'memory.sqlite');
    const { code, stdout } = await runCli(['history', 'stats'], { PANTHEON_MEMORY_FILE: missing });
    expect(code).toBe(0);
    expect(stdout).toContain(`no task history yet: no memory store at ${missing}`);
  });
});
