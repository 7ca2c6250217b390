import { PantheonError } from '../errors';
import type { Usage } from './types';

/**
 * Provider usage blocks normalised to {@link Usage}. Missing usage fails closed: a call whose
 * cost cannot be known must not be treated as free.
 */

interface OpenAiUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number | null } | null;
}

interface AnthropicUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
}

function missing(provider: string, model: string): PantheonError {
  return PantheonError.of('missing_usage', `${provider} answered without usage for model "${model}"`, {
    details: { provider, model },
  });
}

/** OpenAI's prompt_tokens include the cached ones; split them out. */
export function fromOpenAiUsage(usage: OpenAiUsage | null | undefined, model: string): Usage {
  if (!usage || typeof usage.prompt_tokens !== 'number' || typeof usage.completion_tokens !== 'number') {
    throw missing('openai', model);
  }
  const cached = usage.prompt_tokens_details?.cached_tokens ?? 0;
  return {
    inputTokens: usage.prompt_tokens - cached,
    cachedInputTokens: cached,
    cacheWriteTokens: 0,
    outputTokens: usage.completion_tokens,
  };
}

/** Anthropic's input_tokens exclude cache reads and writes, which come as separate counts. */
export function fromAnthropicUsage(usage: AnthropicUsage | null | undefined, model: string): Usage {
  if (!usage || typeof usage.input_tokens !== 'number' || typeof usage.output_tokens !== 'number') {
    throw missing('anthropic', model);
  }
  return {
    inputTokens: usage.input_tokens,
    cachedInputTokens: usage.cache_read_input_tokens ?? 0,
    cacheWriteTokens: usage.cache_creation_input_tokens ?? 0,
    outputTokens: usage.output_tokens,
  };
}

export function totalTokens(usage: Usage): number {
  return usage.inputTokens + usage.cachedInputTokens + usage.cacheWriteTokens + usage.outputTokens;
}
