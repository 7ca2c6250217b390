import OpenAI from 'openai';
import { PANTHEON_HEADERS, type ChatRequest, type LlmProvider } from './types';
import { classifyProviderError } from './provider-errors';
import { fromOpenAiUsage } from './usage';
import { apiRoot } from './base-url';
import { callSignal } from './call-signal';

export interface SdkProviderOptions {
  apiKey: string;
  /** The offline provider's URL or a compatible gateway, with or without /v1; unset means the vendor. */
  baseURL?: string;
  /** Per-request timeout; a hang becomes a retryable provider_timeout. */
  timeoutMs: number;
  /** The fetch the SDK uses (default: the global one); tests under jest pass a realm-safe wrapper. */
  fetch?: typeof fetch;
}

/** Chat Completions through the official openai SDK. SDK retries are off: Temporal retries. */
export function createOpenAiProvider(options: SdkProviderOptions): LlmProvider {
  const client = new OpenAI({
    apiKey: options.apiKey,
    baseURL: options.baseURL ? `${apiRoot(options.baseURL)}/v1` : undefined,
    timeout: options.timeoutMs,
    maxRetries: 0,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  return {
    name: 'openai',
    async complete(request: ChatRequest, signal?: AbortSignal) {
      const started = performance.now();
      const call = callSignal(signal);
      try {
        const completion = await client.chat.completions.create(
          {
            model: request.model,
            max_completion_tokens: request.maxOutputTokens,
            messages: [{ role: 'system', content: request.system }, ...request.messages],
            ...(request.json ? { response_format: { type: 'json_object' as const } } : {}),
          },
          { signal: call.signal, headers: pantheonHeaders(request) },
        );
        return {
          text: completion.choices[0]?.message?.content ?? '',
          usage: fromOpenAiUsage(completion.usage, request.model),
          model: request.model,
          latencyMs: performance.now() - started,
        };
      } catch (err) {
        throw classifyProviderError('openai', request.model, err, [options.apiKey]);
      } finally {
        call.done();
      }
    },
  };
}

export function pantheonHeaders(request: ChatRequest): Record<string, string> {
  const headers: Record<string, string> = { [PANTHEON_HEADERS.purpose]: request.purpose };
  if (request.agent) headers[PANTHEON_HEADERS.agent] = request.agent;
  if (request.taskId) headers[PANTHEON_HEADERS.task] = request.taskId;
  if (request.lane) headers[PANTHEON_HEADERS.lane] = request.lane;
  if (request.lineage) {
    headers[PANTHEON_HEADERS.root] = request.lineage.rootTaskId;
    headers[PANTHEON_HEADERS.depth] = String(request.lineage.spawnDepth);
    if (request.lineage.parentTaskId) headers[PANTHEON_HEADERS.parent] = request.lineage.parentTaskId;
  }
  return headers;
}
