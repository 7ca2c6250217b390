import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { ERROR_TYPES, PantheonError, type ErrorType } from '../../src/errors';
import { billedFor, classifyProviderError, retryAfterMs } from '../../src/llm/provider-errors';

const NOW = Date.parse('2026-11-01T12:00:00.000Z');

/** The `error` object of an OpenAI error body: what the SDK's error constructors take. */
function openAiError(message: string, code: string | null, type: string) {
  return { message, code, type, param: null };
}

/** A whole OpenAI error response body: what APIError.generate takes. */
function openAiBody(message: string, code: string | null, type: string) {
  return { error: openAiError(message, code, type) };
}

function anthropicBody(type: string, message: string) {
  return { type: 'error', error: { type, message } };
}

/** What classifyProviderError must produce, checked against the taxonomy as well. */
function expectClassified(err: PantheonError, type: ErrorType, retryable: boolean): void {
  expect(err).toBeInstanceOf(PantheonError);
  expect(err.type).toBe(type);
  expect(err.retryable).toBe(retryable);
  expect(err.retryable).toBe(ERROR_TYPES[type].retryable);
}

describe('classifyProviderError with openai SDK errors', () => {
  afterEach(() => jest.restoreAllMocks());

  it('classifies a 429 as rate_limited and honours retry-after seconds', () => {
    const raw = new OpenAI.RateLimitError(
      429,
      openAiError('Rate limit reached for gpt-4.1-mini on tokens per min (TPM)', 'rate_limit_exceeded', 'tokens'),
      undefined,
      new Headers({ 'retry-after': '2' }),
    );
    const err = classifyProviderError('openai', 'gpt-4.1-mini', raw);
    expectClassified(err, 'rate_limited', true);
    expect(err.retryAfterMs).toBe(2000);
    expect(err.details).toEqual({ provider: 'openai', model: 'gpt-4.1-mini', status: 429, error: 'RateLimitError', billed: 'no' });
    expect(err.message).toBe('openai gpt-4.1-mini: 429 Rate limit reached for gpt-4.1-mini on tokens per min (TPM)');
    expect(err.cause).toBe(raw);
  });

  it('prefers the finer retry-after-ms header over retry-after', () => {
    const raw = new OpenAI.RateLimitError(
      429,
      openAiError('Rate limit reached', 'rate_limit_exceeded', 'requests'),
      undefined,
      new Headers({ 'retry-after-ms': '1500', 'retry-after': '9' }),
    );
    const err = classifyProviderError('openai', 'gpt-4.1', raw);
    expectClassified(err, 'rate_limited', true);
    expect(err.retryAfterMs).toBe(1500);
  });

  it('reads retry-after given as an HTTP date', () => {
    jest.spyOn(Date, 'now').mockReturnValue(NOW);
    const raw = new OpenAI.RateLimitError(
      429,
      openAiError('Rate limit reached', 'rate_limit_exceeded', 'requests'),
      undefined,
      new Headers({ 'retry-after': new Date(NOW + 5_000).toUTCString() }),
    );
    const err = classifyProviderError('openai', 'gpt-4.1', raw);
    expectClassified(err, 'rate_limited', true);
    expect(err.retryAfterMs).toBe(5000);
  });

  it('leaves retryAfterMs unset on a 429 without retry headers', () => {
    const raw = OpenAI.APIError.generate(429, openAiBody('Rate limit reached', 'rate_limit_exceeded', 'requests'), undefined, new Headers());
    expect(raw).toBeInstanceOf(OpenAI.RateLimitError);
    const err = classifyProviderError('openai', 'gpt-4.1', raw);
    expectClassified(err, 'rate_limited', true);
    expect(err.retryAfterMs).toBeUndefined();
  });

  it('classifies an insufficient_quota 429 as quota_exhausted, not retryable, ignoring retry-after', () => {
    const raw = OpenAI.APIError.generate(
      429,
      openAiBody('You exceeded your current quota, please check your plan and billing details.', 'insufficient_quota', 'insufficient_quota'),
      undefined,
      new Headers({ 'retry-after': '20' }),
    );
    const err = classifyProviderError('openai', 'gpt-4.1', raw);
    expectClassified(err, 'quota_exhausted', false);
    expect(err.retryAfterMs).toBeUndefined();
    expect(err.details).toEqual({ provider: 'openai', model: 'gpt-4.1', status: 429, error: 'RateLimitError', billed: 'no' });
  });

  it('recognises an exhausted quota by its code alone', () => {
    const raw = new OpenAI.RateLimitError(429, { code: 'insufficient_quota' }, undefined, new Headers());
    expectClassified(classifyProviderError('openai', 'gpt-4.1', raw), 'quota_exhausted', false);
  });

  it('classifies a 401 as auth_failed, not retryable', () => {
    const raw = OpenAI.APIError.generate(401, openAiBody('Incorrect API key provided: sk-abc***xyz.', 'invalid_api_key', 'invalid_request_error'), undefined, new Headers());
    expect(raw).toBeInstanceOf(OpenAI.AuthenticationError);
    const err = classifyProviderError('openai', 'gpt-4.1', raw);
    expectClassified(err, 'auth_failed', false);
    expect(err.category).toBe('system');
  });

  it('classifies a 403 as auth_failed', () => {
    const raw = OpenAI.APIError.generate(403, openAiBody('Project does not have access', null, 'invalid_request_error'), undefined, new Headers());
    expect(raw).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expectClassified(classifyProviderError('openai', 'gpt-4.1', raw), 'auth_failed', false);
  });

  it('classifies a 404 as unknown_model, not retryable', () => {
    const raw = OpenAI.APIError.generate(
      404,
      openAiBody('The model `gpt-5-imaginary` does not exist or you do not have access to it.', 'model_not_found', 'invalid_request_error'),
      undefined,
      new Headers(),
    );
    expect(raw).toBeInstanceOf(OpenAI.NotFoundError);
    const err = classifyProviderError('openai', 'gpt-5-imaginary', raw);
    expectClassified(err, 'unknown_model', false);
    expect(err.details).toEqual({ provider: 'openai', model: 'gpt-5-imaginary', status: 404, error: 'NotFoundError', billed: 'no' });
  });

  it('classifies a 500 and a 503 as provider_unavailable, retryable', () => {
    for (const status of [500, 502, 503]) {
      const raw = OpenAI.APIError.generate(status, openAiBody('The server had an error', null, 'server_error'), undefined, new Headers());
      expect(raw).toBeInstanceOf(OpenAI.InternalServerError);
      const err = classifyProviderError('openai', 'gpt-4.1', raw);
      expectClassified(err, 'provider_unavailable', true);
      expect(err.details.status).toBe(status);
    }
  });

  it('classifies 400, 413 and 422 as provider_rejected, not retryable', () => {
    for (const status of [400, 413, 422]) {
      const raw = OpenAI.APIError.generate(status, openAiBody('Invalid value for messages', null, 'invalid_request_error'), undefined, new Headers());
      expectClassified(classifyProviderError('openai', 'gpt-4.1', raw), 'provider_rejected', false);
    }
  });

  it('classifies APIConnectionTimeoutError as provider_timeout, retryable', () => {
    const err = classifyProviderError('openai', 'gpt-4.1', new OpenAI.APIConnectionTimeoutError());
    expectClassified(err, 'provider_timeout', true);
    expect(err.details).toEqual({ provider: 'openai', model: 'gpt-4.1', status: null, error: 'APIConnectionTimeoutError', billed: 'maybe' });
    expect(err.message).toBe('openai gpt-4.1: Request timed out.');
  });

  it('classifies APIConnectionError as connection_reset, retryable', () => {
    const raw = new OpenAI.APIConnectionError({ message: 'Connection error.', cause: new Error('read ECONNRESET') });
    const err = classifyProviderError('openai', 'gpt-4.1', raw);
    expectClassified(err, 'connection_reset', true);
    expect(err.details).toEqual({ provider: 'openai', model: 'gpt-4.1', status: null, error: 'APIConnectionError', billed: 'maybe' });
  });

  it('turns a status-less APIError.generate into connection_reset', () => {
    const raw = OpenAI.APIError.generate(undefined, new Error('socket hang up'), 'Connection error.', undefined);
    expect(raw).toBeInstanceOf(OpenAI.APIConnectionError);
    expectClassified(classifyProviderError('openai', 'gpt-4.1', raw), 'connection_reset', true);
  });
});

