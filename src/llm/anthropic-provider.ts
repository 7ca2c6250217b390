import Anthropic from '@anthropic-ai/sdk';
import type { ChatRequest, LlmProvider } from './types';
import { classifyProviderError } from './provider-errors';
import { fromAnthropicUsage } from './usage';
import { apiRoot } from './base-url';
import { pantheonHeaders, type SdkProviderOptions } from './openai-provider';
import { callSignal } from './call-signal';

/** Messages API through the official @anthropic-ai/sdk. SDK retries are off: Temporal retries. */
export function createAnthropicProvider(options: SdkProviderOptions): LlmProvider {
  const client = new Anthropic({
    apiKey: options.apiKey,
    // The SDK appends /v1/messages itself.
    baseURL: options.baseURL ? apiRoot(options.baseURL) : undefined,
    timeout: options.timeoutMs,
    maxRetries: 0,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  return {
    name: 'anthropic',
    async complete(request: ChatRequest, signal?: AbortSignal) {
      const started = performance.now();
      const call = callSignal(signal);
      try {
        // Anthropic has no JSON mode; the prompts ask for one JSON object and zod checks it.
        const message = await client.messages.create(
          {
            model: request.model,
            max_tokens: request.maxOutputTokens,
            system: request.system,
            messages: request.messages,
          },
          { signal: call.signal, headers: pantheonHeaders(request) },
        );
        const text = message.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
        return {
          text,
          usage: fromAnthropicUsage(message.usage, request.model),
          model: request.model,
          latencyMs: performance.now() - started,
        };
      } catch (err) {
        throw classifyProviderError('anthropic', request.model, err, [options.apiKey]);
      } finally {
        call.done();
      }
    },
  };
}
