import { POLICY_RULES, seedBook } from '../../src/routing/policy/book';
import type { PolicyBook } from '../../src/routing/policy/types';
import { policyArms, rosterPolicyBook, routeTaskWithPolicy, routeWithPolicy, seedFromId, taskKindAndEvidence, rememberedArms, withPolicyKeywords } from '../../src/routing/route-with-policy';

/** The learned policy applied to one task (src/routing/route-with-policy.ts), without Temporal. */

const RULES = { DatabaseAgent: ['sql', 'postgres', 'index'], ResearchAgent: ['research', 'compare', 'vendors'], Generalist: ['summary', 'draft'] };
const T0 = Date.parse('2026-12-01T00:00:00Z');
const COSTS = { DatabaseAgent: 0.01, ResearchAgent: 0.008 };
const input = (arms = ['DatabaseAgent', 'ResearchAgent']) => ({ kind: 'database', arms, estimatedCostUsd: COSTS, value: 2 });

function decisions(book: PolicyBook, n: number) {
  const out: Array<{ arm: string; mode: string; version: number }> = [];
  for (let i = 0; i < n; i++) {
    const r = routeWithPolicy(book, input());
    book = r.book;
    out.push({ arm: r.route.arm, mode: r.route.routing.mode, version: r.route.routing.policyVersion });
  }
  return out;
}

