import { getEventListeners } from 'node:events';
import { createBudgetedLlmClient } from '../../src/budget/budgeted-client';
import { worstCaseOf } from '../../src/budget/estimate';
import { chargedFor, ERROR_TYPES, PantheonError } from '../../src/errors';
import { createAnthropicProvider } from '../../src/llm/anthropic-provider';
import { createLlmClient } from '../../src/llm/client';
import { startOfflineProvider, type CallRecord, type FaultRule, type OfflineProvider } from '../../src/llm/offline';
import { createOpenAiProvider } from '../../src/llm/openai-provider';
import { costOf } from '../../src/llm/pricing';
import type { ChatRequest, ProviderName } from '../../src/llm/types';
import { memoryGate } from '../support/memory-gate';
import { sandboxFetch } from '../support/sandbox-fetch';

/**
 * How a failed call is charged, end to end through the real parts: the openai and
 * @anthropic-ai/sdk clients raise their real errors against the offline provider, the real
 * classifier reads them, the budgeted client releases or settles in the real (in-memory) ledger.
 * Only an HTTP error status proves nothing was billed; everything else costs the worst case.
 */

const SDK_TIMEOUT_MS = 300;

let provider: OfflineProvider;

beforeAll(async () => {
  provider = await startOfflineProvider({ seed: 11 });
});

afterAll(async () => {
  await provider.close();
});

beforeEach(() => {
  provider.clearFaults();
  provider.resetCalls();
  provider.setLatency(0);
});

const MODELS: Record<ProviderName, string> = { openai: 'gpt-4.1-mini', anthropic: 'claude-haiku-4-5' };

let seq = 0;
function request(providerName: ProviderName, over: Partial<ChatRequest> = {}): ChatRequest {
  return {
    provider: providerName,
    model: MODELS[providerName],
    system: 'You are the database specialist.',
    messages: [{ role: 'user', content: 'TASK\nAdd an index on orders.created_at\n- write the migration\n- verify it' }],
    maxOutputTokens: 700,
    json: true,
    purpose: 'specialist',
    agent: 'DatabaseAgent',
    taskId: `task-${++seq}`,
    ...over,
  };
}

function budgetedClient(baseURL = provider.url) {
  const options = { apiKey: 'offline', baseURL, timeoutMs: SDK_TIMEOUT_MS, fetch: sandboxFetch };
  const inner = createLlmClient({ openai: createOpenAiProvider(options), anthropic: createAnthropicProvider(options) });
  const ledger = memoryGate();
  let n = 0;
  return { llm: createBudgetedLlmClient(inner, ledger.gate, () => `key-${++n}`), ...ledger };
}

/** What the provider billed, recomputed from its own call log with the pinned prices. */
function billed(calls: CallRecord[], model: string): number {
  return calls.reduce((usd, c) => usd + costOf(model, { inputTokens: c.inputTokens, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: c.outputTokens }), 0);
}

async function failureOf(call: Promise<unknown>): Promise<PantheonError> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PantheonError);
  return err as PantheonError;
}

const PROVIDERS: ProviderName[] = ['openai', 'anthropic'];

