import type { ChatMessage, ProviderName } from '../types';

/** What the two wire formats have in common once parsed, and what each must be able to render. */

export interface WireRequest {
  model: string;
  system: string;
  messages: ChatMessage[];
  maxTokens?: number;
  stream: boolean;
}

export type WireParse = { ok: true; request: WireRequest } | { ok: false; message: string; field: string };

export interface WireReply {
  /** Unique per server and call; each format adds its own prefix. */
  id: string;
  model: string;
  text: string;
  inputTokens: number;
  outputTokens: number;
  /** The answer hit max_tokens. */
  truncated: boolean;
}

export type WireErrorKind =
  | 'invalid_request'
  | 'not_found'
  | 'rate_limit'
  | 'quota_exhausted'
  | 'server_error'
  | 'unavailable'
  /** 504 from a gateway in front of the provider: it gave up waiting (the provider may have generated). */
  | 'gateway_timeout';

export interface WireError {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

export interface WireFormat {
  readonly provider: ProviderName;
  /** The response header each provider uses for its request id. */
  readonly requestIdHeader: string;
  parse(body: unknown): WireParse;
  reply(reply: WireReply): unknown;
  error(kind: WireErrorKind, requestId: string, detail?: { message?: string; field?: string; retryAfterSeconds?: number }): WireError;
}

/** Both providers accept a string or an array of text blocks wherever text goes. */
export type TextContent = string | ReadonlyArray<{ text: string }>;

export function flattenText(content: TextContent | null | undefined): string {
  if (content === null || content === undefined) return '';
  return typeof content === 'string' ? content : content.map((block) => block.text).join('\n');
}

/** Ids are unique per server instance and ordered by call, so they stay readable in a log. */
export function offlineId(instance: string, seq: number): string {
  return `off${instance}${seq.toString(36).padStart(6, '0')}`;
}
