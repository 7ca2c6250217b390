import { decayedRuns, observeArm, emptyArm, successMean, CHANGE_MIN_RUN, DEFAULT_DECAY, RECOVERY_RUN, type ArmStats } from '../../src/routing/policy/arm-stats';
import { decide, observe, POLICY_RULES, rollbackTo, seedBook, type PolicyDecision } from '../../src/routing/policy/book';
import { bestGuessArm, chooseArm, greedyArm, probeShare, quarantined, recordedArms, PROBE_SHARE, type ChooseInput } from '../../src/routing/policy/choose';
import { diffPolicies } from '../../src/routing/policy/diff';
import { beta, uniform } from '../../src/routing/policy/random';
import { applyRuleEdits, proposeRuleEdits, tallyWords, MAX_WORDS_PER_SPECIALIST, type WordTallies } from '../../src/routing/policy/rule-edits';
import type { PolicyBook } from '../../src/routing/policy/types';

/**
 * The routing policy's pure core (issue 8): sampling, learning, rewriting, promotion, probation and
 * rollback, without Temporal. The simulated world below draws outcomes from its own seeded stream,
 * never from the policy's.
 */

const RULES = { DatabaseAgent: ['sql', 'postgres', 'index', 'schema'], ResearchAgent: ['research', 'compare', 'sources', 'vendors'], Generalist: ['summary', 'draft', 'notes'] };
const ARMS = ['DatabaseAgent', 'ResearchAgent', 'Generalist'];
const T0 = Date.parse('2026-12-01T00:00:00Z');

function input(estimates: Record<string, number> = { DatabaseAgent: 0.01, ResearchAgent: 0.01, Generalist: 0.01 }): ChooseInput {
  return { kind: 'research', arms: ARMS, estimatedCostUsd: estimates, value: 1 };
}

/** A world of per-arm success rates and costs, with its own random stream. */
function world(seed: number) {
  const rs = { s: seed };
  return {
    outcome(rates: Record<string, number>, costs: Record<string, number>, arm: string) {
      return { success: uniform(rs) < rates[arm], costUsd: costs[arm], durationMs: 1000 };
    },
  };
}

function run(book: PolicyBook, tasks: number, rates: Record<string, number>, costs: Record<string, number>, seed = 7, onDecision?: (d: PolicyDecision, b: PolicyBook) => void): PolicyBook {
  const w = world(seed);
  for (let i = 0; i < tasks; i++) {
    const decided = decide(book, input(costs));
    onDecision?.(decided.decision, decided.book);
    const o = w.outcome(rates, costs, decided.decision.choice.arm);
    book = observe(decided.book, { kind: 'research', decision: decided.decision, ...o, value: 1, words: [] }, T0 + i * 60_000);
  }
  return book;
}

describe('seeded random stream', () => {
  it('gives the same draws for the same state, and Beta draws with the right mean', () => {
    const a = { s: 99 };
    const b = { s: 99 };
    const xs = Array.from({ length: 5 }, () => uniform(a));
    expect(Array.from({ length: 5 }, () => uniform(b))).toEqual(xs);
    const rs = { s: 1 };
    const draws = Array.from({ length: 4000 }, () => beta(rs, 8, 2));
    expect(draws.reduce((s, x) => s + x, 0) / draws.length).toBeCloseTo(0.8, 1);
    expect(Math.min(...draws)).toBeGreaterThan(0);
    expect(Math.max(...draws)).toBeLessThan(1);
  });
});

describe('arm statistics', () => {
  it('decays old outcomes so a run of failures shows within tens of tasks', () => {
    let s = emptyArm();
    for (let i = 0; i < 200; i++) s = observeArm(s, { success: true, costUsd: 0.01, durationMs: 1 });
    expect(successMean(s)).toBeGreaterThan(0.95);
    for (let i = 0; i < 30; i++) s = observeArm(s, { success: false, costUsd: 0.01, durationMs: 1 });
    expect(successMean(s)).toBeLessThan(0.5);
  });
});

