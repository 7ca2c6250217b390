import { z } from 'zod';
import type { ChatMessage } from '../types';
import { describeIssues, formatPath } from './issues';
import { flattenText, type WireError, type WireErrorKind, type WireFormat, type WireParse, type WireReply } from './wire';

/** The OpenAI Chat Completions wire format, as the official `openai` SDK sends and expects it. */

const TextPart = z.object({ type: z.literal('text'), text: z.string() });
const Content = z.union([z.string(), z.array(TextPart)]);

const RequestBody = z.object({
  model: z.string().min(1),
  messages: z
    .array(
      z.object({
        role: z.enum(['system', 'developer', 'user', 'assistant']),
        content: Content.nullish(),
      }),
    )
    .min(1),
  max_tokens: z.number().int().min(1).nullish(),
  max_completion_tokens: z.number().int().min(1).nullish(),
  stream: z.boolean().nullish(),
});

function parse(body: unknown): WireParse {
  const parsed = RequestBody.safeParse(body);
  if (!parsed.success) {
    return { ok: false, message: describeIssues(parsed.error), field: formatPath(parsed.error.issues[0]?.path ?? []) };
  }
  const { model, messages, max_tokens, max_completion_tokens, stream } = parsed.data;
  // System and developer turns are the system prompt; Pantheon sends exactly one, first.
  const system = messages
    .filter((m) => m.role === 'system' || m.role === 'developer')
    .map((m) => flattenText(m.content))
    .join('\n');
  const chat: ChatMessage[] = messages.flatMap((m) =>
    m.role === 'user' || m.role === 'assistant' ? [{ role: m.role, content: flattenText(m.content) }] : [],
  );
  return {
    ok: true,
    request: {
      model,
      system,
      messages: chat,
      maxTokens: max_completion_tokens ?? max_tokens ?? undefined,
      stream: stream === true,
    },
  };
}

function reply(r: WireReply): unknown {
  return {
    id: `chatcmpl-${r.id}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: r.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: r.text, refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: r.truncated ? 'length' : 'stop',
      },
    ],
    usage: {
      prompt_tokens: r.inputTokens,
      completion_tokens: r.outputTokens,
      total_tokens: r.inputTokens + r.outputTokens,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    },
    service_tier: 'default',
    system_fingerprint: 'fp_offline',
  };
}

interface ErrorShape {
  status: number;
  message: string;
  type: string;
  code: string | null;
}

// Wording and codes follow what api.openai.com returns, since callers branch on `code`.
const ERRORS: Record<WireErrorKind, ErrorShape> = {
  invalid_request: { status: 400, message: 'Invalid request.', type: 'invalid_request_error', code: null },
  not_found: { status: 404, message: 'Unknown request URL.', type: 'invalid_request_error', code: 'unknown_url' },
  rate_limit: {
    status: 429,
    message: 'Rate limit reached for requests (offline provider). Please try again later.',
    type: 'requests',
    code: 'rate_limit_exceeded',
  },
  quota_exhausted: {
    status: 429,
    message: 'You exceeded your current quota, please check your plan and billing details.',
    type: 'insufficient_quota',
    code: 'insufficient_quota',
  },
  server_error: {
    status: 500,
    message: 'The server had an error while processing your request. Sorry about that!',
    type: 'server_error',
    code: null,
  },
  unavailable: {
    status: 503,
    message: 'The server is overloaded or not ready yet.',
    type: 'server_error',
    code: 'service_unavailable',
  },
  gateway_timeout: {
    status: 504,
    message: 'Gateway Timeout: the upstream did not answer in time.',
    type: 'server_error',
    code: null,
  },
};

export const openaiWire: WireFormat = {
  provider: 'openai',
  requestIdHeader: 'x-request-id',
  parse,
  reply,
  error(kind, requestId, detail = {}): WireError {
    const shape = ERRORS[kind];
    const headers: Record<string, string> = { 'x-request-id': requestId };
    if (kind === 'rate_limit') headers['retry-after'] = String(detail.retryAfterSeconds ?? 1);
    // A quota does not refill by retrying; say so, so the SDK's own retry loop gives up at once.
    if (kind === 'quota_exhausted') headers['x-should-retry'] = 'false';
    return {
      status: shape.status,
      headers,
      body: {
        error: {
          message: detail.message ?? shape.message,
          type: shape.type,
          param: detail.field ?? null,
          code: shape.code,
        },
      },
    };
  },
};
