import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteMemoryStore } from '../../src/memory/sqlite-store';
import { describeMemoryStoreContract } from '../support/memory-contract';

describeMemoryStoreContract('embedded SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pantheon-contract-'));
  const file = join(dir, 'memory.sqlite');
  return {
    open: (embedder) => SqliteMemoryStore.open({ file, embedder }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});
