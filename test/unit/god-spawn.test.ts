import { canSpawn, recordSpawnedRun, registerSpawned, retirements, retireSpecialist } from '../../src/god/spawn';
import { recordFallback, recordOutcome } from '../../src/god/stats';
import type { GodState, KindStats } from '../../src/god/types';
import { DAY, freshState, godConfig, HOUR, spawned, T0 } from '../support/god-fixtures';

const config = godConfig({ maxLiveSpawned: 3, maxSpawnsPerDay: 1, spawnTrialRuns: 3 });

function fallbackRecord(kind: string, name: string, successes: number, runs: number): Record<string, KindStats> {
  let stats: Record<string, KindStats> = recordFallback({}, kind, name);
  for (let i = 0; i < runs; i++) {
    stats = recordOutcome(stats, { kind, specialist: name, finished: { taskId: `f${i}`, status: i < successes ? 'completed' : 'dead_lettered', costUsd: 0.01, tokens: 1, durationMs: 1, reason: '' } });
  }
  return stats;
}

describe('canSpawn', () => {
  it.each([
    ['nothing spawned yet', [], true, /0 of 3 live or on trial, 0 of 1 spawned today/],
    ['one created yesterday, live', [spawned('AAgent', { status: 'live', createdAtMs: T0 - DAY })], true, /1 of 3/],
    ['one created today', [spawned('AAgent', { createdAtMs: T0 + HOUR })], false, /1 of at most 1 spawned today/],
    ['three live or on trial', [spawned('AAgent', { createdAtMs: 0 }), spawned('BAgent', { createdAtMs: 0, status: 'live' }), spawned('CAgent', { createdAtMs: 0 })], false, /3 of at most 3 spawned specialists are live or on trial/],
    ['three, one of them retired', [spawned('AAgent', { createdAtMs: 0 }), spawned('BAgent', { createdAtMs: 0, status: 'retired' }), spawned('CAgent', { createdAtMs: 0 })], true, /2 of 3/],
  ])('%s', (_name, specialists, ok, reason) => {
    const r = canSpawn(specialists, { nowMs: T0 + 2 * HOUR, dayStartMs: T0, config });
    expect(r.ok).toBe(ok);
    expect(r.reason).toMatch(reason);
  });
});

describe('registerSpawned', () => {
  it('adds a trial specialist at the end and bumps the roster version', () => {
    const s = registerSpawned(freshState({ rosterVersion: 2 }), spawned('MigrationAgent').definition, 'database', T0 + HOUR);
    expect(s.specialists).toEqual([{ ...spawned('MigrationAgent'), createdAtMs: T0 + HOUR }]);
    expect(s.rosterVersion).toBe(3);
  });

  it('gives a reused name the next version and retires the active earlier one', () => {
    let s = registerSpawned(freshState(), spawned('MigrationAgent').definition, 'database', T0);
    s = retireSpecialist(s, 'MigrationAgent', 'did worse than the fallback', T0 + DAY);
    s = registerSpawned(s, spawned('MigrationAgent').definition, 'database', T0 + 2 * DAY);
    s = registerSpawned(s, spawned('MigrationAgent').definition, 'database', T0 + 3 * DAY);
    expect(s.specialists.map((x) => [x.version, x.status, x.retiredReason])).toEqual([
      [1, 'retired', 'did worse than the fallback'],
      [2, 'retired', 'replaced by version 3'],
      [3, 'trial', undefined],
    ]);
    expect(s.specialists[1].retiredAtMs).toBe(T0 + 3 * DAY);
    expect(s.rosterVersion).toBe(4);
  });
});

describe('recordSpawnedRun', () => {
  const start = (): GodState => registerSpawned(freshState(), spawned('MigrationAgent').definition, 'database', T0);

  it('counts runs and goes live on the spawnTrialRuns-th success, recorded and versioned', () => {
    let s = start();
    const v0 = s.rosterVersion;
    for (const ok of [true, false, true]) s = recordSpawnedRun(s, 'MigrationAgent', ok, config, T0 + HOUR);
    expect(s.specialists[0]).toMatchObject({ status: 'trial', runs: 3, successes: 2 });
    expect(s.rosterVersion).toBe(v0);
    s = recordSpawnedRun(s, 'MigrationAgent', true, config, T0 + 2 * HOUR);
    expect(s.specialists[0]).toMatchObject({ status: 'live', runs: 4, successes: 3 });
    expect(s.rosterVersion).toBe(v0 + 1);
    expect(s.recent.at(-1)).toEqual({ atMs: T0 + 2 * HOUR, kind: 'spawned', detail: 'MigrationAgent v1 is live: 3 of 4 trial runs succeeded' });
  });

  it('ignores unknown and retired names', () => {
    const s = retireSpecialist(start(), 'MigrationAgent', 'r', T0);
    expect(recordSpawnedRun(s, 'MigrationAgent', true, config)).toBe(s);
    expect(recordSpawnedRun(s, 'NobodyAgent', true, config)).toBe(s);
  });
});

describe('retirements', () => {
  const withRecord = (runs: number, successes: number, stats: Record<string, KindStats> = {}) =>
    freshState({ specialists: [spawned('MigrationAgent', { status: 'live', runs, successes })], stats });

  it.each([
    ['too few runs to judge (4 < 3 + 2)', withRecord(4, 0, fallbackRecord('database', 'Generalist', 8, 10)), undefined, []],
    ['worse than the fallback (2/5 vs 80 %)', withRecord(5, 2, fallbackRecord('database', 'Generalist', 8, 10)), undefined, [/success 40 % \(2\/5\) is below the fallback Generalist's 80 % \(8\/10\) for kind "database"/]],
    ['as good as the fallback (4/5 vs 80 %)', withRecord(5, 4, fallbackRecord('database', 'Generalist', 8, 10)), undefined, []],
    ['no fallback runs: below 50 %', withRecord(6, 2), undefined, [/below 50 % \(no fallback runs of this kind\)/]],
    ['no fallback runs: at 50 % it stays', withRecord(6, 3), undefined, []],
    ['a named fallback is used even with no recorded fallbacks', withRecord(5, 3, fallbackRecord('database', 'Generalist', 9, 10)), 'Generalist', [/below the fallback Generalist's 90 %/]],
    ['the named fallback has no runs of the kind', withRecord(5, 2), 'Generalist', [/below 50 % \(the fallback Generalist has no runs of this kind\)/]],
  ])('%s', (_name, state, fallback, expected) => {
    const r = retirements(state, config, fallback);
    expect(r.map((x) => x.name)).toEqual(expected.map(() => 'MigrationAgent'));
    r.forEach((x, i) => expect(x.reason).toMatch(expected[i]));
  });

  it('never judges a retired specialist again', () => {
    const s = freshState({ specialists: [spawned('MigrationAgent', { status: 'retired', runs: 9, successes: 0 })] });
    expect(retirements(s, config)).toEqual([]);
  });

  it('retireSpecialist records why and when, and bumps the roster version', () => {
    const s = retireSpecialist(withRecord(5, 0), 'MigrationAgent', 'worse than the fallback', T0 + DAY);
    expect(s.specialists[0]).toMatchObject({ status: 'retired', retiredReason: 'worse than the fallback', retiredAtMs: T0 + DAY });
    expect(s.rosterVersion).toBe(1);
  });
});
