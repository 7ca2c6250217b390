import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type RuntimeOptions } from '@temporalio/worker';
import { DEFAULT_SYSTEM_MODELS } from '../src/activities';
import { loadConfig, type PantheonConfig } from '../src/config/env';
import { repoRoot } from '../src/config/paths';
import { startOfflineProvider, type OfflineProvider } from '../src/llm/offline';
import { createConfiguredLlmClient } from '../src/llm/providers';
import { openMemoryStore } from '../src/memory/open-store';
import { ensureTemporal } from '../src/runtime/temporal';
import { clientConnectionOptions, describeTemporalConnection, loadTemporalConnection, workerConnectionOptions, type TemporalConnection } from '../src/config/temporal-connection';
import { findTemporalCli } from '../src/runtime/temporal-cli';
import { loadRoster, type Roster } from '../src/specialists/roster';
import { createLedgerWorker, runWorkersInOrder } from '../src/workers/ledger-worker';
import { createTaskWorker } from '../src/workers/task-worker';
import { bundleWorkflows } from '../src/workers/workflow-bundle';
import { startBenchBudget, type BenchBudget } from './budget';
import { recordingLlmClient, type RecordingLlmClient } from './recording-llm';

/**
 * Everything the benchmark runs against, started here and torn down by close(): a Temporal dev
 * server (in memory, free port, headless) unless TEMPORAL_ADDRESS names one, an offline provider
 * with fixed latency and no jitter, a temp SQLite memory store, a budget ledger of its own, and an
 * in-process worker running the workflows bundled once.
 */

export interface BenchEnvironment {
  server: { kind: 'dev-server' | 'external'; address: string; namespace: string; cli?: string; cliVersion?: string };
  /** The dev server's process group when this bench started it (its CPU is read from there); not reported. */
  serverPgid?: number;
  /** How to connect to it (TLS, API key from TEMPORAL_* / temporal.toml for an external server); not reported. */
  connection: TemporalConnection;
  bundleMs: number;
  client: Client;
  provider: OfflineProvider;
  config: PantheonConfig;
  roster: Roster;
  /** Records every provider call of the worker by task id (inside the budget: the call alone). */
  llm: RecordingLlmClient;
  /** The worker's LLM calls reserve and settle through this run's budget ledger, as in deps.ts
   * (unless `ledger` is false: then they skip it, and the ledger only serves the runway activities). */
  budget: BenchBudget;
  ledger: boolean;
  /** Operator alerts the activities raised (expected: none). */
  alerts: Array<{ kind: string; message: string }>;
  taskQueue: string;
  /** Rejects if the worker stops before close(); never resolves otherwise. */
  workerFailure: Promise<never>;
  close(): Promise<void>;
}

export type Progress = (message: string) => void;

const quiet = () => undefined;
const quietLogger = { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: quiet };

/**
 * Temporal's Runtime logs `level` and above to stderr, the native core's lines too (left to
 * itself core prints to stdout, where a line would break a bench's `--json` report), and exports
 * metrics when given telemetry; installing twice in one process is not allowed.
 */
export function installQuietRuntime(telemetryOptions?: RuntimeOptions['telemetryOptions'], level: 'WARN' | 'ERROR' = 'WARN'): void {
  Runtime.install({ logger: new DefaultLogger(level), telemetryOptions: { ...telemetryOptions, logging: { filter: { core: level, other: 'ERROR' }, forward: {} } } });
}

/** LIFO cleanup steps; every step runs even when an earlier one fails. */
class Teardown {
  private steps: Array<{ what: string; run: () => Promise<void> | void }> = [];
  push(what: string, run: () => Promise<void> | void): void {
    this.steps.push({ what, run });
  }
  async run(): Promise<void> {
    const errors: string[] = [];
    for (const step of this.steps.reverse()) {
      try {
        await step.run();
      } catch (err) {
        errors.push(`${step.what}: ${(err as Error).message}`);
      }
    }
    this.steps = [];
    if (errors.length) throw new Error(`cleanup failed: ${errors.join('; ')}`);
  }
}

async function cliVersion(cli: string): Promise<string | undefined> {
  try {
    const { stdout } = await promisify(execFile)(cli, ['--version'], { timeout: 10_000 });
    return stdout.trim().split('\n')[0];
  } catch {
    return undefined;
  }
}

/**
 * The bills of a run with the ledger off (`--no-ledger`): no ledger knows the task, so each
 * task's outcome reports its own books, as a task does whose ledger never answered.
 */
const UNBUDGETED_BILLS: BenchBudget['bills'] = {
  closeTask: async (taskId) => ({ taskId, usd: 0, tokens: 0, known: false, chargedOutstanding: 0, alerts: [] }),
};

