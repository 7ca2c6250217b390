import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { exitCodeFor } from '../../src/client/exit';
import { PantheonError } from '../../src/errors';
import { HashingEmbedder } from '../../src/memory/hashing-embedder';
import { openMemoryStore } from '../../src/memory/open-store';
import { SqliteMemoryStore } from '../../src/memory/sqlite-store';
import { cosine } from '../../src/memory/vector';
import type { Embedder, MemoryRecord, MemoryStore } from '../../src/memory/types';

const embedder = new HashingEmbedder();

function record(id: string, overrides: Partial<MemoryRecord> = {}): MemoryRecord {
  return {
    id,
    taskId: id.split(':')[0],
    specialist: 'researcher',
    objective: 'Scrape product prices from the Acme online shop',
    approach: 'Fetched product pages one by one',
    result: 'Blocked by a CAPTCHA after 20 requests',
    success: false,
    costUsd: 0.42,
    lessons: ['Throttle requests', 'Prefer the public API'],
    createdAt: '2024-05-01T10:00:00.000Z',
    ...overrides,
  };
}

async function caught(p: Promise<unknown>): Promise<PantheonError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(PantheonError);
    return err as PantheonError;
  }
  throw new Error('expected a rejection');
}

describe('SqliteMemoryStore (in memory)', () => {
  let store: MemoryStore;
  beforeEach(async () => {
    store = await SqliteMemoryStore.open({ file: ':memory:', embedder });
  });
  afterEach(() => store.close());

  it('round-trips a record through put and get', async () => {
    const r = record('wf-1:outcome');
    expect(await store.put(r)).toEqual({ stored: true });
    expect(await store.get('wf-1:outcome')).toEqual(r);
    expect(await store.get('missing')).toBeUndefined();
  });

  it('is idempotent on the id: the second put stores nothing and keeps the first record', async () => {
    expect(await store.put(record('wf-1:outcome'))).toEqual({ stored: true });
    expect(await store.put(record('wf-1:outcome', { result: 'a retry with another text' }))).toEqual({ stored: false });
    expect(await store.count()).toBe(1);
    expect((await store.get('wf-1:outcome'))?.result).toBe('Blocked by a CAPTCHA after 20 requests');
  });

  it('counts all records or those of one task', async () => {
    await store.put(record('wf-1:outcome'));
    await store.put(record('wf-1:step-2'));
    await store.put(record('wf-2:outcome'));
    expect(await store.count()).toBe(3);
    expect(await store.count({ taskId: 'wf-1' })).toBe(2);
    expect(await store.count({ taskId: 'wf-9' })).toBe(0);
  });

  it('ranks a similar past task above unrelated ones, with real cosine scores', async () => {
    await store.put(record('haiku:outcome', { objective: 'Write a haiku about autumn leaves' }));
    await store.put(record('scrape:outcome', { objective: 'Scraping prices of products from an online shop' }));
    await store.put(record('report:outcome', { objective: 'Summarise the quarterly financial report' }));
    const hits = await store.recall({ text: 'Scrape product prices from the Acme online shop' });
    expect(hits.map((h) => h.record.id)).toEqual(['scrape:outcome']); // the others score <= 0
    const probe = embedder.embedOne('Scrape product prices from the Acme online shop');
    const stored = embedder.embedOne('Scraping prices of products from an online shop');
    let dot = 0;
    for (let i = 0; i < probe.length; i++) dot += probe[i] * stored[i];
    expect(hits[0].score).toBeCloseTo(dot, 5);
    expect(hits[0].score).toBeGreaterThan(0.3);
    expect(hits[0].score).toBeLessThan(1);
    const everything = await store.recall({ text: 'Scrape product prices from the Acme online shop', minScore: -1 });
    expect(everything).toHaveLength(3);
    expect(everything[0].record.id).toBe('scrape:outcome');
    expect(everything[1].score).toBeLessThan(hits[0].score - 0.25);
  });

  it('sorts by score, honours limit and minScore', async () => {
    await store.put(record('a:outcome', { objective: 'deploy billing service staging' }));
    await store.put(record('b:outcome', { objective: 'deploy billing service' }));
    await store.put(record('c:outcome', { objective: 'deploy' }));
    const all = await store.recall({ text: 'deploy billing service staging' });
    expect(all.map((h) => h.record.id)).toEqual(['a:outcome', 'b:outcome', 'c:outcome']);
    expect(all[0].score).toBeCloseTo(1, 5);
    expect(all[1].score).toBeGreaterThan(all[2].score);
    expect((await store.recall({ text: 'deploy billing service staging', limit: 2 })).map((h) => h.record.id)).toEqual(['a:outcome', 'b:outcome']);
    const strict = await store.recall({ text: 'deploy billing service staging', minScore: all[1].score });
    expect(strict.map((h) => h.record.id)).toEqual(['a:outcome']);
  });

  it('filters by specialist and success in the query', async () => {
    const objective = 'Scrape product prices from the Acme online shop';
    await store.put(record('r-fail:outcome', { objective, specialist: 'researcher', success: false }));
    await store.put(record('r-ok:outcome', { objective, specialist: 'researcher', success: true }));
    await store.put(record('c-fail:outcome', { objective, specialist: 'coder', success: false }));
    const ids = async (q: object) => (await store.recall({ text: objective, ...q })).map((h) => h.record.id).sort();
    expect(await ids({})).toEqual(['c-fail:outcome', 'r-fail:outcome', 'r-ok:outcome']);
    expect(await ids({ specialist: 'researcher' })).toEqual(['r-fail:outcome', 'r-ok:outcome']);
    expect(await ids({ success: false })).toEqual(['c-fail:outcome', 'r-fail:outcome']);
    expect(await ids({ specialist: 'researcher', success: true })).toEqual(['r-ok:outcome']);
    expect(await ids({ specialist: 'nobody' })).toEqual([]);
  });

  it('computes the true cosine even when the embedder does not normalise', async () => {
    const scaled: Embedder = {
      name: 'scaled-hashing',
      dimensions: 384,
      embed: async (texts) => (await embedder.embed(texts)).map((v, i) => v.map((x) => x * (i + 3))),
    };
    const raw = await SqliteMemoryStore.open({ file: ':memory:', embedder: scaled });
    await raw.put(record('a:outcome', { objective: 'deploy billing service staging' }));
    await raw.put(record('b:outcome', { objective: 'deploy billing service' }));
    const hits = await raw.recall({ text: 'deploy billing service staging' });
    expect(hits[0].score).toBeCloseTo(1, 5);
    const expected = cosine(embedder.embedOne('deploy billing service staging'), embedder.embedOne('deploy billing service'));
    expect(expected).toBeLessThan(0.95);
    expect(hits[1].score).toBeCloseTo(expected, 5);
    await raw.close();
  });

  it('returns nothing for a query without content words', async () => {
    await store.put(record('wf-1:outcome'));
    expect(await store.recall({ text: 'the of and', minScore: -1 })).toEqual([]);
  });

  it('rejects invalid records and queries as invalid_input', async () => {
    expect((await caught(store.put(record('')))).type).toBe('invalid_input');
    expect((await caught(store.put(record('x', { costUsd: Number.NaN })))).type).toBe('invalid_input');
    expect((await caught(store.put(record('x', { createdAt: 'not a date' })))).type).toBe('invalid_input');
    expect((await caught(store.recall({ text: '  ' }))).type).toBe('invalid_input');
    expect((await caught(store.recall({ text: 'x', limit: 0 }))).type).toBe('invalid_input');
    expect(await store.count()).toBe(0);
  });

  it('refuses use after close with store_unavailable', async () => {
    await store.close();
    const err = await caught(store.count());
    expect(err.type).toBe('store_unavailable');
    await store.close(); // idempotent
  });
});

