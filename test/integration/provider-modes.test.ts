import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { DEFAULT_SYSTEM_MODELS } from '../../src/activities';
import { startTask } from '../../src/client/submit-task';
import { loadConfig } from '../../src/config/env';
import { repoRoot } from '../../src/config/paths';
import { PantheonError } from '../../src/errors';
import { startOfflineProvider, type OfflineProvider } from '../../src/llm/offline';
import { createConfiguredLlmClient } from '../../src/llm/providers';
import type { ProviderName } from '../../src/llm/types';
import { createLogger } from '../../src/logging/logger';
import { scopeMemoryToMode } from '../../src/memory/mode-scoped';
import { openMemoryStore } from '../../src/memory/open-store';
import { TaskInputSchema } from '../../src/tasks/task-input';
import { buildWorkerDeps, prepareProviders } from '../../src/workers/deps';
import { createLedgerWorker, runWorkersInOrder } from '../../src/workers/ledger-worker';
import { createTaskWorker } from '../../src/workers/task-worker';
import { installQuietRuntime, testAddress } from '../support/harness';
import { removeWorkerLeftovers } from '../support/leftovers';

/**
 * Provider modes with the real openai and Anthropic SDKs. One offline provider stands in for the
 * vendors (OPENAI_BASE_URL / ANTHROPIC_BASE_URL, with and without /v1), another is the offline
 * provider itself (PANTHEON_OFFLINE_URL): which one a call reaches shows whether it ran live.
 */

let vendor: OfflineProvider;
let offline: OfflineProvider;
let dir: string;

beforeAll(async () => {
  vendor = await startOfflineProvider();
  offline = await startOfflineProvider();
  dir = mkdtempSync(join(tmpdir(), 'pantheon-provider-modes-'));
});

afterAll(async () => {
  await vendor?.close();
  await offline?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A logger whose JSON lines the test reads. */
function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger({ level: 'info', destination }), lines };
}

/** The seed roster with ResearchAgent's fallback_model removed: only a key for Anthropic serves it. */
function rosterWithoutResearchFallback(): string {
  const roster = join(dir, `roster-${Math.random().toString(36).slice(2)}`);
  cpSync(join(repoRoot(), 'agents'), roster, { recursive: true });
  const file = join(roster, 'ResearchAgent.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/^fallback_model:.*$/m, ''));
  return roster;
}

/** The variables a worker reads; an empty value unsets one. */
function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  const vars: Record<string, string> = { PANTHEON_OFFLINE_URL: offline.url, PANTHEON_LLM_TIMEOUT_MS: '10000', ...extra };
  return Object.fromEntries(Object.entries(vars).filter(([, v]) => v !== ''));
}

const seqs = (p: OfflineProvider) => p.calls().length;

/**
 * Starts the provider side of a worker (the start-up check, then the configured client) and makes
 * one real call per specialist and system model; returns where each landed.
 */
async function startAndCallEveryModel(vars: NodeJS.ProcessEnv) {
  const config = loadConfig(vars);
  const { logger, lines } = capturedLogger();
  const setup = prepareProviders(config, logger);
  const llm = createConfiguredLlmClient(config, setup.plan);
  const before = { vendor: seqs(vendor), offline: seqs(offline) };
  const users = [
    ...setup.roster.specialists.map((s) => ({ name: s.name, provider: s.provider, model: s.model, purpose: 'specialist' as const })),
    ...Object.entries(setup.models).map(([name, m]) => ({ name, provider: m.provider, model: m.model, purpose: 'router' as const })),
  ];
  for (const u of users) {
    const answer = await llm.complete({
      provider: u.provider, model: u.model, system: 'Answer briefly.', messages: [{ role: 'user', content: 'Say what you do.' }],
      maxOutputTokens: 200, json: false, purpose: u.purpose, agent: u.name,
    });
    expect(answer.text.length).toBeGreaterThan(0);
  }
  return {
    setup,
    lines,
    users,
    vendorCalls: vendor.calls().slice(before.vendor),
    offlineCalls: offline.calls().slice(before.offline),
  };
}

function refusal(vars: NodeJS.ProcessEnv): PantheonError {
  const { logger, lines } = capturedLogger();
  try {
    prepareProviders(loadConfig(vars), logger);
  } catch (err) {
    expect(err).toBeInstanceOf(PantheonError);
    expect(lines).toEqual([]); // refused before anything was logged or started
    return err as PantheonError;
  }
  throw new Error('expected the worker to refuse to start');
}

