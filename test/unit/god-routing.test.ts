import { compactBook, compactState, migrateGodState } from '../../src/god/state';
import { observeFinished, routeByPolicy, routingOf } from '../../src/god/routing';
import type { InFlightTask, SpawnedSpecialist } from '../../src/god/types';
import { seedBook } from '../../src/routing/policy/book';
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
    expect(routingOf(r.decision)).toMatchObject({ policyVersion: 1, by: 'active' });
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

  it('leaves requested specialists, chains and unsure rules to the rules; explored picks go to the experimental lane', () => {
    const state = freshState({ routing: book(1) });
    const requested = queued('t1');
    requested.task = task('Add an index in Postgres for the users table', { specialist: 'ResearchAgent' });
    expect(routeByPolicy(state, requested, ranked, decision()).decision.policy).toBeUndefined();
    expect(routeByPolicy(state, queued('t2'), ranked, decision({ kind: 'chain', plan: ['ResearchAgent', 'DatabaseAgent'] })).decision.policy).toBeUndefined();
    expect(routeByPolicy(state, queued('t3'), { ...ranked, confidence: 0.3 }, decision()).decision.policy).toBeUndefined();
    const explored = routeByPolicy(state, queued('t4'), ranked, decision()).decision;
    expect(explored).toMatchObject({ lane: 'experimental', policy: { decision: { choice: { mode: 'explore', probability: 1 / 3 } } } });
  });

  it('learns from a finished routed task, but not from one refused or cancelled', () => {
    const state = freshState({ routing: book() });
    const d = routeByPolicy(state, queued('t1'), ranked, decision()).decision;
    const flight: InFlightTask = { taskId: 't1', workflowType: 'agentTask', kind: 'database', specialist: d.specialist!, lane: 'main', expectedCostUsd: 0.01, startedAtMs: T0, policy: { ...d.policy!, words: ['index'] } };
    const finished = { taskId: 't1', status: 'completed' as const, costUsd: 0.02, tokens: 10, durationMs: 1000, reason: 'ok' };
    const learned = observeFinished(state.routing!, flight, finished, T0);
    expect(learned.book.active.arms.database[d.specialist!].successes).toBe(1);
    expect(learned.events).toEqual([]);
    for (const status of ['rejected', 'cancelled'] as const) expect(observeFinished(state.routing!, flight, { ...finished, status }, T0).book).toBe(state.routing);
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
    expect(compactBook(b)).toBe(b);
    expect(() => migrateGodState({ ...JSON.parse(JSON.stringify(freshState())), routing: { active: {} } })).toThrow(/routing/);
  });
});
