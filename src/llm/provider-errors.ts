import { PantheonError, type Billed } from '../errors';
import { scrubSecrets } from './scrub-secrets';
import type { ProviderName } from './types';

/**
 * Maps whatever the openai or @anthropic-ai/sdk client threw onto the failure taxonomy. Both SDKs
 * share one error shape (status, headers, error body, class names), so one classifier serves both.
 *
 * It also records what the failure proves about billing (`details.billed`, see Billed): the
 * budget releases a reservation only on that proof and charges the worst case otherwise.
 */

interface SdkLikeError {
  name?: string;
  status?: number;
  headers?: { get(name: string): string | null } | Record<string, string>;
  code?: string | null;
  error?: unknown;
  message?: string;
  constructor?: { name?: string };
}

function header(err: SdkLikeError, name: string): string | undefined {
  const headers = err.headers;
  if (!headers) return undefined;
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  return (headers as Record<string, string>)[name];
}

/** retry-after is seconds (or an HTTP date); retry-after-ms is OpenAI's finer variant. */
export function retryAfterMs(err: SdkLikeError, now = Date.now()): number | undefined {
  const ms = header(err, 'retry-after-ms');
  if (ms && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const value = header(err, 'retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** A 429 that no wait cures: an exhausted quota or spend cap. */
function isQuotaExhausted(err: SdkLikeError): boolean {
  const text = `${err.code ?? ''} ${JSON.stringify(err.error ?? '')} ${err.message ?? ''}`.toLowerCase();
  return /insufficient_quota|billing|credit balance|spend(ing)? (cap|limit)|quota exceeded/.test(text);
}

/**
 * An HTTP error status is the one proof that nothing was billed: the SDKs raise a status only when
 * the provider answered with one, and 4xx (a refusal, 429 included) and 5xx come before any
 * generation. Timeouts are the exception: 408 (the provider timed out on a request it may have
 * been serving) and 504 (a gateway in front of it, OPENAI_BASE_URL's proxy say, gave up waiting
 * while the provider may have been generating). No status (a timeout, an abort, a reset, an
 * unparseable answer, an unknown throw) proves nothing.
 */
const MAY_HAVE_BEEN_SERVED = new Set([408, 504]);

export function billedFor(status: unknown): Billed {
  return typeof status === 'number' && status >= 400 && status <= 599 && !MAY_HAVE_BEEN_SERVED.has(status) ? 'no' : 'maybe';
}

/**
 * A 404 is about the model only when the provider says so (OpenAI's `model_not_found`, or the
 * model's name in the message). A gateway's or a wrong path's 404 names neither, and must not
 * dead-letter every task as an unknown model.
 */
function namesTheModel(err: SdkLikeError, model: string): boolean {
  const text = `${err.code ?? ''} ${JSON.stringify(err.error ?? '')} ${err.message ?? ''}`;
  return /model_not_found/.test(text) || (model.length > 0 && text.includes(model));
}

/** The caller's AbortSignal fired: the SDKs' APIUserAbortError, or fetch's own AbortError. */
function isAbort(className: string, err: SdkLikeError): boolean {
  return className === 'APIUserAbortError' || err.name === 'AbortError';
}

/** Socket errors raised before a connection existed: a request cannot have reached anyone. */
const NEVER_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);

/** The code, when the error (or one of its causes: the SDK's wraps fetch's, which wraps the socket's) says no connection was ever made. */
function neverConnected(raw: unknown): string | undefined {
  let at: unknown = raw;
  for (let depth = 0; at && depth < 6; depth += 1) {
    const code = (at as { code?: unknown }).code;
    if (typeof code === 'string' && NEVER_CONNECTED.has(code)) return code;
    at = (at as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * `secrets`: the API key the call was made with; it is taken out of the message (with anything
 * shaped like a key, src/llm/scrub-secrets.ts), and an error whose text held one keeps no cause
 * (the SDK's error still says it).
 */
export function classifyProviderError(provider: ProviderName, model: string, raw: unknown, secrets: readonly (string | undefined)[] = []): PantheonError {
  if (raw instanceof PantheonError) return raw;
  const err = (raw ?? {}) as SdkLikeError;
  const className = err.constructor?.name ?? err.name ?? 'Error';
  const details = { provider, model, status: err.status ?? null, error: className, billed: billedFor(err.status) };
  const said = err.message ?? String(raw);
  const scrubbed = scrubSecrets(said, secrets);
  const message = `${provider} ${model}: ${scrubbed}`;
  const cause = scrubbed === said ? raw : undefined;
  const of = (type: Parameters<typeof PantheonError.of>[0], extra: { retryAfterMs?: number } = {}) =>
    PantheonError.of(type, message, { details, cause, ...extra });

  if (isAbort(className, err)) return of('cancelled');
  const unsent = neverConnected(raw);
  if (unsent) {
    // Nothing listened at the address (or it did not resolve): no request left this host, so
    // nothing was billed, whatever the SDK calls it ("Connection error.").
    return PantheonError.of('provider_unavailable', `${message} (${unsent}: no request was sent)`, { details: { ...details, billed: 'no', code: unsent }, cause });
  }
  if (/Timeout/i.test(className)) return of('provider_timeout');
  if (/ConnectionError/.test(className) || /ECONNRESET|socket hang up|terminated/i.test(err.message ?? '')) {
    return of('connection_reset');
  }
  if (className === 'SyntaxError' || /JSON/i.test(err.message ?? '') && err.status === undefined) {
    return of('malformed_response');
  }
  switch (err.status) {
    case 429:
      return isQuotaExhausted(err) ? of('quota_exhausted') : of('rate_limited', { retryAfterMs: retryAfterMs(err) });
    case 401:
    case 403:
      return of('auth_failed');
    case 402:
      return of('quota_exhausted');
    case 404:
      return namesTheModel(err, model)
        ? of('unknown_model')
        : PantheonError.of('config_invalid', `${message} (a 404 that does not name the model: the base URL path looks wrong; ` +
            `check ${provider === 'openai' ? 'OPENAI_BASE_URL' : 'ANTHROPIC_BASE_URL'}, given as the API root with or without /v1)`, {
            details: { ...details, variable: provider === 'openai' ? 'OPENAI_BASE_URL' : 'ANTHROPIC_BASE_URL' },
            cause,
          });
    case 408:
    // A gateway that gave up waiting on the provider: a timeout from either SDK (Anthropic's names
    // its class GatewayTimeoutError; openai's called it provider_unavailable until 2026-12-06).
    case 504:
      return of('provider_timeout');
    case 400:
    case 413:
    case 422:
      return of('provider_rejected');
  }
  if (typeof err.status === 'number' && err.status >= 500) return of('provider_unavailable');
  // Unplaceable: retryable like an outage, but with no status it proves nothing about billing.
  return of('provider_unavailable');
}