describe('routing with the learned policy', () => {
  it('gives the same decisions for the same state and seed, and different ones for another seed', () => {
    const a = decisions(seedBook({ rules: RULES, nowMs: T0, seed: 42 }), 40);
    const b = decisions(seedBook({ rules: RULES, nowMs: T0, seed: 42 }), 40);
    const c = decisions(seedBook({ rules: RULES, nowMs: T0, seed: 43 }), 40);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(new Set(a.map((d) => d.version))).toEqual(new Set([1]));
  });

  it('picks the same for the same task id on every call (a directly started task, its retries)', () => {
    const book = seedBook({ rules: RULES, nowMs: T0, seed: 1 });
    const picks = Array.from({ length: 5 }, () => routeTaskWithPolicy(book, 'task-abc', input()));
    expect(new Set(picks.map((p) => `${p.arm}/${p.routing.mode}`)).size).toBe(1);
    expect(seedFromId('task-abc')).toBe(seedFromId('task-abc'));
    expect(seedFromId('task-abc')).not.toBe(seedFromId('task-abd'));
  });

  it('sends a directly started task with no record for its kind to the rules\' pick, whatever its id and however cheap the other arm', () => {
    // ResearchAgent ranked first, DatabaseAgent five times cheaper: a draw would often take the cheap one.
    const book = seedBook({ rules: RULES, nowMs: T0, seed: 1, explorationShare: 0.5 });
    const cheapSecond = { kind: 'research', arms: ['ResearchAgent', 'DatabaseAgent'], estimatedCostUsd: { ResearchAgent: 0.01, DatabaseAgent: 0.002 }, value: 2 };
    const drawn = Array.from({ length: 60 }, (_, i) => routeWithPolicy({ ...book, rng: { s: i + 1 } }, cheapSecond).route.arm);
    expect(drawn).toContain('DatabaseAgent'); // the draw God makes does gamble
    const direct = Array.from({ length: 60 }, (_, i) => routeTaskWithPolicy(book, `task-${i}`, cheapSecond));
    expect(new Set(direct.map((r) => r.arm))).toEqual(new Set(['ResearchAgent']));
    expect(new Set(direct.map((r) => r.routing.mode))).toEqual(new Set(['exploit']));
    expect(direct[0].reason).toMatch(/best guess/);
  });

  it('lets the best guess follow the record once the kind has one: the rules\' pick that keeps failing loses to the next', () => {
    const book = seedBook({ rules: RULES, nowMs: T0, seed: 1 });
    const research = { kind: 'research', arms: ['ResearchAgent', 'DatabaseAgent', 'Generalist'], estimatedCostUsd: { ResearchAgent: 0.01, DatabaseAgent: 0.01, Generalist: 0.01 }, value: 2 };
    const failing = { ...book, active: { ...book.active, arms: { research: { ResearchAgent: { n: 6, successes: 0, failures: 6, costMeanUsd: 0.01, costM2: 0, durationMeanMs: 1000 } } } } };
    // DatabaseAgent is the first arm without a record; Generalist (also without) does not stand.
    expect(routeTaskWithPolicy(failing, 't-1', research).arm).toBe('DatabaseAgent');
    // Similar past tasks count too: Generalist's successes in memory make it the best guess.
    expect(routeTaskWithPolicy(failing, 't-1', { ...research, evidence: { Generalist: { successes: 6, failures: 0 } } }).arm).toBe('Generalist');
  });

  it('never offers a retired specialist as an arm, so it is never chosen', () => {
    const retired = new Set(['ResearchAgent']);
    const arms = policyArms(['ResearchAgent', 'DatabaseAgent', 'ResearchAgent'], (n) => !retired.has(n));
    expect(arms).toEqual(['DatabaseAgent']);
    let book = seedBook({ rules: RULES, nowMs: T0, seed: 9, explorationShare: 0.5 });
    for (let i = 0; i < 200; i++) {
      const r = routeWithPolicy(book, input(arms));
      book = r.book;
      expect(r.route.arm).toBe('DatabaseAgent');
    }
    expect(policyArms(['ResearchAgent'], (n) => !retired.has(n))).toEqual([]);
  });

  it('flags explored picks with their probability for the experimental lane', () => {
    let book = seedBook({ rules: RULES, nowMs: T0, seed: 5, explorationShare: 0.3 });
    let explored = 0;
    for (let i = 0; i < 200; i++) {
      const r = routeWithPolicy(book, input());
      book = r.book;
      if (r.route.routing.mode === 'explore') {
        explored += 1;
        expect(r.route.experimental).toBe(true);
        expect(r.route.routing.probability).toBeCloseTo(0.3 / 2);
        expect(r.route.reason).toMatch(/explored \(p=0\.150, experimental lane\)/);
      } else {
        expect(r.route.experimental).toBe(false);
        expect(r.route.routing.probability).toBeUndefined();
      }
      // The kept decision has no per-arm scores: God carries it until the task ends.
      expect(r.route.decision.choice.scores).toEqual({});
    }
    expect(explored).toBeGreaterThan(30);
    expect(explored).toBeLessThan(90);
  });

  it('names the kind from the rules and the nearest past tasks, and offers the specialists those succeeded with as arms', () => {
    const ranking = [{ specialist: 'DatabaseAgent', score: 2, matched: ['postgres', 'index'] }];
    const like = (specialist: string, success: boolean) => ({ specialist, success, similarity: 0.8 });
    const k = taskKindAndEvidence(ranking, 'Generalist', [like('DatabaseAgent', true), like('DatabaseAgent', false), like('Generalist', true), { specialist: 'ResearchAgent', success: true, similarity: 0.1 }]);
    expect(k.kind).toBe('database');
    // Below the similarity floor a past task is no evidence.
    expect(k.evidence).toEqual({ DatabaseAgent: { successes: 1, failures: 1 }, Generalist: { successes: 1, failures: 0 } });
    // One lucky run is no candidacy: an arm needs a clear record among similar tasks.
    expect(rememberedArms(k.evidence)).toEqual([]);
    const many = taskKindAndEvidence(ranking, 'Generalist', [...Array(4)].map(() => like('Generalist', true)).concat([like('ResearchAgent', true), like('DatabaseAgent', true)]));
    expect(rememberedArms(many.evidence)).toEqual(['Generalist']);
    // Nothing matched, memory full of research successes: memory names the kind.
    const fromMemory = taskKindAndEvidence([], 'Generalist', [like('ResearchAgent', true), like('ResearchAgent', true)]);
    expect(fromMemory).toMatchObject({ kind: 'research', source: 'memory' });
    expect(fromMemory.explanation).toMatch(/like 2 earlier tasks, all ResearchAgent successes/);
    expect(taskKindAndEvidence([], 'Generalist').kind).toBe('general');
  });

  it('routes with the policy\'s keywords, and stands in as version 0 without God', () => {
    const specialists = [
      { name: 'DatabaseAgent', keywords: ['sql'] },
      { name: 'LegalAgent', keywords: ['contract'] },
    ];
    expect(withPolicyKeywords(specialists, { rules: { DatabaseAgent: ['postgres'] } })).toEqual([
      { name: 'DatabaseAgent', keywords: ['postgres'] },
      { name: 'LegalAgent', keywords: ['contract'] },
    ]);
    const v0 = rosterPolicyBook(specialists, T0);
    expect(v0.active.version).toBe(0);
    expect(v0.active.reason).toMatch(/no God running/);
    expect(routeTaskWithPolicy(v0, 't', input()).routing.policyVersion).toBe(0);
  });

  it('lets a candidate on trial make about the canary share of decisions, named as such', () => {
    let book = seedBook({ rules: RULES, nowMs: T0, seed: 11 });
    book = { ...book, candidate: { policy: { ...book.active, version: 2 }, canary: { tasks: 0, successes: 0, costUsd: 0, value: 0 }, control: { tasks: 0, successes: 0, costUsd: 0, value: 0 }, shadow: { tasks: 0, successes: 0, costUsd: 0, value: 0 }, shadowControl: { tasks: 0, successes: 0, costUsd: 0, value: 0 }, startedAtMs: T0 }, lastVersion: 2 };
    let byCandidate = 0;
    for (let i = 0; i < 500; i++) {
      const r = routeWithPolicy(book, input());
      book = r.book;
      if (r.route.routing.by === 'candidate') {
        byCandidate += 1;
        expect(r.route.routing.policyVersion).toBe(2);
      } else expect(r.route.routing.policyVersion).toBe(1);
    }
    expect(byCandidate / 500).toBeGreaterThan(POLICY_RULES.canaryShare / 2);
    expect(byCandidate / 500).toBeLessThan(POLICY_RULES.canaryShare * 2);
  });
});

describe('the record a decision reason shows', () => {
  it('names its success an estimate beside the runs that succeeded, not a measured rate (one good run: 1.0 succeeded, estimated 67 %)', () => {
    const seeded = seedBook({ rules: RULES, nowMs: T0, seed: 1, explorationShare: 0 });
    const one = { n: 1, successes: 1, failures: 0, costMeanUsd: 0.01, costM2: 0, durationMeanMs: 1000 };
    const book: PolicyBook = { ...seeded, active: { ...seeded.active, arms: { database: { DatabaseAgent: one, ResearchAgent: one } } } };
    const { route } = routeWithPolicy(book, input());
    expect(route.reason).toMatch(/its record: 1\.0 runs, 1\.0 succeeded, success estimated at 67 %$/);
    expect(route.reason).not.toMatch(/runs, success 67 %/);
  });
});