export async function startBenchEnvironment(options: { latencyMs: number; runId: string; progress: Progress; ledger?: boolean }): Promise<BenchEnvironment> {
  const ledger = options.ledger ?? true;
  const { progress } = options;
  const teardown = new Teardown();
  try {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pantheon-bench-'));
    teardown.push('remove temp dir', () => fs.rmSync(dir, { recursive: true, force: true }));

    const configured = loadTemporalConnection(process.env);
    progress(configured.address ? `connecting to Temporal at ${describeTemporalConnection(configured)}` : 'starting an in-memory Temporal dev server');
    const temporal = await ensureTemporal({ connection: configured, devServer: { port: 0, dbFile: null, headless: true, logFile: path.join(dir, 'temporal.log') } });
    teardown.push('stop Temporal dev server', () => temporal.stop());
    const cli = temporal.started ? await findTemporalCli({ install: false }) : undefined;
    const server = {
      kind: temporal.started ? ('dev-server' as const) : ('external' as const),
      address: temporal.address,
      namespace: temporal.namespace,
      ...(cli ? { cli: path.relative(repoRoot(), cli) || cli, cliVersion: await cliVersion(cli) } : {}),
    };

    progress('bundling workflows');
    const bundleStarted = performance.now();
    const code = await bundleWorkflows({ logger: quietLogger });
    const bundleMs = performance.now() - bundleStarted;

    const provider = await startOfflineProvider({ port: 0, latencyMs: options.latencyMs, jitterMs: 0 });
    teardown.push('close offline provider', () => provider.close());

    const memoryFile = path.join(dir, 'memory.sqlite');
    const config = loadConfig({
      PANTHEON_LLM_MODE: 'offline',
      PANTHEON_OFFLINE_URL: provider.url,
      PANTHEON_LLM_TIMEOUT_MS: String(30_000 + options.latencyMs * 2),
      PANTHEON_MEMORY_FILE: memoryFile,
      PANTHEON_ROSTER_DIR: path.join(repoRoot(), 'agents'),
      TEMPORAL_NAMESPACE: temporal.namespace,
    });
    const roster = loadRoster(config.rosterDir);
    const memory = await openMemoryStore({ kind: 'sqlite', file: memoryFile });
    teardown.push('close memory store', () => memory.close());

    const alerts: BenchEnvironment['alerts'] = [];
    const alerter = {
      async alert(event: { kind: string; message: string }) {
        alerts.push({ kind: event.kind, message: event.message });
      },
    };

    // The client first: the budget gate and the worker's sweeper activities use it, so it closes after the worker stops.
    const connection = await Connection.connect(clientConnectionOptions(temporal.connection));
    teardown.push('close client connection', () => connection.close());
    const client = new Client({ connection, namespace: temporal.namespace });
    const taskQueue = `bench-${options.runId}`;

    // As src/workers/deps.ts and main.ts: the ledger is started before the workers, on a queue of its
    // own served by a ledger worker that stops after the task worker; every LLM call is budgeted.
    const llm = recordingLlmClient(createConfiguredLlmClient(config));
    const ledgerId = `bench-ledger-${options.runId}`;
    const budgetQueue = `${taskQueue}-budget`;
    progress(`starting budget ledger ${ledgerId} on ${budgetQueue}`);
    const budget = await startBenchBudget({ client, taskQueue: budgetQueue, ledgerId, inner: llm, alerter });
    teardown.push('terminate the budget ledger', () =>
      client.workflow
        .getHandle(ledgerId)
        .terminate('benchmark over')
        .then(() => undefined),
    );
    // Built apart from the call so extra dependencies the worker does not (yet) take are no error.
    const deps = { llm: ledger ? budget.llm : llm, roster, memory, models: DEFAULT_SYSTEM_MODELS, alerter, bills: ledger ? budget.bills : UNBUDGETED_BILLS };

    const nativeConnection = await NativeConnection.connect(workerConnectionOptions(temporal.connection));
    teardown.push('close worker connection', () => nativeConnection.close());
    const worker = await createTaskWorker({
      connection: nativeConnection,
      client,
      namespace: temporal.namespace,
      taskQueue,
      deps,
      ledger: budget.ledger,
      workflowBundle: { code },
    });
    const ledgerWorker = await createLedgerWorker({ connection: nativeConnection, namespace: temporal.namespace, taskQueue: budgetQueue, workflowBundle: { code } });
    let stopping = false;
    // No signal handling of its own: the benchmark's handler aborts the run, then teardown stops both.
    const running = runWorkersInOrder(worker, ledgerWorker, []);
    const workerFailure = running.then(
      () => {
        throw new Error(stopping ? 'worker stopped' : 'the worker stopped unexpectedly');
      },
      (err: unknown) => {
        throw new Error(`the worker failed: ${(err as Error).message}`);
      },
    ) as Promise<never>;
    workerFailure.catch(() => undefined);
    teardown.push('shut the workers down (tasks, then the ledger)', async () => {
      stopping = true;
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
    });

    return {
      server,
      ...(temporal.started && { serverPgid: temporal.started.pid }),
      connection: temporal.connection,
      bundleMs,
      client,
      provider,
      config,
      roster,
      llm,
      budget,
      ledger,
      alerts,
      taskQueue,
      workerFailure,
      close: () => teardown.run(),
    };
  } catch (err) {
    await teardown.run().catch((cleanupErr: Error) => progress(cleanupErr.message));
    throw err;
  }
}
