import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { routeFacts } from '../../src/activities/assess-task';
import { createCheckChainPlan, type CheckChainPlanResult } from '../../src/activities/check-chain-plan';
import { repoRoot } from '../../src/config/paths';
import type { SpawnedSpecialist } from '../../src/god/types';
import { createLiveRoster, type SpawnedSnapshot } from '../../src/specialists/live-roster';
import { loadRoster } from '../../src/specialists/roster';
import { TaskInputSchema } from '../../src/tasks/task-input';

const seed = loadRoster(path.join(repoRoot(), 'agents'));

function spawned(name: string, status: SpawnedSpecialist['status'], keywords = ['contract', 'clause', 'gdpr'], version = 1): SpawnedSpecialist {
  return {
    name,
    version,
    status,
    kind: 'legal',
    createdAtMs: 0,
    runs: 0,
    successes: 0,
    definition: {
      name,
      description: 'Reviews contracts and data processing agreements for risky clauses.',
      provider: 'openai',
      model: 'gpt-4.1-mini',
      keywords,
      system_prompt: `You are ${name}. Work one step at a time and name the clause each finding is about.`,
      expected_duration_minutes: 15,
      max_output_tokens: 700,
    },
  };
}

/** A fetch the test steers, counting its calls. */
function source(initial: SpawnedSnapshot = { version: 0, specialists: [] }) {
  const state = { data: initial, calls: 0, fail: undefined as Error | undefined };
  const fetch = async () => {
    state.calls += 1;
    if (state.fail) throw state.fail;
    return state.data;
  };
  return { state, fetch };
}

const LEGAL_TASK = TaskInputSchema.parse({ objective: 'Check the supplier contract for risky GDPR clause wording and liability caps' });

