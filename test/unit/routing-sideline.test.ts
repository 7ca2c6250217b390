import { emptyArm, observeArm, successMean, type ArmStats } from '../../src/routing/policy/arm-stats';
import { seedBook } from '../../src/routing/policy/book';
import { chooseArm, probeShare, quarantined, sidelined, type ChooseInput } from '../../src/routing/policy/choose';
import { binomialTail, losingRun, SIDELINE_P, SIDELINED_PROBE_SHARE } from '../../src/routing/policy/sideline';
import { summarise } from '../../bench/routing/policy-sim';

/**
 * Sidelining (issue 8: "a specialist that starts failing loses its traffic within 30 tasks"): a
 * good arm on an improbably losing run is held from exploit picks before the change detector has
 * its streak. Pure, no Temporal.
 */

const KEEP = { recovers: true, recentRuns: true };

/** A record built outcome by outcome ('S' success, 'F' failure), keeping its latest outcomes. */
function record(outcomes: string, from: ArmStats = emptyArm()): ArmStats {
  let s = from;
  for (const o of outcomes) s = observeArm(s, { success: o === 'S', costUsd: 0.01, durationMs: 1000 }, undefined, KEEP);
  return s;
}

/** Nineteen successes in twenty runs, the failure long ago: a good arm (its decayed record reads 90 %). */
const GOOD = 'SSFSSSSSSSSSSSSSSSSS';

describe('binomialTail', () => {
  it('agrees with counting every sequence of outcomes', () => {
    const byEnumeration = (n: number, k: number, p: number) => {
      let total = 0;
      for (let bits = 0; bits < 1 << n; bits++) {
        let ones = 0;
        for (let i = 0; i < n; i++) ones += (bits >> i) & 1;
        if (ones >= k) total += Math.pow(p, ones) * Math.pow(1 - p, n - ones);
      }
      return total;
    };
    for (const [n, k, p] of [[3, 3, 0.1], [4, 3, 0.2], [8, 5, 0.15], [10, 0, 0.3], [6, 7, 0.5]] as const) {
      expect(binomialTail(n, k, p)).toBeCloseTo(byEnumeration(n, k, p), 12);
    }
  });
});

describe('losingRun', () => {
  it('reads a run against the record the arm had before it, recovered exactly from the decayed record', () => {
    const before = record(GOOD);
    const run = losingRun(record('FF', before));
    expect(run).toMatchObject({ runs: 2, failures: 2 });
    expect(run!.before).toBeCloseTo(successMean(before), 9);
    expect(run!.p).toBeCloseTo(Math.pow(1 - successMean(before), 2), 9);
    expect(run!.p).toBeLessThan(SIDELINE_P);
  });

  it('sidelines a good arm at its second failure, a lucky success between them or not', () => {
    expect(losingRun(record('F', record(GOOD)))).toBeUndefined(); // one failure is no run
    expect(losingRun(record('FF', record(GOOD)))).toBeDefined();
    expect(losingRun(record('FSF', record(GOOD)))).toMatchObject({ runs: 3, failures: 2 });
  });

  it('ends once the arm succeeds twice in a row, and never reads a changed record', () => {
    expect(losingRun(record('FFS', record(GOOD)))).toBeDefined();
    expect(losingRun(record('FFSS', record(GOOD)))).toBeUndefined();
    expect(successMean(record(GOOD))).toBeCloseTo(0.9, 2);
    const changed = record('FFFF', record(GOOD));
    expect(changed.changed).toBe(true);
    expect(losingRun(changed)).toBeUndefined();
  });

  it('leaves poor arms and short records alone: no news, and no bar to read a run against', () => {
    expect(losingRun(record('FFFFF', record('SFSFSFSFSFSFSFSFSFSF')))).toBeUndefined();
    expect(losingRun(record('FF', record('SSS')))).toBeUndefined();
  });

  it('counts runs in flight past their usual duration as failures on top', () => {
    const good = record(GOOD);
    expect(losingRun(record('F', good))).toBeUndefined();
    expect(losingRun(record('F', good), 1)).toMatchObject({ runs: 2, failures: 2 });
    // Two successes in a row end it, unless runs are overdue since.
    expect(losingRun(good, 2)).toMatchObject({ runs: 3, failures: 2 });
  });

  it('is only kept where the rules ask (records from before it keep their shape)', () => {
    const plain = observeArm(emptyArm(), { success: false, costUsd: 0.01, durationMs: 1000 }, undefined, { recovers: true });
    expect(plain.recentRuns).toBeUndefined();
    expect(losingRun(plain, 3)).toBeUndefined();
  });
});

