import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { consolidationScheduleId } from '../../src/client/consolidation-schedule';
import { watchdogScheduleId } from '../../src/client/god-watchdog-schedule';
import { sweeperScheduleId } from '../../src/client/sweeper-schedule';
import { repoRoot } from '../../src/config/paths';
import { startOfflineProvider, type OfflineProvider } from '../../src/llm/offline';
import { testAddress } from '../support/harness';
import { killWorkerProcess, stderrTail, workerProcessEnv } from '../support/worker-process';

/**
 * Ctrl-C on `npm start` while its demo batch still runs. The workers drain on the signal, so God
 * stops answering the demo's queries; before, the watch turned that into an error and the process
 * exited 1 half a minute later without "stopped.".
 */
const unique = `interrupted-${process.pid}-${Date.now()}`;
const dir = process.env.PANTHEON_TEST_DIR ?? '/tmp';

let provider: OfflineProvider;
let connection: Connection;
let client: Client;
let start: ChildProcess | undefined;

beforeAll(async () => {
  // Slow answers: the batch is still running when the signal comes.
  provider = await startOfflineProvider({ port: 0, latencyMs: 2_000 });
  connection = await Connection.connect({ address: testAddress() });
  client = new Client({ connection });
});

afterAll(async () => {
  if (start) await killWorkerProcess(start);
  const running = client.workflow.list({ query: `TaskQueue = '${unique}' AND ExecutionStatus = 'Running'` });
  for await (const execution of running) await client.workflow.getHandle(execution.workflowId).terminate('test over').catch(() => undefined);
  for (const id of [sweeperScheduleId(unique), consolidationScheduleId(unique), watchdogScheduleId(`${unique}-god`)]) {
    await client.schedule.getHandle(id).delete().catch(() => undefined);
  }
  await client.workflow.getHandle(`${unique}-ledger`).terminate('test over').catch(() => undefined);
  await connection?.close();
  await provider?.close();
});

it('npm start stopped with Ctrl-C before its demo batch ends says so, drains and exits 0 with "stopped."', async () => {
  const env = workerProcessEnv({
    PANTHEON_TASK_QUEUE: unique,
    PANTHEON_LEDGER_ID: `${unique}-ledger`,
    PANTHEON_BUDGET_TASK_QUEUE: `${unique}-budget`,
    PANTHEON_GOD_ID: `${unique}-god`,
    PANTHEON_OFFLINE_URL: provider.url,
    PANTHEON_MEMORY_FILE: path.join(dir, `${unique}.sqlite`),
  });
  delete env.LOG_LEVEL;
  delete env.PANTHEON_LOG_FORMAT;
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot(), 'src', 'main.ts')], { cwd: repoRoot(), env, stdio: ['ignore', 'pipe', 'pipe'] });
  start = child;
  const tail = stderrTail(child);
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  // The batch is submitted and God has started deciding: the watch is under way.
  for (const deadline = Date.now() + 90_000; !/ god (admitted|route) /.test(stdout); ) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`no decision came; stdout: ${stdout}; stderr: ${tail()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGINT');

  const code = await Promise.race([exited, new Promise<'late'>((r) => setTimeout(() => r('late'), 60_000).unref())]);
  expect({ code, stderr: tail() }).toEqual({ code: 0, stderr: '' });
  expect(stdout).toContain('stopping before the demo batch ended: its tasks are durable');
  expect(stdout.trimEnd().endsWith('stopped.')).toBe(true);
  expect(stdout).not.toContain('serving:');
}, 180_000);
