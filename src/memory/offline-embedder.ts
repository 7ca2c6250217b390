import { withEmbeddingMemo } from './embedding-memo';
import { HashingEmbedder } from './hashing-embedder';
import type { Embedder } from './types';

/**
 * The default embedder (PANTHEON_EMBEDDER=hashing): the offline hashing one behind the memo of
 * recent vectors. Its own module, so a process that embeds this way (`pantheon history`) loads
 * nothing of OpenAI's side.
 */
export function offlineEmbedder(): Embedder {
  return withEmbeddingMemo(new HashingEmbedder());
}