const providersOf = (calls: { provider: ProviderName }[]) => [...new Set(calls.map((c) => c.provider))].sort();

describe('worker start-up under each mode and set of keys', () => {
  it('auto with no key: starts offline, every call answered by the offline provider, and says so first', async () => {
    const r = await startAndCallEveryModel(env({}));
    expect(r.setup.plan.providers).toEqual({ openai: 'offline', anthropic: 'offline' });
    expect(r.vendorCalls).toHaveLength(0);
    expect(r.offlineCalls).toHaveLength(r.users.length);
    expect(r.lines[0]).toMatchObject({ msg: expect.stringMatching(/^LLM mode auto: openai offline, anthropic offline/), providers: { openai: 'offline', anthropic: 'offline' } });
  });

  it('offline with both keys: ignores the keys, nothing reaches the vendors', async () => {
    const r = await startAndCallEveryModel(env({ PANTHEON_LLM_MODE: 'offline', OPENAI_API_KEY: 'sk-test-o', ANTHROPIC_API_KEY: 'sk-ant-test', OPENAI_BASE_URL: vendor.url, ANTHROPIC_BASE_URL: vendor.url }));
    expect(r.vendorCalls).toHaveLength(0);
    expect(r.offlineCalls).toHaveLength(r.users.length);
    expect(JSON.stringify(r.lines)).not.toMatch(/sk-test-o|sk-ant-test/);
  });

  it.each([
    ['auto', `/v1`],
    ['auto', ''],
    ['live', '/v1/'],
  ])('%s with only OPENAI_API_KEY (base URL suffix "%s"): Anthropic specialists remapped, every call live on openai', async (mode, suffix) => {
    const r = await startAndCallEveryModel(env({ PANTHEON_LLM_MODE: mode, OPENAI_API_KEY: 'sk-test-o', OPENAI_BASE_URL: `${vendor.url}${suffix}` }));
    expect(r.setup.plan.providers).toEqual({ openai: 'live', anthropic: 'disabled' });
    expect(r.offlineCalls).toHaveLength(0);
    expect(r.vendorCalls).toHaveLength(r.users.length);
    expect(r.vendorCalls.every((c) => c.status === 200)).toBe(true);
    expect(providersOf(r.vendorCalls)).toEqual(['openai']);
    expect(r.vendorCalls.find((c) => c.agent === 'ResearchAgent')?.model).toBe('gpt-4.1-mini');
    expect(r.vendorCalls.find((c) => c.agent === 'CodeReviewAgent')?.model).toBe('gpt-4.1');
    expect(r.lines[0]).toMatchObject({ llmMode: mode, offline: false, providers: { openai: 'live', anthropic: 'disabled' } });
    expect(String(r.lines[0].msg)).toContain('ResearchAgent anthropic/claude-haiku-4-5 -> openai/gpt-4.1-mini');
    expect(JSON.stringify(r.lines)).not.toContain('sk-test-o');
  });

  it.each(['/v1', ''])('auto with only ANTHROPIC_API_KEY (base URL suffix "%s"): OpenAI specialists and system models remapped, every call live on anthropic', async (suffix) => {
    const r = await startAndCallEveryModel(env({ ANTHROPIC_API_KEY: 'sk-ant-test', ANTHROPIC_BASE_URL: `${vendor.url}${suffix}` }));
    expect(r.setup.plan.providers).toEqual({ openai: 'disabled', anthropic: 'live' });
    expect(r.offlineCalls).toHaveLength(0);
    expect(r.vendorCalls).toHaveLength(r.users.length);
    expect(providersOf(r.vendorCalls)).toEqual(['anthropic']);
    expect(r.setup.models.router).toMatchObject({ provider: 'anthropic', model: 'claude-haiku-4-5', maxOutputTokens: DEFAULT_SYSTEM_MODELS.router.maxOutputTokens });
  });

  it('live with both keys: each provider answers its own specialists, no remap', async () => {
    const r = await startAndCallEveryModel(env({ PANTHEON_LLM_MODE: 'live', OPENAI_API_KEY: 'sk-o', ANTHROPIC_API_KEY: 'sk-a', OPENAI_BASE_URL: `${vendor.url}/v1`, ANTHROPIC_BASE_URL: vendor.url }));
    expect(r.setup.plan.remaps).toEqual([]);
    expect(r.offlineCalls).toHaveLength(0);
    expect(providersOf(r.vendorCalls)).toEqual(['anthropic', 'openai']);
    expect(r.vendorCalls.find((c) => c.agent === 'ResearchAgent')).toMatchObject({ provider: 'anthropic', model: 'claude-haiku-4-5' });
  });

  it('live with no key: refuses, naming OPENAI_API_KEY', () => {
    const err = refusal(env({ PANTHEON_LLM_MODE: 'live' }));
    expect(err.type).toBe('config_invalid');
    expect(err.message).toMatch(/^environment variable (OPENAI|ANTHROPIC)_API_KEY: required in PANTHEON_LLM_MODE=live/);
    expect(err.message).toContain('specialist Generalist (gpt-4o-mini) needs OPENAI_API_KEY');
  });

  it.each(['auto', 'live'])('%s with only OPENAI_API_KEY and a specialist without fallback_model: refuses, naming ANTHROPIC_API_KEY and ResearchAgent', (mode) => {
    const err = refusal(env({ PANTHEON_LLM_MODE: mode, OPENAI_API_KEY: 'sk-o', OPENAI_BASE_URL: vendor.url, PANTHEON_ROSTER_DIR: rosterWithoutResearchFallback() }));
    expect(err.message).toMatch(/^environment variable ANTHROPIC_API_KEY: /);
    expect(err.message).toContain('specialist ResearchAgent (claude-haiku-4-5) needs ANTHROPIC_API_KEY');
    expect(err.message).not.toContain('sk-o');
  });

  it('a model on the keyless provider that nobody declared (a spawned specialist) fails naming the variable; no server sees it', async () => {
    const config = loadConfig(env({ OPENAI_API_KEY: 'sk-o', OPENAI_BASE_URL: vendor.url }));
    const setup = prepareProviders(config, createLogger({ level: 'silent' }));
    const before = seqs(vendor) + seqs(offline);
    const call = createConfiguredLlmClient(config, setup.plan).complete({
      provider: 'anthropic', model: 'claude-sonnet-4-6', system: 's', messages: [{ role: 'user', content: 'u' }], maxOutputTokens: 100, json: false, purpose: 'specialist', agent: 'LegalAgent',
    });
    await expect(call).rejects.toMatchObject({ type: 'config_invalid', message: expect.stringContaining('ANTHROPIC_API_KEY'), details: { billed: 'no' } });
    expect(seqs(vendor) + seqs(offline)).toBe(before);
  });

  it('a base URL with a wrong path is a config error about the URL, not an unknown model', async () => {
    const config = loadConfig(env({ OPENAI_API_KEY: 'sk-o', OPENAI_BASE_URL: `${vendor.url}/api/v1` }));
    const setup = prepareProviders(config, createLogger({ level: 'silent' }));
    const call = createConfiguredLlmClient(config, setup.plan).complete({
      provider: 'openai', model: 'gpt-4.1-mini', system: 's', messages: [{ role: 'user', content: 'u' }], maxOutputTokens: 100, json: false, purpose: 'specialist', agent: 'DatabaseAgent',
    });
    await expect(call).rejects.toMatchObject({ type: 'config_invalid', message: expect.stringContaining('base URL path looks wrong'), details: { variable: 'OPENAI_BASE_URL' } });
  });
});

