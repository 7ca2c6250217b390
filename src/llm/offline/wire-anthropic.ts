import { z } from 'zod';
import { describeIssues, formatPath } from './issues';
import { flattenText, type WireError, type WireErrorKind, type WireFormat, type WireParse, type WireReply } from './wire';

/** The Anthropic Messages wire format, as the official `@anthropic-ai/sdk` sends and expects it. */

// cache_control and citations may ride along on text blocks; they do not change the text.
const TextBlock = z.object({ type: z.literal('text'), text: z.string() });
const Content = z.union([z.string(), z.array(TextBlock)]);

const RequestBody = z.object({
  model: z.string().min(1),
  max_tokens: z.number().int().min(1),
  messages: z.array(z.object({ role: z.enum(['user', 'assistant']), content: Content })).min(1),
  system: Content.optional(),
  stream: z.boolean().optional(),
});

function parse(body: unknown): WireParse {
  const parsed = RequestBody.safeParse(body);
  if (!parsed.success) {
    return { ok: false, message: describeIssues(parsed.error), field: formatPath(parsed.error.issues[0]?.path ?? []) };
  }
  const { model, max_tokens, messages, system, stream } = parsed.data;
  return {
    ok: true,
    request: {
      model,
      system: flattenText(system),
      messages: messages.map((m) => ({ role: m.role, content: flattenText(m.content) })),
      maxTokens: max_tokens,
      stream: stream === true,
    },
  };
}

function reply(r: WireReply): unknown {
  return {
    id: `msg_${r.id}`,
    type: 'message',
    role: 'assistant',
    model: r.model,
    content: [{ type: 'text', text: r.text, citations: null }],
    stop_reason: r.truncated ? 'max_tokens' : 'end_turn',
    stop_sequence: null,
    stop_details: null,
    container: null,
    diagnostics: null,
    // input_tokens excludes cache reads and writes; the offline provider never caches, so both are 0.
    usage: {
      input_tokens: r.inputTokens,
      output_tokens: r.outputTokens,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
      server_tool_use: null,
      service_tier: 'standard',
      inference_geo: null,
      output_tokens_details: null,
      speed: null,
    },
  };
}

interface ErrorShape {
  status: number;
  type: string;
  message: string;
  /** The SDK picks a specific error class by `details.error_code`. */
  errorCode?: string;
}

const ERRORS: Record<WireErrorKind, ErrorShape> = {
  invalid_request: { status: 400, type: 'invalid_request_error', message: 'Invalid request.' },
  not_found: { status: 404, type: 'not_found_error', message: 'Not found.' },
  rate_limit: {
    status: 429,
    type: 'rate_limit_error',
    message: 'This request would exceed the rate limit for your organization (offline provider). Please retry later.',
  },
  // The SDK maps 429 + enforced_spend_limit_reached to EnforcedSpendLimitReachedError (a RateLimitError).
  quota_exhausted: {
    status: 429,
    type: 'billing_error',
    message: 'You have reached your specified API usage limits. Your credit balance is too low to access the API.',
    errorCode: 'enforced_spend_limit_reached',
  },
  server_error: { status: 500, type: 'api_error', message: 'Internal server error' },
  unavailable: { status: 503, type: 'api_error', message: 'Service temporarily unavailable' },
  gateway_timeout: { status: 504, type: 'api_error', message: 'Gateway Timeout: the upstream did not answer in time' },
};

export const anthropicWire: WireFormat = {
  provider: 'anthropic',
  requestIdHeader: 'request-id',
  parse,
  reply,
  error(kind, requestId, detail = {}): WireError {
    const shape = ERRORS[kind];
    const headers: Record<string, string> = { 'request-id': requestId };
    if (kind === 'rate_limit') headers['retry-after'] = String(detail.retryAfterSeconds ?? 1);
    if (kind === 'quota_exhausted') headers['x-should-retry'] = 'false';
    const message = detail.message ?? shape.message;
    return {
      status: shape.status,
      headers,
      body: {
        type: 'error',
        error: {
          type: shape.type,
          message,
          ...(shape.errorCode ? { details: { error_code: shape.errorCode } } : {}),
        },
        request_id: requestId,
      },
    };
  },
};
