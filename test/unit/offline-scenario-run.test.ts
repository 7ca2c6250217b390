import path from 'node:path';
import type { Logger } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createRunSpecialist } from '../../src/activities/run-specialist';
import type { RunSpecialistInput, RunSpecialistResult } from '../../src/activities/types';
import { loadConfig } from '../../src/config/env';
import { repoRoot } from '../../src/config/paths';
import { startOfflineProvider, type OfflineProvider } from '../../src/llm/offline';
import { createConfiguredLlmClient } from '../../src/llm/providers';
import { loadRoster } from '../../src/specialists/roster';
import { TaskInputSchema } from '../../src/tasks/task-input';

/**
 * A routing scenario steering real specialist runs: the real runSpecialist activity, through the
 * real SDK clients, against the offline provider whose scenario is set over its admin API.
 */
let provider: OfflineProvider;
let runSpecialist: ReturnType<typeof createRunSpecialist>;

const silent: Logger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
// The kind label rides in an input: the specialist is shown it, the router never reads inputs.
const task = TaskInputSchema.parse({
  objective: 'Add these indexes to the Postgres table orders:\n- created_at\n- status',
  inputs: { bench: '[kind: database]' },
  maxIterations: 6,
  compressEvery: 10,
});

function input(taskId: string, specialist: string): RunSpecialistInput {
  return { taskId, specialist, task, warnings: [], history: [], iteration: 0 };
}

async function run(taskId: string, specialist = 'DatabaseAgent'): Promise<RunSpecialistResult> {
  const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 15_000 }, { logger: silent });
  return env.run(runSpecialist, input(taskId, specialist));
}

async function admin(method: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${provider.url}/_pantheon/scenario`, { method, ...(body !== undefined && { body: JSON.stringify(body) }) });
  return { status: res.status, json: await res.json() };
}

beforeAll(async () => {
  provider = await startOfflineProvider({ port: 0 });
  const config = loadConfig({ PANTHEON_LLM_MODE: 'offline', PANTHEON_OFFLINE_URL: provider.url, PANTHEON_ROSTER_DIR: path.join(repoRoot(), 'agents') });
  runSpecialist = createRunSpecialist({ llm: createConfiguredLlmClient(config), roster: loadRoster(config.rosterDir) });
});

afterAll(async () => {
  await provider?.close();
});

beforeEach(async () => {
  provider.resetCalls();
  await admin('DELETE');
});

it('a specialist the scenario fails runs its work items, never delivers, and ends at the iteration limit', async () => {
  expect((await admin('PUT', { seed: 3, rules: [{ specialist: 'DatabaseAgent', kind: 'database', successRate: 0, costFactor: 1 }] })).status).toBe(200);
  const result = await run('scenario-fail');
  expect(result).toMatchObject({ outcome: 'iteration_limit', iteration: 6 });
  expect(result.result).toBeUndefined();
  const calls = provider.calls().filter((c) => c.purpose === 'specialist');
  expect(calls).toHaveLength(6);
  expect(calls.every((c) => c.scenario?.kind === 'database' && c.scenario.success === false)).toBe(true);
});

it('a cost factor scales the usage the provider bills, and so the run cost Pantheon counts', async () => {
  const plain = await run('scenario-cost');
  await admin('PUT', { rules: [{ specialist: 'DatabaseAgent', kind: 'database', successRate: 1, costFactor: 3 }] });
  const dear = await run('scenario-cost');
  expect(plain).toMatchObject({ outcome: 'done', iteration: 3 });
  expect(dear).toMatchObject({ outcome: 'done', iteration: 3, result: plain.result });
  expect(dear.tokens / plain.tokens).toBeGreaterThan(2.9);
  expect(dear.tokens / plain.tokens).toBeLessThan(3.1);
  expect(dear.costUsd / plain.costUsd).toBeGreaterThan(2.9);
});

it('changes mid-run through the admin API: GET shows it, a retry of the same task keeps its verdict, DELETE restores success', async () => {
  const scenario = { seed: 11, rules: [{ specialist: 'DatabaseAgent', successRate: 0.5, costFactor: 1 }] };
  await admin('PUT', scenario);
  expect((await admin('GET')).json).toEqual({ scenario });
  const verdicts: boolean[] = [];
  for (let i = 0; i < 6; i++) verdicts.push((await run(`mid-run-${i}`)).outcome === 'done');
  // Some succeed and some fail at 50 %, and each task's verdict is the same when run again.
  expect(verdicts).toContain(true);
  expect(verdicts).toContain(false);
  for (let i = 0; i < 6; i++) expect((await run(`mid-run-${i}`)).outcome === 'done').toBe(verdicts[i]);

  await admin('PUT', { ...scenario, rules: [{ specialist: 'DatabaseAgent', successRate: 0, costFactor: 1 }] });
  expect((await run('mid-run-0')).outcome).toBe('iteration_limit');
  expect((await admin('DELETE')).json).toEqual({ ok: true, rules: 0 });
  expect((await run('mid-run-0')).outcome).toBe('done');
});

it('rejects an invalid scenario with the field named, and keeps the one it had', async () => {
  await admin('PUT', { rules: [{ specialist: 'DatabaseAgent', successRate: 0, costFactor: 1 }] });
  const bad = await admin('PUT', { rules: [{ specialist: 'DatabaseAgent', successRate: 2, costFactor: 1 }] });
  expect(bad.status).toBe(400);
  expect(bad.json.error.message).toMatch(/scenario.rules\[0\].successRate/);
  expect(provider.scenario()?.rules[0].successRate).toBe(0);
});
