import { compactBook, compactState, migrateGodState, STATE_BOUNDS } from '../../src/god/state';
import { applyReviewDecision } from '../../src/god/review';
import { flaggedOnlyByRecordBefore, observeFinished, overdueInFlight, pickAgain, pickOf, routeByPolicy, routingOf } from '../../src/god/routing';
import type { InFlightTask, SpawnedSpecialist } from '../../src/god/types';
import { seedBook } from '../../src/routing/policy/book';
import type { ArmStats } from '../../src/routing/policy/arm-stats';
import { assessment, decision, freshState, godConfig, queued, T0, task } from '../support/god-fixtures';

/** God's side of the routing policy (src/god/routing.ts) and its place in God's carried state. */

const RULES = { DatabaseAgent: ['sql', 'postgres', 'index'], ResearchAgent: ['research', 'compare'], LegalAgent: ['contract', 'clause'] };
const book = (explorationShare = 0.1) => seedBook({ rules: RULES, nowMs: T0, seed: 7, explorationShare });
const ranked = assessment({ kind: 'database', specialist: 'DatabaseAgent', ranked: ['DatabaseAgent', 'ResearchAgent', 'LegalAgent'], armEstimatesUsd: { DatabaseAgent: 0.01, ResearchAgent: 0.01, LegalAgent: 0.01 } });
const legal = (status: SpawnedSpecialist['status']): SpawnedSpecialist => ({
  name: 'LegalAgent',
  version: 1,
  status,
  definition: { name: 'LegalAgent', description: 'Reviews contracts for risk.', provider: 'openai', model: 'gpt-4.1-mini', keywords: ['contract'], system_prompt: 'x', expected_duration_minutes: 5, max_output_tokens: 800 },
  kind: 'legal',
  createdAtMs: T0,
  runs: 3,
  successes: 0,
});