describe('choosing', () => {
  it('makes the same decisions from the same state and seed, and others from another seed', () => {
    const picks = (seed: number) => {
      const out: string[] = [];
      run(seedBook({ rules: RULES, nowMs: T0, seed }), 120, { DatabaseAgent: 0.5, ResearchAgent: 0.6, Generalist: 0.4 }, { DatabaseAgent: 0.01, ResearchAgent: 0.01, Generalist: 0.01 }, 3, (d) => out.push(`${d.choice.arm}/${d.choice.mode}`));
      return out;
    };
    expect(picks(11)).toEqual(picks(11));
    expect(picks(12)).not.toEqual(picks(11));
  });

  it('converges on the best arm: after 200 tasks at least 80 % of exploit picks choose it', () => {
    const rates = { DatabaseAgent: 0.3, ResearchAgent: 0.9, Generalist: 0.6 };
    const costs = { DatabaseAgent: 0.01, ResearchAgent: 0.01, Generalist: 0.01 };
    const late: string[] = [];
    let i = 0;
    run(seedBook({ rules: RULES, nowMs: T0, seed: 5 }), 300, rates, costs, 9, (d) => {
      if (i++ >= 200 && d.choice.mode === 'exploit') late.push(d.choice.arm);
    });
    expect(late.filter((a) => a === 'ResearchAgent').length / late.length).toBeGreaterThanOrEqual(0.8);
  });

  it('pays for success: of two equally good arms the cheaper wins most exploit picks', () => {
    const rates = { DatabaseAgent: 0.8, ResearchAgent: 0.8, Generalist: 0.1 };
    const costs = { DatabaseAgent: 0.03, ResearchAgent: 0.01, Generalist: 0.01 };
    const picks: string[] = [];
    let i = 0;
    run(seedBook({ rules: RULES, nowMs: T0, seed: 8 }), 300, rates, costs, 4, (d) => {
      if (i++ >= 150 && d.choice.mode === 'exploit') picks.push(d.choice.arm);
    });
    expect(picks.filter((a) => a === 'ResearchAgent').length / picks.length).toBeGreaterThanOrEqual(0.8);
  });

  it('takes traffic from a specialist that starts failing within 30 tasks', () => {
    const costs = { DatabaseAgent: 0.01, ResearchAgent: 0.01, Generalist: 0.01 };
    let book = run(seedBook({ rules: RULES, nowMs: T0, seed: 21 }), 200, { DatabaseAgent: 0.5, ResearchAgent: 0.9, Generalist: 0.7 }, costs, 2);
    const after: string[] = [];
    book = run(book, 30, { DatabaseAgent: 0.5, ResearchAgent: 0.05, Generalist: 0.7 }, costs, 6, (d) => after.push(d.choice.arm));
    expect(after.slice(0, 5).filter((a) => a === 'ResearchAgent').length).toBeGreaterThanOrEqual(4); // it had the traffic
    // By the second half of those 30 tasks it has lost it (what is left is exploration and doubt).
    expect(after.slice(15).filter((a) => a === 'ResearchAgent').length).toBeLessThanOrEqual(3);
  });

  it('lets a run of failures outweigh a long good record within a few outcomes (a single failure does not)', () => {
    let s = emptyArm();
    for (let i = 0; i < 100; i++) s = observeArm(s, { success: true, costUsd: 0.01, durationMs: 1000 });
    const healthy = successMean(s);
    expect(healthy).toBeGreaterThan(0.9);
    const once = observeArm(s, { success: false, costUsd: 0.01, durationMs: 1000 });
    expect(successMean(once)).toBeGreaterThan(0.85);
    let failing = s;
    for (let i = 0; i < 4; i++) failing = observeArm(failing, { success: false, costUsd: 0.01, durationMs: 1000 });
    expect(failing.failStreak).toBe(4);
    expect(successMean(failing)).toBeLessThan(0.6);
    expect(observeArm(failing, { success: true, costUsd: 0.01, durationMs: 1000 }).failStreak).toBe(0);
  });

  it('restarts a record a run of failures makes improbable, so a later lucky success does not restore it; a middling arm\'s short run is no change', () => {
    const ok = { success: true, costUsd: 0.01, durationMs: 1000 };
    const bad = { ...ok, success: false };
    let good = emptyArm();
    for (let i = 0; i < 100; i++) good = observeArm(good, ok);
    let changed = good;
    for (let i = 0; i < CHANGE_MIN_RUN; i++) changed = observeArm(changed, bad);
    expect(changed.successes).toBe(0); // the 90 %+ record is gone after the third failure in a row
    expect(successMean(observeArm(changed, ok))).toBeLessThan(0.5);
    expect(observeArm(changed, ok).changed).toBe(true);
    // From then on memory's similar successes (from before the change) no longer speak for it.
    const book = seedBook({ rules: RULES, nowMs: T0, seed: 5 });
    const remembered = { ...input(), arms: ['DatabaseAgent', 'Generalist'], evidence: { DatabaseAgent: { successes: 30, failures: 0 } } };
    const unmarked = { ...book.active, arms: { research: { DatabaseAgent: { ...changed, changed: undefined } } } };
    const marked = { ...book.active, arms: { research: { DatabaseAgent: changed } } };
    expect(greedyArm(unmarked, remembered)).toBe('DatabaseAgent');
    expect(greedyArm(marked, remembered)).toBe('Generalist');
    // A coin-flip arm: three failures in a row are ordinary (0.5³ = 12.5 %), its record stands.
    let middling = emptyArm();
    for (let i = 0; i < 100; i++) middling = observeArm(middling, i % 2 ? ok : bad);
    let unlucky = middling;
    for (let i = 0; i < CHANGE_MIN_RUN; i++) unlucky = observeArm(unlucky, bad);
    expect(unlucky.successes).toBeGreaterThan(5);
  });

  it('keeps a changed arm that still fails out of exploit picks, however draws between two poor arms fall; it is still explored', () => {
    const ok = { success: true, costUsd: 0.01, durationMs: 1000 };
    const bad = { ...ok, success: false };
    let record = emptyArm();
    for (let i = 0; i < 100; i++) record = observeArm(record, ok);
    for (let i = 0; i < CHANGE_MIN_RUN; i++) record = observeArm(record, bad);
    record = observeArm(record, ok); // one lucky success after the change: still failing
    // The fallback is poor at the kind too (half its runs) and dearer: without quarantine the failing arm
    // (a cheap one) still wins some draws.
    let generalist = emptyArm();
    for (let i = 0; i < 20; i++) generalist = observeArm(generalist, i % 2 === 0 ? ok : bad);
    const book = seedBook({ rules: RULES, nowMs: T0, seed: 3 });
    const policy = { ...book.active, explorationShare: 0.1, arms: { research: { DatabaseAgent: record, Generalist: { ...generalist, costMeanUsd: 0.03 } } } };
    const two: ChooseInput = { ...input({ DatabaseAgent: 0.01, Generalist: 0.03 }), arms: ['DatabaseAgent', 'Generalist'] };
    expect(quarantined(policy, two, 'DatabaseAgent')).toBe(true);
    expect(quarantined(policy, two, 'Generalist')).toBe(false); // poor, but never flagged by the change detector
    const picks = (quarantine: boolean) => {
      const rng = { s: 99 };
      return Array.from({ length: 400 }, () => chooseArm(policy, rng, { ...two, quarantine }));
    };
    const free = picks(false).filter((c) => c.mode === 'exploit' && c.arm === 'DatabaseAgent').length;
    expect(free).toBeGreaterThan(0);
    const held = picks(true);
    expect(held.filter((c) => c.mode === 'exploit' && c.arm === 'DatabaseAgent')).toEqual([]);
    expect(held.filter((c) => c.mode === 'explore' && c.arm === 'DatabaseAgent').length).toBeGreaterThan(0);
    // The best guess (tasks routed outside God) holds it out the same way; alone, it still runs.
    expect(bestGuessArm(policy, { ...two, quarantine: true }).arm).toBe('Generalist');
    expect(chooseArm(policy, { s: 1 }, { ...two, arms: ['DatabaseAgent'], quarantine: true }).arm).toBe('DatabaseAgent');
    // Back above the bar through its explored runs, it competes again.
    let recovered = record;
    for (let i = 0; i < 20; i++) recovered = observeArm(recovered, ok);
    expect(quarantined({ ...policy, arms: { research: { ...policy.arms.research, DatabaseAgent: recovered } } }, two, 'DatabaseAgent')).toBe(false);
  });

  it('lets a changed arm that then succeeds RECOVERY_RUN times in a row change back; one that keeps failing, or breaks the run, stays changed', () => {
    const ok = { success: true, costUsd: 0.01, durationMs: 1000 };
    const bad = { ...ok, success: false };
    const rules = { recovers: true };
    const feed = (s: ArmStats, outcomes: boolean[]) => outcomes.reduce((a, success) => observeArm(a, success ? ok : bad, DEFAULT_DECAY, rules), s);
    const good = feed(emptyArm(), Array.from({ length: 100 }, () => true));
    const changed = feed(good, [false, false, false]);
    expect(changed).toMatchObject({ changed: true, winStreak: 0, failedSinceChange: 0 });
    expect(RECOVERY_RUN).toBe(3);
    const twoBack = feed(changed, [true, true]);
    expect(twoBack).toMatchObject({ changed: true, winStreak: 2 });
    const back = feed(twoBack, [true]);
    expect(back.changed).toBeUndefined();
    expect(back).toMatchObject({ n: 3, successes: 3, failures: 0, failStreak: 0 });
    expect(back.winStreak).toBeUndefined();
    // A failure in between starts the run again and counts against it.
    const broken = feed(changed, [true, true, false, true, true]);
    expect(broken).toMatchObject({ changed: true, winStreak: 2, failedSinceChange: 1 });
    // Without the rule (God's histories from before it) three successes do not clear the change.
    let old = changed;
    for (let i = 0; i < 3; i++) old = observeArm(old, ok);
    expect(old.changed).toBe(true);
  });

  it('probes a quarantined arm at PROBE_SHARE of its kind\'s decisions, halved for each run it failed since its change; probes are explored picks', () => {
    const quarantinedArm = (failedSinceChange: number): ArmStats => ({ n: 3, successes: 0, failures: 3, costMeanUsd: 0.01, costM2: 0, durationMeanMs: 1000, failStreak: 3, changed: true, winStreak: 0, failedSinceChange });
    let generalist = emptyArm();
    for (let i = 0; i < 20; i++) generalist = observeArm(generalist, { success: i % 4 !== 0, costUsd: 0.03, durationMs: 1000 });
    const book = seedBook({ rules: RULES, nowMs: T0, seed: 3, explorationShare: 0.1 });
    const policyWith = (failed: number) => ({ ...book.active, arms: { research: { DatabaseAgent: quarantinedArm(failed), Generalist: generalist } } });
    const two: ChooseInput = { ...input({ DatabaseAgent: 0.01, Generalist: 0.03 }), arms: ['DatabaseAgent', 'Generalist'], quarantine: true };
    const probes = (failed: number, probe: boolean) => {
      const rng = { s: 17 };
      return Array.from({ length: 4000 }, () => chooseArm(policyWith(failed), rng, { ...two, probe })).filter((c) => c.probe);
    };
    expect(probeShare(policyWith(0), two, 'DatabaseAgent')).toBe(PROBE_SHARE);
    expect(probeShare(policyWith(2), two, 'DatabaseAgent')).toBe(PROBE_SHARE / 4);
    expect(probeShare(policyWith(0), two, 'Generalist')).toBe(0); // not quarantined
    const fresh = probes(0, true);
    expect(Math.abs(fresh.length / 4000 - PROBE_SHARE)).toBeLessThan(0.02);
    for (const c of fresh) expect(c).toMatchObject({ arm: 'DatabaseAgent', mode: 'explore', probe: true, probability: PROBE_SHARE });
    expect(Math.abs(probes(2, true).length / 4000 - PROBE_SHARE / 4)).toBeLessThan(0.015);
    expect(probes(0, false)).toEqual([]); // God's histories from before the rule
    // Alone for the task, it is simply the arm (nothing to probe it against).
    expect(chooseArm(policyWith(0), { s: 1 }, { ...two, arms: ['DatabaseAgent'], probe: true }).probe).toBeUndefined();
  });

  it('with every arm quarantined, exploits the one best on its record\'s means and probes the others (before the probes rule: a draw between them)', () => {
    const changedArm = (successes: number, failures: number, costMeanUsd: number): ArmStats => ({ n: successes + failures, successes, failures, costMeanUsd, costM2: 0, durationMeanMs: 1000, failStreak: 0, changed: true, winStreak: 0, failedSinceChange: 1 });
    const book = seedBook({ rules: RULES, nowMs: T0, seed: 3, explorationShare: 0 });
    // Both failing the kind since their change; the Generalist a little better and much cheaper.
    const policy = { ...book.active, arms: { research: { DatabaseAgent: changedArm(1, 6, 0.002), Generalist: changedArm(3, 9, 0.0007) } } };
    const two: ChooseInput = { ...input({ DatabaseAgent: 0.002, Generalist: 0.0007 }), arms: ['DatabaseAgent', 'Generalist'], quarantine: true };
    expect(quarantined(policy, two, 'DatabaseAgent') && quarantined(policy, two, 'Generalist')).toBe(true);
    const picks = (probe: boolean) => {
      const rng = { s: 5 };
      return Array.from({ length: 1000 }, () => chooseArm(policy, rng, { ...two, probe }));
    };
    const drawn = picks(false).filter((c) => c.arm === 'DatabaseAgent');
    expect(drawn.length).toBeGreaterThan(20); // a poor arm's lucky draws win now and then
    const settled = picks(true);
    expect(settled.filter((c) => c.mode === 'exploit' && c.arm === 'DatabaseAgent')).toEqual([]);
    const probed = settled.filter((c) => c.arm === 'DatabaseAgent');
    expect(probed.length).toBeGreaterThan(50); // PROBE_SHARE halved once: ~10 %
    for (const c of probed) expect(c).toMatchObject({ mode: 'explore', probe: true, probability: PROBE_SHARE / 2 });
  });

  it('leaves a probe out of the candidate\'s off-policy score (its arm was not drawn uniformly)', () => {
    const book = withCandidate();
    const explored = (probe: boolean) => {
      const o = outcomeBy(book, 'active', true);
      return { ...o, decision: { ...o.decision, choice: { ...o.decision.choice, mode: 'explore' as const, ...(probe && { probe: true as const }) }, shadow: { active: 'ResearchAgent', candidate: 'ResearchAgent' } } };
    };
    expect(observe(book, explored(false), T0).candidate!.shadow.tasks).toBe(3);
    expect(observe(book, explored(true), T0).candidate!.shadow.tasks).toBe(0);
  });

  it('lets an arm\'s own record outweigh memory\'s old successes once it has one', () => {
    const book = seedBook({ rules: RULES, nowMs: T0, seed: 5 });
    const failing = { n: 8, successes: 0, failures: 8, costMeanUsd: 0.01, costM2: 0, durationMeanMs: 1000 };
    const policy = { ...book.active, arms: { research: { DatabaseAgent: failing } } };
    // Ten similar past tasks in memory were DatabaseAgent successes, before it started failing.
    const withMemory = { ...input(), arms: ['DatabaseAgent', 'Generalist'], evidence: { DatabaseAgent: { successes: 10, failures: 0 } } };
    expect(greedyArm(policy, withMemory)).toBe('Generalist');
    // With no record of its own, the same memory is what the policy goes by.
    expect(greedyArm(book.active, withMemory)).toBe('DatabaseAgent');
  });

  it('puts an arm on trial: explored at its uniform share (probed at PROBE_SHARE with probes on), never exploited, guessed or picked greedily', () => {
    // The Generalist is the cheapest by far: were it an ordinary arm with no record, it would win most draws.
    const book = seedBook({ rules: RULES, nowMs: T0, seed: 3, explorationShare: 0.2 });
    const onTrial: ChooseInput = { ...input({ DatabaseAgent: 0.01, ResearchAgent: 0.01, Generalist: 0.0001 }), arms: ['ResearchAgent', 'Generalist'], trial: ['Generalist'] };
    const rng = { s: 11 };
    const choices = Array.from({ length: 2000 }, () => chooseArm(book.active, rng, onTrial));
    const trialPicks = choices.filter((c) => c.arm === 'Generalist');
    expect(trialPicks.length).toBeGreaterThan(0);
    for (const c of trialPicks) expect(c).toMatchObject({ mode: 'explore', probability: 0.1 });
    expect(trialPicks.length / choices.length).toBeCloseTo(0.1, 1);
    expect(greedyArm(book.active, onTrial)).toBe('ResearchAgent');
    expect(bestGuessArm(book.active, onTrial).arm).toBe('ResearchAgent');
    // With probes on (God since 'routing-probes-quarantined'), a trial arm is probed at PROBE_SHARE instead.
    const probing = Array.from({ length: 2000 }, () => chooseArm(book.active, rng, { ...onTrial, quarantine: true, probe: true }));
    const probed = probing.filter((c) => c.arm === 'Generalist');
    expect(Math.abs(probed.filter((c) => c.probe).length / 2000 - PROBE_SHARE)).toBeLessThan(0.025);
    expect(probed.filter((c) => !c.probe).length / 2000).toBeLessThan(0.15); // and still explored uniformly now and then
    for (const c of probed) expect(c.mode).toBe('explore');
    // Not on trial, the same cheap arm with no record takes the exploit picks.
    const free = Array.from({ length: 200 }, () => chooseArm(book.active, rng, { ...onTrial, trial: undefined }));
    expect(free.filter((c) => c.mode === 'exploit' && c.arm === 'Generalist').length).toBeGreaterThan(free.filter((c) => c.mode === 'exploit').length / 2);
  });

  it('names the arms with a record of their own for the kind: enough runs, whatever their success', () => {
    const ok = { success: true, costUsd: 0.001, durationMs: 1000 };
    const bad = { ...ok, success: false };
    const record = (outcomes: boolean[]) => outcomes.reduce((s, success) => observeArm(s, success ? ok : bad), emptyArm());
    const book = seedBook({ rules: RULES, nowMs: T0, seed: 3 });
    const policy = {
      ...book.active,
      arms: {
        review: {
          Generalist: record([true, true, true, true, true, false]),
          ResearchAgent: record([true]), // 1 run is not a record
          DatabaseAgent: record([true, false, false, false, false, true, false, false]), // a record, of failing
        },
      },
    };
    expect(recordedArms(policy, 'review')).toEqual(['DatabaseAgent', 'Generalist']);
    expect(recordedArms(policy, 'research')).toEqual([]);
    // Two runs in a row are (decayed: 1 + 0.95); three weigh 2.85.
    expect(recordedArms({ ...policy, arms: { research: { Generalist: record([true, false]) } } }, 'research')).toEqual(['Generalist']);
    expect(decayedRuns(3)).toBeCloseTo(2.8525, 10);
    // Beside a good arm of the same cost the failing record rarely draws well enough (the draw
    // weighs cost too: at a tenth of the cost, 30 % success would be the better value).
    const rng = { s: 9 };
    const both: ChooseInput = { kind: 'review', arms: ['ResearchAgent', 'DatabaseAgent'], estimatedCostUsd: { ResearchAgent: 0.01, DatabaseAgent: 0.01 }, value: 1 };
    const withGood = { ...policy, explorationShare: 0, arms: { review: { ...policy.arms.review, ResearchAgent: { ...record(Array(20).fill(true)), costMeanUsd: 0.01 }, DatabaseAgent: { ...policy.arms.review.DatabaseAgent, costMeanUsd: 0.01 } } } };
    const picks = Array.from({ length: 200 }, () => chooseArm(withGood, rng, both).arm);
    expect(picks.filter((a) => a === 'DatabaseAgent').length).toBeLessThan(20);
  });

  it('explores uniformly at its share and logs the probability', () => {
    const book = seedBook({ rules: RULES, nowMs: T0, seed: 3, explorationShare: 0.3 });
    const rng = { s: 77 };
    const choices = Array.from({ length: 3000 }, () => chooseArm(book.active, rng, input()));
    const explored = choices.filter((c) => c.mode === 'explore');
    expect(explored.length / choices.length).toBeCloseTo(0.3, 1);
    for (const c of explored) expect(c.probability).toBeCloseTo(0.1, 12);
    for (const arm of ARMS) expect(explored.filter((c) => c.arm === arm).length / explored.length).toBeCloseTo(1 / 3, 1);
  });
});

