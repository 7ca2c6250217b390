import path from 'node:path';
import type { Logger } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createRunSpecialist } from '../../src/activities/run-specialist';
import { createBudgetedLlmClient } from '../../src/budget/budgeted-client';
import type { RunSpecialistInput, RunSpecialistResult } from '../../src/activities/types';
import { loadConfig } from '../../src/config/env';
import { PantheonError } from '../../src/errors';
import { repoRoot } from '../../src/config/paths';
import { startOfflineProvider, type OfflineProvider } from '../../src/llm/offline';
import { createConfiguredLlmClient } from '../../src/llm/providers';
import { loadRoster } from '../../src/specialists/roster';
import { TaskInputSchema } from '../../src/tasks/task-input';
import { memoryGate } from '../support/memory-gate';

/**
 * runSpecialist's checkpoints, run against the offline provider through the real SDK clients: one
 * heartbeat per iteration, recorded before the next call is paid for, and a retry that starts
 * from it calls the provider only for what is left.
 */
let provider: OfflineProvider;
let runSpecialist: ReturnType<typeof createRunSpecialist>;

const silent: Logger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
// Two work items: the offline specialist answers in three steps (one per item, then the result).
const task = TaskInputSchema.parse({ objective: 'Add these indexes to the Postgres table orders:\n- created_at\n- status' });
const input: RunSpecialistInput = { taskId: 'checkpoint-task', specialist: 'DatabaseAgent', task, warnings: [], history: [], iteration: 0 };

interface Beat {
  checkpoint: RunSpecialistResult;
  /** Calls the provider had seen when the heartbeat was recorded. */
  callsSeen: number;
}

function environment(heartbeatDetails?: unknown): { env: MockActivityEnvironment; beats: Beat[] } {
  const env = new MockActivityEnvironment({ heartbeatDetails, heartbeatTimeoutMs: 15_000 }, { logger: silent });
  const beats: Beat[] = [];
  env.on('heartbeat', (details: unknown) => beats.push({ checkpoint: structuredClone(details) as RunSpecialistResult, callsSeen: provider.calls().length }));
  return { env, beats };
}

beforeAll(async () => {
  provider = await startOfflineProvider({ port: 0 });
  const config = loadConfig({ PANTHEON_LLM_MODE: 'offline', PANTHEON_OFFLINE_URL: provider.url, PANTHEON_ROSTER_DIR: path.join(repoRoot(), 'agents') });
  runSpecialist = createRunSpecialist({ llm: createConfiguredLlmClient(config), roster: loadRoster(config.rosterDir) });
});

afterAll(async () => {
  await provider?.close();
});

beforeEach(() => {
  provider.resetCalls();
  provider.clearFaults();
});

it('checkpoints each finished iteration exactly once, before the provider sees the next call', async () => {
  const { env, beats } = environment();
  const result: RunSpecialistResult = await env.run(runSpecialist, input);

  expect(result).toMatchObject({ outcome: 'done', iteration: 3 });
  // A second heartbeat per iteration would be held back by the worker's throttle, and a crash
  // meanwhile would lose the iteration.
  expect(beats.map((b) => b.checkpoint.iteration)).toEqual([1, 2, 3]);
  expect(beats.map((b) => b.callsSeen)).toEqual([1, 2, 3]);
  expect(beats.map((b) => b.checkpoint.history.length)).toEqual([2, 4, 6]);
  expect(beats[2].checkpoint.costUsd).toBeCloseTo(result.costUsd, 12);
});

it('resumes from a checkpoint: only the iterations left reach the provider, and the earlier cost is kept', async () => {
  const first = environment();
  const whole: RunSpecialistResult = await first.env.run(runSpecialist, input);
  const afterTwo = first.beats[1].checkpoint;
  provider.resetCalls();

  const retry = environment(afterTwo);
  const resumed: RunSpecialistResult = await retry.env.run(runSpecialist, input);

  expect(provider.calls().filter((c) => c.purpose === 'specialist')).toHaveLength(1);
  expect(resumed).toMatchObject({ outcome: 'done', iteration: 3, result: whole.result });
  expect(resumed.costUsd).toBeCloseTo(whole.costUsd, 12);
  expect(resumed.tokens).toBe(whole.tokens);
});

it('checkpoints the cost of an unusable answer before the run fails, so a retry keeps it', async () => {
  provider.addFault({ kind: 'invalid_output', match: { purpose: 'specialist' } });
  const { env, beats } = environment();

  await expect(env.run(runSpecialist, input)).rejects.toMatchObject({ type: 'invalid_output' });
  expect(beats).toHaveLength(1);
  expect(beats[0].checkpoint).toMatchObject({ iteration: 0, history: [] });
  expect(beats[0].checkpoint.costUsd).toBeGreaterThan(0);
});

it('a run that fails on a call the ledger charged at its worst case reports that charge with what it spent', async () => {
  const { gate, state } = memoryGate();
  const config = loadConfig({ PANTHEON_LLM_MODE: 'offline', PANTHEON_OFFLINE_URL: provider.url, PANTHEON_ROSTER_DIR: path.join(repoRoot(), 'agents') });
  let n = 0;
  const budgeted = createRunSpecialist({ llm: createBudgetedLlmClient(createConfiguredLlmClient(config), gate, () => `charged-${++n}`), roster: loadRoster(config.rosterDir) });
  // The third call's connection is reset after the provider had it: it may have been billed.
  provider.addFault({ kind: 'reset', match: { task: 'charged-task', purpose: 'specialist' }, calls: [3] });
  const { env } = environment();
  const err = await env.run(budgeted, { ...input, taskId: 'charged-task' }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PantheonError);
  const details = (err as PantheonError).details as { runCostUsd: number; runTokens: number; runIterations: number };
  expect(details.runIterations).toBe(2);
  // The ledger's own count of the task: two answered calls and the third at its worst case.
  const ledger = state.tasks['charged-task'];
  expect(details.runCostUsd).toBeCloseTo(ledger.usd, 12);
  expect(details.runTokens).toBe(ledger.tokens);
  // More than the two answered calls the provider billed: the worst case is in.
  const answered = provider.calls().filter((c) => c.task === 'charged-task' && c.fault === undefined);
  expect(answered).toHaveLength(2);
  expect(details.runTokens).toBeGreaterThan(answered.reduce((t, c) => t + c.inputTokens + c.outputTokens, 0));
});
