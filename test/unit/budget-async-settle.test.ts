import { PairBatcher, Slots } from '../../src/budget/batcher';
import { createBudgetedLlmClient } from '../../src/budget/budgeted-client';
import type { BudgetGate } from '../../src/budget/gate';
import { initialLedgerState, reserve, settle } from '../../src/budget/ledger';
import { closeTask } from '../../src/budget/ledger-close';
import { DEFAULT_LEDGER_OPTIONS, type ReserveRequest } from '../../src/budget/ledger-types';
import { PantheonError } from '../../src/errors';
import type { ChatResult, LlmClient } from '../../src/llm/types';
import { chatRequest } from '../support/chat-request';
import { limitsWith } from '../support/limits';
import { denied, granted } from '../support/ledger-results';
import { memoryGate } from '../support/memory-gate';

/**
 * Settles off the call's path: the ledger holds a call's worst case until its settle lands, a
 * caller names its own calls' settles still on their way so the task's limit does not count them
 * twice, and a task's bill waits for them.
 */

const T0 = Date.parse('2024-05-01T10:00:00Z');
let seq = 0;
const request = (over: Partial<ReserveRequest> = {}): ReserveRequest => ({ key: `a:${++seq}`, taskId: 't1', agent: 'DatabaseAgent', usd: 0.3, tokens: 100, ...over });

describe('ledger: reservations named as settling', () => {
  it('does not count a settling call twice against its task: its cost is in taskSpent, its worst case still held', () => {
    const limits = limitsWith({ perTaskUsd: 1 });
    const state = initialLedgerState(T0, limits);
    // Two calls of $0.30 worst case; both answered for $0.20 each, their settles not yet landed.
    const first = granted(reserve(state, request(), T0, limits).result);
    const second = granted(reserve(state, request({ taskSpent: { usd: 0.2, tokens: 50 }, settling: [first] }), T0, limits).result);
    const books = { usd: 0.4, tokens: 100 };
    // Counted twice, the task holds 0.4 + 0.6 = 1.0 and a third $0.30 call is refused.
    expect(denied(reserve(state, request({ taskSpent: books }), T0, limits).result).spentUsd).toBeCloseTo(1, 12);
    // Named as settling: 0.4 spent (the books) and nothing more held, so 0.3 fits.
    granted(reserve(state, request({ taskSpent: books, settling: [first, second] }), T0, limits).result);
  });

  it('keeps counting what the ledger knows when the caller\'s books say less, and ignores another task\'s ids', () => {
    const limits = limitsWith({ perTaskUsd: 1 });
    const state = initialLedgerState(T0, limits);
    const other = granted(reserve(state, request({ taskId: 't2', usd: 0.5 }), T0, limits).result);
    const first = granted(reserve(state, request(), T0, limits).result);
    settle(state, first, { usd: 0.6, tokens: 10 }, T0, limits);
    const held = granted(reserve(state, request(), T0, limits).result);
    // The caller claims nothing spent and names its held call and another task's as settling:
    // the ledger still counts its own 0.6 settled + 0.3 held, so 0.2 more does not fit.
    const d = denied(reserve(state, request({ usd: 0.2, taskSpent: { usd: 0, tokens: 0 }, settling: [held, other] }), T0, limits).result);
    expect(d.spentUsd).toBeCloseTo(0.9, 12);
  });

  it('applies the per-task token limit the same way', () => {
    const limits = limitsWith({ perTaskUsd: 100, perTaskTokens: 1000 });
    const state = initialLedgerState(T0, limits);
    const first = granted(reserve(state, request({ tokens: 600 }), T0, limits).result);
    const books = { usd: 0.1, tokens: 200 };
    expect(denied(reserve(state, request({ tokens: 300, taskSpent: books }), T0, limits).result).unit).toBe('tokens');
    granted(reserve(state, request({ tokens: 300, taskSpent: books, settling: [first] }), T0, limits).result);
  });
});

