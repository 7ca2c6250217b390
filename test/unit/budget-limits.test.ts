import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PantheonError } from '../../src/errors';
import { defaultLimits } from '../../src/budget/limits';
import { limitsFilePath, loadLimits, parseLimits } from '../../src/budget/load-limits';
import { repoRoot } from '../../src/config/paths';
import { createBudgetGate } from '../../src/budget/gate';
import type { Client } from '@temporalio/client';

function failure(text: string): PantheonError {
  try {
    parseLimits(text, '/etc/pantheon/limits.yaml');
  } catch (err) {
    return err as PantheonError;
  }
  throw new Error('expected parseLimits to throw');
}

describe('limits.yaml', () => {
  it('ships a file whose values are the documented defaults', () => {
    const shipped = loadLimits(path.join(repoRoot(), 'limits.yaml'));
    expect(shipped).toEqual(defaultLimits());
    expect(shipped).toEqual({
      perTaskTokens: 40000,
      perTaskUsd: 0.5,
      perAgentHourlyUsd: 0.5,
      perAgentDailyUsd: 2,
      systemHourlyUsd: 5,
      systemDailyUsd: 20,
      experimentalShare: 0.15,
      circuitBreaker: { enabled: true, maxCallsPerTaskPerMinute: 60, maxSpawnDepth: 3 },
      timezone: 'UTC',
    });
  });

  it('fills every key left out with its default, including inside circuit_breaker', () => {
    const limits = parseLimits('per_task_usd: 1.25\ncircuit_breaker:\n  enabled: false\ntimezone: America/New_York\n');
    expect(limits.perTaskUsd).toBe(1.25);
    expect(limits.systemDailyUsd).toBe(20);
    expect(limits.circuitBreaker).toEqual({ enabled: false, maxCallsPerTaskPerMinute: 60, maxSpawnDepth: 3 });
    expect(limits.timezone).toBe('America/New_York');
    expect(parseLimits('# only a comment\n')).toEqual(defaultLimits());
  });

  it.each([
    ['a wrong type', 'per_task_usd: "lots"', 'per_task_usd'],
    ['a negative amount', 'system_daily_usd: -1', 'system_daily_usd'],
    ['a fractional token count', 'per_task_tokens: 10.5', 'per_task_tokens'],
    ['an unknown key', 'per_task_dollars: 3', 'per_task_dollars'],
    ['an unknown nested key', 'circuit_breaker:\n  max_calls_per_minute: 3', 'circuit_breaker.max_calls_per_minute'],
    ['a wrong nested type', 'circuit_breaker:\n  enabled: "yes"', 'circuit_breaker.enabled'],
    ['an unknown time zone', 'timezone: Mars/Olympus_Mons', 'timezone'],
  ])('rejects %s with config_invalid naming the file and the key', (_what, text, key) => {
    const err = failure(text);
    expect(err).toBeInstanceOf(PantheonError);
    expect(err.type).toBe('config_invalid');
    expect(err.message).toContain('/etc/pantheon/limits.yaml');
    expect(err.message).toContain(`${key}:`);
    expect(err.details).toEqual({ file: '/etc/pantheon/limits.yaml', key });
  });

  it('names every bad key of a file at once, not only the first', () => {
    const err = failure('per_task_tokens: -5\nsystem_daily_usd: "lots"\nper_task_dollars: 3\n');
    expect(err.type).toBe('config_invalid');
    expect(err.message).toMatch(/^\/etc\/pantheon\/limits\.yaml: per_task_tokens: .+; system_daily_usd: .+; per_task_dollars: unknown key/);
    expect(err.details).toEqual({ file: '/etc/pantheon/limits.yaml', key: 'per_task_tokens', keys: ['per_task_tokens', 'system_daily_usd', 'per_task_dollars'] });
  });

  it('rejects YAML that is not a mapping, and YAML that does not parse', () => {
    expect(failure('- 1\n- 2').type).toBe('config_invalid');
    expect(failure('per_task_usd: [1, 2').message).toMatch(/not valid YAML/);
  });

  it('reads PANTHEON_LIMITS_FILE when set, and fails closed on a missing file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'limits-'));
    const file = path.join(dir, 'limits.yaml');
    fs.writeFileSync(file, 'system_hourly_usd: 1.5\n');
    expect(limitsFilePath({ PANTHEON_LIMITS_FILE: file })).toBe(file);
    expect(limitsFilePath({})).toBe(path.join(repoRoot(), 'limits.yaml'));
    expect(loadLimits(file).systemHourlyUsd).toBe(1.5);
    expect(() => loadLimits(path.join(dir, 'absent.yaml'))).toThrow(/absent\.yaml: cannot read the limits file \(ENOENT\)/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a PANTHEON_LIMITS_FILE of spaces alone, naming the variable, instead of reading a file named by spaces', () => {
    const before = process.env.PANTHEON_LIMITS_FILE;
    process.env.PANTHEON_LIMITS_FILE = '   ';
    try {
      expect(() => loadLimits()).toThrow(expect.objectContaining({ type: 'config_invalid', message: expect.stringMatching(/^environment variable PANTHEON_LIMITS_FILE: must not be blank/) }));
    } finally {
      if (before === undefined) delete process.env.PANTHEON_LIMITS_FILE;
      else process.env.PANTHEON_LIMITS_FILE = before;
    }
  });

  it('refuses a limits file that sets no limit, naming PANTHEON_LIMITS_FILE when that points at it: a truncated file must not seed the defaults', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'limits-'));
    const empty = path.join(dir, 'empty.yaml');
    fs.writeFileSync(empty, '');
    const before = process.env.PANTHEON_LIMITS_FILE;
    process.env.PANTHEON_LIMITS_FILE = empty;
    try {
      expect(() => loadLimits()).toThrow(
        expect.objectContaining({ type: 'config_invalid', message: `environment variable PANTHEON_LIMITS_FILE: ${empty}: sets no limit (empty, or comments only); nothing applied: write the keys to change, e.g. system_daily_usd: 20` }),
      );
      fs.writeFileSync(empty, '# only a comment\n');
      expect(() => loadLimits(empty)).toThrow(`${empty}: sets no limit`);
      // Errors of every kind name the variable.
      fs.writeFileSync(empty, 'system_hourly_usd: -1\n');
      expect(() => loadLimits()).toThrow(`environment variable PANTHEON_LIMITS_FILE: ${empty}: system_hourly_usd: `);
    } finally {
      if (before === undefined) delete process.env.PANTHEON_LIMITS_FILE;
      else process.env.PANTHEON_LIMITS_FILE = before;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops a gate built with invalid limits before it touches Temporal', () => {
    const limits = { ...defaultLimits(), systemDailyUsd: -5 };
    expect(() => createBudgetGate({ client: {} as Client, taskQueue: 'q', limits })).toThrow(
      expect.objectContaining({ type: 'config_invalid', message: expect.stringMatching(/systemDailyUsd/) }),
    );
  });
});
