import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PantheonError } from '../../src/errors';
import { HashingEmbedder } from '../../src/memory/hashing-embedder';
import { SqliteMemoryStore } from '../../src/memory/sqlite-store';
import { checkStoredEmbedder, configuredEmbeddingSpace } from '../../src/memory/stored-space';

/** The start-up check of PANTHEON_EMBEDDER against the embedded store's recorded space (src/memory/stored-space.ts). */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stored-space-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function storeBuiltWith(embedder: HashingEmbedder): Promise<string> {
  const file = path.join(dir, `${embedder.dimensions}-${Math.random().toString(36).slice(2)}.sqlite`);
  const store = await SqliteMemoryStore.open({ file, embedder });
  await store.close();
  return file;
}

it('lets through the embedder a store was built with, a new file, and Qdrant', async () => {
  const file = await storeBuiltWith(new HashingEmbedder());
  expect(() => checkStoredEmbedder({ memory: { kind: 'sqlite', file }, embedding: { kind: 'hashing' } })).not.toThrow();
  expect(() => checkStoredEmbedder({ memory: { kind: 'sqlite', file: path.join(dir, 'new.sqlite') }, embedding: { kind: 'openai', model: 'text-embedding-3-small' } })).not.toThrow();
  expect(() => checkStoredEmbedder({ memory: { kind: 'qdrant', url: 'http://127.0.0.1:1' }, embedding: { kind: 'openai', model: 'text-embedding-3-small' } })).not.toThrow();
});

it('refuses an embedder of another space than the store was built with, naming PANTHEON_EMBEDDER and both spaces', async () => {
  const file = await storeBuiltWith(new HashingEmbedder());
  let caught: unknown;
  try {
    checkStoredEmbedder({ memory: { kind: 'sqlite', file }, embedding: { kind: 'openai', model: 'text-embedding-3-small', dimensions: 384 } });
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(PantheonError);
  expect((caught as PantheonError).type).toBe('config_invalid');
  expect((caught as Error).message).toBe(
    `environment variable PANTHEON_EMBEDDER: memory store ${file} was built with embedder hashing-fnv1a-uni-bi-v1/384 dimensions, ` +
      'but openai-text-embedding-3-small-384/384 was given; use a matching embedder, `pantheon memory reembed`, or a new PANTHEON_MEMORY_FILE',
  );
  // The same name in another size is another space too.
  const small = await storeBuiltWith(new HashingEmbedder({ dimensions: 64 }));
  expect(() => checkStoredEmbedder({ memory: { kind: 'sqlite', file: small }, embedding: { kind: 'hashing' } })).toThrow(/built with embedder hashing-fnv1a-uni-bi-v1\/64 dimensions, but hashing-fnv1a-uni-bi-v1\/384/);
});

it('names the space an OpenAI embedder writes as the embedder itself does', () => {
  expect(configuredEmbeddingSpace({ kind: 'openai', model: 'text-embedding-3-small' })).toEqual({ model: 'text-embedding-3-small', name: 'openai-text-embedding-3-small-1536', dimensions: 1536 });
  expect(() => configuredEmbeddingSpace({ kind: 'openai', model: 'text-embedding-3-small', dimensions: 4 })).toThrow(/^PANTHEON_EMBEDDING_DIMENSIONS: embedding dimensions must be an integer from 8 to 1536/);
  // A model with no pinned price is a setting to fix, named, not an unknown price at the first embedding.
  let caught: unknown;
  try {
    configuredEmbeddingSpace({ kind: 'openai', model: 'foo' });
  } catch (err) {
    caught = err;
  }
  expect(caught).toMatchObject({ type: 'config_invalid', details: { variable: 'PANTHEON_EMBEDDING_MODEL' } });
  expect((caught as Error).message).toMatch(/^PANTHEON_EMBEDDING_MODEL: no pinned price for embedding model "foo" in src\/llm\/prices\.json; one of text-embedding-3-small/);
});

it('refuses a PANTHEON_MEMORY_FILE that is not a database at start-up, as store_corrupt naming it (exit 1, not "try again later")', () => {
  const file = path.join(dir, 'notes.sqlite');
  fs.writeFileSync(file, 'these are notes, not a database\n'.repeat(40));
  let caught: unknown;
  try {
    checkStoredEmbedder({ memory: { kind: 'sqlite', file }, embedding: { kind: 'hashing' } });
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(PantheonError);
  expect((caught as PantheonError).type).toBe('store_corrupt');
  expect((caught as Error).message).toContain(`memory store ${file} (PANTHEON_MEMORY_FILE): open failed: file is not a database`);
});
