import type { BudgetLedgerInput } from '../../src/budget/ledger-defs';
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Interceptor } from '@grpc/grpc-js';
import type { PayloadCodec } from '@temporalio/common';
import { DefaultLogger, NativeConnection, Runtime, Worker, type LogEntry } from '@temporalio/worker';
import { DEFAULT_SYSTEM_MODELS } from '../../src/activities';
import { createAlerter } from '../../src/alerts/alerter';
import { activityCallKeys, budgetAlertSink, createBudgetGate, createBudgetedLlmClient, type BudgetGate, type Limits } from '../../src/budget';
import { loadConfig } from '../../src/config/env';
import { createLogger } from '../../src/logging/logger';
import { limitsWith } from './limits';
import { removeLedger } from './leftovers';
import { repoRoot } from '../../src/config/paths';
import { clientInterceptors } from '../../src/runtime/client-interceptors';
import { startOfflineProvider, type OfflineProvider } from '../../src/llm/offline';
import { createConfiguredLlmClient } from '../../src/llm/providers';
import { openMemoryStore } from '../../src/memory/open-store';
import type { MemoryStore } from '../../src/memory/types';
import { loadRoster, type Roster } from '../../src/specialists/roster';
import { createLedgerWorker, runWorkersInOrder } from '../../src/workers/ledger-worker';
import { createTaskWorker } from '../../src/workers/task-worker';
import { createLiveRoster, type SpawnedSnapshot } from '../../src/specialists/live-roster';
import { godRoutingPolicy } from '../../src/workers/god-policy';
import { godRosterFetcher } from '../../src/workers/god-roster';
import { godConstraintBook } from '../../src/workers/god-constraints';
import type { ConstraintBook } from '../../src/constraints/book';

/**
 * Real parts for an integration test: the suite's Temporal dev server, a fresh offline provider
 * spoken to through the real openai and Anthropic SDKs, a real SQLite memory file, and a worker
 * on its own task queue.
 */
export interface Harness {
  client: Client;
  provider: OfflineProvider;
  memory: MemoryStore;
  /** The SQLite file behind `memory` (a test can lock it to take the store down for real). */
  memoryFile: string;
  roster: Roster;
  /** The God id the worker's live roster asks for spawned specialists. */
  godId: string;
  taskQueue: string;
  worker: Worker;
  gate: BudgetGate;
  stop(): Promise<void>;
}

let counter = 0;

/** Quiet SDK logs in tests (warnings and errors only); set PANTHEON_TEST_LOG=INFO to see more. */
/** Who hears every log entry of the Runtime (workflow logs included), whatever level is printed. */
const logListeners = new Set<(entry: LogEntry) => void>();

/**
 * Hears the Runtime's log entries from INFO up (a workflow's `log.info` included) until the
 * returned function is called: a test keeps what explains a rare failure (God's decisions) without
 * printing it on every run. Needs {@link installQuietRuntime} to have installed the Runtime.
 */
export function onRuntimeLog(listener: (entry: LogEntry) => void): () => void {
  logListeners.add(listener);
  return () => logListeners.delete(listener);
}

export function installQuietRuntime(): void {
  const printed = new DefaultLogger((process.env.PANTHEON_TEST_LOG as 'INFO' | undefined) ?? 'WARN');
  try {
    Runtime.install({
      logger: new DefaultLogger('INFO', (entry) => {
        for (const listener of logListeners) listener(entry);
        printed.log(entry.level, entry.message, entry.meta);
      }),
    });
  } catch {
    // Already installed by an earlier test file in this process.
  }
}

export function testAddress(): string {
  const address = process.env.PANTHEON_TEST_TEMPORAL_ADDRESS;
  if (!address) throw new Error('PANTHEON_TEST_TEMPORAL_ADDRESS is unset: run the suite with `npm test` (jest globalSetup)');
  return address;
}

/**
 * Limits for tests that are not about limits: generous, so only a budget test's own limits bind.
 * Each harness has its own ledger, so tests cannot spend each other's budget.
 */
export const GENEROUS_LIMITS: Limits = limitsWith();

export interface HarnessOptions {
  limits?: Limits;
  /** The harness's ledger's own options (when to continue as new). */
  ledgerOptions?: BudgetLedgerInput['options'];
  /** Grant calls from leases (default: as a worker, PANTHEON_BUDGET_LEASES, on). */
  leases?: boolean;
  llmTimeoutMs?: number;
  /** A roster folder other than the repo's agents/. */
  rosterDir?: string;
  alertWebhookUrl?: string;
  /** The God workflow id whose `roster` query the worker's live roster reads (default: one per harness). */
  godId?: string;
  /** Replaces God's roster query as the source of spawned specialists (a test controls it directly). */
  spawned?: () => Promise<SpawnedSnapshot>;
  /** Replaces God's `constraints` query as the source of standing constraints. */
  constraints?: ConstraintBook;
  /** How long the live roster caches a fetch (default 200 ms: tests see a spawn almost at once). */
  rosterTtlMs?: number;
  /** A payload codec (e.g. AesGcmCodec) for the workers and, in startHarness, the client. */
  codec?: PayloadCodec;
  /** The task queue (default: one per harness); another harness's queue restarts its worker. */
  taskQueue?: string;
  /** Wraps the memory the worker's activities use (faults at the store's boundary); `memory` stays the raw store. */
  wrapMemory?: (memory: MemoryStore) => MemoryStore;
  /** The memory store's wait for another connection's write lock (default 5000 ms): outage tests shorten it. */
  memoryBusyTimeoutMs?: number;
  /** gRPC interceptors ahead of the client's retries on startHarness's client connection (e.g. a GrpcOutage's). */
  connectionInterceptors?: Interceptor[];
}

