import path from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes';
import { testAddress } from '../support/harness';
import { runCli, stderrBeyondProgress, type CliResult } from '../support/cli';
import { killWorkerProcess, spawnWorkerProcess, stderrTail } from '../support/worker-process';

/**
 * A user's own Temporal server, or a namespace made for Pantheon: neither has Pantheon's search
 * attributes. `npm run worker` registers them; before it has, a submit says what is missing and
 * what to do, not the SDK's bare "Failed to start Workflow".
 */

const unique = `${process.pid}-${Date.now()}`;
const namespace = `pantheon-fresh-${unique}`;
const taskQueue = `fresh-ns-${unique}`;
const env = { TEMPORAL_ADDRESS: testAddress(), TEMPORAL_NAMESPACE: namespace, PANTHEON_TASK_QUEUE: taskQueue };
const objective = 'Add an index on column c1 of the orders table in Postgres';

let connection: Connection;

beforeAll(async () => {
  connection = await Connection.connect({ address: testAddress() });
  await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
});

afterAll(async () => {
  await connection?.close();
});

async function pantheonAttributes(): Promise<string[]> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  return ALL_SEARCH_ATTRIBUTES.map((k) => k.name).filter((name) => customAttributes?.[name] !== undefined);
}

/** A namespace just registered may not be served for a moment: ask again while the server says it is not found. */
async function submitOnceServed(args: string[]): Promise<CliResult> {
  for (let tries = 0; ; tries += 1) {
    const run = await runCli(args, env);
    if (!/namespace .* (is )?not found/i.test(run.stderr) || tries >= 30) return run;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

it('a namespace without the search attributes: submit names them and the fix; a worker registers them and the task runs', async () => {
  expect(await pantheonAttributes()).toEqual([]);
  const refused = await submitOnceServed(['submit', objective, '--direct', '--id', `fresh-refused-${unique}`]);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(/^error: Failed to start Workflow: .*no mapping defined for search attribute Pantheon\w+ \(this namespace lacks Pantheon's search attributes: start a worker, `npm run worker`, once against it; it registers them\)\n$/);

  const worker = spawnWorkerProcess({
    ...env,
    PANTHEON_BUDGET_TASK_QUEUE: `${taskQueue}-budget`,
    PANTHEON_LEDGER_ID: `ledger-${taskQueue}`,
    PANTHEON_MEMORY_FILE: path.join(process.env.PANTHEON_TEST_DIR ?? '/tmp', `${taskQueue}.sqlite`),
  });
  const tail = stderrTail(worker);
  try {
    // As a user waits for "worker running": here, for what the worker registers as it starts.
    for (const deadline = Date.now() + 90_000; (await pantheonAttributes()).length < ALL_SEARCH_ATTRIBUTES.length; ) {
      if (worker.exitCode !== null || Date.now() > deadline) throw new Error(`the worker registered no search attributes (exit ${worker.exitCode}): ${tail()}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const done = await runCli(['submit', objective, '--direct', '--wait', '--id', `fresh-done-${unique}`], env);
    expect({ code: done.code, stderr: stderrBeyondProgress(done.stderr), worker: worker.exitCode === null ? 'running' : tail() }).toEqual({ code: 0, stderr: '', worker: 'running' });
    expect(done.stdout).toContain('status      completed');
  } finally {
    await killWorkerProcess(worker);
  }
});
