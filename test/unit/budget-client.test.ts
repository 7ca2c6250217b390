import { MockActivityEnvironment } from '@temporalio/testing';
import { createBudgetedLlmClient } from '../../src/budget/budgeted-client';
import { activityCallKeys } from '../../src/budget/call-key';
import { worstCaseOf } from '../../src/budget/estimate';
import type { BudgetGate } from '../../src/budget/gate';
import { defaultLimits } from '../../src/budget/limits';
import { PantheonError } from '../../src/errors';
import type { ChatRequest, ChatResult, LlmClient } from '../../src/llm/types';
import { chatRequest } from '../support/chat-request';
import { memoryGate } from '../support/memory-gate';

const chat = chatRequest;

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
    // o200k_base (checked with js-tiktoken): 6 tokens of system text, 7 of message, 4 of framing
    // each, 3 of reply priming.
    const prompt = 3 + (6 + 4) + (7 + 4);
    const worst = worstCaseOf(chat());
    expect(worst.tokens).toBe(prompt + 700);
    // gpt-4.1-mini: $0.40 per million input tokens, $1.60 per million output tokens.
    expect(worst.usd).toBeCloseTo((prompt * 0.4 + 700 * 1.6) / 1e6, 15);
  });

  it('reserves a Claude prompt at the conservative factor over the o200k_base count', () => {
    const worst = worstCaseOf(chat({ provider: 'anthropic', model: 'claude-haiku-4-5' }));
    const prompt = Math.ceil((3 + (6 + 4) + (7 + 4)) * 1.5);
    expect(worst.tokens).toBe(prompt + 700);
    // claude-haiku-4-5: $1 per million input tokens (cache writes $1.25, the dearest), $5 output.
    expect(worst.usd).toBeCloseTo((prompt * 1.25 + 700 * 5) / 1e6, 15);
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
    const { gate } = memoryGate({ ...defaultLimits(), perTaskUsd: 0.0001 });
    const inner = innerClient(async () => answer(0.00005));
    const llm = createBudgetedLlmClient(inner.client, gate, keyFor);
    const err = await llm.complete(chat()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PantheonError);
    expect(err).toMatchObject({ type: 'budget_exceeded', details: expect.objectContaining({ scope: 'task:task-1', limitUsd: 0.0001, spentUsd: 0 }) });
    expect(inner.calls).toHaveLength(0);
  });

  it('tells the caller a call was let through once its worst case is reserved, before the provider answers; never a denied one', async () => {
    const { gate } = memoryGate();
    const order: string[] = [];
    const inner = innerClient(async () => (order.push('provider'), answer(0.0001)));
    const llm = createBudgetedLlmClient(inner.client, gate, keyFor);
    await llm.complete(chat(), undefined, { onAdmitted: () => order.push('admitted') });
    expect(order).toEqual(['admitted', 'provider']);

    const tight = memoryGate({ ...defaultLimits(), perTaskUsd: 0.0001 });
    let told = false;
    const denied = createBudgetedLlmClient(inner.client, tight.gate, keyFor);
    await expect(denied.complete(chat(), undefined, { onAdmitted: () => (told = true) })).rejects.toMatchObject({ type: 'budget_exceeded' });
    expect(told).toBe(false);
  });

  // How a failed call is charged (released or worst case) is decided by the classifier's evidence,
  // so it is tested with the real SDKs' errors: test/unit/budget-failures.test.ts.

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

  it('hands the call with its lineage and the caller key to the ledger, which stops a call past max_spawn_depth', async () => {
    const { gate } = memoryGate({ ...defaultLimits(), perTaskUsd: 1, circuitBreaker: { ...defaultLimits().circuitBreaker, maxSpawnDepth: 1 } });
    const seen: unknown[] = [];
    const spy = { ...gate, reserve: (r: ChatRequest, key: string) => (seen.push([key, r.lineage]), gate.reserve(r, key)) } as BudgetGate;
    const inner = innerClient(async () => answer(0.0001));
    const llm = createBudgetedLlmClient(inner.client, spy, () => 'wf:run:3:1:0');
    const deep = { rootTaskId: 'root-1', parentTaskId: 'parent-1', spawnDepth: 2 };
    await expect(llm.complete({ ...chat(), lineage: deep })).rejects.toMatchObject({ type: 'budget_exceeded', details: { unit: 'spawn_depth', limit: 1, spent: 2 } });
    expect(seen).toEqual([['wf:run:3:1:0', deep]]);
    expect(inner.calls).toEqual([]);
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
