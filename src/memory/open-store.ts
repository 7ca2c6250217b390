/** The one place that picks a memory backend from configuration. */
import { PantheonError } from '../errors';
import { offlineEmbedder } from './offline-embedder';
import { SqliteMemoryStore } from './sqlite-store';
import type { MalformedSink } from './skip-malformed';
import type { Embedder, MemoryStore } from './types';

export type MemoryStoreConfig =
  | { kind: 'sqlite'; file: string; busyTimeoutMs?: number }
  | { kind: 'qdrant'; url: string; apiKey?: string; collection?: string };

/**
 * Opens the configured store; without an embedder, the offline hashing one (no model, no network),
 * behind the memo of recent vectors as openEmbedder's are. `readOnly` opens an embedded file for
 * reading only (see SqliteMemoryStore's `readOnly`); Qdrant is opened as always. Qdrant's client is
 * loaded only for a Qdrant store: a process on the SQLite file (`pantheon history`) never loads it.
 * `onMalformed`: recall leaves out records and lessons in a shape Pantheon does not write and
 * tells it (the workers: an alert); without it such a recall throws `store_corrupt`.
 */
export async function openMemoryStore(
  config: MemoryStoreConfig,
  embedder: Embedder = offlineEmbedder(),
  { readOnly = false, onMalformed }: { readOnly?: boolean; onMalformed?: MalformedSink } = {},
): Promise<MemoryStore> {
  switch (config.kind) {
    case 'sqlite':
      return SqliteMemoryStore.open({ file: config.file, embedder, busyTimeoutMs: config.busyTimeoutMs, readOnly, onMalformed });
    case 'qdrant': {
      const { QdrantMemoryStore } = await import('./qdrant-store');
      return QdrantMemoryStore.open({ url: config.url, apiKey: config.apiKey, collection: config.collection, embedder, onMalformed });
    }
    default: {
      // Configuration can come from untyped YAML/env; fail loudly rather than return undefined.
      const kind: never = config;
      throw PantheonError.of('config_invalid', `unknown memory store kind: ${JSON.stringify((kind as { kind?: unknown }).kind)}`);
    }
  }
}