/** Drives a book to a candidate on trial: 50 finished tasks make a rewrite (exploration decays). */
function withCandidate(): PolicyBook {
  const book = run(seedBook({ rules: RULES, nowMs: T0, seed: 31 }), POLICY_RULES.rewriteEvery, { DatabaseAgent: 0.5, ResearchAgent: 0.5, Generalist: 0.5 }, { DatabaseAgent: 0.01, ResearchAgent: 0.01, Generalist: 0.01 });
  expect(book.candidate?.policy.version).toBe(2);
  return book;
}

function outcomeBy(book: PolicyBook, by: 'active' | 'candidate', success: boolean, costUsd = 0.01) {
  const policy = by === 'candidate' ? book.candidate!.policy : book.active;
  const decision: PolicyDecision = { choice: { arm: 'ResearchAgent', mode: 'exploit', scores: {}, policyVersion: policy.version }, by, shadow: { active: 'ResearchAgent' }, arms: 3 };
  return { kind: 'research', decision, success, costUsd, durationMs: 1, value: 1, words: [] };
}

describe('rewriting, promotion, probation and rollback', () => {
  it('derives a candidate every 50 tasks with its changes as the reason', () => {
    const book = withCandidate();
    expect(book.candidate!.policy.parent).toBe(1);
    expect(book.candidate!.policy.reason).toMatch(/^rewrite after 50 tasks: .*exploration 10\.0 % → 8\.0 %/);
    expect(book.audit.map((a) => a.kind)).toEqual(['seeded', 'derived']);
  });

  it('never promotes below 50 canary samples, and promotes at 50 with a 5 % gain', () => {
    let book = withCandidate();
    for (let i = 0; i < 100; i++) book = observe(book, outcomeBy(book, 'active', i % 2 === 0), T0);
    for (let i = 0; i < POLICY_RULES.minPromotionSamples - 1; i++) book = observe(book, outcomeBy(book, 'candidate', true), T0);
    expect(book.candidate).toBeDefined();
    expect(book.active.version).toBe(1);
    book = observe(book, outcomeBy(book, 'candidate', true), T0);
    expect(book.candidate).toBeUndefined();
    expect(book.active.version).toBe(2);
    expect(book.audit.at(-1)).toMatchObject({ kind: 'promoted', version: 2, detail: expect.stringMatching(/^promoted over v1: 50 canary tasks/) });
    expect(book.probation).toMatchObject({ version: 2, previous: 1, baseline: { successRate: 0.5 } });
  });

  it('discards a candidate that does not beat the active policy by 5 %', () => {
    let book = withCandidate();
    for (let i = 0; i < 100; i++) book = observe(book, outcomeBy(book, 'active', i % 2 === 0), T0);
    for (let i = 0; i < 50; i++) book = observe(book, outcomeBy(book, 'candidate', i % 2 === 0, 0.0099), T0);
    expect(book.candidate).toBeUndefined();
    expect(book.active.version).toBe(1);
    // The next rewrite waits for 50 more tasks, and never reuses the discarded number.
    expect(book.sinceRewrite).toBe(0);
    book = run(book, POLICY_RULES.rewriteEvery, { DatabaseAgent: 0.5, ResearchAgent: 0.5, Generalist: 0.5 }, { DatabaseAgent: 0.01, ResearchAgent: 0.01, Generalist: 0.01 });
    expect(book.candidate?.policy.version).toBe(3);
    expect(book.audit.filter((a) => a.kind === 'discarded').at(-1)).toMatchObject({ kind: 'discarded', version: 2, detail: expect.stringMatching(/^not promoted: 50 canary tasks: .*\(\+1\.0 %\); needs \+5\.0 %/) });
  });

  function promoted(): PolicyBook {
    let book = withCandidate();
    for (let i = 0; i < 100; i++) book = observe(book, outcomeBy(book, 'active', i % 5 !== 0), T0); // 80 %
    for (let i = 0; i < 50; i++) book = observe(book, outcomeBy(book, 'candidate', true), T0);
    expect(book.active.version).toBe(2);
    return book;
  }

  it('rolls back a promoted version whose success falls more than 10 points, within 30 tasks, with an alert-worthy reason', () => {
    let book = promoted();
    let tasks = 0;
    while (book.active.version === 2 && tasks < 30) {
      book = observe(book, outcomeBy(book, 'active', tasks % 2 === 0), T0); // 50 % against a baseline of 80 %
      tasks++;
    }
    expect(book.active.version).toBe(1);
    expect(tasks).toBeLessThanOrEqual(30);
    expect(book.audit.at(-1)).toMatchObject({ kind: 'rolled_back', version: 1, by: 'god', detail: expect.stringMatching(/^v2 rolled back to v1: automatic: success/) });
    expect(book.active.rules).toEqual(RULES);
    expect(book.history.map((p) => p.version)).toEqual([2]);
  });

  it('rolls back when cost per success rises more than 25 %, and keeps a version that holds up', () => {
    let dear = promoted();
    for (let i = 0; i < 30; i++) dear = observe(dear, outcomeBy(dear, 'active', i % 5 !== 0, 0.02), T0);
    expect(dear.audit.at(-1)).toMatchObject({ kind: 'rolled_back', detail: expect.stringContaining('cost per success rose') });
    let fine = promoted();
    for (let i = 0; i < 30; i++) fine = observe(fine, outcomeBy(fine, 'active', i % 5 !== 0), T0);
    expect(fine.active.version).toBe(2);
    expect(fine.probation).toBeUndefined();
  });

  it('rolls back on an operator\'s word, audited, and refuses a version it does not keep', () => {
    const book = promoted();
    const back = rollbackTo(book, 1, 'canary looked odd', 'alice', T0 + 1);
    expect(back.active.version).toBe(1);
    // What was learned about the arms is kept.
    expect(back.active.arms).toBe(book.active.arms);
    expect(back.audit.at(-1)).toMatchObject({ kind: 'rolled_back', version: 1, by: 'alice', detail: 'v2 rolled back to v1: canary looked odd' });
    expect(() => rollbackTo(book, 9, 'x', 'alice', T0)).toThrow('no policy v9 to roll back to (earlier versions kept: v1; v2 is active)');
    expect(() => rollbackTo(book, 2, 'x', 'alice', T0)).toThrow('v2 is already active');
  });

  it('refuses a rollback to the candidate on trial saying it is the candidate and what becomes of it, not that no such version exists', () => {
    const book = withCandidate();
    expect(() => rollbackTo(book, 2, 'x', 'alice', T0)).toThrow(
      'v2 is the candidate on trial (never active, so no rollback target): it is promoted once 50 canary tasks show 5 % more value per dollar than v1, else discarded; no command ends its trial early (its canary so far: pantheon routing show; earlier versions kept: none; v1 is active)',
    );
    const kept = { ...book, history: [{ ...book.active, version: 0 }] };
    expect(() => rollbackTo(kept, 2, 'x', 'alice', T0)).toThrow(/a rollback to an earlier version ends its trial \(.*earlier versions kept: v0; v1 is active\)$/);
  });
});

