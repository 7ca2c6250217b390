import { randomUUID } from 'node:crypto';
import { QdrantClient } from '@qdrant/js-client-rest';
import { QdrantMemoryStore } from '../../src/memory/qdrant-store';
import { MIN_QDRANT_VERSION, qdrantVersionAtLeast } from '../../src/memory/qdrant-version';
import { describeMemoryStoreContract } from '../support/memory-contract';

/** Run by `npm run test:qdrant` only (jest.qdrant.config.js), against the server at QDRANT_URL. */
const url = process.env.QDRANT_URL!;
const apiKey = process.env.QDRANT_API_KEY;
const admin = new QdrantClient({ url, apiKey, checkCompatibility: false });

it(`talks to a Qdrant server of version ${MIN_QDRANT_VERSION} or newer`, async () => {
  const res = await fetch(new URL('/', url), { headers: apiKey ? { 'api-key': apiKey } : {} });
  expect(res.ok).toBe(true);
  const { version } = (await res.json()) as { version: string };
  expect({ version, supported: qdrantVersionAtLeast(version) }).toEqual({ version, supported: true });
});

describeMemoryStoreContract(`Qdrant server at ${url}`, () => {
  // A collection per test, removed afterwards: the server may hold real data.
  const collection = `pantheon_contract_${randomUUID().replace(/-/g, '')}`;
  return {
    open: (embedder) => QdrantMemoryStore.open({ url, apiKey, collection, embedder }),
    cleanup: async () => {
      await admin.deleteCollection(collection);
    },
  };
});
