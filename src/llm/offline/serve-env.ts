import { PantheonError } from '../../errors';

/**
 * A whole number from an `npm run provider` variable, between `min` and `max`; `fallback` when
 * unset or blank. The error names the variable (a port of 99999 reached the listener as "port: Too big").
 *
 * @example intFromEnv(process.env, 'PANTHEON_OFFLINE_PORT', 8787, 65535)
 */
export function intFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? 'a whole number, 0 or more' : `a whole number from 0 to ${max}`;
    throw PantheonError.of('config_invalid', `environment variable ${name}: must be ${range} (got "${raw}")`, { details: { variable: name } });
  }
  return value;
}
