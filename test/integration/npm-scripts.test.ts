import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../src/config/paths';
import { sweeperScheduleId } from '../../src/client/sweeper-schedule';
import { consolidationScheduleId } from '../../src/client/consolidation-schedule';
import { Client, Connection } from '@temporalio/client';
import { testAddress } from '../support/harness';
import { workerProcessEnv } from '../support/worker-process';

/**
 * The npm scripts start Node itself with tsx's loader (`node --import tsx file.ts`), not the tsx
 * CLI. The CLI runs the program in a child and relays signals to it, and when the child does not
 * acknowledge a signal within ~30 ms (its event loop busy with work) it SIGKILLs it: Ctrl-C on a
 * busy `npm start` then left the dev server running and in-flight activities undrained.
 */
const scripts = (JSON.parse(fs.readFileSync(path.join(repoRoot(), 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

/** The pids of every process below `pid`, from /proc. */
function descendants(pid: number): number[] {
  const children = (p: number): number[] =>
    fs
      .readdirSync(`/proc/${p}/task`)
      .flatMap((t) => fs.readFileSync(`/proc/${p}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
  const all: number[] = [];
  for (let queue = children(pid); queue.length > 0; ) {
    const next = queue.shift()!;
    all.push(next);
    try {
      queue = [...queue, ...children(next)];
    } catch {
      // Gone meanwhile.
    }
  }
  return all;
}

const commandLine = (pid: number) => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);

it('every script that runs a TypeScript file runs it with `node --import tsx`, never the tsx CLI', () => {
  const typescript = Object.entries(scripts).filter(([, command]) => /\.ts\b/.test(command));
  expect(typescript.length).toBeGreaterThanOrEqual(8);
  for (const [name, command] of typescript) expect({ name, command }).toEqual({ name, command: expect.stringMatching(/^node --import tsx \S+\.ts$/) });
});

it('`npm run worker` as written: SIGTERM reaches the worker process itself, which drains and exits 0', async () => {
  const taskQueue = `npm-scripts-${process.pid}-${Date.now()}`;
  const shell = spawn('sh', ['-c', scripts.worker], {
    cwd: repoRoot(),
    env: workerProcessEnv({
      PANTHEON_TASK_QUEUE: taskQueue,
      PANTHEON_BUDGET_TASK_QUEUE: `${taskQueue}-budget`,
      PANTHEON_LEDGER_ID: `ledger-${taskQueue}`,
      PANTHEON_MEMORY_FILE: path.join(process.env.PANTHEON_TEST_DIR ?? '/tmp', `${taskQueue}.sqlite`),
      // Its "worker running" and "worker stopped" lines are info.
      LOG_LEVEL: 'info',
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
    // A process group of its own: whatever runs below the shell is killed with it at the end.
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  shell.stdout.on('data', (d) => (stdout += d));
  shell.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => shell.on('close', (code) => resolve(code)));
  try {
    const deadline = Date.now() + 90_000;
    while (!stdout.includes('worker running')) {
      if (Date.now() > deadline || shell.exitCode !== null) throw new Error(`the worker did not start: ${stderr.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const below = descendants(shell.pid!).map((pid) => ({ pid, argv: commandLine(pid) }));
    // No tsx CLI in between: the process running the worker is the one a signal reaches.
    expect(below.filter((p) => p.argv.some((a) => /node_modules\/(\.bin\/tsx|tsx\/dist\/cli)/.test(a)))).toEqual([]);
    const worker = below.filter((p) => p.argv.some((a) => a.endsWith(path.join('src', 'workers', 'main.ts'))));
    expect(worker).toHaveLength(1);
    process.kill(worker[0].pid, 'SIGTERM');
    expect(await exited).toBe(0);
    expect(stdout).toMatch(/"msg":"worker stopped"/);
  } finally {
    try {
      process.kill(-shell.pid!, 'SIGKILL');
    } catch {
      // The group has exited.
    }
    const connection = await Connection.connect({ address: testAddress() });
    const client = new Client({ connection });
    for (const id of [sweeperScheduleId(taskQueue), consolidationScheduleId(taskQueue)]) await client.schedule.getHandle(id).delete().catch(() => undefined);
    await client.workflow.getHandle(`ledger-${taskQueue}`).terminate('test over').catch(() => undefined);
    await connection.close();
  }
}, 120_000);
