import { restateSpent } from '../../src/budget/restate-spent';

/** A budget stop's reason names the same spend as the task's final bill (src/budget/restate-spent.ts). */

describe('restating a budget stop with the final bill', () => {
  const tokens = 'budget_exceeded: task:t-1:tokens has spent 6327 tokens of its limit 8000; the request needs 900 more';
  const usd = 'budget_exceeded: task:t-1 has spent $0.012000 of its limit $0.020000; the request needs $0.009000 more';

  it('raises the task\'s tokens and dollars to what the bill says when a late call landed after the denial', () => {
    expect(restateSpent(tokens, { usd: 0, tokens: 6964 })).toBe('budget_exceeded: task:t-1:tokens has spent 6964 tokens of its limit 8000; the request needs 900 more');
    expect(restateSpent(usd, { usd: 0.0131234, tokens: 0 })).toBe('budget_exceeded: task:t-1 has spent $0.013123 of its limit $0.020000; the request needs $0.009000 more');
  });

  it('keeps the denial\'s figure when the bill is not above it (held worst cases settled lower)', () => {
    expect(restateSpent(tokens, { usd: 1, tokens: 6000 })).toBe(tokens);
    expect(restateSpent(usd, { usd: 0.0119, tokens: 99_999 })).toBe(usd);
  });

  it('leaves other scopes\' reasons alone', () => {
    const system = 'budget_exceeded: system:day has spent $1.000000 of its limit $1.000000 after a call settled above its reservation';
    expect(restateSpent(system, { usd: 5, tokens: 5 })).toBe(system);
  });
});
