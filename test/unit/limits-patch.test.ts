import { defaultLimits } from '../../src/budget/limits';
import { limitsChanges, limitsWarnings, overriddenChanges } from '../../src/budget/limits-patch';
import { parseLimits } from '../../src/budget/load-limits';

const ledger = { ...defaultLimits(), perAgentDailyUsd: 4, circuitBreaker: { ...defaultLimits().circuitBreaker, maxCallsPerTaskPerMinute: 200, maxSpawnDepth: 5 } };

describe('a limits file applied over a running ledger', () => {
  it('changes the keys it sets, one level into circuit_breaker, and keeps the rest', () => {
    const next = parseLimits('system_daily_usd: 50\ncircuit_breaker:\n  max_spawn_depth: 2\n', 'f.yaml', { over: ledger });
    expect(next).toEqual({ ...ledger, systemDailyUsd: 50, circuitBreaker: { ...ledger.circuitBreaker, maxSpawnDepth: 2 } });
    expect(limitsChanges(ledger, next)).toEqual(['system_daily_usd: 20 → 50', 'circuit_breaker.max_spawn_depth: 5 → 2']);
  });

  it('still refuses a bad or unknown key, naming it', () => {
    expect(() => parseLimits('system_daily_usd: -1\n', 'f.yaml', { over: ledger })).toThrow('f.yaml: system_daily_usd:');
    expect(() => parseLimits('circuit_breaker:\n  max_depth: 2\n', 'f.yaml', { over: ledger })).toThrow('f.yaml: circuit_breaker.max_depth: unknown key');
    expect(() => parseLimits('circuit_breaker: 3\n', 'f.yaml', { over: ledger })).toThrow('f.yaml: circuit_breaker:');
    expect(() => parseLimits('- 1\n', 'f.yaml', { over: ledger })).toThrow('f.yaml: ');
  });

  it('without a ledger to lay over, unset keys take their defaults (a worker seeding the first ledger)', () => {
    expect(parseLimits('system_daily_usd: 50\n')).toEqual({ ...defaultLimits(), systemDailyUsd: 50 });
  });

  it('warns of limits that cannot bind as written, and of nothing in the shipped defaults', () => {
    expect(limitsWarnings(defaultLimits())).toEqual([]);
    const warnings = limitsWarnings({ ...defaultLimits(), systemHourlyUsd: 30, perAgentHourlyUsd: 3, perAgentDailyUsd: 25 });
    expect(warnings).toEqual([
      'system_hourly_usd 30 is above system_daily_usd 20: the daily limit binds first, the hourly one never does',
      "per_agent_daily_usd 25 is above system_daily_usd 20: the system's daily limit binds before any agent's",
    ]);
    expect(limitsWarnings({ ...defaultLimits(), perAgentHourlyUsd: 3 })).toEqual([
      "per_agent_hourly_usd 3 is above per_agent_daily_usd 2: an agent's daily limit binds first, its hourly one never does",
    ]);
  });
});

describe('a changed limit an override covers', () => {
  const T = Date.parse('2026-12-06T12:00:00Z');
  const override = (scope: string, untilMs = T + 60_000) => ({ scope, limitUsd: 50, untilMs, who: 'ops', why: 'launch', atMs: T - 1000 });

  it('is noted per override of its scope; other scopes, ended overrides and token scopes are not', () => {
    const changes = ['system_daily_usd: 20 → 3', 'per_agent_hourly_usd: 0.5 → 1', 'per_task_usd: 0.25 → 1'];
    const overrides = [override('system:day'), override('system:hour'), override('agent:DatabaseAgent:hour'), override('agent:Generalist:day'), override('task:t1', T - 1), override('task:t2')];
    expect(overriddenChanges(changes, overrides, T)).toEqual([
      'system:day has an override of $50 until 2026-12-06T12:01:00.000Z (by ops): it, not the new system_daily_usd, applies there until then',
      'agent:DatabaseAgent:hour has an override of $50 until 2026-12-06T12:01:00.000Z (by ops): it, not the new per_agent_hourly_usd, applies there until then',
      'task:t2 has an override of $50 until 2026-12-06T12:01:00.000Z (by ops): it, not the new per_task_usd, applies there until then',
    ]);
    expect(overriddenChanges(['per_task_tokens: 40000 → 50000'], overrides, T)).toEqual([]);
  });
});