describe('rule edits', () => {
  it('adds a word a specialist keeps succeeding with, drops a keyword it keeps failing with, and diffs the versions', () => {
    let tallies: WordTallies = {};
    for (let i = 0; i < 9; i++) tallies = tallyWords(tallies, 'ResearchAgent', ['vector', 'databases'], true);
    tallies = tallyWords(tallies, 'ResearchAgent', ['vector'], false);
    for (let i = 0; i < 6; i++) tallies = tallyWords(tallies, 'ResearchAgent', ['vendors'], false);
    // "sql" is DatabaseAgent's keyword: never handed to another specialist.
    for (let i = 0; i < 9; i++) tallies = tallyWords(tallies, 'ResearchAgent', ['sql'], true);
    const edits = proposeRuleEdits(RULES, tallies);
    expect(edits).toEqual([{ specialist: 'ResearchAgent', add: ['databases', 'vector'], drop: ['vendors'], reason: 'databases: 9 of 9 succeeded; vector: 9 of 10 succeeded; vendors: 6 of 6 failed' }]);
    const rules = applyRuleEdits(RULES, edits);
    expect(rules.ResearchAgent).toEqual(['research', 'compare', 'sources', 'databases', 'vector']);
    const a = seedBook({ rules: RULES, nowMs: T0, seed: 1 }).active;
    expect(diffPolicies(a, { ...a, version: 2, rules, explorationShare: 0.08 })).toEqual({
      from: 1,
      to: 2,
      rules: [{ specialist: 'ResearchAgent', added: ['databases', 'vector'], dropped: ['vendors'] }],
      settings: [{ name: 'explorationShare', from: 0.1, to: 0.08 }],
    });
  });

  it('never adds a word other specialists\' tasks use as much (it routes nothing apart)', () => {
    let tallies: WordTallies = {};
    for (let i = 0; i < 9; i++) tallies = tallyWords(tallies, 'ResearchAgent', ['service', 'latency'], true);
    for (let i = 0; i < 9; i++) tallies = tallyWords(tallies, 'Generalist', ['service'], true);
    const research = proposeRuleEdits(RULES, tallies).find((e) => e.specialist === 'ResearchAgent');
    expect(research?.add).toEqual(['latency']);
  });

  it('keeps the tally bounded and at least three keywords per specialist', () => {
    let tallies: WordTallies = {};
    for (let i = 0; i < 200; i++) tallies = tallyWords(tallies, 'Generalist', [`word${i}`], true);
    expect(Object.keys(tallies.Generalist)).toHaveLength(MAX_WORDS_PER_SPECIALIST);
    for (let i = 0; i < 6; i++) tallies = tallyWords(tallies, 'Generalist', ['summary', 'draft', 'notes'], false);
    expect(proposeRuleEdits(RULES, tallies).find((e) => e.specialist === 'Generalist')?.drop ?? []).toEqual([]);
  });
});
