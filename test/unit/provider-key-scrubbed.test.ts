import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { PantheonError } from '../../src/errors';
import { toApplicationFailure } from '../../src/errors/temporal';
import { createAnthropicProvider } from '../../src/llm/anthropic-provider';
import { createOpenAiProvider } from '../../src/llm/openai-provider';
import { REDACTED, scrubSecrets } from '../../src/llm/scrub-secrets';
import type { ChatRequest } from '../../src/llm/types';
import { OpenAIEmbedder } from '../../src/memory/openai-embedder';
import { sandboxFetch } from '../support/sandbox-fetch';

/**
 * A gateway that echoes the request's credentials in its 401 (some proxies do; the vendors mask
 * them): through the real openai and Anthropic SDKs, the key never reaches the typed error that
 * becomes a task's failure, a lesson, a memory record, an alert and a log line. README: "Keys are
 * never logged, put in a payload, a search attribute or a memory record."
 */

const OPENAI_KEY = 'sk-SECRETOPENAI-abcdef0123456789';
const ANTHROPIC_KEY = 'sk-ant-SECRETANTHROPIC-0123456789';
/** A gateway's own key, in no recognisable shape: known keys are taken out whatever they look like. */
const GATEWAY_KEY = 'gw_7f3a9c1e5b2d4680';

let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const said = req.headers.authorization ?? `x-api-key ${req.headers['x-api-key'] ?? ''}`;
    res.writeHead(401, { 'content-type': 'application/json' });
    // OpenAI's error shape and Anthropic's, both echoing what was sent.
    res.end(JSON.stringify(req.url?.includes('/messages')
      ? { type: 'error', error: { type: 'authentication_error', message: `invalid credentials: ${said}` } }
      : { error: { message: `Incorrect API key provided: ${said}`, type: 'invalid_request_error', code: 'invalid_api_key', param: null } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const request = (provider: 'openai' | 'anthropic'): ChatRequest => ({
  provider, model: provider === 'openai' ? 'gpt-4.1-mini' : 'claude-sonnet-4-6', system: 's', messages: [{ role: 'user', content: 'u' }],
  maxOutputTokens: 50, json: false, purpose: 'specialist', agent: 'DatabaseAgent',
});

async function failure(call: Promise<unknown>): Promise<PantheonError> {
  const err = await call.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(PantheonError);
  return err as PantheonError;
}

/** Every text the failure leaves by: its message, what Temporal records of it, and its cause chain. */
function everything(err: PantheonError): string {
  const failure = toApplicationFailure(err);
  let text = `${err.message} ${JSON.stringify(err.details)} ${failure.message} ${JSON.stringify(failure.details)}`;
  for (let at: unknown = err.cause; at; at = (at as { cause?: unknown }).cause) text += ` ${(at as Error).message ?? String(at)}`;
  return text;
}

describe("a provider error that echoes the caller's key", () => {
  it.each([
    ['openai', OPENAI_KEY],
    ['openai', GATEWAY_KEY],
    ['anthropic', ANTHROPIC_KEY],
    ['anthropic', GATEWAY_KEY],
  ] as const)('through the %s SDK keeps auth_failed and the text, never the key (%s)', async (provider, apiKey) => {
    const options = { apiKey, baseURL: url, timeoutMs: 5_000, fetch: sandboxFetch };
    const client = provider === 'openai' ? createOpenAiProvider(options) : createAnthropicProvider(options);
    const err = await failure(client.complete(request(provider)));
    expect(err.type).toBe('auth_failed');
    expect(err.message).toContain(REDACTED);
    expect(err.message).toMatch(provider === 'openai' ? /Incorrect API key provided/ : /invalid credentials/);
    expect(everything(err)).not.toContain(apiKey);
  });

  it('through the OpenAI embedder too', async () => {
    const client = new OpenAI({ apiKey: GATEWAY_KEY, baseURL: `${url}/v1`, maxRetries: 0, fetch: sandboxFetch });
    const released: string[] = [];
    const embedder = new OpenAIEmbedder({
      client,
      budget: { reserve: async () => ({ settle: async () => void released.push('settled'), release: async () => void released.push('released') }) },
    });
    const err = await failure(embedder.embed(['a text']));
    expect(err.type).toBe('auth_failed');
    expect(everything(err)).not.toContain(GATEWAY_KEY);
    expect(released).toEqual(['released']);
  });
});

describe('scrubSecrets', () => {
  it('takes out known keys anywhere, bearer tokens and sk- keys by shape, and leaves ordinary text', () => {
    expect(scrubSecrets(`key ${GATEWAY_KEY} refused`, [GATEWAY_KEY])).toBe(`key ${REDACTED} refused`);
    expect(scrubSecrets('Authorization: Bearer abc.DEF-123_456=')).toBe(`Authorization: Bearer ${REDACTED}`);
    expect(scrubSecrets(`given ${ANTHROPIC_KEY}.`)).toBe(`given sk-${REDACTED}.`);
    // Short "keys" (the offline provider's 'offline', a test's 'sk-o') are not taken out of words.
    expect(scrubSecrets('the offline provider said no', ['offline', 'sk-o'])).toBe('the offline provider said no');
    expect(scrubSecrets('401 Basic authentication required; Bearer authorization failed')).toBe('401 Basic authentication required; Bearer authorization failed');
    expect(scrubSecrets('429 Rate limit reached for gpt-4.1-mini on tokens per min (TPM)')).toBe('429 Rate limit reached for gpt-4.1-mini on tokens per min (TPM)');
  });
});
