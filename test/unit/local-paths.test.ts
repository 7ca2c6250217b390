import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PantheonError } from '../../src/errors';
import { checkLocalPaths, checkMemoryFile } from '../../src/workers/local-paths';

/** The local files a worker opens only after connecting, checked at its start (src/workers/local-paths.ts). */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-paths-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const memoryAt = (file: string) => () => checkLocalPaths({ memory: { kind: 'sqlite', file } });

it('takes a memory file to create under folders still to be made, and leaves no trace of its check', () => {
  expect(memoryAt(path.join(dir, 'a', 'b', 'memory.sqlite'))).not.toThrow();
  expect(fs.readdirSync(dir)).toEqual([]);
});

it('refuses a memory file under a folder that takes no new file though its permissions say yes (/proc), naming the variable', () => {
  let caught: unknown;
  try {
    memoryAt('/proc/nope/memory.sqlite')();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(PantheonError);
  expect((caught as PantheonError).type).toBe('config_invalid');
  expect((caught as Error).message).toBe('environment variable PANTHEON_MEMORY_FILE: cannot create /proc/nope/memory.sqlite: the folder /proc is not writable');
});

it('refuses a memory file under a file, naming the variable', () => {
  const file = path.join(dir, 'plain');
  fs.writeFileSync(file, '');
  expect(memoryAt(path.join(file, 'memory.sqlite'))).toThrow(`environment variable PANTHEON_MEMORY_FILE: cannot create ${path.join(file, 'memory.sqlite')}: ${file} is not a folder`);
  fs.rmSync(file);
});

it('checks the memory file for a reader too: a folder is refused naming the variable, a missing file is no error (no history yet)', () => {
  const read = (file: string) => () => checkMemoryFile({ kind: 'sqlite', file }, 'read');
  expect(read(`${dir}/`)).toThrow(`environment variable PANTHEON_MEMORY_FILE: ${dir}/ is not a file`);
  expect(read(path.join(dir, 'none', 'memory.sqlite'))).not.toThrow();
  expect(() => checkMemoryFile({ kind: 'sqlite', file: `${dir}/` }, 'write')).toThrow(`environment variable PANTHEON_MEMORY_FILE: ${dir}/ is not a file`);
});

it('refuses an existing memory file in a folder that takes no new file (SQLite writes its -wal and -shm beside it), naming the variable and the folder', () => {
  // A file the process may read and write, in a folder no file can be created in (/proc/self/comm:
  // the same refusal a read-only or immutable folder gives, for any user, root included).
  expect(() => fs.accessSync('/proc/self/comm', fs.constants.R_OK | fs.constants.W_OK)).not.toThrow();
  expect(memoryAt('/proc/self/comm')).toThrow(/^environment variable PANTHEON_MEMORY_FILE: cannot write beside \/proc\/self\/comm: the folder \/proc\/self takes no new file \(\w+\); SQLite keeps its -wal and -shm files there$/);
  // A file in a writable folder passes, and the check leaves nothing behind.
  const file = path.join(dir, 'present.sqlite');
  fs.writeFileSync(file, '');
  expect(memoryAt(file)).not.toThrow();
  expect(fs.readdirSync(dir)).toEqual(['present.sqlite']);
  fs.rmSync(file);
});
