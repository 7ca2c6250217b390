import { SpanKind, SpanStatusCode, type Attributes, type Tracer } from '@opentelemetry/api';
import { isPantheonError } from '../errors';
import { totalTokens } from '../llm/usage';
import type { ChatRequest } from '../llm/types';
import type { LlmSpan } from './types';

/** Longest error message put on a span's status: a provider's error can carry its whole response body. */
const MAX_MESSAGE = 512;

function requestAttributes(request: ChatRequest, reserved: { usd: number; tokens: number }): Attributes {
  return {
    'gen_ai.operation.name': 'chat',
    'gen_ai.system': request.provider,
    'gen_ai.request.model': request.model,
    'gen_ai.request.max_tokens': request.maxOutputTokens,
    'pantheon.purpose': request.purpose,
    'pantheon.specialist': request.agent,
    'pantheon.task_id': request.taskId,
    'pantheon.root_task_id': request.lineage?.rootTaskId,
    'pantheon.lane': request.lane ?? 'main',
    'pantheon.reserved_usd': reserved.usd,
    'pantheon.reserved_tokens': reserved.tokens,
  };
}

/**
 * One span per model call, under the active span (the activity's RunActivity), from after the
 * reservation to the answer or failure: the provider's latency, and what the call used and cost.
 * Attribute names follow the OpenTelemetry GenAI conventions where they exist (gen_ai.*); cost,
 * budget and attribution are Pantheon's own (pantheon.*). Prompts and answers are never attached.
 */
export function startLlmSpan(tracer: Tracer, request: ChatRequest, reserved: { usd: number; tokens: number }): LlmSpan {
  const span = tracer.startSpan(`chat ${request.model}`, { kind: SpanKind.CLIENT, attributes: requestAttributes(request, reserved) });
  return {
    succeeded(result) {
      const { inputTokens, cachedInputTokens, cacheWriteTokens, outputTokens } = result.usage;
      span.setAttributes({
        'gen_ai.response.model': result.model,
        // The conventions count every prompt token as input, cached or not.
        'gen_ai.usage.input_tokens': inputTokens + cachedInputTokens + cacheWriteTokens,
        'gen_ai.usage.output_tokens': outputTokens,
        'pantheon.usage.cached_input_tokens': cachedInputTokens,
        'pantheon.tokens': totalTokens(result.usage),
        'pantheon.cost_usd': result.costUsd,
        'pantheon.outcome': 'ok',
      });
      span.end();
    },
    failed(err, charged) {
      const message = err instanceof Error ? err.message : String(err);
      span.setAttributes({
        'error.type': isPantheonError(err) ? err.type : err instanceof Error ? err.name : 'unknown',
        'pantheon.billed': charged.billed,
        'pantheon.tokens': charged.tokens,
        'pantheon.cost_usd': charged.usd,
        'pantheon.outcome': 'error',
      });
      span.setStatus({ code: SpanStatusCode.ERROR, message: message.slice(0, MAX_MESSAGE) });
      span.end();
    },
  };
}
