import { budgetWaitLines } from '../../src/client/format';

const since = Date.parse('2026-12-05T10:00:00Z');
const wait = {
  type: 'system_budget_full',
  reason: 'system:day spent $19.98 of $20.00; 5 tasks waiting',
  scope: 'system:day',
  position: 2,
  waiting: 5,
  retryAtMs: Date.parse('2026-12-06T00:00:00Z'),
  sinceMs: since,
  checks: 7,
};

describe('pantheon status: a task waiting for budget', () => {
  it('says how long it has waited, its place in line, when room is due and why', () => {
    expect(budgetWaitLines({ status: 'waiting_budget', budgetWait: wait }, since + 3 * 60_000)).toEqual([
      'budget      waiting for budget 3 min (7 checks so far) on system:day',
      '            position 2 of 5 in the admission queue',
      '            room by 2026-12-06T00:00:00.000Z',
      '            system:day spent $19.98 of $20.00; 5 tasks waiting',
    ]);
  });

  it('says a task ended waiting, and prints nothing for a task that never waited', () => {
    const breaker = { type: 'breaker_open', reason: 'breaker open (operator)', sinceMs: since, checks: 1 };
    expect(budgetWaitLines({ status: 'budget_exceeded', budgetWait: breaker }, since + 90 * 60_000)).toEqual([
      'budget      ended waiting for budget after 90 min (1 check)',
      '            breaker open (operator)',
    ]);
    expect(budgetWaitLines({ status: 'running', budgetWait: undefined }, since)).toEqual([]);
  });
});