describe('live roster', () => {
  it('is the seed roster until a refresh brings spawned specialists', async () => {
    const { state, fetch } = source();
    const roster = createLiveRoster(seed, fetch, { ttlMs: 1000 });
    expect(roster.specialists.map((s) => s.name)).toEqual(seed.specialists.map((s) => s.name));
    expect(roster.fallback.name).toBe('Generalist');
    state.data = { version: 1, specialists: [spawned('LegalAgent', 'trial')] };
    await roster.refresh();
    expect(roster.version).toBe(1);
    // On trial: found by name (God sends it tasks by name), never picked by the rules.
    expect(roster.specialists.map((s) => s.name)).not.toContain('LegalAgent');
    expect(roster.get('LegalAgent')).toMatchObject({ name: 'LegalAgent', fallback: false, model: 'gpt-4.1-mini' });
  });

  it('routes to a spawned specialist once it is live (not on trial), without building a new roster', async () => {
    const { state, fetch } = source();
    let t = 0;
    const roster = createLiveRoster(seed, fetch, { ttlMs: 1000, now: () => t });
    await roster.refresh();
    expect(routeFacts(LEGAL_TASK, roster)).toMatchObject({ specialist: 'Generalist', method: 'none' });
    state.data = { version: 1, specialists: [spawned('LegalAgent', 'trial')] };
    t += 1000;
    await roster.refresh();
    expect(routeFacts(LEGAL_TASK, roster)).toMatchObject({ specialist: 'Generalist', method: 'none' });
    state.data = { version: 2, specialists: [spawned('LegalAgent', 'live')] };
    t += 1000;
    await roster.refresh();
    expect(routeFacts(LEGAL_TASK, roster)).toMatchObject({ specialist: 'LegalAgent', method: 'rules', kind: 'legal' });
  });

  it('fetches at most once per ttl, and concurrent refreshes share one fetch', async () => {
    const { state, fetch } = source();
    let t = 0;
    const roster = createLiveRoster(seed, fetch, { ttlMs: 1000, now: () => t });
    await Promise.all([roster.refresh(), roster.refresh(), roster.refresh()]);
    expect(state.calls).toBe(1);
    t = 999;
    await roster.refresh();
    expect(state.calls).toBe(1);
    t = 1000;
    await roster.refresh();
    expect(state.calls).toBe(2);
  });

  it('keeps the last snapshot when a fetch fails, and says so once per outage', async () => {
    const { state, fetch } = source({ version: 2, specialists: [spawned('LegalAgent', 'live')] });
    const warnings: string[] = [];
    let t = 0;
    const roster = createLiveRoster(seed, fetch, { ttlMs: 10, now: () => t, warn: (m) => warnings.push(m) });
    await roster.refresh();
    state.fail = new Error('God is unreachable');
    for (let i = 0; i < 3; i++) {
      t += 10;
      await roster.refresh();
    }
    expect(state.calls).toBe(4);
    expect(roster.get('LegalAgent')).toBeDefined();
    expect(roster.version).toBe(2);
    expect(warnings).toEqual([expect.stringContaining('could not read')]);
    state.fail = undefined;
    t += 10;
    await roster.refresh();
    expect(warnings).toHaveLength(2);
  });

  it('stops routing to a retired specialist but still finds it for tasks already routed there', async () => {
    const { fetch } = source({ version: 3, specialists: [spawned('LegalAgent', 'retired')] });
    const roster = createLiveRoster(seed, fetch, { ttlMs: 1000 });
    await roster.refresh();
    expect(roster.specialists.map((s) => s.name)).not.toContain('LegalAgent');
    expect(roster.get('LegalAgent')?.name).toBe('LegalAgent');
    expect(routeFacts(LEGAL_TASK, roster).specialist).toBe('Generalist');
  });

  it('uses the newest version of a name', async () => {
    const { fetch } = source({ version: 4, specialists: [spawned('LegalAgent', 'live', ['contract'], 2), spawned('LegalAgent', 'retired', ['clause'], 1)] });
    const roster = createLiveRoster(seed, fetch, { ttlMs: 1000 });
    await roster.refresh();
    expect(roster.get('LegalAgent')?.keywords).toEqual(['contract']);
    expect(roster.specialists.filter((s) => s.name === 'LegalAgent')).toHaveLength(1);
  });

  it('never lets roster data replace a seed specialist or the fallback, and skips definitions that do not validate', async () => {
    const impostor = spawned('Generalist', 'live', ['anything']);
    const broken = spawned('BrokenAgent', 'live');
    broken.definition.system_prompt = 'too short';
    const warnings: string[] = [];
    const { fetch } = source({ version: 5, specialists: [impostor, broken] });
    const roster = createLiveRoster(seed, fetch, { ttlMs: 1000, warn: (m) => warnings.push(m) });
    await roster.refresh();
    expect(roster.get('Generalist')).toBe(seed.get('Generalist'));
    expect(roster.fallback).toBe(seed.fallback);
    expect(roster.get('BrokenAgent')).toBeUndefined();
    expect(roster.specialists).toHaveLength(seed.specialists.length);
    expect(warnings).toEqual([expect.stringContaining('does not validate')]);
  });

  it('falls back to the seed roster when God reports no spawned specialists', async () => {
    const { state, fetch } = source({ version: 1, specialists: [spawned('LegalAgent', 'live')] });
    let t = 0;
    const roster = createLiveRoster(seed, fetch, { ttlMs: 1, now: () => t });
    await roster.refresh();
    state.data = { version: 0, specialists: [] };
    t += 1;
    await roster.refresh();
    expect(roster.specialists.map((s) => s.name)).toEqual(seed.specialists.map((s) => s.name));
  });
});

describe('checkChainPlan (a chain plan against the live roster)', () => {
  it('knows a specialist God spawned since the worker started, and names each unknown step by plan.N', async () => {
    const { state, fetch } = source();
    const check = createCheckChainPlan({ roster: createLiveRoster(seed, fetch, { ttlMs: 0 }) });
    const env = new MockActivityEnvironment();
    const plan = ['ResearchAgent', 'LegalAgent', 'NoSuchAgent'];
    const before: CheckChainPlanResult = await env.run(check, { chainId: 'c1', plan });
    expect(before.unknown).toEqual([expect.stringMatching(/^plan\.1: unknown "LegalAgent" \(known: /), expect.stringMatching(/^plan\.2: unknown "NoSuchAgent"/)]);
    state.data = { version: 1, specialists: [spawned('LegalAgent', 'trial')] };
    const after: CheckChainPlanResult = await env.run(check, { chainId: 'c1', plan });
    expect(after.unknown).toEqual([expect.stringMatching(/^plan\.2: unknown "NoSuchAgent"/)]);
    expect(await env.run(check, { chainId: 'c1', plan: ['ResearchAgent', 'LegalAgent'] })).toEqual({ unknown: [] });
  });
});