describe('classifyProviderError with @anthropic-ai/sdk errors', () => {
  it('classifies a 429 as rate_limited with retry-after', () => {
    const raw = new Anthropic.RateLimitError(
      429,
      anthropicBody('rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit'),
      undefined,
      new Headers({ 'retry-after': '2' }),
    );
    const err = classifyProviderError('anthropic', 'claude-haiku-4-5', raw);
    expectClassified(err, 'rate_limited', true);
    expect(err.retryAfterMs).toBe(2000);
    expect(err.details).toEqual({ provider: 'anthropic', model: 'claude-haiku-4-5', status: 429, error: 'RateLimitError', billed: 'no' });
  });

  it('classifies a spend-limit 429 as quota_exhausted', () => {
    const raw = Anthropic.APIError.generate(
      429,
      anthropicBody('rate_limit_error', 'You have reached your specified workspace API spend limit.'),
      undefined,
      new Headers({ 'retry-after': '60' }),
    );
    expectClassified(classifyProviderError('anthropic', 'claude-haiku-4-5', raw), 'quota_exhausted', false);
  });

  it('classifies a 402 as quota_exhausted', () => {
    const raw = Anthropic.APIError.generate(402, anthropicBody('billing_error', 'Payment required'), undefined, new Headers());
    expect(raw).toBeInstanceOf(Anthropic.PaymentRequiredError);
    expectClassified(classifyProviderError('anthropic', 'claude-haiku-4-5', raw), 'quota_exhausted', false);
  });

  it('classifies a 401 as auth_failed', () => {
    const raw = Anthropic.APIError.generate(401, anthropicBody('authentication_error', 'invalid x-api-key'), undefined, new Headers());
    expect(raw).toBeInstanceOf(Anthropic.AuthenticationError);
    expectClassified(classifyProviderError('anthropic', 'claude-sonnet-4-6', raw), 'auth_failed', false);
  });

  it('classifies a 404 as unknown_model', () => {
    const raw = Anthropic.APIError.generate(404, anthropicBody('not_found_error', 'model: claude-imaginary'), undefined, new Headers());
    expect(raw).toBeInstanceOf(Anthropic.NotFoundError);
    expectClassified(classifyProviderError('anthropic', 'claude-imaginary', raw), 'unknown_model', false);
  });

  it('classifies 500, 503 and 529 (overloaded) as provider_unavailable, retryable', () => {
    const cases: Array<[number, unknown]> = [
      [500, Anthropic.InternalServerError],
      [503, Anthropic.ServiceUnavailableError],
      [529, Anthropic.OverloadedError],
    ];
    for (const [status, cls] of cases) {
      const raw = Anthropic.APIError.generate(status, anthropicBody('api_error', 'Internal server error'), undefined, new Headers());
      expect(raw).toBeInstanceOf(cls as new (...args: never[]) => unknown);
      const err = classifyProviderError('anthropic', 'claude-sonnet-4-6', raw);
      expectClassified(err, 'provider_unavailable', true);
      expect(err.details.status).toBe(status);
    }
  });

  it('classifies a 400 invalid request as provider_rejected', () => {
    const raw = Anthropic.APIError.generate(400, anthropicBody('invalid_request_error', 'max_tokens: must be positive'), undefined, new Headers());
    expectClassified(classifyProviderError('anthropic', 'claude-sonnet-4-6', raw), 'provider_rejected', false);
  });

  it('classifies the timeout errors as provider_timeout', () => {
    expectClassified(classifyProviderError('anthropic', 'claude-haiku-4-5', new Anthropic.APIConnectionTimeoutError()), 'provider_timeout', true);
    const requestTimeout = Anthropic.APIError.generate(408, anthropicBody('timeout_error', 'Request timed out'), undefined, new Headers());
    expect(requestTimeout).toBeInstanceOf(Anthropic.RequestTimeoutError);
    expectClassified(classifyProviderError('anthropic', 'claude-haiku-4-5', requestTimeout), 'provider_timeout', true);
  });

  it('classifies APIConnectionError as connection_reset', () => {
    const raw = new Anthropic.APIConnectionError({ message: 'Connection error.', cause: new Error('ECONNREFUSED') });
    const err = classifyProviderError('anthropic', 'claude-haiku-4-5', raw);
    expectClassified(err, 'connection_reset', true);
    expect(err.details.error).toBe('APIConnectionError');
  });
});

