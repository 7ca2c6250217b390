import { worstCaseCostOf } from '../llm/pricing';
import { countPromptTokens } from '../llm/tokens';
import type { ChatRequest } from '../llm/types';

export interface Amount {
  usd: number;
  tokens: number;
}

/**
 * The most a call can spend: every prompt token (counted with the provider's tokenizer, or a
 * conservative bound of it: src/llm/tokens.ts) plus the whole output allowance, priced at the
 * dearest input rate. An unknown model throws `unknown_price` (a call nobody can price is never
 * reserved as free).
 */
export function worstCaseOf(request: Pick<ChatRequest, 'provider' | 'model' | 'system' | 'messages' | 'maxOutputTokens'>): Amount {
  const promptTokens = countPromptTokens(request.system, request.messages, request.provider);
  return {
    usd: worstCaseCostOf(request.model, promptTokens, request.maxOutputTokens),
    tokens: promptTokens + request.maxOutputTokens,
  };
}