describe.each(PROVIDERS)('a failed %s call, through the real SDK and classifier', (providerName) => {
  it('aborted in flight by its AbortSignal: classified cancelled (not retried), charged its worst case, which covers the bill', async () => {
    const { llm, state } = budgetedClient();
    const req = request(providerName);
    provider.addFault({ kind: 'slow', delayMs: 30_000, match: { task: req.taskId! } });
    const controller = new AbortController();
    const call = failureOf(llm.complete(req, controller.signal));
    // The provider has the request (and has billed it) before it answers.
    while (provider.calls().length === 0) await new Promise((r) => setTimeout(r, 10));
    controller.abort();
    const err = await call;

    expect(err).toMatchObject({ type: 'cancelled', retryable: false, details: expect.objectContaining({ error: 'APIUserAbortError', status: null, billed: 'maybe' }) });
    expect(ERROR_TYPES.cancelled.retryable).toBe(false);
    const worst = worstCaseOf(req);
    expect(state.tasks[req.taskId!].usd).toBeCloseTo(worst.usd, 15);
    expect(state.tasks[req.taskId!].tokens).toBe(worst.tokens);
    expect(state.reservations).toEqual({});
    const bill = billed(provider.calls(), req.model);
    expect(bill).toBeGreaterThan(0);
    expect(state.tasks[req.taskId!].usd).toBeGreaterThanOrEqual(bill);
  });

  it('leaves no abort listener on the run\'s signal once its calls end (the SDK never removes its own)', async () => {
    const { llm } = budgetedClient();
    const run = new AbortController();
    for (let i = 0; i < 12; i++) await llm.complete(request(providerName), run.signal);
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(0);
  });

  it('hanging past the SDK timeout: classified provider_timeout, charged its worst case', async () => {
    const { llm, state } = budgetedClient();
    const req = request(providerName);
    provider.addFault({ kind: 'hang', match: { task: req.taskId! } });
    const err = await failureOf(llm.complete(req));

    expect(err).toMatchObject({ type: 'provider_timeout', retryable: true, details: expect.objectContaining({ error: 'APIConnectionTimeoutError', billed: 'maybe' }) });
    expect(state.tasks[req.taskId!].usd).toBeCloseTo(worstCaseOf(req).usd, 15);
    expect(state.reservations).toEqual({});
    // Counted apart as a call that got no answer with its cost: a denial at the task's limit names it.
    expect(state.tasks[req.taskId!].unanswered).toEqual({ usd: state.tasks[req.taskId!].usd, tokens: worstCaseOf(req).tokens, calls: 1 });
  });

  it('to an address where nothing listens: provider_unavailable, proved unbilled (no connection was made), released', async () => {
    // A port nothing listens on: the one the offline provider had, once closed.
    const closed = await startOfflineProvider({});
    const url = closed.url;
    await closed.close();
    const { llm, state } = budgetedClient(url);
    const req = request(providerName);
    const err = await failureOf(llm.complete(req));

    expect(err).toMatchObject({ type: 'provider_unavailable', retryable: true, details: expect.objectContaining({ billed: 'no', code: 'ECONNREFUSED' }) });
    expect(err.message).toMatch(/ECONNREFUSED: no request was sent/);
    expect(state.tasks[req.taskId!]?.usd ?? 0).toBe(0);
    expect(state.reservations).toEqual({});
    expect(chargedFor(err)).toEqual({ usd: 0, tokens: 0 });
  });

  it('with its connection reset: classified connection_reset, charged its worst case', async () => {
    const { llm, state } = budgetedClient();
    const req = request(providerName);
    provider.addFault({ kind: 'reset', match: { task: req.taskId! } });
    const err = await failureOf(llm.complete(req));

    expect(err).toMatchObject({ type: 'connection_reset', details: expect.objectContaining({ error: 'APIConnectionError', billed: 'maybe' }) });
    expect(state.tasks[req.taskId!].usd).toBeCloseTo(worstCaseOf(req).usd, 15);
    // The error says what the ledger charged, for the caller's books.
    expect(chargedFor(err)).toEqual({ usd: state.tasks[req.taskId!].usd, tokens: state.tasks[req.taskId!].tokens });
  });

  it('answered 200 with a body that is not JSON: charged its worst case (the answer may have been billed)', async () => {
    const { llm, state } = budgetedClient();
    const req = request(providerName);
    provider.addFault({ kind: 'malformed_body', match: { task: req.taskId! } });
    const err = await failureOf(llm.complete(req));

    expect(err.details.billed).toBe('maybe');
    expect(state.tasks[req.taskId!].usd).toBeCloseTo(worstCaseOf(req).usd, 15);
  });

  it.each<[FaultRule['kind'], string, number]>([
    ['rate_limit', 'rate_limited', 429],
    ['quota_exhausted', 'quota_exhausted', 429],
    ['server_error', 'provider_unavailable', 500],
    ['unavailable', 'provider_unavailable', 503],
  ])('answered with an HTTP error status (%s): releases the reservation, nothing charged', async (kind, type, status) => {
    const { llm, state, log } = budgetedClient();
    const req = request(providerName);
    provider.addFault({ kind, match: { task: req.taskId! } });
    const err = await failureOf(llm.complete(req));

    expect(err).toMatchObject({ type, details: expect.objectContaining({ status, billed: 'no' }) });
    expect(log.map((l) => l.split(' ')[0])).toEqual(['reserve', 'release']);
    expect(state.tasks[req.taskId!].usd).toBe(0);
    expect(state.tasks[req.taskId!].unanswered).toBeUndefined();
    expect(state.reservations).toEqual({});
  });

  it('answered with its cost: settled at that cost, not counted as a call without an answer', async () => {
    const { llm, state } = budgetedClient();
    const req = request(providerName);
    const result = await llm.complete(req);
    await new Promise((r) => setTimeout(r, 0));

    expect(state.tasks[req.taskId!].usd).toBeCloseTo(result.costUsd, 15);
    expect(state.tasks[req.taskId!].unanswered).toBeUndefined();
  });

  it("answered 504 by a gateway in front of the provider: charged its worst case (the provider may have generated), not released", async () => {
    const { llm, state, log } = budgetedClient();
    const req = request(providerName);
    provider.addFault({ kind: 'gateway_timeout', match: { task: req.taskId! } });
    const err = await failureOf(llm.complete(req));

    expect(err).toMatchObject({ details: expect.objectContaining({ status: 504, billed: 'maybe' }) });
    expect(log.map((l) => l.split(' ')[0])).toEqual(['reserve', 'settle']);
    expect(state.tasks[req.taskId!].usd).toBeCloseTo(worstCaseOf(req).usd, 15);
    expect(state.reservations).toEqual({});
  });

  it('refused as a bad request (400): releases the reservation', async () => {
    const { llm, state } = budgetedClient();
    const req = request(providerName, { maxOutputTokens: 0 });
    const err = await failureOf(llm.complete(req));

    expect(err).toMatchObject({ type: 'provider_rejected', details: expect.objectContaining({ status: 400, billed: 'no' }) });
    expect(state.tasks[req.taskId!].usd).toBe(0);
    expect(chargedFor(err)).toEqual({ usd: 0, tokens: 0 });
  });
});

