import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startOfflineProvider, type OfflineProvider, type OfflineProviderOptions } from '../../src/llm/offline';
import { repoRoot } from '../../src/config/paths';
import { testAddress } from './harness';
import { removeWorkerLeftovers } from './leftovers';

/**
 * A real worker process (`src/workers/main.ts`, as `npm run worker` runs it) against the suite's
 * server. Started with node and tsx's loader, not the tsx CLI: the CLI runs the worker in a
 * grandchild that a SIGKILL cannot reach.
 */
export function spawnWorkerProcess(env: Record<string, string>, options: { stdout?: 'pipe' | 'ignore' } = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot(), 'src', 'workers', 'main.ts')], {
    cwd: repoRoot(),
    env: workerProcessEnv(env),
    // stdout carries the worker's JSON log lines: pipe it to read them.
    stdio: ['ignore', options.stdout ?? 'ignore', 'pipe'],
  });
}

/** A worker process's environment against the suite's server: offline LLM, the suite's bundle, JSON logs at warn; `env` on top. */
export function workerProcessEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TEMPORAL_ADDRESS: testAddress(),
    PANTHEON_LLM_MODE: 'offline',
    PANTHEON_WORKFLOW_BUNDLE: process.env.PANTHEON_TEST_BUNDLE,
    LOG_LEVEL: 'warn',
    PANTHEON_LOG_FORMAT: 'json',
    ...env,
  };
}

/** Stops a worker process (SIGKILL: nothing of it may linger), and closes our end of its pipe. */
export async function killWorkerProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
  child.stderr?.destroy();
  child.stdout?.destroy();
}

/**
 * Keeps the last `limit` characters a worker process writes to stderr (where a failed worker's
 * last line goes), for a test to show when the process ended before it should have. Call it
 * right after spawning: output written before is not seen.
 */
export function stderrTail(child: ChildProcess, limit = 4000): () => string {
  let tail = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-limit);
  });
  return () => tail;
}

/**
 * Worker processes of one test file, all on a task queue of its own with one ledger and one memory
 * file: `start` spawns another against the offline provider at `providerUrl`; `stop` kills every
 * one and removes what they left on the server (the Schedules, the ledger).
 */
export function workerFleet(prefix: string) {
  const taskQueue = `${prefix}-${process.pid}-${Date.now()}`;
  const ledgerId = `${taskQueue}-ledger`;
  const memoryFile = path.join(process.env.PANTHEON_TEST_DIR ?? '/tmp', `${taskQueue}.sqlite`);
  const children: ChildProcess[] = [];
  return {
    taskQueue,
    ledgerId,
    memoryFile,
    start(providerUrl: string): ChildProcess {
      const child = spawnWorkerProcess({
        PANTHEON_TASK_QUEUE: taskQueue,
        PANTHEON_LEDGER_ID: ledgerId,
        PANTHEON_BUDGET_TASK_QUEUE: `${taskQueue}-budget`,
        PANTHEON_OFFLINE_URL: providerUrl,
        PANTHEON_MEMORY_FILE: memoryFile,
      });
      children.push(child);
      return child;
    },
    async stop(client: Client | undefined): Promise<void> {
      await Promise.all(children.map(killWorkerProcess));
      await removeWorkerLeftovers(client, { taskQueue, ledgerId });
    },
  };
}

/**
 * A test file's worker processes with what they need: the offline provider they call, a client of
 * the suite's server and a {@link workerFleet}. Started in beforeAll, stopped in afterAll (the
 * workers and what they left first, then the connection and the provider). `provider` and
 * `client` are there once beforeAll has run: read them inside tests and hooks.
 */
export function workerFleetSuite(prefix: string, providerOptions: Omit<OfflineProviderOptions, 'port'> = {}) {
  const fleet = workerFleet(prefix);
  let provider: OfflineProvider | undefined;
  let connection: Connection | undefined;
  let client: Client | undefined;
  beforeAll(async () => {
    provider = await startOfflineProvider({ ...providerOptions, port: 0 });
    connection = await Connection.connect({ address: testAddress() });
    client = new Client({ connection });
  });
  afterAll(async () => {
    await fleet.stop(client);
    await connection?.close();
    await provider?.close();
  });
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} starts in beforeAll: read it inside a test or hook`);
    return value;
  };
  return {
    fleet,
    get provider(): OfflineProvider {
      return started(provider, 'the offline provider');
    },
    get client(): Client {
      return started(client, 'the client');
    },
  };
}
