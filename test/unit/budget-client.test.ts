import { MockActivityEnvironment } from '@temporalio/testing';
import { createBudgetedLlmClient } from '../../src/budget/budgeted-client';
import { activityCallKeys } from '../../src/budget/call-key';
import { worstCaseOf } from '../../src/budget/estimate';
import { denialError, type BudgetGate } from '../../src/budget/gate';
import { DEFAULT_LIMITS } from '../../src/budget/limits';
import { initialLedgerState, release, reserve, settle } from '../../src/budget/ledger';
import { PantheonError } from '../../src/errors';
import { countPromptTokens } from '../../src/llm/tokens';
import type { ChatRequest, ChatResult, LlmClient } from '../../src/llm/types';

const T0 = Date.parse('2024-05-01T10:00:00Z');

const chat = (over: Partial<ChatRequest> = {}): ChatRequest => ({
  provider: 'openai',
  model: 'gpt-4.1-mini',
  system: 'You are the database specialist.',
  messages: [{ role: 'user', content: 'Add an index on orders.created_at' }],
  maxOutputTokens: 700,
  json: true,
  purpose: 'specialist',
  agent: 'DatabaseAgent',
  taskId: 'task-1',
  ...over,
});

/** A gate over the real pure ledger, in memory: what the budgeted client sees, minus Temporal. */
function memoryGate(perTaskUsd = 1) {
  const limits = { ...DEFAULT_LIMITS, perTaskUsd };
  const state = initialLedgerState(T0, limits);
  const log: string[] = [];
  const gate = {
    async reserve(request: ChatRequest, key: string, spawnDepth?: number) {
      const worst = worstCaseOf(request);
      const r = reserve(state, { key, taskId: request.taskId!, agent: request.agent ?? request.purpose, ...worst, spawnDepth }, T0, limits).result;
      if (!r.granted) throw denialError(r);
      log.push(`reserve ${key}`);
      return { id: r.reservationId, ...worst, replayed: r.replayed };
    },
    async settle(id: string, actual: { usd: number; tokens: number }) {
      log.push(`settle ${id} ${actual.usd.toFixed(8)} ${actual.tokens}`);
      return settle(state, id, actual, T0, limits).result;
    },
    async release(id: string) {
      log.push(`release ${id}`);
      return release(state, id, T0, limits).result;
    },
  } as unknown as BudgetGate;
  return { gate, state, log };
}

function innerClient(behaviour: (request: ChatRequest) => Promise<ChatResult>) {
  const calls: ChatRequest[] = [];
  const client: LlmClient = {
    complete: (request) => {
      calls.push(request);
      return behaviour(request);
    },
  };
  return { client, calls };
}

const answer = (costUsd: number): ChatResult => ({
  text: '{}',
  model: 'gpt-4.1-mini',
  costUsd,
  latencyMs: 5,
  usage: { inputTokens: 30, cachedInputTokens: 10, cacheWriteTokens: 0, outputTokens: 60 },
});

let n = 0;
const keyFor = () => `key-${++n}`;

describe('worst-case estimate', () => {
  it('counts the prompt plus the whole output allowance, priced at the pinned rates', () => {
    const request = chat();
    const prompt = countPromptTokens(request.system, request.messages);
    const worst = worstCaseOf(request);
    expect(worst.tokens).toBe(prompt + 700);
    // gpt-4.1-mini: $0.40 per million input tokens, $1.60 per million output tokens.
    expect(worst.usd).toBeCloseTo((prompt * 0.4 + 700 * 1.6) / 1e6, 15);
  });

  it('fails closed on a model without a price', () => {
    expect(() => worstCaseOf(chat({ model: 'gpt-9-ultra' }))).toThrow(expect.objectContaining({ type: 'unknown_price' }));
  });
});