describe('a failed call whose worst-case settle does not reach the ledger', () => {
  it('says nothing was charged (the ledger still holds it as reserved, and counts it there once)', async () => {
    const { gate, state } = memoryGate();
    const options = { apiKey: 'offline', baseURL: provider.url, timeoutMs: SDK_TIMEOUT_MS, fetch: sandboxFetch };
    const inner = createLlmClient({ openai: createOpenAiProvider(options), anthropic: createAnthropicProvider(options) });
    const ledgerErrors: string[] = [];
    const down = { ...gate, settle: async () => Promise.reject(new Error('ledger unreachable')) };
    const llm = createBudgetedLlmClient(inner, down, () => 'key-unsettled', { onLedgerError: (_err, _r, op) => ledgerErrors.push(op) });
    const req = request('openai');
    provider.addFault({ kind: 'reset', match: { task: req.taskId! } });
    const err = await failureOf(llm.complete(req));

    expect(err).toMatchObject({ type: 'connection_reset' });
    expect(ledgerErrors).toEqual(['settle']);
    expect(chargedFor(err)).toEqual({ usd: 0, tokens: 0 });
    // The reservation stands in the ledger at its worst case.
    expect(Object.keys(state.reservations)).toHaveLength(1);
  });
});

describe('failures outside the SDKs', () => {
  it('charges the worst case for an answer without usage (nothing proves it unbilled)', async () => {
    const { gate, state } = memoryGate();
    const noUsage = { complete: async () => Promise.reject(PantheonError.of('missing_usage', 'openai answered without usage')) };
    const llm = createBudgetedLlmClient(noUsage, gate, () => 'key-no-usage');
    const req = request('openai');
    await expect(llm.complete(req)).rejects.toMatchObject({ type: 'missing_usage' });
    expect(state.tasks[req.taskId!].usd).toBeCloseTo(worstCaseOf(req).usd, 15);
  });

  it('releases a call refused before any request was sent (a model named for the wrong provider)', async () => {
    const { llm, state } = budgetedClient();
    const req = request('anthropic', { model: 'gpt-4.1-mini' });
    await expect(llm.complete(req)).rejects.toMatchObject({ type: 'unknown_model', details: expect.objectContaining({ billed: 'no' }) });
    expect(state.tasks[req.taskId!].usd).toBe(0);
    expect(provider.calls()).toHaveLength(0);
  });
});
