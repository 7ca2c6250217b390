import { initialLedgerState, reserve, settle } from '../../src/budget/ledger';
import type { Limits } from '../../src/budget/limits';
import type { Alert, ReserveRequest } from '../../src/budget/ledger-types';
import { limitsWith, type LimitsOverrides } from '../support/limits';

/** A settle above its reservation, in the pure ledger: the true cost, an alert, and a re-check. */

const T0 = Date.parse('2024-05-01T10:00:00Z');

function ledger(over: LimitsOverrides) {
  const limits: Limits = limitsWith(over);
  const state = initialLedgerState(T0, limits);
  let n = 0;
  const ask = (taskId: string, usd: number, tokens: number, agent = 'DatabaseAgent') => {
    const request: ReserveRequest = { key: `${taskId}:${++n}`, taskId, agent, usd, tokens };
    return { key: request.key, result: reserve(state, request, T0 + n, limits).result };
  };
  const finish = (key: string, usd: number, tokens: number) => settle(state, key, { usd, tokens }, T0 + 100, limits).result;
  return { state, limits, ask, finish };
}

const kinds = (alerts: Alert[]) => alerts.map((a) => `${a.kind} ${a.scope}`);

describe('a settle above its reservation', () => {
  it('charges the true cost, raises reservation_exceeded, and denies the task\'s next call once its scope is over', () => {
    const { state, ask, finish } = ledger({ perTaskUsd: 0.01 });
    const first = ask('t1', 0.004, 1000);
    expect(first.result.granted).toBe(true);

    const settled = finish(first.key, 0.012, 5000);

    expect(state.tasks.t1).toMatchObject({ usd: 0.012, tokens: 5000 });
    expect(settled.alerts).toEqual([
      expect.objectContaining({ kind: 'reservation_exceeded', scope: 'task:t1', unit: 'usd', limit: 0.004, spent: 0.012, window: first.key }),
      expect.objectContaining({ kind: 'budget_exceeded', scope: 'task:t1', unit: 'usd', limit: 0.01, spent: 0.012 }),
    ]);
    const next = ask('t1', 0.0001, 10).result;
    expect(next).toMatchObject({ granted: false, type: 'budget_exceeded', scope: 'task:t1' });
  });

  it('alerts an overrun in tokens alone, in tokens', () => {
    const { ask, finish } = ledger({});
    const { key } = ask('t2', 0.004, 1000);
    expect(kinds(finish(key, 0.003, 1500).alerts)).toEqual(['reservation_exceeded task:t2']);
    expect(finish(key, 0.003, 1500).alerts).toEqual([]);
  });

  it('raises nothing for a settle within its reservation', () => {
    const { state, ask, finish } = ledger({ perTaskUsd: 0.005 });
    const { key } = ask('t3', 0.004, 1000);
    expect(finish(key, 0.004, 1000).alerts).toEqual([]);
    expect(state.alerts).toEqual([]);
  });

  it('re-checks the task\'s token limit', () => {
    const { ask, finish } = ledger({ perTaskTokens: 2000 });
    const { key } = ask('t4', 0.001, 1500);
    expect(kinds(finish(key, 0.001, 2400).alerts)).toEqual(['reservation_exceeded task:t4', 'budget_exceeded task:t4:tokens']);
    expect(ask('t4', 0.0001, 10).result).toMatchObject({ granted: false, type: 'budget_exceeded', scope: 'task:t4:tokens' });
  });

  it('re-checks the agent\'s windows: the agent takes no next call', () => {
    const { ask, finish } = ledger({ perAgentHourlyUsd: 0.01 });
    const { key } = ask('t5', 0.004, 1000, 'ResearchAgent');
    expect(kinds(finish(key, 0.02, 1000).alerts)).toEqual(['reservation_exceeded task:t5', 'agent_budget_exhausted agent:ResearchAgent:hour']);
    expect(ask('t6', 0.0001, 10, 'ResearchAgent').result).toMatchObject({ granted: false, type: 'agent_budget_exhausted', scope: 'agent:ResearchAgent:hour' });
  });

  it('with the breaker on, opens it when the system\'s settled spend reaches its limit: every next call is denied', () => {
    const { state, ask, finish } = ledger({ systemHourlyUsd: 0.01 });
    const { key } = ask('t7', 0.004, 1000);
    const alerts = finish(key, 0.011, 1000).alerts;
    expect(kinds(alerts)).toEqual(['reservation_exceeded task:t7', 'breaker_open system:hour']);
    expect(state.breaker).toMatchObject({ open: true, reason: 'system_limit', scope: 'system:hour' });
    expect(ask('t8', 0.0001, 10).result).toMatchObject({ granted: false, type: 'breaker_open' });
  });

  it('with the breaker off, alerts the system scope and the next call is still denied', () => {
    const { state, ask, finish } = ledger({ systemDailyUsd: 0.01, circuitBreaker: { enabled: false } });
    const { key } = ask('t9', 0.004, 1000);
    expect(kinds(finish(key, 0.011, 1000).alerts)).toEqual(['reservation_exceeded task:t9', 'budget_exceeded system:day']);
    expect(state.breaker.open).toBe(false);
    expect(ask('t10', 0.0001, 10).result).toMatchObject({ granted: false, scope: 'system:day' });
  });
});
