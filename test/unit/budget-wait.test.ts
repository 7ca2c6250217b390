import { budgetWaitFrom, describeWait, MAX_BUDGET_WAITS, nextCheckMs } from '../../src/budget/waiting';

const T0 = Date.parse('2024-05-01T10:00:00Z');
const SEC = 1000;

describe('waiting for budget', () => {
  it('never asks the ledger again sooner than 5 s, whatever the task or the denial says', () => {
    expect(nextCheckMs(1, 1, undefined, T0)).toBe(5 * SEC);
    expect(nextCheckMs(1, 5, T0 + 200, T0)).toBe(5 * SEC);
    expect(nextCheckMs(1, 30, T0 - 10 * SEC, T0)).toBe(5 * SEC);
  });

  it('backs off: the interval doubles every 10 checks, up to a minute', () => {
    const intervals = Array.from({ length: 60 }, (_, i) => nextCheckMs(i + 1, 5, undefined, T0) / SEC);
    expect(intervals.slice(0, 10)).toEqual(Array(10).fill(5));
    expect(intervals.slice(10, 20)).toEqual(Array(10).fill(10));
    expect(intervals.slice(20, 30)).toEqual(Array(10).fill(20));
    expect(intervals.slice(30, 40)).toEqual(Array(10).fill(40));
    expect(intervals.slice(40)).toEqual(Array(20).fill(60));
    // A task that asked for a slower pace keeps it.
    expect(nextCheckMs(1, 300, undefined, T0)).toBe(300 * SEC);
    expect(nextCheckMs(100, 300, undefined, T0)).toBe(300 * SEC);
  });

  it('wakes when room comes for sure (the window or breaker ends), not later', () => {
    expect(nextCheckMs(50, 30, T0 + 12 * SEC, T0)).toBe(12 * SEC);
  });

  it('bounds a task\'s waiting (and so its history) yet outlasts an hourly window at the fastest pace', () => {
    let waited = 0;
    for (let check = 1; check <= MAX_BUDGET_WAITS; check++) waited += nextCheckMs(check, 5, undefined, T0);
    expect(waited).toBeGreaterThan(3 * 3600 * SEC);
    expect(MAX_BUDGET_WAITS).toBeLessThanOrEqual(240);
  });

  it('reads the wait from a denial\'s details, and nothing from other failures', () => {
    const details = { scope: 'system:hour', position: 3, waiting: 41, retryAtMs: T0 + 60 * SEC, limitUsd: 1 };
    const wait = budgetWaitFrom('system_budget_full', 'system_budget_full: …', details);
    expect(wait).toEqual({ type: 'system_budget_full', message: 'system_budget_full: …', scope: 'system:hour', position: 3, waiting: 41, retryAtMs: T0 + 60 * SEC });
    expect(describeWait(wait!, 2)).toMatch(/^waiting for budget: position 3 of 41 · check 2 \(room by 2024-05-01T10:01:00.000Z\)/);
    expect(budgetWaitFrom('breaker_open', 'open', { position: 'x' })).toEqual({ type: 'breaker_open', message: 'open' });
    expect(budgetWaitFrom('budget_exceeded', 'over', details)).toBeUndefined();
    // A specialist's own window: waited out only when asked (no other candidate) and its end is known.
    const agentHour = { scope: 'agent:DatabaseAgent:hour', retryAtMs: T0 + 3_600 * SEC };
    expect(budgetWaitFrom('agent_budget_exhausted', 'spent', agentHour)).toBeUndefined();
    expect(budgetWaitFrom('agent_budget_exhausted', 'spent', agentHour, { agentWindow: true })).toEqual({ type: 'agent_budget_exhausted', message: 'spent', scope: 'agent:DatabaseAgent:hour', retryAtMs: T0 + 3_600 * SEC });
    expect(budgetWaitFrom('agent_budget_exhausted', 'never fits', { scope: 'agent:DatabaseAgent:hour' }, { agentWindow: true })).toBeUndefined();
  });
});