describe('God routing with its policy', () => {
  it('chooses among the rule-ranked specialists and names the version on the decision', () => {
    const state = freshState({ routing: book() });
    const r = routeByPolicy(state, queued('t1'), ranked, decision({ specialist: 'DatabaseAgent' }));
    expect(['DatabaseAgent', 'ResearchAgent', 'LegalAgent']).toContain(r.decision.specialist);
    expect(r.decision.policy).toMatchObject({ kind: 'database', decision: { choice: { policyVersion: 1 }, by: 'active' } });
    expect(routingOf(r.decision)).toMatchObject({ policyVersion: 1, by: 'active', kind: 'database' });
    expect(r.book!.rng).not.toEqual(state.routing!.rng);
  });

  it('never picks a retired (or trial) spawned specialist', () => {
    for (const status of ['retired', 'trial'] as const) {
      let state = freshState({ routing: book(0.5), specialists: [legal(status)] });
      for (let i = 0; i < 100; i++) {
        const r = routeByPolicy(state, queued(`t${i}`), ranked, decision({ specialist: 'DatabaseAgent' }));
        expect(r.decision.specialist).not.toBe('LegalAgent');
        state = { ...state, routing: r.book };
      }
    }
  });

  it('leaves requested specialists, chains and rules below its confidence to the rules; explored picks go to the experimental lane', () => {
    const state = freshState({ routing: book(1) });
    const requested = queued('t1');
    requested.task = task('Add an index in Postgres for the users table', { specialist: 'ResearchAgent' });
    expect(routeByPolicy(state, requested, ranked, decision()).decision.policy).toBeUndefined();
    expect(routeByPolicy(state, queued('t2'), ranked, decision({ kind: 'chain', plan: ['ResearchAgent', 'DatabaseAgent'] })).decision.policy).toBeUndefined();
    expect(routeByPolicy(state, queued('t3'), { ...ranked, confidence: 0.3 }, decision()).decision.policy).toBeUndefined();
    const explored = routeByPolicy(state, queued('t4'), ranked, decision()).decision;
    expect(explored).toMatchObject({ lane: 'experimental', policy: { decision: { choice: { mode: 'explore', probability: 1 / 3 } } } });
  });

  it('routes an explored pick the experimental lane cannot pay for today by the best guess on the task lane, saying why', () => {
    const state = freshState({ routing: book(1) });
    let asked = 0;
    const within = (dayLeftUsd: number, apply = true) => ({ exploreWithin: { dayLeftUsd, apply: () => (asked++, apply) } });
    const tooDear = routeByPolicy(state, queued('t1'), ranked, decision(), undefined, within(0.001));
    expect(tooDear.decision).toMatchObject({ lane: 'main', policy: { decision: { choice: { mode: 'exploit' } } } });
    expect(tooDear.decision.reason).toMatch(/best guess among .*; not explored: DatabaseAgent at ~\$0\.010 needs more than the experimental lane has left today \(\$0\.0010\)/);
    expect(asked).toBe(1);
    // The lane can pay: explored as before, and the patch is not asked.
    expect(routeByPolicy(state, queued('t2'), ranked, decision(), undefined, within(1)).decision).toMatchObject({ lane: 'experimental', policy: { decision: { choice: { mode: 'explore' } } } });
    expect(asked).toBe(1);
    // A history from before the patch: explored onto the lane it cannot start on.
    expect(routeByPolicy(state, queued('t3'), ranked, decision(), undefined, within(0.001, false)).decision).toMatchObject({ lane: 'experimental' });
    // Picked again at start, the same holds.
    const waiting = { ...queued('t4'), status: 'queued' as const, assessment: ranked, beforePolicy: decision() };
    const again = pickAgain({ ...state, queue: [waiting] }, undefined, T0, undefined, false, false, within(0.001).exploreWithin);
    expect(again.queue[0].decision).toMatchObject({ lane: 'main', policy: { decision: { choice: { mode: 'exploit' } } } });
  });

  it('routes what the classifier picked with the policy too: a failing pick loses its tasks to the fallback', () => {
    // Rules unsure, nothing like it in memory: the classifier named the DatabaseAgent.
    const classified = assessment({ kind: 'database', specialist: 'DatabaseAgent', method: 'classifier', confidence: 0.7, ranked: [], armEstimatesUsd: { DatabaseAgent: 0.01, Generalist: 0.004 }, fallbackSpecialist: 'Generalist' });
    const failing = book(0);
    failing.active.arms = { database: { DatabaseAgent: { n: 8, successes: 0, failures: 8, costMeanUsd: 0.01, costM2: 0, durationMeanMs: 1000 } } };
    let state = freshState({ routing: failing });
    const picks: string[] = [];
    for (let i = 0; i < 20; i++) {
      const r = routeByPolicy(state, queued(`t${i}`), classified, decision({ specialist: 'DatabaseAgent' }));
      expect(r.decision.policy).toMatchObject({ kind: 'database' }); // the classifier's pick names the kind
      picks.push(r.decision.specialist!);
      state = { ...state, routing: r.book };
    }
    expect(picks.filter((p) => p === 'Generalist').length).toBeGreaterThanOrEqual(18);
  });

  it('keeps the failure run and the change mark through compaction (God compacts every tick)', () => {
    const b = book();
    b.active.arms = { database: { DatabaseAgent: { n: 3, successes: 0, failures: 3, costMeanUsd: 0.01, costM2: 0, durationMeanMs: 1000, failStreak: 3, changed: true } } };
    expect(compactBook(b).active.arms.database.DatabaseAgent).toMatchObject({ failStreak: 3, changed: true });
  });

  it('keeps what the change detector reads since the probes patch (the run back, failures since the change) through compaction', () => {
    const b = book();
    b.active.arms = { database: { DatabaseAgent: { n: 3, successes: 1, failures: 2, costMeanUsd: 0.01, costM2: 0, durationMeanMs: 1000, failStreak: 0, changed: true, winStreak: 1, failedSinceChange: 2 } } };
    expect(compactBook(b).active.arms.database.DatabaseAgent).toMatchObject({ winStreak: 1, failedSinceChange: 2, changed: true });
  });

  it('probes a quarantined arm on the experimental lane, saying so, only with the probes patch on', () => {
    // Two arms named by the rules; the cheap DatabaseAgent changed (three failures in a row) and is quarantined.
    const two = assessment({ kind: 'database', specialist: 'DatabaseAgent', ranked: ['DatabaseAgent', 'ResearchAgent'], armEstimatesUsd: { DatabaseAgent: 0.002, ResearchAgent: 0.01 } });
    const held = book(0);
    held.active.arms = { database: { DatabaseAgent: { n: 3, successes: 0, failures: 3, costMeanUsd: 0.002, costM2: 0, durationMeanMs: 1000, failStreak: 3, changed: true, winStreak: 0, failedSinceChange: 0 } } };
    const run = (probes: boolean) => {
      let state = freshState({ routing: held });
      const decisions = [];
      for (let i = 0; i < 200; i++) {
        const r = routeByPolicy(state, queued(`t${i}`), two, decision({ specialist: 'DatabaseAgent' }), undefined, { quarantine: true, probes, recordedArmsJoin: true });
        decisions.push(r.decision);
        state = { ...state, routing: r.book };
      }
      return decisions.filter((d) => d.specialist === 'DatabaseAgent');
    };
    expect(run(false)).toEqual([]); // no exploration share here, and the quarantine holds it out of exploit picks
    const probed = run(true);
    expect(probed.length).toBeGreaterThan(20); // ~20 % of 200
    expect(probed.length).toBeLessThan(60);
    for (const d of probed) {
      expect(d).toMatchObject({ lane: 'experimental', policy: { decision: { choice: { mode: 'explore', probe: true, probability: 0.2 } } } });
      expect(d.reason).toMatch(/policy v1 \(active\): DatabaseAgent, probed while quarantined \(p=0\.200, experimental lane\)/);
      expect(routingOf(d)).toMatchObject({ mode: 'explore', probability: 0.2 });
    }
  });

  it('leaves unsure rules their pick, unless (patch on) that pick is failing the kind: then the policy chooses, and the fallback competes', () => {
    // One keyword named in passing: rules unsure (0.55), nothing like it in memory.
    const unsure = assessment({ kind: 'database', specialist: 'DatabaseAgent', confidence: 0.55, ranked: ['DatabaseAgent'], armEstimatesUsd: { DatabaseAgent: 0.01, Generalist: 0.004 }, fallbackSpecialist: 'Generalist' });
    const failing = book(0);
    failing.active.arms = { database: { DatabaseAgent: { n: 8, successes: 0, failures: 8, costMeanUsd: 0.01, costM2: 0, durationMeanMs: 1000 } } };
    const state = freshState({ routing: failing });
    expect(routeByPolicy(state, queued('t0'), unsure, decision({ specialist: 'DatabaseAgent' }), undefined, { quarantine: true }).decision.policy).toBeUndefined();
    let current = state;
    const picks: string[] = [];
    for (let i = 0; i < 20; i++) {
      const r = routeByPolicy(current, queued(`t${i}`), unsure, decision({ specialist: 'DatabaseAgent' }), undefined, { quarantine: true, unsureAvoidsFailing: true });
      expect(r.decision.policy).toMatchObject({ kind: 'database' });
      picks.push(r.decision.specialist!);
      current = { ...current, routing: r.book };
    }
    expect(picks.filter((p) => p === 'Generalist').length).toBeGreaterThanOrEqual(18);
    // A healthy pick keeps its task as the rules say, patch or not.
    const healthy = book(0);
    healthy.active.arms = { database: { DatabaseAgent: { n: 8, successes: 8, failures: 0, costMeanUsd: 0.01, costM2: 0, durationMeanMs: 1000 } } };
    expect(routeByPolicy(freshState({ routing: healthy }), queued('t1'), unsure, decision({ specialist: 'DatabaseAgent' }), undefined, { unsureAvoidsFailing: true }).decision.policy).toBeUndefined();
  });

  it('lets the fallback compete once every arm keeps failing the kind, and only then', () => {
    const only = assessment({ kind: 'database', specialist: 'DatabaseAgent', ranked: ['DatabaseAgent'], armEstimatesUsd: { DatabaseAgent: 0.01, Generalist: 0.001 }, fallbackSpecialist: 'Generalist' });
    const picks = (b: ReturnType<typeof book>) => {
      let state = freshState({ routing: b });
      const seen = new Set<string>();
      for (let i = 0; i < 60; i++) {
        const r = routeByPolicy(state, queued(`t${i}`), only, decision({ specialist: 'DatabaseAgent' }));
        seen.add(r.decision.specialist!);
        state = { ...state, routing: r.book };
      }
      return seen;
    };
    // A healthy record: the one matched specialist takes every task.
    const healthy = book();
    healthy.active.arms = { database: { DatabaseAgent: { n: 10, successes: 9, failures: 1, costMeanUsd: 0.01, costM2: 0, durationMeanMs: 1000 } } };
    expect([...picks(healthy)]).toEqual(['DatabaseAgent']);
    // It starts failing: the (cheaper) fallback now gets tasks of the kind.
    const failing = book();
    failing.active.arms = { database: { DatabaseAgent: { n: 10, successes: 3, failures: 7, costMeanUsd: 0.01, costM2: 0, durationMeanMs: 1000 } } };
    expect(picks(failing)).toEqual(new Set(['DatabaseAgent', 'Generalist']));
  });

  it('lets the fallback compete when memory shows the only arm failing tasks like this one before it has a record of the kind (quarantine patch on)', () => {
    // The classifier named the DatabaseAgent; the nearest past tasks (kind "general") are its failures.
    const classified = assessment({
      kind: 'general',
      specialist: 'DatabaseAgent',
      method: 'classifier',
      confidence: 0.6,
      ranked: [],
      armEstimatesUsd: { DatabaseAgent: 0.01, Generalist: 0.004 },
      fallbackSpecialist: 'Generalist',
      routingKind: { kind: 'general', source: 'memory', evidence: { DatabaseAgent: { successes: 0, failures: 5 } }, explanation: 'like 5 earlier tasks, all DatabaseAgent failures' },
    });
    const picks = (quarantine: boolean) => {
      let state = freshState({ routing: book(0) });
      const seen: string[] = [];
      for (let i = 0; i < 20; i++) {
        const r = routeByPolicy(state, queued(`t${i}`), classified, decision({ specialist: 'DatabaseAgent' }), undefined, { quarantine });
        seen.push(r.decision.specialist!);
        state = { ...state, routing: r.book };
      }
      return seen;
    };
    // Before the patch the failing pick is the only arm and takes every task.
    expect(new Set(picks(false))).toEqual(new Set(['DatabaseAgent']));
    expect(picks(true).filter((p) => p === 'Generalist').length).toBeGreaterThanOrEqual(14);
  });

  it('counts an arm\'s runs in flight well past its usual duration against it, until they report: with three overdue, the fallback takes the kind', () => {
    const only = assessment({ kind: 'database', specialist: 'DatabaseAgent', ranked: ['DatabaseAgent'], armEstimatesUsd: { DatabaseAgent: 0.01, Generalist: 0.004 }, fallbackSpecialist: 'Generalist' });
    const healthy = book(0);
    healthy.active.arms = { database: { DatabaseAgent: { n: 10, successes: 9, failures: 1, costMeanUsd: 0.01, costM2: 0, durationMeanMs: 1000 } } };
    const flight = (id: string, startedAtMs: number): InFlightTask => ({
      taskId: id, workflowType: 'agentTask', kind: 'database', specialist: 'DatabaseAgent', lane: 'main', expectedCostUsd: 0.01, startedAtMs,
      policy: { kind: 'database', value: 1, decision: { choice: { arm: 'DatabaseAgent', mode: 'exploit', scores: {}, policyVersion: 1 }, by: 'active', shadow: { active: 'DatabaseAgent' }, arms: 1 } },
    });
    const now = T0 + 60_000;
    // Three runs at 3 × its mean duration, one young run.
    const inFlight = [flight('a', now - 3000), flight('b', now - 3000), flight('c', now - 3000), flight('d', now - 500)];
    expect(overdueInFlight(freshState({ routing: healthy, inFlight }), healthy, 'database', now)).toEqual({ DatabaseAgent: 3 });
    expect(overdueInFlight(freshState({ routing: healthy, inFlight }), healthy, 'database', now - 500)).toEqual({});
    const picks = (inFlight: InFlightTask[], at: number | undefined) => {
      let state = freshState({ routing: healthy, inFlight });
      const seen: string[] = [];
      for (let i = 0; i < 40; i++) {
        const r = routeByPolicy(state, queued(`t${i}`), only, decision({ specialist: 'DatabaseAgent' }), undefined, { nowMs: at });
        seen.push(r.decision.specialist!);
        state = { ...state, routing: r.book };
      }
      return seen;
    };
    // Nothing overdue (or no clock: histories from before): the healthy record takes every task.
    expect(new Set(picks([flight('d', now - 500)], now))).toEqual(new Set(['DatabaseAgent']));
    expect(new Set(picks(inFlight, undefined))).toEqual(new Set(['DatabaseAgent']));
    // Three overdue: 9 of 14 is below the bar, the cheaper fallback joins and takes most tasks.
    const overdue = picks(inFlight, now);
    expect(overdue.filter((p) => p === 'Generalist').length).toBeGreaterThan(overdue.length / 2);
  });

  it('lets a specialist with a record of the kind join the named arms, and explores the fallback where it has none (recorded-arms patch on)', () => {
    // Sure rules name only the dear CodeReviewAgent; the cheap Generalist did 9 of 10 such tasks well
    // (God routed them to it when the classifier or memory named it), but no rule names it.
    const review = assessment({
      kind: 'code-review',
      specialist: 'CodeReviewAgent',
      ranked: ['CodeReviewAgent'],
      armEstimatesUsd: { CodeReviewAgent: 0.02, Generalist: 0.001, DatabaseAgent: 0.004 },
      fallbackSpecialist: 'Generalist',
    });
    const arm = (successes: number, failures: number, costMeanUsd: number) => ({ n: successes + failures, successes, failures, costMeanUsd, costM2: 0, durationMeanMs: 1000 });
    const picks = (policyBook: ReturnType<typeof book>, recordedArmsJoin: boolean, specialists: SpawnedSpecialist[] = [], probes = false) => {
      let state = freshState({ routing: policyBook, specialists });
      const seen: Array<{ specialist: string; mode?: string; lane?: string; reason?: string }> = [];
      for (let i = 0; i < 60; i++) {
        const r = routeByPolicy(state, queued(`t${i}`), review, decision({ specialist: 'CodeReviewAgent' }), undefined, { quarantine: true, probes, recordedArmsJoin });
        seen.push({ specialist: r.decision.specialist!, mode: r.decision.policy?.decision.choice.mode, lane: r.decision.lane, reason: r.decision.reason });
        state = { ...state, routing: r.book };
      }
      return seen;
    };
    const recorded = book(0.1);
    recorded.active.arms = { 'code-review': { CodeReviewAgent: arm(9, 1, 0.02), Generalist: arm(9, 1, 0.001), DatabaseAgent: arm(1, 9, 0.004) } };
    // Before the patch: the rules' arm alone, every task.
    expect(new Set(picks(recorded, false).map((p) => p.specialist))).toEqual(new Set(['CodeReviewAgent']));
    // With it the Generalist competes, and at a twentieth of the cost takes most exploit picks; the
    // DatabaseAgent joins too, but its failing record never draws well enough.
    const joined = picks(recorded, true);
    const exploits = joined.filter((p) => p.mode === 'exploit');
    expect(exploits.filter((p) => p.specialist === 'Generalist').length).toBeGreaterThan(exploits.length * 0.8);
    expect(exploits.some((p) => p.specialist === 'DatabaseAgent')).toBe(false);
    // A recorded arm the assessing worker's roster no longer held (not priced) does not join.
    const unpriced = book(0.1);
    unpriced.active.arms = { 'code-review': { CodeReviewAgent: arm(9, 1, 0.02), LegalAgent: arm(9, 1, 0.0001) } };
    expect(picks(unpriced, true).some((p) => p.specialist === 'LegalAgent')).toBe(false);
    // No record of the kind: the fallback is on trial, explored (experimental lane) but never exploited.
    const fresh = picks(book(0.3), true);
    const tried = fresh.filter((p) => p.specialist === 'Generalist');
    expect(tried.length).toBeGreaterThan(0);
    for (const p of tried) expect(p).toMatchObject({ mode: 'explore', lane: 'experimental' });
    // With the probes patch, also probed at 20 % of the kind's decisions, saying so (no uniform exploration here).
    const probed = picks(book(0), true, [], true).filter((p) => p.specialist === 'Generalist');
    expect(probed.length).toBeGreaterThan(4);
    for (const p of probed) expect(p).toMatchObject({ mode: 'explore', lane: 'experimental', reason: expect.stringMatching(/Generalist, probed while on trial \(p=0\.200, experimental lane\)/) });
    expect(picks(book(0), true).some((p) => p.specialist === 'Generalist')).toBe(false);
    // Unless it is a spawned specialist that is not live.
    const retiredFallback = { ...legal('retired'), name: 'Generalist' };
    expect(picks(book(0.3), true, [retiredFallback]).some((p) => p.specialist === 'Generalist')).toBe(false);
  });

  it('learns from a finished routed task, but not from one refused or cancelled', () => {
    const state = freshState({ routing: book() });
    const d = routeByPolicy(state, queued('t1'), ranked, decision()).decision;
    const flight: InFlightTask = { taskId: 't1', workflowType: 'agentTask', kind: 'database', specialist: d.specialist!, lane: 'main', expectedCostUsd: 0.01, startedAtMs: T0, policy: d.policy! };
    const finished = { taskId: 't1', status: 'completed' as const, costUsd: 0.02, tokens: 10, durationMs: 1000, reason: 'ok' };
    const learned = observeFinished(state.routing!, flight, finished, T0);
    expect(learned.book.active.arms.database[d.specialist!].successes).toBe(1);
    expect(learned.events).toEqual([]);
    for (const status of ['rejected', 'cancelled'] as const) expect(observeFinished(state.routing!, flight, { ...finished, status }, T0).book).toBe(state.routing);
  });

  it('asks for judging failure runs by the record before them only on the failure that rule alone flags (where God asks its patch)', () => {
    // A 74 % record of 8 runs, then failures in a row: the sixth is improbable under the record before the run.
    const state = freshState({ routing: book() });
    const d = routeByPolicy(state, queued('t1'), ranked, decision()).decision;
    const arm = d.specialist!;
    const flight: InFlightTask = { taskId: 't1', workflowType: 'agentTask', kind: 'database', specialist: arm, lane: 'main', expectedCostUsd: 0.01, startedAtMs: T0, policy: d.policy! };
    const failed = { taskId: 't1', status: 'dead_lettered' as const, costUsd: 0.01, tokens: 10, durationMs: 1000, reason: 'no' };
    // Another specialist finished it after a reassignment: a failure of the routed arm all the same.
    const rescued = { ...failed, status: 'completed' as const, specialist: arm === 'ResearchAgent' ? 'DatabaseAgent' : 'ResearchAgent' };
    const rules = { recovers: true, recentRuns: true };
    let record: ArmStats = { n: 8, successes: 6.4, failures: 1.6, costMeanUsd: 0.01, costM2: 0, durationMeanMs: 1000 };
    const asks: boolean[] = [];
    for (let i = 0; i < 6; i++) {
      const b = { ...state.routing!, active: { ...state.routing!.active, arms: { database: { [arm]: record } } } };
      asks.push(flaggedOnlyByRecordBefore(b, flight, failed, rules));
      expect(flaggedOnlyByRecordBefore(b, flight, rescued, rules)).toBe(asks[i]);
      expect(flaggedOnlyByRecordBefore(b, flight, { ...failed, status: 'completed' }, rules)).toBe(false);
      // Where it asks, the rule flags the arm (the older rule does not, below).
      if (asks[i]) expect(observeFinished(b, flight, failed, T0, { ...rules, recordBeforeRun: true }).book.active.arms.database[arm].changed).toBe(true);
      record = observeFinished(b, flight, failed, T0, rules).book.active.arms.database[arm];
    }
    expect(asks).toEqual([false, false, false, false, false, true]);
    expect(record.changed).toBeUndefined(); // without the rule
  });
});

