import { emptyArm, observeArm, successMean, type ArmStats, type ChangeRules } from '../../src/routing/policy/arm-stats';
import { decide, observe, seedBook } from '../../src/routing/policy/book';
import { quarantined, type ChooseInput } from '../../src/routing/policy/choose';
import type { PolicyBook } from '../../src/routing/policy/types';
import { uniform } from '../../src/routing/policy/random';

/**
 * The change detector judging a failure run against the record as it stood before the run
 * (arm-stats.ts ChangeRules recordBeforeRun). Before, the run was judged against the mean its own
 * failures had pulled down, and with the decay a short or middling record's mean never fell far
 * enough: a Generalist with a 74 % database record of 8 runs failed 15 database tasks in a row,
 * never flagged, and kept the kind's traffic. Pure, no Temporal.
 */

/** God's rules with probes and sidelining on. */
const BEFORE: ChangeRules = { recovers: true, recentRuns: true };
const NOW: ChangeRules = { ...BEFORE, recordBeforeRun: true };
const FAIL = { success: false, costUsd: 0.001, durationMs: 1000 };
const OK = { ...FAIL, success: true };

/** A record of `n` decayed runs whose success mean (as `routing show` prints it, p=) reads `mean`. */
function recordOf(n: number, mean: number): ArmStats {
  const successes = mean * (n + 2) - 1;
  return { n, successes, failures: n - successes, costMeanUsd: 0.001, costM2: 0, durationMeanMs: 1000 };
}

/** Failures in a row until the record is flagged as changed (Infinity: not within `limit`). */
function failuresToFlag(s: ArmStats, rules: ChangeRules, limit = 100): number {
  for (let i = 1; i <= limit; i++) {
    s = observeArm(s, FAIL, undefined, rules);
    if (s.changed) return i;
  }
  return Infinity;
}

describe('the change detector, judging a failure run by the record before it', () => {
  it.each([
    // record before the run: runs, success mean; flagged at this failure in a row (before: never within 80)
    [8, 0.74, 6],
    [10, 0.67, 7],
  ])('flags a %d-run %s record at its failure %d in a row, which the older rule never flagged', (n, mean, at) => {
    expect(failuresToFlag(recordOf(n, mean), NOW)).toBe(at);
    expect(failuresToFlag(recordOf(n, mean), BEFORE, 80)).toBe(Infinity);
  });

  it('flags a 68 % record of 15 runs at its sixth failure in a row (the older rule: the eighth), and long good records as soon as before', () => {
    expect(failuresToFlag(recordOf(15, 0.68), NOW)).toBe(6);
    expect(failuresToFlag(recordOf(15, 0.68), BEFORE)).toBe(8);
    for (const [mean, at] of [[0.92, 3], [0.86, 4], [0.7, 6]]) {
      expect(failuresToFlag(recordOf(20, mean), NOW)).toBe(at);
      expect(failuresToFlag(recordOf(20, mean), NOW)).toBeLessThanOrEqual(failuresToFlag(recordOf(20, mean), BEFORE));
    }
  });

  it('leaves a mediocre arm\'s scattered failures alone: runs of two or three failures in a 55 % record, and a poor arm\'s long runs', () => {
    let mediocre = emptyArm();
    for (let i = 0; i < 20; i++) for (const o of 'SFSSFFSSFFFSS') mediocre = observeArm(mediocre, o === 'S' ? OK : FAIL, undefined, NOW);
    expect(mediocre.changed).toBeUndefined();
    expect(successMean(mediocre)).toBeGreaterThan(0.5);
    expect(successMean(mediocre)).toBeLessThan(0.65);
    // A 40 % arm failing eight in a row is no news: the record before the run read below CHANGE_BEFORE_MIN_SUCCESS.
    expect(failuresToFlag(recordOf(20, 0.4), NOW, 8)).toBe(Infinity);
  });

  it('raises few more false alarms on stationary middling arms than the older rule did (seeded, 65-run records)', () => {
    const flaggedShare = (rate: number, rules: ChangeRules) => {
      const rng = { s: 4242 };
      let flagged = 0;
      for (let t = 0; t < 400; t++) {
        let s = emptyArm();
        for (let i = 0; i < 65 && !s.changed; i++) s = observeArm(s, uniform(rng) < rate ? OK : FAIL, undefined, rules);
        if (s.changed) flagged++;
      }
      return flagged / 400;
    };
    for (const rate of [0.4, 0.55, 0.7, 0.8]) {
      expect(flaggedShare(rate, NOW)).toBeLessThan(0.08);
      expect(flaggedShare(rate, NOW) - flaggedShare(rate, BEFORE)).toBeLessThan(0.06);
    }
  });

  it('does not judge a changed record again by the record before its run: its failures since the change keep counting', () => {
    let s = recordOf(8, 0.74);
    for (let i = 0; i < 6; i++) s = observeArm(s, FAIL, undefined, NOW);
    expect(s).toMatchObject({ changed: true, failedSinceChange: 0 });
    for (let i = 0; i < 4; i++) s = observeArm(s, FAIL, undefined, NOW);
    expect(s).toMatchObject({ changed: true, failedSinceChange: 4, failStreak: 10 });
  });

  it('reads a record carried from before the rule (no failStreak, no recent runs) as it was', () => {
    const carried: ArmStats = JSON.parse(JSON.stringify({ n: 8, successes: 6.4, failures: 1.6, costMeanUsd: 0.001, costM2: 0, durationMeanMs: 1000 }));
    expect(failuresToFlag(carried, NOW)).toBe(6);
    const next = observeArm(carried, OK, undefined, NOW);
    expect(next.failStreak).toBe(0);
    expect(next.changed).toBeUndefined();
  });
});

