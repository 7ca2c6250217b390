import { z } from 'zod';
import { PantheonError } from '../errors';
import type { ProviderName, Usage } from './types';
import pricesFile from './prices.json';

const ModelPrice = z.object({
  provider: z.enum(['openai', 'anthropic']),
  input: z.number().nonnegative(),
  cachedInput: z.number().nonnegative(),
  cacheWrite: z.number().nonnegative().optional(),
  output: z.number().nonnegative(),
});
export type ModelPrice = z.infer<typeof ModelPrice>;

/** An embedding model: input tokens only, and its native vector size (the API may shorten it). */
const EmbeddingPrice = z.object({ provider: z.literal('openai'), input: z.number().positive(), dimensions: z.number().int().positive() });
export type EmbeddingPrice = z.infer<typeof EmbeddingPrice>;

const PriceTable = z.object({ pricedAt: z.string(), models: z.record(z.string(), ModelPrice), embeddings: z.record(z.string(), EmbeddingPrice).default({}) });
/** Tables built in code (tests) may leave out the embeddings. */
export type PriceTable = z.input<typeof PriceTable>;

/** The pinned table shipped in prices.json, validated once at load. */
export const PRICES = PriceTable.parse(pricesFile);

const PER_TOKEN = 1 / 1_000_000;

/** The price of a model, or a non-retryable failure: an unknown model is never free. */
export function priceOf(model: string, table: PriceTable = PRICES): ModelPrice {
  const price = table.models[model];
  if (!price) {
    throw PantheonError.of('unknown_price', `no pinned price for model "${model}" in src/llm/prices.json`, {
      details: { model },
    });
  }
  return price;
}

/** The price of an embedding model, or unknown_price: an unpriced embedding is never free either. */
export function embeddingPriceOf(model: string, table: PriceTable = PRICES): EmbeddingPrice {
  const price = table.embeddings?.[model];
  if (!price) throw PantheonError.of('unknown_price', `no pinned price for embedding model "${model}" in src/llm/prices.json`, { details: { model } });
  return price;
}

/** USD cost of embedding `tokens` input tokens. */
export function embeddingCostOf(model: string, tokens: number, table: PriceTable = PRICES): number {
  return tokens * embeddingPriceOf(model, table).input * PER_TOKEN;
}

/** The provider a model belongs to, as the price table says. */
export function providerOf(model: string, table: PriceTable = PRICES): ProviderName {
  return priceOf(model, table).provider;
}

/** USD cost of normalised usage. Cache writes fall back to the input price when unpriced. */
export function costOf(model: string, usage: Usage, table: PriceTable = PRICES): number {
  const price = priceOf(model, table);
  const usd =
    usage.inputTokens * price.input +
    usage.cachedInputTokens * price.cachedInput +
    usage.cacheWriteTokens * (price.cacheWrite ?? price.input) +
    usage.outputTokens * price.output;
  return usd * PER_TOKEN;
}

/** The most a call can cost: every prompt token uncached plus the whole output allowance. */
export function worstCaseCostOf(model: string, promptTokens: number, maxOutputTokens: number, table = PRICES): number {
  const price = priceOf(model, table);
  return (promptTokens * Math.max(price.input, price.cacheWrite ?? 0) + maxOutputTokens * price.output) * PER_TOKEN;
}
