import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../../src/config/paths';
import { testAddress } from './harness';

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