describe('SqliteMemoryStore (on disk)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pantheon-memory-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates parent directories, uses WAL, and persists across close and reopen', async () => {
    const file = join(dir, 'nested', 'deeper', 'memory.db');
    const first = await SqliteMemoryStore.open({ file, embedder });
    await first.put(record('wf-1:outcome'));
    await first.close();
    expect(existsSync(file)).toBe(true);

    const raw = new Database(file, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();

    const second = await SqliteMemoryStore.open({ file, embedder: new HashingEmbedder() });
    expect(await second.get('wf-1:outcome')).toEqual(record('wf-1:outcome'));
    expect(await second.count()).toBe(1);
    expect((await second.recall({ text: 'prices from an online shop' }))[0].record.id).toBe('wf-1:outcome');
    await second.close();
  });

  it('lets two stores on one file (two workers) write and see each other', async () => {
    const file = join(dir, 'shared.db');
    const a = await SqliteMemoryStore.open({ file, embedder });
    const b = await openMemoryStore({ kind: 'sqlite', file });
    try {
      expect(await a.put(record('wf-a:outcome', { specialist: 'coder' }))).toEqual({ stored: true });
      expect(await b.put(record('wf-b:outcome'))).toEqual({ stored: true });
      expect(await b.put(record('wf-a:outcome'))).toEqual({ stored: false }); // a's record, seen by b
      expect(await a.count()).toBe(2);
      expect(await b.count()).toBe(2);
      expect((await a.get('wf-b:outcome'))?.taskId).toBe('wf-b');
      expect((await b.get('wf-a:outcome'))?.specialist).toBe('coder');
      const fromB = await b.recall({ text: 'Scrape product prices', specialist: 'coder' });
      expect(fromB.map((h) => h.record.id)).toEqual(['wf-a:outcome']);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('is shared by separate OS processes writing at the same time', async () => {
    const file = join(dir, 'multi.db');
    const script = join(dir, 'writer.ts');
    writeFileSync(
      script,
      `import { SqliteMemoryStore } from ${JSON.stringify(join(__dirname, '../../src/memory/sqlite-store'))};
       import { HashingEmbedder } from ${JSON.stringify(join(__dirname, '../../src/memory/hashing-embedder'))};
       (async () => {
         const [file, who] = process.argv.slice(2);
         const store = await SqliteMemoryStore.open({ file, embedder: new HashingEmbedder() });
         for (let i = 0; i < 40; i++) {
           await store.put({ id: who + '-' + i + ':outcome', taskId: who + '-' + i, specialist: who, objective: 'task ' + i,
             approach: '', result: '', success: true, costUsd: 0, lessons: [], createdAt: new Date().toISOString() });
         }
         await store.close();
       })().catch((e) => { console.error(e); process.exit(1); });`,
    );
    const tsx = join(__dirname, '../../node_modules/.bin/tsx');
    const run = (who: string) =>
      new Promise<number | null>((done) => {
        const child = spawn(tsx, [script, file, who], { stdio: ['ignore', 'ignore', 'inherit'] });
        child.on('exit', done);
      });
    expect(await Promise.all([run('alpha'), run('beta')])).toEqual([0, 0]);
    const store = await SqliteMemoryStore.open({ file, embedder });
    expect(await store.count()).toBe(80);
    expect((await store.get('beta-39:outcome'))?.specialist).toBe('beta');
    await store.close();
  }, 60000);

  it('refuses to open a file built with another embedder, with a clear config_invalid error', async () => {
    const file = join(dir, 'memory.db');
    await (await SqliteMemoryStore.open({ file, embedder })).close();

    const err = await caught(SqliteMemoryStore.open({ file, embedder: new HashingEmbedder({ dimensions: 128 }) }));
    expect(err.type).toBe('config_invalid');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('hashing-fnv1a-uni-bi-v1/384');
    expect(err.message).toContain('/128');

    const renamed: Embedder = { name: 'other-model', dimensions: 384, embed: (t) => embedder.embed(t) };
    expect((await caught(SqliteMemoryStore.open({ file, embedder: renamed }))).message).toContain('other-model/384');
  });

  it('reports a record not in the shape Pantheon writes as store_corrupt, naming it, not as a store to try again', async () => {
    const file = join(dir, 'memory.db');
    const store = await SqliteMemoryStore.open({ file, embedder });
    await store.put(record('wf-bad:outcome'));
    await store.close();
    // Another process (an older version, a hand edit) left a row the schema does not accept.
    const db = new Database(file);
    db.prepare("UPDATE memories SET created_at = 'last tuesday' WHERE id = ?").run('wf-bad:outcome');
    db.close();

    const reopened = await SqliteMemoryStore.open({ file, embedder });
    try {
      const err = await caught(reopened.get('wf-bad:outcome'));
      expect(err.type).toBe('store_corrupt');
      expect(err.retryable).toBe(false);
      expect(err.message).toContain('(id wf-bad:outcome)');
      expect(err.message).toContain('createdAt');
    } finally {
      await reopened.close();
    }
  });

  it('reports an unusable file as store_unavailable', async () => {
    const err = await caught(SqliteMemoryStore.open({ file: dir, embedder })); // a directory, not a file
    expect(err.type).toBe('store_unavailable');
    expect(err.retryable).toBe(true);
  });

  it('opened readOnly, reads a file whose write lock another connection holds at once, and writes nothing', async () => {
    const file = join(dir, 'memory.db');
    const store = await SqliteMemoryStore.open({ file, embedder });
    await store.put(record('wf-1:outcome'));
    await store.close();
    const writer = new Database(file);
    writer.exec('BEGIN IMMEDIATE');
    try {
      const started = Date.now();
      const reader = await SqliteMemoryStore.open({ file, embedder, readOnly: true, busyTimeoutMs: 3000 });
      try {
        expect((await reader.list()).map((r) => r.id)).toEqual(['wf-1:outcome']);
        expect((await reader.recall({ text: 'Scrape product prices from Acme', limit: 1, hybrid: true }))[0]?.record.id).toBe('wf-1:outcome');
        expect(Date.now() - started).toBeLessThan(2000);
        expect((await caught(reader.put(record('wf-2:outcome')))).type).toBe('store_unavailable');
      } finally {
        await reader.close();
      }
    } finally {
      writer.exec('ROLLBACK');
      writer.close();
    }
  });

  it("opened readOnly, refuses another program's database naming PANTHEON_MEMORY_FILE, and creates no table in it", async () => {
    const file = join(dir, 'other.db');
    const other = new Database(file);
    other.exec('CREATE TABLE t (x)');
    other.close();
    const err = await caught(SqliteMemoryStore.open({ file, embedder, readOnly: true }));
    expect(err.type).toBe('config_invalid');
    expect(err.message).toContain(`environment variable PANTHEON_MEMORY_FILE: ${file} is not a Pantheon memory store`);
    const check = new Database(file, { readonly: true });
    expect(check.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all()).toEqual([{ name: 't' }]);
    check.close();
  });

  it('reports a file that is not a database as store_corrupt, naming PANTHEON_MEMORY_FILE (exit 1: no wait cures it), and leaves it as it was', async () => {
    const file = join(dir, 'notdb.sqlite');
    const text = 'these are notes, not a database\n'.repeat(40);
    writeFileSync(file, text);
    const err = await caught(SqliteMemoryStore.open({ file, embedder }));
    expect(err.type).toBe('store_corrupt');
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(new RegExp(`^memory store ${file} \\(PANTHEON_MEMORY_FILE\\): open failed: file is not a database: it is not a SQLite database`));
    expect(exitCodeFor(err)).toBe(1);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });
});

describe("a worker's store on another program's database", () => {
  it('is refused naming PANTHEON_MEMORY_FILE and the tables it found, and the file gets none of the store\'s tables', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pantheon-foreign-'));
    try {
      const file = join(dir, 'app.sqlite');
      const other = new Database(file);
      other.exec('CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)');
      other.close();
      const err = (await SqliteMemoryStore.open({ file, embedder }).catch((e: unknown) => e)) as PantheonError;
      expect(err).toBeInstanceOf(PantheonError);
      expect(err.type).toBe('config_invalid');
      expect(err.message).toBe(`environment variable PANTHEON_MEMORY_FILE: ${file} is another program's database (tables invoices), not a Pantheon memory store; point PANTHEON_MEMORY_FILE at the store's file, or at a new one`);
      expect(exitCodeFor(err)).toBe(1);
      const after = new Database(file, { readonly: true });
      expect((after.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name)).toEqual(['invoices']);
      after.close();

      // An empty database (no tables yet) becomes a store.
      const empty = join(dir, 'empty.sqlite');
      new Database(empty).close();
      const store = await SqliteMemoryStore.open({ file: empty, embedder });
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
