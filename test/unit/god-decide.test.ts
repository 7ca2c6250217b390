import { decide, repriceReview, type DecideContext } from '../../src/god/decide';
import { chainStatsName, recordFallback, recordOutcome } from '../../src/god/stats';
import type { Assessment, KindStats, QueuedTask } from '../../src/god/types';
import { assessment, godConfig, queued, spawned, T0 } from '../support/god-fixtures';

function item(a: Partial<Assessment> = {}, extra: Partial<QueuedTask> = {}): QueuedTask & { assessment: Assessment } {
  return { ...queued('t1', { decided: false, status: 'assessing' }), ...extra, assessment: assessment(a) };
}

function ctx(overrides: Partial<DecideContext> = {}): DecideContext {
  return { stats: {}, specialists: [], config: godConfig(), remainingUsd: 1, nowMs: T0, spawnedToday: 0, ...overrides };
}

function fallbacks(kind: string, n: number): Record<string, KindStats> {
  let stats: Record<string, KindStats> = {};
  for (let i = 0; i < n; i++) stats = recordFallback(stats, kind, 'Generalist');
  return stats;
}

describe('decide', () => {
  it('rejects a task that failed pre-flight, with its reasons and no review', () => {
    const r = decide(item({ ok: false, reasons: ['objective is vague', 'requires "schema"'], irreversible: ['drops a table'] }), ctx());
    expect(r.decision).toMatchObject({ kind: 'reject', reason: 'pre-flight validation: objective is vague; requires "schema"', expectedCostUsd: 0 });
    expect(r.review).toBeUndefined();
  });

  it('routes a confident task to the routed specialist, with expectations from statistics', () => {
    let stats: Record<string, KindStats> = {};
    for (let i = 0; i < 3; i++) stats = recordOutcome(stats, { kind: 'research', specialist: 'ResearchAgent', finished: { taskId: 'x', status: 'completed', costUsd: 0.03, tokens: 1, durationMs: 1, reason: '' } });
    const r = decide(item({ confidence: 0.8, estimatedCostUsd: 0.01 }), ctx({ stats }));
    expect(r.decision).toMatchObject({ kind: 'route', specialist: 'ResearchAgent', lane: 'main', reason: 'rules: ResearchAgent (confidence 0.80)', atMs: T0 });
    expect(r.decision.expectedCostUsd).toBeCloseTo(0.02, 10);
    expect(r.decision.expectedSuccess).toBeCloseTo(4.4 / 5, 10);
    expect(r.review).toBeUndefined();
  });

  it('with memoryKinds, sends a task no rule matched to the trial specialist of the kind memory gives it, in review', () => {
    // The rules cannot place it: "general" to them, the fallback picked; memory knows a NegotiateAgent success like it.
    const unplaced = item({
      kind: 'general', specialist: 'Generalist', method: 'none', confidence: 0.2, ranked: [], fallbackSpecialist: 'Generalist',
      routingKind: { kind: 'negotiate', source: 'memory', evidence: { NegotiateAgent: { successes: 1, failures: 0 } }, explanation: 'memory: like 1 earlier task, all NegotiateAgent success; no rule matched' },
    });
    const negotiator = spawned('NegotiateAgent', { kind: 'negotiate', runs: 1, successes: 1 });
    const before = decide(unplaced, ctx({ specialists: [negotiator], spawnedToday: 1 }));
    expect(before.decision.specialist).toBe('Generalist');
    const r = decide(unplaced, ctx({ specialists: [negotiator], spawnedToday: 1, memoryKinds: true }));
    expect(r.decision).toMatchObject({ kind: 'route', specialist: 'NegotiateAgent', lane: 'experimental' });
    expect(r.review).toEqual(['trial run 2 of 3 of spawned specialist NegotiateAgent']);
    // A retired one is not found; nor is one when memory's kind comes from the rules, not memory.
    expect(decide(unplaced, ctx({ specialists: [{ ...negotiator, status: 'retired' }], spawnedToday: 1, memoryKinds: true })).decision.specialist).toBe('Generalist');
    // A spawner names its specialist freely: memory's kind comes from that name, whatever kind it was registered for.
    const freely = item({ ...unplaced.assessment, routingKind: { ...unplaced.assessment.routingKind!, kind: 'lease-negotiation', evidence: { LeaseNegotiationAgent: { successes: 1, failures: 0 } } } });
    const named = spawned('LeaseNegotiationAgent', { kind: 'negotiate', runs: 1, successes: 1 });
    expect(decide(freely, ctx({ specialists: [named], spawnedToday: 1, memoryKinds: true })).decision.specialist).toBe('LeaseNegotiationAgent');
    const byRules = item({ ...unplaced.assessment, routingKind: { ...unplaced.assessment.routingKind!, source: 'rules' } });
    expect(decide(byRules, ctx({ specialists: [negotiator], spawnedToday: 1, memoryKinds: true })).decision.specialist).toBe('Generalist');
  });

  it('chains a plan of two or more, cut to maxChainSteps, and says so', () => {
    const r = decide(item({ plan: ['ResearchAgent', 'DatabaseAgent', 'CodeReviewAgent', 'Generalist'], estimatedCostUsd: 0.01 }), ctx({ config: godConfig({ maxChainSteps: 3 }) }));
    expect(r.decision.kind).toBe('chain');
    expect(r.decision.plan).toEqual(['ResearchAgent', 'DatabaseAgent', 'CodeReviewAgent']);
    expect(r.decision.specialist).toBe('ResearchAgent');
    expect(r.decision.reason).toBe('chain of 3: ResearchAgent → DatabaseAgent → CodeReviewAgent; the proposed 4 steps were cut to 3 (maxChainSteps)');
    // Each step is a run: costs add up, successes multiply.
    expect(r.decision.expectedCostUsd).toBeCloseTo(0.03, 10);
    expect(r.decision.expectedSuccess).toBeCloseTo(0.7 ** 3, 10);
  });

  it("prices each chain step on its own estimate, then moves toward the chain's own record", () => {
    const plan = ['ResearchAgent', 'CodeReviewAgent'];
    const a = { plan, estimatedCostUsd: 0.001, planEstimatesUsd: [0.001, 0.009] };
    expect(decide(item(a), ctx()).decision.expectedCostUsd).toBeCloseTo(0.01, 10);
    // Three chains of this plan at $0.04 each: half the weight on the record (3 / (3 + 3)).
    let stats: Record<string, KindStats> = {};
    for (let i = 0; i < 3; i++) stats = recordOutcome(stats, { kind: 'research', specialist: chainStatsName(plan), finished: { taskId: `c${i}`, status: 'completed', costUsd: 0.04, tokens: 1, durationMs: 1, reason: '' } });
    expect(decide(item(a), ctx({ stats })).decision.expectedCostUsd).toBeCloseTo(0.025, 10);
    // Another plan's record, or a single run's, does not move it.
    expect(decide(item({ ...a, plan: ['CodeReviewAgent', 'ResearchAgent'], planEstimatesUsd: [0.009, 0.001] }), ctx({ stats })).decision.expectedCostUsd).toBeCloseTo(0.01, 10);
  });

  it('does not chain a plan of one', () => {
    expect(decide(item({ plan: ['ResearchAgent'] }), ctx()).decision.kind).toBe('route');
  });

  it.each([
    ['low confidence', { confidence: 0.3 }, {}, /^routing confidence 0\.30 is below 0\.5: spawn a specialist for kind "research"/],
    ['three fallbacks for the kind', { confidence: 0.9 }, { stats: fallbacks('research', 3) }, /^routing fell back 3 times for kind "research": spawn/],
  ])('spawns on %s when the caps allow, in the experimental lane', (_name, a, c, reason) => {
    const r = decide(item(a), ctx(c));
    expect(r.decision.kind).toBe('spawn');
    expect(r.decision.lane).toBe('experimental');
    expect(r.decision.reason).toMatch(reason);
    expect(r.decision.expectedSuccess).toBeCloseTo(0.7, 10);
  });

  it("with keywordMatchRoutes, routes a keyword tie between roster specialists to the rules' pick: no spawn, no low-confidence review", () => {
    // "Write a stored procedure…": the Generalist's "write" ties DatabaseAgent's "stored procedure".
    const tie = item({ confidence: 0.4, kind: 'database', specialist: 'DatabaseAgent', method: 'rules', ranked: ['DatabaseAgent', 'Generalist'] });
    const r = decide(tie, ctx({ keywordMatchRoutes: true }));
    expect(r.decision).toMatchObject({ kind: 'route', specialist: 'DatabaseAgent', lane: 'main', reason: 'rules: DatabaseAgent (confidence 0.40)' });
    expect(r.review).toBeUndefined();
    // Nothing left to spawn with: still no review.
    expect(decide(tie, ctx({ keywordMatchRoutes: true, spawnedToday: 1 })).review).toBeUndefined();
    // Histories from before spawned for it.
    expect(decide(tie, ctx()).decision.kind).toBe('spawn');
  });

  it.each([
    ['no keyword matched and the classifier found nobody', { method: 'none', confidence: 0.2, kind: 'general', specialist: 'Generalist', ranked: [] }, {}],
    ["the classifier's pick is unsure", { method: 'classifier', confidence: 0.3 }, {}],
    ['a keyword tie in a kind that fell back 3 times', { method: 'rules', confidence: 0.4 }, { stats: fallbacks('research', 3) }],
  ])('with keywordMatchRoutes, still spawns when %s', (_name, a, c) => {
    expect(decide(item(a), ctx({ ...c, keywordMatchRoutes: true })).decision.kind).toBe('spawn');
  });

  it('does not spawn on two fallbacks', () => {
    expect(decide(item(), ctx({ stats: fallbacks('research', 2) })).decision.kind).toBe('route');
  });

  it.each([
    ['the live cap is reached', { specialists: [spawned('AAgent', { kind: 'x' }), spawned('BAgent', { kind: 'y', status: 'live' }), spawned('CAgent', { kind: 'z' })] }, /3 of at most 3 spawned specialists are live or on trial/],
    ['one was spawned today', { spawnedToday: 1 }, /1 of at most 1 spawned today/],
  ])('routes an unsure task to the fallback for review when %s', (_name, c, why) => {
    const r = decide(item({ confidence: 0.2, method: 'classifier', specialist: 'ResearchAgent' }), ctx({ ...c, fallback: 'Generalist' }));
    expect(r.decision).toMatchObject({ kind: 'route', specialist: 'Generalist', lane: 'main' });
    expect(r.review).toHaveLength(1);
    expect(r.review![0]).toMatch(/^low confidence: routing confidence 0\.20 is below 0\.5, and no specialist could be spawned/);
    expect(r.review![0]).toMatch(why);
  });

  it('without a named fallback, keeps the routed specialist for the unsure review', () => {
    const r = decide(item({ confidence: 0.2, specialist: 'ResearchAgent' }), ctx({ spawnedToday: 1 }));
    expect(r.decision.specialist).toBe('ResearchAgent');
  });

  it('does not spawn a second specialist for a kind that already has one; the fallbacks alone do not send it to review', () => {
    const r = decide(item({ confidence: 0.9, kind: 'database', specialist: 'DatabaseAgent' }), ctx({ stats: fallbacks('database', 5), specialists: [spawned('MigrationAgent', { status: 'live' })] }));
    expect(r.decision).toMatchObject({ kind: 'route', specialist: 'DatabaseAgent' });
    expect(r.review).toBeUndefined();
  });

  it('routes a fallen-back task to the live spawned specialist of its kind', () => {
    const specialists = [spawned('MigrationAgent', { status: 'live', runs: 9, successes: 8 }), spawned('SchemaAgent', { status: 'trial' }), spawned('OtherAgent', { status: 'live', kind: 'research' })];
    const r = decide(item({ method: 'fallback', kind: 'database', specialist: 'Generalist', confidence: 0.3 }), ctx({ specialists }));
    expect(r.decision).toMatchObject({ kind: 'route', specialist: 'MigrationAgent', lane: 'main' });
    expect(r.decision.reason).toMatch(/routing fell back; spawned MigrationAgent v1 \(live\) takes kind "database"/);
    expect(r.review).toBeUndefined();
  });

  it('routes a fallen-back task to a trial specialist in the experimental lane, reviewed while its runs are below spawnTrialRuns', () => {
    const trial = (runs: number) => [spawned('MigrationAgent', { status: 'trial', runs, successes: runs })];
    const first = decide(item({ method: 'fallback', kind: 'database', specialist: 'Generalist' }), ctx({ specialists: trial(0) }));
    expect(first.decision).toMatchObject({ kind: 'route', specialist: 'MigrationAgent', lane: 'experimental' });
    expect(first.review).toEqual(['trial run 1 of 3 of spawned specialist MigrationAgent']);
    const fourth = decide(item({ method: 'fallback', kind: 'database', specialist: 'Generalist' }), ctx({ specialists: trial(3) }));
    expect(fourth.decision.lane).toBe('experimental');
    expect(fourth.review).toBeUndefined();
  });

  it('puts a retired spawned specialist out of the picture', () => {
    const r = decide(item({ method: 'fallback', kind: 'database', specialist: 'Generalist', confidence: 0.9 }), ctx({ specialists: [spawned('MigrationAgent', { status: 'retired' })] }));
    expect(r.decision.specialist).toBe('Generalist');
  });

  it('sends an irreversible task to review and keeps the decision', () => {
    const r = decide(item({ irreversible: ['DROP TABLE users', 'production write'] }), ctx());
    expect(r.decision.kind).toBe('route');
    expect(r.review).toEqual(['irreversible: DROP TABLE users; production write']);
  });

  it('sends a task expected to cost over 10 % of what is left today to review', () => {
    expect(decide(item({ estimatedCostUsd: 0.02 }), ctx({ remainingUsd: 0.3 })).review).toBeUndefined();
    const r = decide(item({ estimatedCostUsd: 0.04 }), ctx({ remainingUsd: 0.3 }));
    expect(r.review).toEqual(['expensive: expected ~$0.040 is over 10% of the $0.300 left today']);
    // Named apart, so a review for the cost alone can be released once the day can pay for it.
    expect(r.costReview).toBe(r.review?.[0]);
  });

  it('prices the cost review again on a later pick: cheaper drops it, dearer adds it, other reasons stay', () => {
    const config = godConfig({ reviewCostShare: 0.1 });
    const dear = decide(item({ estimatedCostUsd: 0.04 }), ctx({ remainingUsd: 0.3 }));
    // The policy picked a specialist at $0.005: within 10 % of $0.30.
    expect(repriceReview(dear, 0.005, 0.3, config)).toEqual({});
    const cheap = decide(item({ estimatedCostUsd: 0.02 }), ctx({ remainingUsd: 0.3 }));
    expect(repriceReview(cheap, 0.05, 0.3, config)).toEqual({
      review: ['expensive: expected ~$0.050 is over 10% of the $0.300 left today'],
      costReview: 'expensive: expected ~$0.050 is over 10% of the $0.300 left today',
    });
    const both = decide(item({ irreversible: ['deletes files'], estimatedCostUsd: 0.04 }), ctx({ remainingUsd: 0.3 }));
    expect(repriceReview(both, 0.005, 0.3, config)).toEqual({ review: ['irreversible: deletes files'] });
    expect(repriceReview(both, 0.04, 0.3, config)).toEqual({ review: both.review, costReview: both.costReview });
  });

  it('does not review for cost while the runway is unknown (remaining Infinity)', () => {
    expect(decide(item({ estimatedCostUsd: 5 }), ctx({ remainingUsd: Infinity })).review).toBeUndefined();
  });

  it('collects every review reason on one task', () => {
    const r = decide(item({ irreversible: ['deletes files'], estimatedCostUsd: 0.5, confidence: 0.1 }), ctx({ spawnedToday: 1, remainingUsd: 1 }));
    expect(r.review?.map((x) => x.split(':')[0])).toEqual(['irreversible', 'low confidence', 'expensive']);
    expect(r.costReview).toBe(r.review?.[2]);
    expect(decide(item({ irreversible: ['deletes files'] }), ctx()).costReview).toBeUndefined();
  });

  it('keeps an experimental task in its lane and a main task in main', () => {
    expect(decide(item({}, { lane: 'experimental' }), ctx()).decision.lane).toBe('experimental');
    expect(decide(item(), ctx()).decision.lane).toBe('main');
  });

  it('marks a chain through a trial specialist experimental and reviewed', () => {
    const r = decide(item({ plan: ['ResearchAgent', 'MigrationAgent'] }), ctx({ specialists: [spawned('MigrationAgent', { runs: 1, successes: 1 })] }));
    expect(r.decision.lane).toBe('experimental');
    expect(r.review).toEqual(['trial run 2 of 3 of spawned specialist MigrationAgent']);
  });
});
