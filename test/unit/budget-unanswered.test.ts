import { initialLedgerState, reserve, settle } from '../../src/budget/ledger';
import type { LedgerState, ReserveRequest } from '../../src/budget/ledger-types';
import { restateSpent } from '../../src/budget/restate-spent';
import { countUnanswered, unansweredClause } from '../../src/budget/unanswered-text';
import { limitsWith } from '../support/limits';
import { denied, granted } from '../support/ledger-results';

/**
 * A per-task denial says how much of the task's spend the ledger charged at worst case for calls
 * that got no answer saying what they cost (settles marked `unanswered`), and for how many calls.
 */

const T0 = Date.parse('2024-05-01T10:00:00Z');

let seq = 0;
const request = (over: Partial<ReserveRequest> = {}): ReserveRequest => ({ key: `k${++seq}`, taskId: 't1', agent: 'DatabaseAgent', usd: 0.3, tokens: 100, ...over });

/** Reserves a call and settles it at `charged`, marked unanswered when asked. */
function call(state: LedgerState, limits: ReturnType<typeof limitsWith>, charged: { usd: number; tokens: number }, unanswered: boolean, over: Partial<ReserveRequest> = {}): void {
  const id = granted(reserve(state, request(over), T0, limits).result);
  settle(state, id, { ...charged, ...(unanswered && { unanswered: true as const }) }, T0, limits);
}

describe('unansweredClause', () => {
  it('names the amount and the calls, in the singular for one', () => {
    expect(unansweredClause(10, '$0.008517')).toBe(' ($0.008517 of it charged at worst case for 10 calls that got no answer with their cost: the provider may have billed less, or nothing)');
    expect(unansweredClause(1, '4200 tokens')).toBe(' (4200 tokens of it charged at worst case for 1 call that got no answer with its cost: the provider may have billed less, or nothing)');
  });

  it('is empty when no call went unanswered', () => {
    expect(unansweredClause(0, '$0.000000')).toBe('');
  });

  it('counts each charge once, from none', () => {
    const first = countUnanswered(undefined, { usd: 0.25, tokens: 100 });
    expect(countUnanswered(first, { usd: 0.5, tokens: 40 })).toEqual({ usd: 0.75, tokens: 140, calls: 2 });
  });
});

describe('the ledger: a denial at the task limit', () => {
  it('says how much of the spend is worst-case charges for unanswered calls, and for how many', () => {
    const limits = limitsWith({ perTaskUsd: 1 });
    const state = initialLedgerState(T0, limits);
    call(state, limits, { usd: 0.3, tokens: 100 }, true);
    call(state, limits, { usd: 0.2, tokens: 100 }, false);
    call(state, limits, { usd: 0.3, tokens: 100 }, true);
    const denial = denied(reserve(state, request(), T0, limits).result);
    expect(denial.message).toBe(
      'budget_exceeded: task:t1 has spent $0.800000 of its limit $1.000000 ($0.600000 of it charged at worst case for 2 calls that got no answer with their cost: the provider may have billed less, or nothing); the request needs $0.300000 more',
    );
    expect(state.tasks.t1.unanswered).toMatchObject({ tokens: 200, calls: 2 });
    expect(state.tasks.t1.unanswered!.usd).toBeCloseTo(0.6, 12);
  });

  it('says nothing of the kind when every call was answered', () => {
    const limits = limitsWith({ perTaskUsd: 1 });
    const state = initialLedgerState(T0, limits);
    for (let i = 0; i < 3; i++) call(state, limits, { usd: 0.3, tokens: 100 }, false);
    const denial = denied(reserve(state, request(), T0, limits).result);
    expect(denial.message).toBe('budget_exceeded: task:t1 has spent $0.900000 of its limit $1.000000; the request needs $0.300000 more');
    expect(state.tasks.t1.unanswered).toBeUndefined();
  });

  it('counts in tokens at the token limit', () => {
    const limits = limitsWith({ perTaskTokens: 1000 });
    const state = initialLedgerState(T0, limits);
    call(state, limits, { usd: 0.01, tokens: 400 }, true);
    call(state, limits, { usd: 0.01, tokens: 300 }, false);
    const denial = denied(reserve(state, request({ tokens: 400 }), T0, limits).result);
    expect(denial.message).toMatch(/^budget_exceeded: task:t1:tokens has spent 700 tokens of its limit 1000 tokens \(400 tokens of it charged at worst case for 1 call that got no answer with its cost: [^)]*\); the request needs 400 tokens more$/);
  });

  it('counts only the task\'s own charges, and names none at another scope\'s limit', () => {
    const limits = limitsWith({ perTaskUsd: 1, perAgentHourlyUsd: 0.7 });
    const state = initialLedgerState(T0, limits);
    call(state, limits, { usd: 0.3, tokens: 100 }, true, { taskId: 'other' });
    call(state, limits, { usd: 0.3, tokens: 100 }, false);
    const atTask = denied(reserve(state, request({ usd: 0.8 }), T0, limits).result);
    expect(atTask.scope).toBe('task:t1');
    expect(atTask.message).not.toMatch(/no answer/);
    // The agent's window holds the other task's unanswered charge: not a per-task denial, no clause.
    const atAgent = denied(reserve(state, request({ usd: 0.2 }), T0, limits).result);
    expect(atAgent.scope).toBe('agent:DatabaseAgent:hour');
    expect(atAgent.message).not.toMatch(/no answer/);
  });

  it('keeps the clause where restating the final bill leaves it', () => {
    const reason = `budget_exceeded: task:t1 has spent $0.600000 of its limit $1.000000${unansweredClause(2, '$0.600000')}; the request needs $0.500000 more`;
    expect(restateSpent(reason, { usd: 0.65, tokens: 0 })).toBe(
      `budget_exceeded: task:t1 has spent $0.650000 ($0.600000 when it was denied, a call landed after) of its limit $1.000000${unansweredClause(2, '$0.600000')}; the request needs $0.500000 more`,
    );
  });
});
