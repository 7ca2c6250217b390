import { exitCodeFor } from '../../src/client/exit';
import { PantheonError } from '../../src/errors';
import { storeError } from '../../src/memory/sqlite-file';

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