describe('choosing with sidelining', () => {
  const book = seedBook({ rules: {}, nowMs: 0, seed: 3, explorationShare: 0 });
  const policyWith = (generalistCostUsd: number) => ({ ...book.active, arms: { database: { DatabaseAgent: record('FSF', record(GOOD)), Generalist: { ...record('SFSSFSFSSF'), costMeanUsd: generalistCostUsd } } } });
  const base: ChooseInput = { kind: 'database', arms: ['DatabaseAgent', 'Generalist'], estimatedCostUsd: { DatabaseAgent: 0.01, Generalist: 0.01 }, value: 1, quarantine: true, probe: true };
  const on = { ...base, sideline: true };
  const picks = (policy: ReturnType<typeof policyWith>, input: ChooseInput) => {
    const rng = { s: 11 };
    return Array.from({ length: 2000 }, () => chooseArm(policy, rng, input));
  };

  it('holds a sidelined arm from exploit picks and probes it at SIDELINED_PROBE_SHARE; without the input it is chosen as before', () => {
    // As dear as the Generalist, whose record reads ~55 %: the DatabaseAgent's 90 % wins on its
    // record, its losing run (two failures in three) reads 37.5 %.
    const policy = policyWith(0.01);
    expect(sidelined(policy, on, 'DatabaseAgent')).toBe(true);
    expect(quarantined(policy, on, 'DatabaseAgent')).toBe(true);
    expect(probeShare(policy, on, 'DatabaseAgent')).toBe(SIDELINED_PROBE_SHARE);
    expect(sidelined(policy, base, 'DatabaseAgent')).toBe(false);
    const held = picks(policy, on);
    expect(held.filter((c) => c.mode === 'exploit' && c.arm === 'DatabaseAgent')).toEqual([]);
    const probes = held.filter((c) => c.probe);
    expect(Math.abs(probes.length / 2000 - SIDELINED_PROBE_SHARE)).toBeLessThan(0.03);
    for (const c of probes) expect(c).toMatchObject({ arm: 'DatabaseAgent', mode: 'explore', probability: SIDELINED_PROBE_SHARE });
    expect(picks(policy, base).filter((c) => c.mode === 'exploit' && c.arm === 'DatabaseAgent').length).toBeGreaterThan(1000);
  });

  it('does not hold a cheap arm out for a dear one it would still beat were it really failing', () => {
    // The Generalist 30 times dearer: even at its losing run's 37.5 % the DatabaseAgent is worth more per dollar.
    const policy = policyWith(0.3);
    expect(losingRun(policy.arms.database.DatabaseAgent)).toBeDefined();
    expect(sidelined(policy, on, 'DatabaseAgent')).toBe(false);
    expect(probeShare(policy, on, 'DatabaseAgent')).toBe(0);
    // Nor for an arm it alone may take: with no other arm it stays.
    expect(sidelined(policyWith(0.01), { ...on, arms: ['DatabaseAgent'] }, 'DatabaseAgent')).toBe(false);
  });
});

describe('bench:routing\'s scenario, simulated around the pure policy (bench/routing/policy-sim.ts)', () => {
  it('a specialist that starts failing loses its exploit picks within 30 tasks in at least 85 % of 200 seeded runs, more often than without sidelining', () => {
    const without = summarise(200, { sideline: false, regressionAt: 0.6 });
    const withIt = summarise(200, { sideline: true, regressionAt: 0.6 });
    expect(withIt.lostWithin).toBeGreaterThanOrEqual(170);
    expect(withIt.lostWithin).toBeGreaterThan(without.lostWithin);
  });

  it('costs healthy arms little: with no regression, cost per success within 15 % of the policy without it, success no lower than 1 point', () => {
    const without = summarise(200, { sideline: false });
    const withIt = summarise(200, { sideline: true });
    expect(withIt.meanCostPerSuccessUsd).toBeLessThan(without.meanCostPerSuccessUsd * 1.15);
    expect(withIt.meanSuccessRate).toBeGreaterThan(without.meanSuccessRate - 0.01);
  });
});