describe('a specialist that starts failing loses its kind\'s traffic (the policy\'s own pick and observe)', () => {
  /**
   * The live case: the Generalist, cheap, with a 74 % database record of 8 runs; the DatabaseAgent,
   * four times dearer, with none (its rescues after a reassignment never counted for it). From
   * now on the Generalist fails every database task and the DatabaseAgent does them all.
   */
  function afterTheFlip(rules: ChangeRules, tasks = 20) {
    const seeded = seedBook({ rules: {}, nowMs: 0, seed: 7, explorationShare: 0.1 });
    let book: PolicyBook = { ...seeded, active: { ...seeded.active, arms: { database: { Generalist: recordOf(8, 0.74) } } } };
    const input: ChooseInput = { kind: 'database', arms: ['DatabaseAgent', 'Generalist'], estimatedCostUsd: { DatabaseAgent: 0.004, Generalist: 0.001 }, value: 1, quarantine: true, probe: true, sideline: true };
    const exploited: string[] = [];
    for (let i = 0; i < tasks; i++) {
      const decided = decide(book, input);
      const arm = decided.decision.choice.arm;
      if (decided.decision.choice.mode === 'exploit') exploited.push(arm);
      const success = arm === 'DatabaseAgent';
      book = observe(decided.book, { kind: 'database', decision: decided.decision, success, costUsd: input.estimatedCostUsd[arm], durationMs: 1000, value: 1, words: [] }, i, rules);
    }
    return { exploited, policy: book.active, input };
  }

  it('flags the Generalist within its first few failures and quarantines it: the DatabaseAgent wins the exploit picks after', () => {
    const { exploited, policy, input } = afterTheFlip(NOW);
    const generalist = policy.arms.database.Generalist;
    expect(generalist.changed).toBe(true);
    expect(quarantined(policy, input, 'Generalist')).toBe(true);
    // Its exploit picks end once flagged (six failures at most); what it runs after is probes and exploration.
    const last = exploited.lastIndexOf('Generalist');
    expect(exploited.slice(0, last + 1).filter((a) => a === 'Generalist').length).toBeLessThanOrEqual(6);
    expect(exploited.slice(last + 1).length).toBeGreaterThanOrEqual(8);
    expect(exploited.slice(last + 1).every((a) => a === 'DatabaseAgent')).toBe(true);
  });

  it('before the rule: never flagged, the Generalist keeps the exploit picks', () => {
    const { exploited, policy } = afterTheFlip(BEFORE);
    expect(policy.arms.database.Generalist.changed).toBeUndefined();
    expect(exploited.filter((a) => a === 'Generalist').length).toBeGreaterThan(exploited.length / 2);
  });
});
