import OpenAI from 'openai';
import type { PantheonConfig } from '../config/env';
import { apiRoot } from '../llm/base-url';
import { resolveProviderTargets } from '../llm/providers';
import { PantheonError } from '../errors';
import { withEmbeddingMemo } from './embedding-memo';
import { offlineEmbedder } from './offline-embedder';
import { OpenAIEmbedder, type EmbeddingBudget } from './openai-embedder';
import type { Embedder } from './types';

/**
 * The embedder PANTHEON_EMBEDDER names. `openai` goes where OpenAI chat calls go under the
 * provider plan: the API with OPENAI_API_KEY, or the offline provider when it answers; with
 * neither it stops, naming the variable. Its calls are paid through `budget`. Either is returned
 * behind the memo of recent vectors (embedding-memo.ts): a worker embeds each text once.
 *
 * @example
 *   const embedder = openEmbedder(config, gateEmbeddingBudget(gate));
 *   const store = await openMemoryStore(config.memory, embedder);
 */
export function openEmbedder(config: PantheonConfig, budget?: EmbeddingBudget): Embedder {
  if (config.embedding.kind === 'hashing') return offlineEmbedder();
  const target = resolveProviderTargets(config).openai;
  if (target.status === 'disabled') {
    throw PantheonError.of('config_invalid', 'environment variable OPENAI_API_KEY: required for PANTHEON_EMBEDDER=openai (or run offline)', { details: { variable: 'OPENAI_API_KEY' } });
  }
  if (!budget) throw PantheonError.of('config_invalid', 'PANTHEON_EMBEDDER=openai: embeddings are paid through the budget ledger, and no gate was given');
  const client = new OpenAI({ apiKey: target.apiKey, baseURL: target.baseURL ? `${apiRoot(target.baseURL)}/v1` : undefined, timeout: config.llm.timeoutMs, maxRetries: 0 });
  return withEmbeddingMemo(new OpenAIEmbedder({ client, model: config.embedding.model, dimensions: config.embedding.dimensions, budget }));
}