describe('God picks again when a task can start', () => {
  // Rules unsure, the classifier named the DatabaseAgent, the Generalist is the fallback.
  const classified = assessment({ kind: 'database', specialist: 'DatabaseAgent', method: 'classifier', confidence: 0.7, ranked: [], armEstimatesUsd: { DatabaseAgent: 0.01, Generalist: 0.004 }, fallbackSpecialist: 'Generalist' });
  const arm = (successes: number, failures: number, failStreak?: number): ArmStats => ({ n: successes + failures, successes, failures, costMeanUsd: 0.01, costM2: 0, durationMeanMs: 1000, ...(failStreak && { failStreak, changed: true as const }) });
  const withArm = (b: ReturnType<typeof book>, stats: ArmStats) => ({ ...b, active: { ...b.active, arms: { database: { DatabaseAgent: stats } } } });
  /** Tasks the policy routed at assessment, while the DatabaseAgent's record was healthy. */
  const assessedWhileHealthy = (count: number) => {
    let state = freshState({ routing: withArm(book(0), arm(19, 1)) });
    const queue = [];
    for (let i = 0; i < count; i++) {
      const base = decision({ specialist: 'DatabaseAgent' });
      const item = { ...queued(`t${i}`), assessment: classified };
      const r = routeByPolicy(state, item, classified, base);
      state = { ...state, routing: r.book };
      queue.push({ ...item, decision: r.decision, beforePolicy: base });
    }
    return { ...state, queue };
  };

  it('routes a waiting task by the outcomes reported since it was assessed', () => {
    const assessed = assessedWhileHealthy(10);
    expect(assessed.queue.every((q) => q.decision!.specialist === 'DatabaseAgent')).toBe(true);
    // While the tasks waited, the DatabaseAgent failed eight in a row: its change detector marked it.
    const now = { ...assessed, routing: withArm(assessed.routing!, arm(19, 9, 8)) };
    const again = pickAgain(now, undefined, T0);
    const picks = again.queue.map((q) => q.decision!.specialist);
    expect(picks.filter((p) => p === 'Generalist').length).toBeGreaterThanOrEqual(9);
    const moved = again.queue.find((q) => q.decision!.specialist === 'Generalist')!;
    // The fresh pick's expectation and reason, and what it picked from kept for the next time.
    expect(moved.decision!.expectedCostUsd).toBeLessThan(0.01);
    expect(moved.decision!.reason).toMatch(/^rules: ResearchAgent; policy v1 \(active\): Generalist/);
    expect(again.picked[moved.taskId]).toMatch(/^policy v1 \(active\): Generalist/);
    expect(moved.beforePolicy).toEqual(decision({ specialist: 'DatabaseAgent' }));
    expect(again.book!.rng).not.toEqual(now.routing!.rng);
  });

  it('leaves tasks the policy did not route, and tasks awaiting review, as they were; the same state picks the same', () => {
    const assessed = assessedWhileHealthy(3);
    const ruled = queued('ruled');
    const reviewed = { ...assessed.queue[0], taskId: 'reviewed', status: 'awaiting_review' as const };
    const state = { ...assessed, queue: [...assessed.queue, ruled, reviewed] };
    const again = pickAgain(state, undefined, T0);
    expect(again.queue.at(-2)).toBe(ruled);
    expect(again.queue.at(-1)).toBe(reviewed);
    expect(Object.keys(again.picked)).toEqual(['t0', 't1', 't2']);
    expect(pickAgain(state, undefined, T0)).toEqual(again);
    // Just the tasks named (God names those admission ranks first).
    expect(Object.keys(pickAgain(state, undefined, T0, new Set(['t1'])).picked)).toEqual(['t1']);
    // Nothing to pick again: the book's stream does not move.
    const none = pickAgain({ ...state, queue: [ruled] }, undefined, T0);
    expect(none.book).toBe(state.routing);
  });

  it('runs an approved task on the specialist the reviewer approved (keepRoute); without it the policy picks again', () => {
    const assessed = assessedWhileHealthy(10);
    const held = { ...assessed, queue: assessed.queue.map((q) => (q.taskId === 't3' ? { ...q, status: 'awaiting_review' as const } : q)) };
    const approve = (keepRoute: boolean) => applyReviewDecision(held, { taskId: 't3', decision: 'approve', reason: 'the table is unused', by: 'ana' }, T0, { keepRoute }).state;
    // While it waited, the DatabaseAgent failed eight in a row: the policy moves the others off it.
    const failing = (state: ReturnType<typeof approve>) => pickAgain({ ...state, routing: withArm(state.routing!, arm(19, 9, 8)) }, undefined, T0);
    const kept = failing(approve(true));
    const t3 = kept.queue.find((q) => q.taskId === 't3')!;
    expect(t3.decision!.specialist).toBe('DatabaseAgent');
    expect(t3.decision!.reason).toMatch(/approved in review by ana: the table is unused$/);
    expect(kept.picked.t3).toBeUndefined();
    expect(kept.queue.filter((q) => q.decision!.specialist === 'Generalist').length).toBeGreaterThanOrEqual(8);
    // Without keepRoute (histories from before the patch) the approved task is picked again like the rest.
    expect(failing(approve(false)).picked.t3).toBeDefined();
  });

  it('with static routing, a task goes back to the decision the policy picked from', () => {
    const assessed = assessedWhileHealthy(1);
    const again = pickAgain(assessed, { routing: 'static' }, T0);
    expect(again.queue[0].decision).toEqual(assessed.queue[0].beforePolicy);
  });
});