describe('ledger: closing a bill only once its calls are settled', () => {
  it('answers pending and changes nothing while a call of the task is reserved; without ifSettled it charges the worst case', () => {
    const limits = limitsWith({ perTaskUsd: 1 });
    const state = initialLedgerState(T0, limits);
    const done = granted(reserve(state, request(), T0, limits).result);
    settle(state, done, { usd: 0.1, tokens: 20 }, T0, limits);
    granted(reserve(state, request({ usd: 0.25 }), T0, limits).result);
    const asked = closeTask(state, 't1', T0 + 10, limits, DEFAULT_LEDGER_OPTIONS, true).result;
    expect(asked).toMatchObject({ pending: 1, chargedOutstanding: 0, known: true, usd: 0.1 });
    expect(state.tasks.t1).toBeDefined();
    expect(Object.keys(state.reservations)).toHaveLength(1);
    const forced = closeTask(state, 't1', T0 + 20, limits, DEFAULT_LEDGER_OPTIONS).result;
    expect(forced).toMatchObject({ chargedOutstanding: 1, known: true, usd: 0.35 });
    expect(forced.pending).toBeUndefined();
    expect(state.tasks.t1).toBeUndefined();
  });

  it('closes at once with ifSettled when nothing is outstanding', () => {
    const limits = limitsWith({ perTaskUsd: 1 });
    const state = initialLedgerState(T0, limits);
    const id = granted(reserve(state, request(), T0, limits).result);
    settle(state, id, { usd: 0.1, tokens: 20 }, T0, limits);
    expect(closeTask(state, 't1', T0, limits, DEFAULT_LEDGER_OPTIONS, true).result).toMatchObject({ known: true, usd: 0.1, chargedOutstanding: 0 });
    expect(state.tasks.t1).toBeUndefined();
  });
});

describe('pair batcher', () => {
  it('sends settles and reserves queued meanwhile in one update, settles first, answering each in order', async () => {
    const calls: Array<{ first: string[]; second: string[]; done: () => void }> = [];
    const send = (first: string[], second: string[]) =>
      new Promise<{ first: string[]; second: string[] }>((resolve) =>
        calls.push({ first, second, done: () => resolve({ first: first.map((f) => `F${f}`), second: second.map((s) => `S${s}`) }) }),
      );
    const batcher = new PairBatcher(send, new Slots(1), 10);
    const a = batcher.submitSecond('r1');
    const b = batcher.submitFirst('s1');
    const c = batcher.submitSecond('r2');
    const d = batcher.submitFirst('s2');
    expect(calls.map(({ first, second }) => ({ first, second }))).toEqual([{ first: [], second: ['r1'] }]);
    calls[0].done();
    await new Promise((r) => setImmediate(r));
    expect(calls.map(({ first, second }) => ({ first, second }))[1]).toEqual({ first: ['s1', 's2'], second: ['r2'] });
    calls[1].done();
    expect(await Promise.all([a, b, c, d])).toEqual(['Sr1', 'Fs1', 'Sr2', 'Fs2']);
    expect(batcher.sent).toBe(2);
  });

  it('hands out the answer of the update in flight, settled once its requests are answered (or it failed), and none when idle', async () => {
    const calls: Array<{ ok: () => void; fail: () => void }> = [];
    const send = (first: string[], second: string[]) =>
      new Promise<{ first: string[]; second: string[] }>((resolve, reject) => calls.push({ ok: () => resolve({ first, second }), fail: () => reject(new Error('down')) }));
    const batcher = new PairBatcher(send, new Slots(1), 10);
    expect(batcher.answerInFlight()).toBeUndefined();
    const reserve = batcher.submitSecond('r1');
    const answer = batcher.answerInFlight();
    expect(answer).toBeDefined();
    let answered = false;
    void answer!.then(() => (answered = true));
    // Queued behind it: still the same update's answer until that one is back.
    const queued = batcher.submitSecond('r2');
    expect(batcher.answerInFlight()).toBe(answer);
    await new Promise((r) => setImmediate(r));
    expect(answered).toBe(false);
    calls[0].ok();
    await reserve;
    await answer;
    expect(answered).toBe(true);
    // The queued reserve left as the slot came free: its update is the one in flight now.
    expect(calls).toHaveLength(2);
    const next = batcher.answerInFlight();
    expect(next).toBeDefined();
    expect(next).not.toBe(answer);
    calls[1].fail();
    await expect(queued).rejects.toThrow('down');
    await expect(next).resolves.toBeUndefined();
    expect(batcher.answerInFlight()).toBeUndefined();
  });

  describe('a settle nobody waits for lingers for a reserve to ride with', () => {
    function pair(lingerMs: number) {
      const calls: Array<{ first: string[]; second: string[] }> = [];
      const send = async (first: string[], second: string[]) => {
        calls.push({ first, second });
        return { first: first.map((f) => `F${f}`), second: second.map((r) => `S${r}`) };
      };
      return { calls, batcher: new PairBatcher(send, new Slots(4), 10, lingerMs) };
    }
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    it('rides in the update of the next reserve: one update for both', async () => {
      const { calls, batcher } = pair(100);
      const settle = batcher.submitFirst('s1', true);
      expect(calls).toEqual([]);
      const reserve = batcher.submitSecond('r1');
      expect(calls).toEqual([{ first: ['s1'], second: ['r1'] }]);
      expect(await Promise.all([settle, reserve])).toEqual(['Fs1', 'Sr1']);
      expect(batcher.sent).toBe(1);
    });

    it('leaves on its own once the linger is over', async () => {
      const { calls, batcher } = pair(100);
      const settle = batcher.submitFirst('s1', true);
      jest.advanceTimersByTime(99);
      expect(calls).toEqual([]);
      jest.advanceTimersByTime(1);
      expect(calls).toEqual([{ first: ['s1'], second: [] }]);
      await expect(settle).resolves.toBe('Fs1');
    });

    it('leaves at once when flushed (a caller is about to wait for it), or with a settle that may not linger', () => {
      const { calls, batcher } = pair(100);
      void batcher.submitFirst('s1', true);
      batcher.flush();
      expect(calls).toEqual([{ first: ['s1'], second: [] }]);
      void batcher.submitFirst('s2', true);
      void batcher.submitFirst('s3');
      expect(calls).toEqual([{ first: ['s1'], second: [] }, { first: ['s2', 's3'], second: [] }]);
    });

    it('never lingers without a linger time (the default)', () => {
      const { calls, batcher } = pair(0);
      void batcher.submitFirst('s1', true);
      expect(calls).toEqual([{ first: ['s1'], second: [] }]);
    });
  });
});

