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
 * The npm scripts start Node itself with tsx's loader (`exec node --import tsx file.ts`), not the
 * tsx CLI. The CLI runs the program in a child and relays signals to it, and when the child does not
 * acknowledge a signal within ~30 ms (its event loop busy with work) it SIGKILLs it: Ctrl-C on a
 * busy `npm start` then left the dev server running and in-flight activities undrained.
 * And `exec`, because npm runs a script as `sh -c '<script>'` and relays SIGTERM only to that shell:
 * without it the shell died and Node ran on, orphaned (`timeout 60 npm start`, a supervisor or a
 * container stopping `npm run worker` left a worker polling and a dev server running).
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

it('every script that runs a TypeScript file execs `node --import tsx`, never the tsx CLI', () => {
  const typescript = Object.entries(scripts).filter(([, command]) => /\.ts\b/.test(command));
  expect(typescript.length).toBeGreaterThanOrEqual(8);
  for (const [name, command] of typescript) expect({ name, command }).toEqual({ name, command: expect.stringMatching(/^exec node --import tsx \S+\.ts$/) });
});

/** Alive and not a zombie. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

it('`npm run worker` stopped with SIGTERM to npm (as a supervisor does): the worker drains, exits 0, and nothing runs on', async () => {
  const taskQueue = `npm-scripts-${process.pid}-${Date.now()}`;
  const npm = spawn('npm', ['run', '--silent', 'worker'], {
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
    // A process group of its own: whatever runs below npm is killed with it at the end.
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  npm.stdout.on('data', (d) => (stdout += d));
  npm.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => npm.on('close', (code) => resolve(code)));
  try {
    const deadline = Date.now() + 90_000;
    while (!stdout.includes('worker running')) {
      if (Date.now() > deadline || npm.exitCode !== null) throw new Error(`the worker did not start: ${stderr.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const below = descendants(npm.pid!).map((pid) => ({ pid, argv: commandLine(pid) }));
    // No tsx CLI in between: the process running the worker is the one a signal reaches.
    expect(below.filter((p) => p.argv.some((a) => /node_modules\/(\.bin\/tsx|tsx\/dist\/cli)/.test(a)))).toEqual([]);
    const worker = below.filter((p) => p.argv.some((a) => a.endsWith(path.join('src', 'workers', 'main.ts'))));
    expect(worker).toHaveLength(1);
    // npm relays SIGTERM to its child only; the worker must be that child (the shell exec'd it).
    process.kill(npm.pid!, 'SIGTERM');
    expect(await exited).toBe(0);
    expect(stdout).toMatch(/"msg":"worker stopped"/);
    // Nothing left of the group npm led: without `exec` the worker ran on here, orphaned.
    expect(below.filter((p) => alive(p.pid))).toEqual([]);
  } finally {
    try {
      process.kill(-npm.pid!, 'SIGKILL');
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
