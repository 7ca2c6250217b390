import type { z } from 'zod';
import { PantheonError } from '../errors';
import { costOf, priceOf, PRICES, type PriceTable } from './pricing';
import type { ChatRequest, ChatResult, LlmClient, LlmProvider, ProviderName } from './types';

/**
 * The one door to every model: picks the provider the request names, refuses a model without a
 * pinned price before spending anything, and prices the reported usage.
 */
export function createLlmClient(providers: Record<ProviderName, LlmProvider>, prices: PriceTable = PRICES): LlmClient {
  return {
    async complete(request: ChatRequest, signal?: AbortSignal): Promise<ChatResult> {
      const price = priceOf(request.model, prices);
      if (price.provider !== request.provider) {
        throw PantheonError.of(
          'unknown_model',
          `model "${request.model}" belongs to ${price.provider}, not ${request.provider}`,
          // Refused before any request was sent: nothing can have been billed.
          { details: { model: request.model, provider: request.provider, billed: 'no' } },
        );
      }
      const answer = await providers[request.provider].complete(request, signal);
      return { ...answer, costUsd: costOf(request.model, answer.usage, prices) };
    },
  };
}

/** Real models often fence JSON in markdown; accept that, nothing looser. */
function unfence(text: string): string {
  const fenced = /^\s*```(?:json)?\s*([\s\S]*?)\s*```\s*$/.exec(text);
  return fenced ? fenced[1] : text.trim();
}

/**
 * Parses a structured answer with its zod schema. Broken JSON is `malformed_response`, JSON of the
 * wrong shape is `invalid_output`; both are retryable a bounded number of times by the activity.
 */
export function parseStructured<T>(result: ChatResult, schema: z.ZodType<T>, what: string): T {
  let json: unknown;
  try {
    json = JSON.parse(unfence(result.text));
  } catch {
    throw PantheonError.of('malformed_response', `${what}: the model's answer is not valid JSON`, {
      details: { model: result.model, excerpt: result.text.slice(0, 200) },
    });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw PantheonError.of('invalid_output', `${what}: the model's answer does not fit the schema (${issues.join('; ')})`, {
      details: { model: result.model, issues },
    });
  }
  return parsed.data;
}