describe("the routing book in God's carried state", () => {
  it("migrates a state without it, carries one with it, and compacts away earlier versions' arm statistics", () => {
    const old = JSON.parse(JSON.stringify(freshState()));
    expect(migrateGodState(old).routing).toBeUndefined();
    const b = book();
    const withHistory = { ...b, active: { ...b.active, version: 2 }, history: [{ ...b.active, arms: { database: { DatabaseAgent: { n: 1, successes: 1, failures: 0, costMeanUsd: 0.01, costM2: 0, durationMeanMs: 1 } } } }], lastVersion: 2 };
    const carried = migrateGodState(JSON.parse(JSON.stringify(freshState({ routing: withHistory }))));
    expect(carried.routing?.active.version).toBe(2);
    expect(compactState(carried, godConfig()).routing!.history[0].arms).toEqual({});
    expect(compactBook(b)).toEqual(b);
    expect(() => migrateGodState({ ...JSON.parse(JSON.stringify(freshState())), routing: { active: {} } })).toThrow(/routing/);
  });
});

describe('the routing book at its bounds', () => {
  it('stays under 50 KB with 8 specialists of 15 keywords, 10 kinds × 8 arms, 20 earlier versions, full word tallies and a full audit', () => {
    const names = Array.from({ length: 8 }, (_, i) => `Specialist${i}Agent`);
    const rules = Object.fromEntries(names.map((n) => [n, Array.from({ length: 15 }, (_, j) => `keyword-${j}-abc`)]));
    const stats = { n: 19.912345678, successes: 15.123456789, failures: 4.87654321, costMeanUsd: 0.0123456789, costM2: 0.000123456789, durationMeanMs: 12345.6789 };
    const arms = Object.fromEntries(Array.from({ length: 10 }, (_, k) => [`kind-${k}`, Object.fromEntries(names.map((n) => [n, stats]))]));
    const seeded = seedBook({ rules, nowMs: T0, seed: 1 });
    const active = { ...seeded.active, arms, reason: 'r'.repeat(1000) };
    const full = {
      ...seeded,
      active,
      history: Array.from({ length: 20 }, (_, i) => ({ ...active, version: i + 2 })),
      words: Object.fromEntries(names.map((n) => [n, Object.fromEntries(Array.from({ length: 60 }, (_, j) => [`someword${j}`, { s: 12, f: 3 }]))])),
      audit: Array.from({ length: 50 }, (_, i) => ({ atMs: T0, kind: 'derived' as const, version: i, detail: 'd'.repeat(1000), by: 'operator' })),
    };
    const c = compactBook(full);
    expect(c.history).toHaveLength(STATE_BOUNDS.policyHistory);
    expect(c.history.every((p) => Object.keys(p.arms).length === 0)).toBe(true);
    expect(JSON.stringify(c).length).toBeLessThan(50 * 1024);
  });
});

