import type OpenAI from 'openai';
import { PantheonError, provedUnbilled } from '../errors';
import { classifyProviderError } from '../llm/provider-errors';
import { embeddingCostOf, embeddingPriceOf, PRICES } from '../llm/pricing';
import { countTokens } from '../llm/tokens';
import type { Embedder } from './types';

/**
 * What an embedding call is paid through: the budget ledger (src/memory/embedding-budget.ts), so
 * embeddings are reserve (worst case) → call → settle (actual) like every other model call.
 */
export interface EmbeddingBudget {
  reserve(call: { model: string; usd: number; tokens: number }): Promise<{ settle(actual: { usd: number; tokens: number }): Promise<void>; release(): Promise<void> }>;
}

export interface OpenAIEmbedderOptions {
  /** An openai SDK client (the real API, or the offline provider through its baseURL); its
   * apiKey, when it has one, is taken out of error messages (src/llm/scrub-secrets.ts). */
  client: Pick<OpenAI, 'embeddings'> & Partial<Pick<OpenAI, 'apiKey'>>;
  /** A model in prices.json's `embeddings`; default text-embedding-3-small. */
  model?: string;
  /** Shortened vectors (the API's `dimensions`); default the model's native size. */
  dimensions?: number;
  budget: EmbeddingBudget;
}

/** Texts per request: the API takes up to 2,048 inputs; smaller batches keep a worst case small. */
const BATCH = 256;

/**
 * The worst case a batch can cost. The embedding models count tokens with another encoding than
 * the o200k one counted here: the reservation holds 1.5 times the count plus 8 per text, and the
 * settle charges what the API reports.
 */
export function worstCaseEmbeddingTokens(texts: string[]): number {
  return texts.reduce((sum, t) => sum + Math.ceil(1.5 * countTokens(t)) + 8, 0);
}

/** The model's native size; a model with no pinned price is a setting to fix (named), not an unknown price at the first embedding. */
function embeddingModelDimensions(model: string): number {
  try {
    return embeddingPriceOf(model).dimensions;
  } catch (err) {
    if (!(err instanceof PantheonError) || err.type !== 'unknown_price') throw err;
    const known = Object.keys(PRICES.embeddings ?? {}).join(', ');
    throw PantheonError.of('config_invalid', `PANTHEON_EMBEDDING_MODEL: no pinned price for embedding model "${model}" in src/llm/prices.json; one of ${known}`, { details: { variable: 'PANTHEON_EMBEDDING_MODEL', model } });
  }
}

/** The vector space an OpenAI embedder of this model and size writes (its name and size), checked. */
export function openaiEmbeddingSpace(model = 'text-embedding-3-small', dimensions?: number): { model: string; name: string; dimensions: number } {
  const native = embeddingModelDimensions(model);
  const size = dimensions ?? native;
  if (!Number.isInteger(size) || size < 8 || size > native) {
    throw PantheonError.of('config_invalid', `PANTHEON_EMBEDDING_DIMENSIONS: embedding dimensions must be an integer from 8 to ${native} for ${model}, got ${dimensions}`, { details: { variable: 'PANTHEON_EMBEDDING_DIMENSIONS' } });
  }
  return { model, name: `openai-${model}-${size}`, dimensions: size };
}

/**
 * OpenAI embeddings through the openai SDK. Its `name` holds the model and size, so a store built
 * with it refuses any other vector space (and one built with another refuses it).
 *
 * @example
 *   const embedder = new OpenAIEmbedder({ client: new OpenAI(), budget: gateEmbeddingBudget(gate) });
 *   const store = await SqliteMemoryStore.open({ file, embedder });
 */
export class OpenAIEmbedder implements Embedder {
  readonly name: string;
  readonly dimensions: number;
  readonly model: string;

  constructor(private readonly options: OpenAIEmbedderOptions) {
    ({ model: this.model, name: this.name, dimensions: this.dimensions } = openaiEmbeddingSpace(options.model, options.dimensions));
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += BATCH) out.push(...(await this.embedBatch(texts.slice(i, i + BATCH))));
    return out;
  }

  private async embedBatch(texts: string[]): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    // An empty string is refused by the API; it has no features either way.
    const input = texts.map((t) => (t.trim() === '' ? ' ' : t));
    const tokens = worstCaseEmbeddingTokens(input);
    const reservation = await this.options.budget.reserve({ model: this.model, usd: embeddingCostOf(this.model, tokens), tokens });
    let response: Awaited<ReturnType<OpenAI['embeddings']['create']>>;
    try {
      response = await this.options.client.embeddings.create({ model: this.model, input, ...(this.options.dimensions ? { dimensions: this.dimensions } : {}) });
    } catch (raw) {
      const err = classifyProviderError('openai', this.model, raw, [this.options.client.apiKey]);
      // Fail closed, as chat calls do: only a refusal proves nothing was billed.
      if (provedUnbilled(err)) await reservation.release();
      else await reservation.settle({ usd: embeddingCostOf(this.model, tokens), tokens });
      throw err;
    }
    const used = response.usage?.prompt_tokens;
    if (typeof used !== 'number') {
      await reservation.settle({ usd: embeddingCostOf(this.model, tokens), tokens });
      throw PantheonError.of('malformed_response', `openai ${this.model}: embeddings answer without usage; charged at its worst case`);
    }
    await reservation.settle({ usd: embeddingCostOf(this.model, used), tokens: used });
    const vectors = [...response.data].sort((a, b) => a.index - b.index).map((d) => Float32Array.from(d.embedding as number[]));
    if (vectors.length !== texts.length || vectors.some((v) => v.length !== this.dimensions)) {
      throw PantheonError.of('malformed_response', `openai ${this.model}: expected ${texts.length} vectors of ${this.dimensions} dimensions`);
    }
    return vectors;
  }
}