describe('a worker built under its plan runs a task on the real server', () => {
  const OBJECTIVE = 'Research and compare three managed Postgres hosting vendors on cost, risk and support, with sources';

  async function startWorker(name: string, vars: Record<string, string>) {
    installQuietRuntime();
    const id = `${name}-${process.pid}-${Date.now()}`;
    const config = loadConfig(env({
      TEMPORAL_ADDRESS: testAddress(),
      PANTHEON_TASK_QUEUE: `test-${id}`,
      PANTHEON_BUDGET_TASK_QUEUE: `test-${id}-budget`,
      PANTHEON_LEDGER_ID: `ledger-${id}`,
      PANTHEON_GOD_ID: `god-${id}`,
      PANTHEON_MEMORY_FILE: join(dir, 'shared-memory.sqlite'),
      ...vars,
    }));
    const { logger, lines } = capturedLogger();
    const setup = prepareProviders(config, logger);
    const connection = await Connection.connect({ address: testAddress() });
    const client = new Client({ connection, namespace: 'default' });
    const nativeConnection = await NativeConnection.connect({ address: testAddress() });
    const built = await buildWorkerDeps(config, logger, client, setup);
    const bundle = { codePath: process.env.PANTHEON_TEST_BUNDLE! };
    const ledgerWorker = await createLedgerWorker({ connection: nativeConnection, namespace: 'default', taskQueue: config.temporal.budgetTaskQueue, workflowBundle: bundle });
    const ledgerRun = ledgerWorker.run();
    await built.gate.ensureLedger();
    const worker = await createTaskWorker({ connection: nativeConnection, client, namespace: 'default', taskQueue: config.temporal.taskQueue, deps: built.deps, ledger: built.gate, workflowBundle: bundle });
    const running = runWorkersInOrder(worker, ledgerWorker, [], ledgerRun, () => built.gate.flush());
    return {
      client, built, lines, taskQueue: config.temporal.taskQueue,
      async stop() {
        worker.shutdown();
        await running;
        await built.close();
        await removeWorkerLeftovers(client, { taskQueue: config.temporal.taskQueue, ledgerId: config.budget.ledgerId });
        await nativeConnection.close();
        await connection.close();
      },
    };
  }

  it('live on OPENAI_API_KEY only: ResearchAgent runs remapped on openai, its record is marked live, offline records are not recalled', async () => {
    // Earlier outcomes in the shared file: one from an offline run, one from a live run.
    const raw = await openMemoryStore({ kind: 'sqlite', file: join(dir, 'shared-memory.sqlite') });
    const seed = (id: string, offlineRun: boolean, approach: string) =>
      scopeMemoryToMode(raw, offlineRun).put({
        id, taskId: id, specialist: 'ResearchAgent', objective: OBJECTIVE, approach, result: 'done', success: true, costUsd: 0.01, lessons: [], createdAt: new Date().toISOString(),
      });
    await seed('seed-offline', true, 'CANNED OFFLINE APPROACH');
    await seed('seed-live', false, 'REAL LIVE APPROACH');

    const w = await startWorker('modes-live', { OPENAI_API_KEY: 'sk-test-o', OPENAI_BASE_URL: `${vendor.url}/v1` });
    try {
      const before = { vendor: seqs(vendor), offline: seqs(offline) };
      const handle = await startTask(w.client, w.taskQueue, TaskInputSchema.parse({ objective: OBJECTIVE }), `modes-live-${Date.now()}`);
      const outcome = await handle.result();
      expect(outcome.status).toBe('completed');
      expect(outcome.specialist).toBe('ResearchAgent');
      const calls = vendor.calls().slice(before.vendor).filter((c) => c.task === outcome.taskId);
      expect(calls.length).toBeGreaterThan(0);
      expect(calls.every((c) => c.provider === 'openai')).toBe(true);
      expect(calls.filter((c) => c.purpose === 'specialist').every((c) => c.model === 'gpt-4.1-mini')).toBe(true);
      expect(seqs(offline)).toBe(before.offline);
      // What the worker's activities recall (routeTask, generateTasks): the live record, never the offline one.
      const recalled = (await w.built.deps.memory.recall({ text: OBJECTIVE, limit: 10 })).map((h) => h.record.id);
      expect(recalled).toContain('seed-live');
      expect(recalled).not.toContain('seed-offline');
      expect((await raw.get(`${outcome.taskId}:outcome`))?.offline).toBe(false);
      expect(w.lines[0]).toMatchObject({ llmMode: 'auto', providers: { openai: 'live', anthropic: 'disabled' } });
    } finally {
      await w.stop();
      await raw.close();
    }
  });

  it('offline (no key): the worker serves the offline provider itself and marks its record offline', async () => {
    const w = await startWorker('modes-offline', { PANTHEON_OFFLINE_URL: '' });
    try {
      expect(w.built.offline).toBeDefined();
      const handle = await startTask(w.client, w.taskQueue, TaskInputSchema.parse({ objective: OBJECTIVE }), `modes-offline-${Date.now()}`);
      const outcome = await handle.result();
      expect(outcome.status).toBe('completed');
      expect(w.built.offline!.calls().some((c) => c.task === outcome.taskId)).toBe(true);
      // The offline run recalls everything, its own kind included.
      expect((await w.built.deps.memory.recall({ text: OBJECTIVE, limit: 10 })).map((h) => h.record.id)).toEqual(expect.arrayContaining(['seed-live', 'seed-offline']));
      expect((await w.built.deps.memory.get(`${outcome.taskId}:outcome`))?.offline).toBe(true);
      expect(w.lines[0]).toMatchObject({ llmMode: 'auto', offline: true });
    } finally {
      await w.stop();
    }
  });
});
