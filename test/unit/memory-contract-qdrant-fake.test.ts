import { QdrantMemoryStore } from '../../src/memory/qdrant-store';
import { FakeQdrant } from '../support/fake-qdrant';
import { describeMemoryStoreContract } from '../support/memory-contract';

/** The adapter's side of the contract, without a server; `npm run test:qdrant` runs it against one. */
describeMemoryStoreContract('Qdrant adapter (fake client)', () => {
  const fake = new FakeQdrant();
  return { open: (embedder) => QdrantMemoryStore.open({ url: 'http://unused:6333', embedder, client: fake.asApi() }) };
});