describe('pickOf', () => {
  it('says a task God spawned a specialist for was spawned, not picked by the rules it was unsure of', () => {
    const unsure = assessment({ kind: 'database', specialist: 'DatabaseAgent', method: 'rules', confidence: 0.4 });
    const spawn = decision({ kind: 'spawn', specialist: 'Database2Agent', reason: 'routing confidence 0.40 is below 0.5: spawn a specialist; spawned Database2Agent v1' });
    expect(pickOf(spawn, unsure, ['Database2Agent'])).toEqual({ method: 'spawned', confidence: 0.4, reason: spawn.reason });
  });

  it('says a fallen-back task sent to a spawned specialist of its kind was sent there by spawning', () => {
    const fellBack = assessment({ kind: 'general', specialist: 'Generalist', method: 'none', confidence: 0.2 });
    const toSpawned = decision({ kind: 'route', specialist: 'LegalAgent', reason: 'routing fell back; spawned LegalAgent v1 (trial) takes kind "legal"' });
    expect(pickOf(toSpawned, fellBack, ['LegalAgent'])?.method).toBe('spawned');
  });

  it('keeps the rules as the method when they named a live spawned specialist themselves, and for a roster one', () => {
    const named = assessment({ kind: 'legal', specialist: 'LegalAgent', method: 'rules', confidence: 0.9 });
    expect(pickOf(decision({ kind: 'route', specialist: 'LegalAgent' }), named, ['LegalAgent'])?.method).toBe('rules');
    expect(pickOf(decision({ kind: 'route', specialist: 'DatabaseAgent' }), assessment({ specialist: 'DatabaseAgent' }), ['LegalAgent'])?.method).toBe('rules');
  });
});
