import { z } from 'zod';
import { lazySchema } from '../tasks/lazy-schema';

/**
 * The budget limits: the file format (snake_case, as operators write limits.yaml) and the typed
 * {@link Limits} the code uses. Pure (zod only): the ledger workflow validates its input with it.
 */

/** Names an IANA zone the runtime knows; Intl throws a RangeError for anything else. */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const usd = lazySchema('budget/limits.usd', () =>
  z.number().finite().nonnegative()
);
/** The experimental lane's share of the daily budget: at most half, so the main lane always keeps most of the day. */
export const DEFAULT_EXPERIMENTAL_SHARE = 0.15;
export const MAX_EXPERIMENTAL_SHARE = 0.5;
export const shareSchema = lazySchema('budget/limits.shareSchema', () =>
  z
    .number()
    .finite()
    .min(0, `must be between 0 and ${MAX_EXPERIMENTAL_SHARE} (a share of the daily budget)`)
    .max(MAX_EXPERIMENTAL_SHARE, `must be between 0 and ${MAX_EXPERIMENTAL_SHARE} (a share of the daily budget)`)
);
const timezone = lazySchema('budget/limits.timezone', () =>
  z.string().min(1).refine(isTimeZone, { message: 'must be an IANA time zone name, e.g. UTC or America/New_York' })
);

/**
 * The runaway bound: calls one task may be granted in a sliding minute. A task with the default
 * settings (40 iterations, compression every 10) makes at most 46 calls with one specialist (its
 * iterations, up to 4 compressions, the validator's and the router's), so it does not reach this
 * however fast the provider answers; a loop that does not end does. At 30, a task of 30-odd
 * iterations on a provider answering within 2 s stopped every call everywhere until the hour ended.
 */
export const DEFAULT_MAX_CALLS_PER_TASK_PER_MINUTE = 60;

/** limits.yaml as written. `.strict()` everywhere: a misspelt key must not silently fall back to a default. */
export const LimitsFileSchema = lazySchema('budget/limits.LimitsFileSchema', () =>
  z
    .object({
      per_task_tokens: z.number().int().positive().default(40000),
      per_task_usd: usd.default(0.5),
      per_agent_hourly_usd: usd.default(0.5),
      per_agent_daily_usd: usd.default(2),
      system_hourly_usd: usd.default(5),
      system_daily_usd: usd.default(20),
      experimental_share: shareSchema.default(DEFAULT_EXPERIMENTAL_SHARE),
      circuit_breaker: z
        .object({
          enabled: z.boolean().default(true),
          max_calls_per_task_per_minute: z.number().int().positive().default(DEFAULT_MAX_CALLS_PER_TASK_PER_MINUTE),
          max_spawn_depth: z.number().int().nonnegative().default(3),
        })
        .strict()
        .default({ enabled: true, max_calls_per_task_per_minute: DEFAULT_MAX_CALLS_PER_TASK_PER_MINUTE, max_spawn_depth: 3 }),
      timezone: timezone.default('UTC'),
    })
    .strict()
);

/** The limits in code: what the ledger enforces. */
export const LimitsSchema = lazySchema('budget/limits.LimitsSchema', () =>
  z
    .object({
      perTaskTokens: z.number().int().positive(),
      perTaskUsd: usd,
      perAgentHourlyUsd: usd,
      perAgentDailyUsd: usd,
      systemHourlyUsd: usd,
      systemDailyUsd: usd,
      /** Limits carried by a ledger from before the lanes have none: they get the default. */
      experimentalShare: shareSchema.default(DEFAULT_EXPERIMENTAL_SHARE),
      circuitBreaker: z
        .object({
          enabled: z.boolean(),
          maxCallsPerTaskPerMinute: z.number().int().positive(),
          maxSpawnDepth: z.number().int().nonnegative(),
        })
        .strict(),
      timezone,
    })
    .strict()
);
export type Limits = z.infer<typeof LimitsSchema>;

/** The file's snake_case shape mapped to {@link Limits}. */
export function fromLimitsFile(file: z.output<typeof LimitsFileSchema>): Limits {
  return {
    perTaskTokens: file.per_task_tokens,
    perTaskUsd: file.per_task_usd,
    perAgentHourlyUsd: file.per_agent_hourly_usd,
    perAgentDailyUsd: file.per_agent_daily_usd,
    systemHourlyUsd: file.system_hourly_usd,
    systemDailyUsd: file.system_daily_usd,
    experimentalShare: file.experimental_share,
    circuitBreaker: {
      enabled: file.circuit_breaker.enabled,
      maxCallsPerTaskPerMinute: file.circuit_breaker.max_calls_per_task_per_minute,
      maxSpawnDepth: file.circuit_breaker.max_spawn_depth,
    },
    timezone: file.timezone,
  };
}

/** Every default, as an empty limits.yaml yields them (a function: the schema is built on first use, see lazy-schema.ts). */
export const defaultLimits = (): Limits => fromLimitsFile(LimitsFileSchema.parse({}));