const answer = (costUsd: number): ChatResult => ({
  text: '{}',
  model: 'gpt-4.1-mini',
  costUsd,
  latencyMs: 5,
  usage: { inputTokens: 30, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 60 },
});

describe('budgeted client with settles off the call path', () => {
  it('returns an answered call before its settle reaches the ledger', async () => {
    const { gate: inMemory } = memoryGate();
    const landed: string[] = [];
    let deliver: () => void = () => undefined;
    // A ledger that takes its time with settles: the call must not wait for it.
    const gate = {
      ...inMemory,
      reserve: inMemory.reserve,
      settle: (id: string) => new Promise((resolve) => (deliver = () => resolve(landed.push(id)))),
    } as unknown as BudgetGate;
    const inner: LlmClient = { complete: async () => answer(0.0001) };
    const llm = createBudgetedLlmClient(inner, gate, () => 'k-1');
    await expect(llm.complete(chatRequest())).resolves.toMatchObject({ costUsd: 0.0001 });
    expect(landed).toEqual([]);
    deliver();
    await new Promise((r) => setImmediate(r));
    expect(landed).toEqual(['k-1']);
  });

  it('waits for the worst-case settle of a failed call before throwing (its cost is in no caller\'s count)', async () => {
    const { gate: inMemory } = memoryGate();
    const order: string[] = [];
    const gate = {
      ...inMemory,
      reserve: inMemory.reserve,
      settle: async () => {
        await new Promise((r) => setTimeout(r, 5));
        order.push('settled');
      },
    } as unknown as BudgetGate;
    const inner: LlmClient = {
      complete: async () => {
        throw PantheonError.of('provider_timeout', 'no answer');
      },
    };
    const llm = createBudgetedLlmClient(inner, gate, () => 'k-2');
    await llm.complete(chatRequest()).catch(() => order.push('thrown'));
    expect(order).toEqual(['settled', 'thrown']);
  });
});