describe('classifyProviderError with other throwables', () => {
  it('passes a PantheonError through untouched', () => {
    const original = PantheonError.of('missing_usage', 'no usage');
    expect(classifyProviderError('openai', 'gpt-4.1', original)).toBe(original);
  });

  it('classifies a raw socket reset as connection_reset', () => {
    expectClassified(classifyProviderError('openai', 'gpt-4.1', new Error('read ECONNRESET')), 'connection_reset', true);
    expectClassified(classifyProviderError('openai', 'gpt-4.1', new TypeError('terminated')), 'connection_reset', true);
  });

  it('classifies unparseable JSON as malformed_response, retryable', () => {
    let syntax: unknown;
    try {
      JSON.parse('{"id": ');
    } catch (err) {
      syntax = err;
    }
    const err = classifyProviderError('anthropic', 'claude-haiku-4-5', syntax);
    expectClassified(err, 'malformed_response', true);
    expect(err.details.error).toBe('SyntaxError');
  });

  it('classifies an abort as cancelled, not retryable and maybe billed, from either SDK or fetch itself', () => {
    for (const raw of [new OpenAI.APIUserAbortError(), new Anthropic.APIUserAbortError(), new DOMException('This operation was aborted', 'AbortError')]) {
      const err = classifyProviderError('openai', 'gpt-4.1', raw);
      expectClassified(err, 'cancelled', false);
      expect(err.details.billed).toBe('maybe');
    }
  });

  it('falls back to provider_unavailable for anything it cannot place, which proves nothing about billing', () => {
    expectClassified(classifyProviderError('openai', 'gpt-4.1', new Error('something odd')), 'provider_unavailable', true);
    expect(classifyProviderError('openai', 'gpt-4.1', new Error('something odd')).details.billed).toBe('maybe');
    const fromString = classifyProviderError('openai', 'gpt-4.1', 'boom');
    expectClassified(fromString, 'provider_unavailable', true);
    expect(fromString.message).toBe('openai gpt-4.1: boom');
    expectClassified(classifyProviderError('openai', 'gpt-4.1', undefined), 'provider_unavailable', true);
  });
});

