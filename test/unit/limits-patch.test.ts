import { defaultLimits } from '../../src/budget/limits';
import { limitsChanges, limitsWarnings } from '../../src/budget/limits-patch';
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