/** The connections a harness's workers and gate use: the suite's dev server, or a test server. */
export interface HarnessConnections {
  nativeConnection: NativeConnection;
  client: Client;
}

/**
 * The real parts of a harness on connections the caller owns: offline provider, SQLite memory,
 * a budget gate with a ledger of its own, the task worker and the ledger worker (same bundle).
 * startHarness runs them on the suite's dev server; test/support/time-skipping.ts on a
 * time-skipping test server. Its `stop` ends the workers, provider and memory, not the connections.
 */
export async function startPantheonWorkers(name: string, connections: HarnessConnections, options: HarnessOptions = {}): Promise<Harness> {
  installQuietRuntime();
  const { nativeConnection, client } = connections;
  const id = `${name}-${process.pid}-${++counter}`;
  const dir = path.join(process.env.PANTHEON_TEST_DIR ?? '/tmp', id);
  fs.mkdirSync(dir, { recursive: true });
  const provider = await startOfflineProvider({ port: 0 });
  const config = loadConfig({
    PANTHEON_LLM_MODE: 'offline',
    PANTHEON_OFFLINE_URL: provider.url,
    PANTHEON_LLM_TIMEOUT_MS: String(options.llmTimeoutMs ?? 10_000),
    PANTHEON_MEMORY_FILE: path.join(dir, 'memory.sqlite'),
    PANTHEON_ROSTER_DIR: options.rosterDir ?? path.join(repoRoot(), 'agents'),
  });
  const godId = options.godId ?? `god-${id}`;
  const roster = createLiveRoster(loadRoster(config.rosterDir), options.spawned ?? godRosterFetcher(client, godId), { ttlMs: options.rosterTtlMs ?? 200 });
  const memory = await openMemoryStore({ kind: 'sqlite', file: path.join(dir, 'memory.sqlite'), busyTimeoutMs: options.memoryBusyTimeoutMs });
  const alerter = createAlerter({ logger: createLogger({ level: 'silent' }), webhookUrl: options.alertWebhookUrl });
  const taskQueue = options.taskQueue ?? `test-${id}`;
  const budgetQueue = `${taskQueue}-budget`;
  const dataConverter = options.codec ? { payloadCodecs: [options.codec] } : undefined;
  const gate = createBudgetGate({
    client,
    taskQueue: budgetQueue,
    limits: options.limits ?? GENEROUS_LIMITS,
    ledgerId: `ledger-${id}`,
    ...(options.ledgerOptions && { ledgerOptions: options.ledgerOptions }),
    onAlert: budgetAlertSink(alerter),
    // As a worker has it (PANTHEON_BUDGET_LEASES, on by default).
    leases: options.leases ?? config.budget.leases,
  });
  await gate.ensureLedger();
  const worker = await createTaskWorker({
    connection: nativeConnection,
    client,
    namespace: 'default',
    taskQueue,
    deps: {
      llm: createBudgetedLlmClient(createConfiguredLlmClient(config), gate, activityCallKeys()),
      roster,
      memory: options.wrapMemory ? options.wrapMemory(memory) : memory,
      models: DEFAULT_SYSTEM_MODELS,
      alerter,
      bills: gate,
      constraints: options.constraints ?? godConstraintBook(client, godId),
      routingPolicy: godRoutingPolicy(client, godId, { noPolicyTtlMs: 200 }),
    },
    ledger: gate,
    workflowBundle: { codePath: process.env.PANTHEON_TEST_BUNDLE! },
    dataConverter,
  });
  const ledgerWorker = await createLedgerWorker({ connection: nativeConnection, namespace: 'default', taskQueue: budgetQueue, workflowBundle: { codePath: process.env.PANTHEON_TEST_BUNDLE! }, dataConverter });
  const running = runWorkersInOrder(worker, ledgerWorker, [], undefined, () => gate.flush());
  return {
    client,
    provider,
    memory,
    memoryFile: path.join(dir, 'memory.sqlite'),
    roster,
    godId,
    taskQueue,
    worker,
    gate,
    async stop() {
      worker.shutdown();
      await running;
      // Settles sent off the calls' path reach the ledger before the connection closes.
      await gate.flush();
      // The ledger would run on (on a server the suite does not own, for good). A harness started
      // later on the same task queue has a ledger of its own.
      await removeLedger(client, gate.ledgerId);
      await memory.close();
      await provider.close();
    },
  };
}

export async function startHarness(name: string, options: HarnessOptions = {}): Promise<Harness> {
  installQuietRuntime(); // before the first connection, which would install the default runtime
  const nativeConnection = await NativeConnection.connect({ address: testAddress() });
  // As the product's connections have them: a retry that finds the connection closed ends its call, not the test process.
  const connection = await Connection.connect({ address: testAddress(), interceptors: clientInterceptors({ outer: options.connectionInterceptors }) });
  const client = new Client({ connection, namespace: 'default', dataConverter: options.codec ? { payloadCodecs: [options.codec] } : undefined });
  const workers = await startPantheonWorkers(name, { nativeConnection, client }, options);
  return {
    ...workers,
    async stop() {
      await workers.stop();
      await nativeConnection.close();
      await connection.close();
    },
  };
}