describe('billedFor: what a failure proves about billing', () => {
  it('proves nothing was billed only for an HTTP error status other than the timeouts 408 and 504', () => {
    for (const status of [400, 401, 402, 403, 404, 409, 413, 422, 429, 500, 502, 503, 529]) expect({ status, billed: billedFor(status) }).toEqual({ status, billed: 'no' });
    for (const status of [408, 504, 200, 302, undefined, null, '500']) expect({ status, billed: billedFor(status) }).toEqual({ status, billed: 'maybe' });
  });

  it("charges a gateway's 504 from either SDK at the worst case: the provider behind it may have been generating", () => {
    const fromAnthropic = Anthropic.APIError.generate(504, anthropicBody('api_error', 'Gateway Timeout'), undefined, new Headers());
    const fromOpenai = OpenAI.APIError.generate(504, { error: { message: 'Gateway Timeout', type: 'server_error' } }, undefined, new Headers());
    for (const [provider, raw] of [['anthropic', fromAnthropic], ['openai', fromOpenai]] as const) {
      const err = classifyProviderError(provider, 'some-model', raw);
      // One label from either SDK: a timeout (of the gateway's), not an outage.
      expect({ provider, type: err.type, billed: err.details.billed, retryable: err.retryable }).toEqual({ provider, type: 'provider_timeout', billed: 'maybe', retryable: true });
    }
  });
});

describe('retryAfterMs', () => {
  const withHeaders = (headers: Record<string, string>) => ({ headers: new Headers(headers) });

  it('reads whole and fractional seconds', () => {
    expect(retryAfterMs(withHeaders({ 'retry-after': '2' }), NOW)).toBe(2000);
    expect(retryAfterMs(withHeaders({ 'retry-after': '0.25' }), NOW)).toBe(250);
    expect(retryAfterMs(withHeaders({ 'retry-after': '0' }), NOW)).toBe(0);
  });

  it('reads retry-after-ms first', () => {
    expect(retryAfterMs(withHeaders({ 'retry-after-ms': '750', 'retry-after': '3' }), NOW)).toBe(750);
  });

  it('falls back to retry-after when retry-after-ms is not a number', () => {
    expect(retryAfterMs(withHeaders({ 'retry-after-ms': 'soon', 'retry-after': '3' }), NOW)).toBe(3000);
  });

  it('reads an HTTP date relative to now, and clamps a past date to zero', () => {
    expect(retryAfterMs(withHeaders({ 'retry-after': 'Sun, 01 Nov 2026 12:00:07 GMT' }), NOW)).toBe(7000);
    expect(retryAfterMs(withHeaders({ 'retry-after': 'Sun, 01 Nov 2026 11:59:00 GMT' }), NOW)).toBe(0);
  });

  it('clamps negative values to zero', () => {
    expect(retryAfterMs(withHeaders({ 'retry-after': '-5' }), NOW)).toBe(0);
    expect(retryAfterMs(withHeaders({ 'retry-after-ms': '-5' }), NOW)).toBe(0);
  });

  it('is undefined without headers or with garbage', () => {
    expect(retryAfterMs({}, NOW)).toBeUndefined();
    expect(retryAfterMs(withHeaders({}), NOW)).toBeUndefined();
    expect(retryAfterMs(withHeaders({ 'retry-after': 'whenever' }), NOW)).toBeUndefined();
  });

  it('reads plain-object headers too', () => {
    expect(retryAfterMs({ headers: { 'retry-after': '4' } }, NOW)).toBe(4000);
    expect(retryAfterMs({ headers: { 'retry-after-ms': '40' } }, NOW)).toBe(40);
  });
});