describe('budgeted LLM client', () => {
  it('reserves the worst case, calls, then settles the actual cost and tokens', async () => {
    const { gate, state, log } = memoryGate();
    const inner = innerClient(async () => answer(0.000123));
    const llm = createBudgetedLlmClient(inner.client, gate, keyFor);
    const result = await llm.complete(chat());
    expect(result.costUsd).toBe(0.000123);
    expect(inner.calls).toHaveLength(1);
    const key = log[0].split(' ')[1];
    expect(log).toEqual([`reserve ${key}`, `settle ${key} 0.00012300 100`]);
    expect(state.tasks['task-1']).toMatchObject({ usd: 0.000123, tokens: 100 });
    expect(state.reservations).toEqual({});
  });

  it('never calls the provider when the ledger denies, and throws the typed error', async () => {
    const { gate } = memoryGate(0.0001);
    const inner = innerClient(async () => answer(0.00005));
    const llm = createBudgetedLlmClient(inner.client, gate, keyFor);
    const err = await llm.complete(chat()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PantheonError);
    expect(err).toMatchObject({ type: 'budget_exceeded', details: expect.objectContaining({ scope: 'task:task-1', limitUsd: 0.0001, spentUsd: 0 }) });
    expect(inner.calls).toHaveLength(0);
  });

  it('releases the reservation when the provider refused before billing', async () => {
    const { gate, state, log } = memoryGate();
    const llm = createBudgetedLlmClient(innerClient(async () => Promise.reject(PantheonError.of('rate_limited', '429'))).client, gate, keyFor);
    await expect(llm.complete(chat())).rejects.toMatchObject({ type: 'rate_limited' });
    expect(log.map((l) => l.split(' ')[0])).toEqual(['reserve', 'release']);
    expect(state.tasks['task-1'].usd).toBe(0);
    expect(state.reservations).toEqual({});
  });

  it('charges the worst case when a failure may have been billed (timeout, unknown error)', async () => {
    for (const failure of [PantheonError.of('provider_timeout', 'no answer in 60 s'), new Error('socket hang up')]) {
      const { gate, state, log } = memoryGate();
      const llm = createBudgetedLlmClient(innerClient(async () => Promise.reject(failure)).client, gate, keyFor);
      await expect(llm.complete(chat())).rejects.toBe(failure);
      const worst = worstCaseOf(chat());
      expect(log[1]).toBe(`settle ${log[0].split(' ')[1]} ${worst.usd.toFixed(8)} ${worst.tokens}`);
      expect(state.tasks['task-1'].usd).toBeCloseTo(worst.usd, 15);
    }
  });

  it('returns the answer when settling fails, and reports it (the reservation then expires at its worst case)', async () => {
    const { gate } = memoryGate();
    const broken = { ...gate, reserve: gate.reserve, settle: () => Promise.reject(new Error('ledger unreachable')) } as BudgetGate;
    const reported: string[] = [];
    const llm = createBudgetedLlmClient(innerClient(async () => answer(0.0001)).client, broken, keyFor, {
      onLedgerError: (err, reservation, op) => reported.push(`${op} ${reservation.id}: ${(err as Error).message}`),
    });
    await expect(llm.complete(chat())).resolves.toMatchObject({ costUsd: 0.0001 });
    expect(reported).toEqual([expect.stringMatching(/^settle key-\d+: ledger unreachable$/)]);
  });

  it('passes the spawn depth and the caller key through to the ledger', async () => {
    const { gate } = memoryGate();
    const seen: unknown[] = [];
    const spy = { ...gate, reserve: (r: ChatRequest, key: string, depth?: number) => (seen.push([key, depth]), gate.reserve(r, key, depth)) } as BudgetGate;
    const llm = createBudgetedLlmClient(innerClient(async () => answer(0.0001)).client, spy, () => 'wf:run:3:1:0', { spawnDepthOf: () => 2 });
    await llm.complete(chat());
    expect(seen).toEqual([['wf:run:3:1:0', 2]]);
  });
});

describe('activity call keys', () => {
  it('are unique per call within an attempt and change with the attempt', async () => {
    const keyFor = activityCallKeys();
    const info = { activityId: '7', workflowExecution: { workflowId: 'task-9', runId: 'run-1' } };
    const first = await new MockActivityEnvironment({ ...info, attempt: 1 }).run(async () => [keyFor(chat()), keyFor(chat())]);
    const retried = await new MockActivityEnvironment({ ...info, attempt: 2 }).run(async () => [keyFor(chat())]);
    expect(first).toEqual(['task-9:run-1:7:1:0', 'task-9:run-1:7:1:1']);
    expect(retried).toEqual(['task-9:run-1:7:2:0']);
    expect(() => keyFor(chat())).toThrow();
  });
});
