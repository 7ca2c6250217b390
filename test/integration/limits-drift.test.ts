import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { consolidationScheduleId } from '../../src/client/consolidation-schedule';
import { watchdogScheduleId } from '../../src/client/god-watchdog-schedule';
import { sweeperScheduleId } from '../../src/client/sweeper-schedule';
import { repoRoot } from '../../src/config/paths';
import { startOfflineProvider, type OfflineProvider } from '../../src/llm/offline';
import { budgetQuery } from '../../src/budget/ledger-defs';
import { testAddress } from '../support/harness';
import { killWorkerProcess, spawnWorkerProcess, stderrTail, workerProcessEnv } from '../support/worker-process';

/**
 * limits.yaml edited while a ledger runs: the ledger keeps its own limits (only the audited
 * setLimits update changes them), and a process that starts against it says so, naming each
 * limit as the file writes it. `npm run worker` logs a warning; `npm start`, which logs only
 * errors, prints a note of its own (before, it said nothing and the file seemed to apply).
 */
const unique = `drift-${process.pid}-${Date.now()}`;
const taskQueue = unique;
const ledgerId = `${unique}-ledger`;
const godId = `${unique}-god`;
const dir = process.env.PANTHEON_TEST_DIR ?? '/tmp';
const ledgerLimits = path.join(dir, `${unique}-ledger-limits.yaml`);
const editedLimits = path.join(dir, `${unique}-edited-limits.yaml`);
/** The two limits the edited file changes, as the file names them: its value → the ledger's (the
 * file named as PANTHEON_LIMITS_FILE names it, not as "limits.yaml"). */
const EDITED = path.basename(editedLimits);
const DRIFT = [`system_hourly_usd: 3 (${EDITED}) → 5 (ledger)`, `circuit_breaker.max_spawn_depth: 2 (${EDITED}) → 3 (ledger)`];

let provider: OfflineProvider;
let connection: Connection;
let client: Client;
const children: ChildProcess[] = [];

function env(limitsFile: string): Record<string, string> {
  return {
    PANTHEON_LIMITS_FILE: limitsFile,
    PANTHEON_TASK_QUEUE: taskQueue,
    PANTHEON_LEDGER_ID: ledgerId,
    PANTHEON_BUDGET_TASK_QUEUE: `${taskQueue}-budget`,
    PANTHEON_GOD_ID: godId,
    PANTHEON_OFFLINE_URL: provider.url,
    PANTHEON_MEMORY_FILE: path.join(dir, `${unique}.sqlite`),
  };
}

/** Resolves with the first stdout line `match` accepts; rejects when the process exits first, or after 60 s. */
function lineOf(child: ChildProcess, match: (line: string) => boolean, what: string): Promise<string> {
  const tail = stderrTail(child);
  return new Promise((resolve, reject) => {
    setTimeout(() => reject(new Error(`${what} did not come within 60 s; stderr: ${tail()}`)), 60_000).unref();
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      const found = lines.find(match);
      if (found !== undefined) resolve(found);
    });
    child.once('exit', (code) => reject(new Error(`the process exited (${code}) before ${what}; stderr: ${tail()}`)));
  });
}

beforeAll(async () => {
  fs.writeFileSync(ledgerLimits, 'system_hourly_usd: 5\n');
  fs.writeFileSync(editedLimits, 'system_hourly_usd: 3\ncircuit_breaker:\n  max_spawn_depth: 2\n');
  provider = await startOfflineProvider({ port: 0 });
  connection = await Connection.connect({ address: testAddress() });
  client = new Client({ connection });
  // The ledger, started by a worker with the first file.
  const first = spawnWorkerProcess(env(ledgerLimits));
  children.push(first);
  const tail = stderrTail(first);
  for (const deadline = Date.now() + 60_000; ; ) {
    const answered = await client.workflow.getHandle(ledgerId).query(budgetQuery).then(() => true, () => false);
    if (answered) break;
    if (first.exitCode !== null || Date.now() > deadline) throw new Error(`the first worker did not start the ledger; stderr: ${tail()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  await killWorkerProcess(first);
});

afterAll(async () => {
  await Promise.all(children.map(killWorkerProcess));
  const running = client.workflow.list({ query: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'` });
  for await (const execution of running) await client.workflow.getHandle(execution.workflowId).terminate('test over').catch(() => undefined);
  for (const id of [sweeperScheduleId(taskQueue), consolidationScheduleId(taskQueue), watchdogScheduleId(godId)]) {
    await client.schedule.getHandle(id).delete().catch(() => undefined);
  }
  await client.workflow.getHandle(ledgerId).terminate('test over').catch(() => undefined);
  await connection?.close();
  await provider?.close();
});

it('a worker started with an edited limits.yaml logs a warning naming each limit that differs; the ledger keeps its own', async () => {
  const worker = spawnWorkerProcess(env(editedLimits), { stdout: 'pipe' });
  children.push(worker);
  const line = await lineOf(worker, (l) => l.includes(`${editedLimits} differs`), 'the drift warning');
  const logged = JSON.parse(line) as { level: number; differences: string[]; msg: string };
  expect(logged.level).toBe(40);
  expect(logged.differences).toEqual(DRIFT);
  expect(logged.msg).toContain('pantheon budget limits');
  const snapshot = await client.workflow.getHandle(ledgerId).query(budgetQuery);
  expect(snapshot.limits).toMatchObject({ systemHourlyUsd: 5, circuitBreaker: { maxSpawnDepth: 3 } });
  await killWorkerProcess(worker);
});

it('npm start, which logs only errors, prints the same as a note of its own', async () => {
  const processEnv = workerProcessEnv(env(editedLimits));
  delete processEnv.LOG_LEVEL;
  delete processEnv.PANTHEON_LOG_FORMAT;
  const start = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot(), 'src', 'main.ts')], { cwd: repoRoot(), env: processEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(start);
  const note = await lineOf(start, (l) => l.startsWith(`note: ${editedLimits} differs`), 'the drift note');
  expect(note).toContain(DRIFT.join('; '));
  expect(note).toContain(`pantheon budget limits --file ${editedLimits}`);
});
