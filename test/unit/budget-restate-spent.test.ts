import { restateSpent } from '../../src/budget/restate-spent';

/** A budget stop's reason leads with the spend the task's final bill says (src/budget/restate-spent.ts). */

describe('restating a budget stop with the final bill', () => {
  const tokens = 'budget_exceeded: task:t-1:tokens has spent 6964 tokens of its limit 8000 tokens; the request needs 900 tokens more';
  const usd = 'budget_exceeded: task:t-1 has spent $0.012000 of its limit $0.020000; the request needs $0.009000 more';

  it('names the bill\'s figure, and the one the denial was made on, when calls were still settling at their worst case', () => {
    expect(restateSpent(tokens, { usd: 0, tokens: 6327 })).toBe(
      'budget_exceeded: task:t-1:tokens has spent 6327 tokens (6964 when it was denied, calls still settling at their worst case) of its limit 8000 tokens; the request needs 900 tokens more',
    );
    expect(restateSpent(usd, { usd: 0.0111234, tokens: 0 })).toBe(
      'budget_exceeded: task:t-1 has spent $0.011123 ($0.012000 when it was denied, calls still settling at their worst case) of its limit $0.020000; the request needs $0.009000 more',
    );
  });

  it('names the bill\'s figure when a call landed after the denial', () => {
    expect(restateSpent(tokens, { usd: 0, tokens: 7100 })).toMatch(/has spent 7100 tokens \(6964 when it was denied, a call landed after\)/);
  });

  it('leaves the reason as it is when the bill agrees, and other scopes\' reasons alone', () => {
    expect(restateSpent(tokens, { usd: 1, tokens: 6964 })).toBe(tokens);
    expect(restateSpent(usd, { usd: 0.012, tokens: 99_999 })).toBe(usd);
    const system = 'budget_exceeded: system:day has spent $1.000000 of its limit $1.000000 after a call settled above its reservation';
    expect(restateSpent(system, { usd: 5, tokens: 5 })).toBe(system);
  });
});
