import { exitCodeFor } from '../../src/client/exit';
import { PantheonError } from '../../src/errors';
import { memoryFileGap, storeError } from '../../src/memory/sqlite-file';

/** What the SQLite driver's failures on a memory file mean (src/memory/sqlite-file.ts). */
const driverError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('storeError', () => {
  it.each([
    ['SQLITE_NOTADB', 'file is not a database'],
    ['SQLITE_CORRUPT', 'database disk image is malformed'],
    ['SQLITE_CORRUPT_VTAB', 'database disk image is malformed'],
  ])('%s is store_corrupt naming PANTHEON_MEMORY_FILE, exit 1: reading the file again fails the same way', (code, message) => {
    const err = storeError('open', '/data/memory.sqlite', driverError(code, message));
    expect(err.type).toBe('store_corrupt');
    expect(err.message).toContain(`memory store /data/memory.sqlite (PANTHEON_MEMORY_FILE): open failed: ${message}`);
    expect(err.details).toMatchObject({ code, variable: 'PANTHEON_MEMORY_FILE' });
    expect(exitCodeFor(err)).toBe(1);
  });

  it.each([
    ['SQLITE_BUSY', 'database is locked'],
    ['SQLITE_FULL', 'database or disk is full'],
    ['SQLITE_CANTOPEN', 'unable to open database file'],
  ])('%s stays store_unavailable, exit 75: a later try may succeed', (code, message) => {
    const err = storeError('put', '/data/memory.sqlite', driverError(code, message));
    expect(err.type).toBe('store_unavailable');
    expect(exitCodeFor(err)).toBe(75);
  });

  it('passes our own errors through', () => {
    const ours = PantheonError.of('config_invalid', 'wrong embedder');
    expect(storeError('open', '/data/memory.sqlite', ours)).toBe(ours);
  });
});

describe('memoryFileGap', () => {
  const current = new Set(['memory_meta', 'memories', 'memories_fts', 'lessons']);
  const columns = new Set(['id', 'vector', 'offline']);

  it('finds nothing missing in a store a worker has opened', () => {
    expect(memoryFileGap(current, columns)).toBeUndefined();
  });

  it("calls a file without the memory tables (another program's database, an empty file) not a store", () => {
    expect(memoryFileGap(new Set(['t']), new Set())).toEqual({ kind: 'not_a_store', missing: ['memory_meta', 'memories'] });
    expect(memoryFileGap(new Set(['memories']), columns)).toEqual({ kind: 'not_a_store', missing: ['memory_meta'] });
  });

  it('calls a store without what a read needs (FTS, the offline column) older: a worker migrates it', () => {
    expect(memoryFileGap(new Set(['memory_meta', 'memories']), new Set(['id', 'vector']))).toEqual({ kind: 'older', missing: ['memories_fts', 'memories.offline'] });
  });

  it('reads a store without the later outcome columns or the lesson tables as it is', () => {
    expect(memoryFileGap(new Set(['memory_meta', 'memories', 'memories_fts']), columns)).toBeUndefined();
  });
});
