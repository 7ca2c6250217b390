import { defaultLimits, type Limits } from '../../src/budget/limits';

export type LimitsOverrides = Partial<Omit<Limits, 'circuitBreaker'>> & { circuitBreaker?: Partial<Limits['circuitBreaker']> };

/**
 * Generous limits with the given overrides: only the limits a test names can bind, so a test
 * about one limit is not stopped by another.
 */
export function limitsWith(over: LimitsOverrides = {}): Limits {
  return {
    ...defaultLimits(),
    perTaskTokens: 1_000_000,
    perTaskUsd: 100,
    perAgentHourlyUsd: 100,
    perAgentDailyUsd: 100,
    systemHourlyUsd: 100,
    systemDailyUsd: 100,
    ...over,
    circuitBreaker: { ...defaultLimits().circuitBreaker, maxCallsPerTaskPerMinute: 1000, ...over.circuitBreaker },
  };
}
