import type { Override } from './ledger-types';
import type { Limits } from './limits';

/**
 * Applying a limits file to a running ledger (`pantheon budget limits`): the keys the file names
 * change, the rest keep the ledger's values. A file that names one limit must not put every
 * other limit an operator raised back to its default. Pure: the CLI reads and sends.
 */

type FileShape = Record<string, unknown>;

/** {@link Limits} in the file's snake_case shape (the keys operators write and read). */
export function toLimitsFile(limits: Limits): FileShape {
  return {
    per_task_tokens: limits.perTaskTokens,
    per_task_usd: limits.perTaskUsd,
    per_agent_hourly_usd: limits.perAgentHourlyUsd,
    per_agent_daily_usd: limits.perAgentDailyUsd,
    system_hourly_usd: limits.systemHourlyUsd,
    system_daily_usd: limits.systemDailyUsd,
    experimental_share: limits.experimentalShare,
    circuit_breaker: {
      enabled: limits.circuitBreaker.enabled,
      max_calls_per_task_per_minute: limits.circuitBreaker.maxCallsPerTaskPerMinute,
      max_spawn_depth: limits.circuitBreaker.maxSpawnDepth,
    },
    timezone: limits.timezone,
  };
}

const isPlainObject = (value: unknown): value is FileShape => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The file's keys laid over the ledger's limits (in file shape), one level into nested sections.
 * Anything that is not an object is returned as it is, so the schema reports it where it is.
 */
export function overLimits(raw: unknown, base: Limits): unknown {
  if (!isPlainObject(raw)) return raw;
  const merged: FileShape = { ...toLimitsFile(base) };
  for (const [key, value] of Object.entries(raw)) {
    const under = merged[key];
    merged[key] = isPlainObject(value) && isPlainObject(under) ? { ...under, ...value } : value;
  }
  return merged;
}

/** Every leaf where two nested records differ, by its dotted key, in the order of `a`'s keys. */
export function differences(a: object, b: object, prefix = ''): Array<{ key: string; from: unknown; to: unknown }> {
  const [x, y] = [a as FileShape, b as FileShape];
  return Object.keys({ ...x, ...y }).flatMap((key) => {
    const [from, to] = [x[key], y[key]];
    if (isPlainObject(from) && isPlainObject(to)) return differences(from, to, `${prefix}${key}.`);
    return from === to ? [] : [{ key: `${prefix}${key}`, from, to }];
  });
}

/** What changes, as `key: before → after` lines in the file's key names (empty: nothing). */
export function limitsChanges(before: Limits, after: Limits): string[] {
  return differences(toLimitsFile(before), toLimitsFile(after)).map(({ key, from, to }) => `${key}: ${String(from)} → ${String(to)}`);
}

/**
 * Where two sets of limits differ, as `key: ours → theirs` lines in the file's key names (empty
 * when equal), so an operator finds each in limits.yaml as written. A worker
 * whose limits.yaml differs from the running ledger's says so at start: the ledger's limits rule,
 * and only the audited setLimits update changes them.
 */
export function limitsDrift(local: Limits, ledger: Limits, file = 'limits.yaml'): string[] {
  return differences(toLimitsFile(local), toLimitsFile(ledger)).map(({ key, from, to }) => `${key}: ${String(from)} (${file}) → ${String(to)} (ledger)`);
}

/**
 * Limits that are valid one by one but cannot bind as written: an hourly limit above the daily
 * one of the same scope, or an agent's above the system's. Told, not refused: an operator may
 * mean it for a while (e.g. lifting the hourly cap for a burst).
 */
export function limitsWarnings(limits: Limits): string[] {
  const f = toLimitsFile(limits) as Record<string, number>;
  const above = (high: string, low: string, what: string) =>
    f[high] > f[low] ? [`${high} ${f[high]} is above ${low} ${f[low]}: ${what}`] : [];
  return [
    ...above('system_hourly_usd', 'system_daily_usd', 'the daily limit binds first, the hourly one never does'),
    ...above('per_agent_hourly_usd', 'per_agent_daily_usd', "an agent's daily limit binds first, its hourly one never does"),
    ...above('per_agent_daily_usd', 'system_daily_usd', "the system's daily limit binds before any agent's"),
    ...above('per_agent_hourly_usd', 'system_hourly_usd', "the system's hourly limit binds before any agent's"),
  ];
}

/**
 * Why a change computed over `read` may not be applied to a ledger whose limits are now `current`:
 * the keys someone changed meanwhile, as `key: read → now` (undefined: they still stand).
 */
export function changedSinceRead(read: Limits, current: Limits): string | undefined {
  const changed = differences(toLimitsFile(read), toLimitsFile(current)).map(({ key, from, to }) => `${key}: ${String(from)} → ${String(to)}`);
  return changed.length === 0 ? undefined : changed.join(', ');
}

/** Which overrides' scopes a limits file key sets the limit of (the key's scopes). */
const SCOPES_OF_KEY: Record<string, RegExp> = {
  system_hourly_usd: /^system:hour$/,
  system_daily_usd: /^system:day$/,
  per_agent_hourly_usd: /^agent:[^:]+:hour$/,
  per_agent_daily_usd: /^agent:[^:]+:day$/,
  per_task_usd: /^task:(?!.*:tokens$)/,
};

/**
 * A changed limit whose scope an unexpired override covers does not apply there until the
 * override ends: one line per such override, so an operator who raised a limit is not misled by
 * an override that still holds it lower (or higher). `changes` as {@link limitsChanges} writes them.
 */
export function overriddenChanges(changes: readonly string[], overrides: readonly Override[], nowMs: number): string[] {
  const keys = changes.map((line) => line.slice(0, line.indexOf(':')));
  return keys.flatMap((key) => {
    const scope = SCOPES_OF_KEY[key];
    if (!scope) return [];
    return overrides
      .filter((o) => o.untilMs > nowMs && scope.test(o.scope))
      .map((o) => `${o.scope} has an override of $${o.limitUsd} until ${new Date(o.untilMs).toISOString()} (by ${o.who}): it, not the new ${key}, applies there until then`);
  });
}
