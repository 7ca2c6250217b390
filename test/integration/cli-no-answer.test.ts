import { Client, Connection } from '@temporalio/client';
import { BUDGET_LEDGER_TYPE } from '../../src/budget/ledger-defs';
import { GOD_WORKFLOW_TYPE } from '../../src/workflows/god-api';
import { runCli } from '../support/cli';
import { TaskCostUsd, TaskIterations, TaskSpecialist, TaskStatus } from '../../src/workflows/search-attributes';

/**
 * God and the budget ledger running, but no worker polling their task queue (a worker down, or not
 * started yet): the CLI says who did not answer and exits 75 (try again later), and a submit names
 * the id the task will have if God takes the update once a worker runs.
 */

const unique = `${process.pid}-${Date.now()}`;
const taskQueue = `nobody-polls-${unique}`;
const godId = `god-no-answer-${unique}`;
const ledgerId = `ledger-no-answer-${unique}`;
let connection: Connection;
let client: Client;
let env: Record<string, string>;

beforeAll(async () => {
  const address = process.env.PANTHEON_TEST_TEMPORAL_ADDRESS;
  if (!address) throw new Error('PANTHEON_TEST_TEMPORAL_ADDRESS is unset: run with jest (globalSetup starts the server)');
  connection = await Connection.connect({ address });
  client = new Client({ connection, namespace: 'default' });
  // Started on a queue no worker polls: running, and never answering.
  await client.workflow.start(GOD_WORKFLOW_TYPE, { workflowId: godId, taskQueue, args: [{}] });
  await client.workflow.start(BUDGET_LEDGER_TYPE, { workflowId: ledgerId, taskQueue, args: [{}] });
  env = { TEMPORAL_ADDRESS: address, PANTHEON_GOD_ID: godId, PANTHEON_LEDGER_ID: ledgerId };
});

afterAll(async () => {
  for (const id of [godId, ledgerId]) await client?.workflow.getHandle(id).terminate('test over').catch(() => undefined);
  await connection?.close();
});

// The two tests run concurrently: each waits out the CLI's own deadlines (15 s for God and the
// ledger, 10 s for a task's state query), and they share only the God, ledger and queue nobody
// polls; the beforeAll above has run before they start.
it.concurrent('exits 75 naming God or the ledger when they do not answer, and a submit names its id', async () => {
  // All three at once: each waits out the CLI's 15 s deadline.
  const [status, submit, budget, taskStatus, overview] = await Promise.all([
    runCli(['god', 'status'], env),
    runCli(['submit', 'Add a unique index on users.email in the Postgres database'], env),
    runCli(['budget'], env),
    runCli(['status', `held-maybe-${unique}`], env),
    runCli(['status'], env),
  ]);

  // A task with no workflow may be one God holds: not "no such task" (exit 1) while God cannot say.
  expect(taskStatus.stderr).toMatch(new RegExp(`^error: god_unavailable: God \\(workflow "${godId}" .*\\) did not answer within 15 s: .*Task held-maybe-${unique} has no workflow, and God may hold it`));
  expect(taskStatus.code).toBe(75);
  // The overview says what it cannot count, instead of leaving the line out.
  expect(overview.code).toBe(0);
  expect(overview.stdout).toContain(`held by God (not started yet): not known, God (${godId}) did not answer within 3 s`);

  expect(status.stderr).toMatch(new RegExp(`^error: god_unavailable: God \\(workflow "${godId}" at .*\\) did not answer within 15 s: is a worker polling its task queue "${taskQueue}"\\?`));
  expect(status.code).toBe(75);

  expect(submit.stderr).toMatch(/^error: god_unavailable: God .* did not answer within 15 s/);
  const id = /The task's id is (task-[0-9a-f-]{36}): once God answers, `pantheon status \1` shows it if it was queued; submitting it again with `--id \1` is safe/.exec(submit.stderr);
  expect(id).not.toBeNull();
  expect(submit.code).toBe(75);

  expect(budget.stderr).toMatch(new RegExp(`^error: ledger_unavailable: the budget ledger at .* \\(workflow "${ledgerId}" in namespace "default"\\) did not answer within 15 s`));
  expect(budget.code).toBe(75);
}, 90_000);

it.concurrent("status of a running task no worker answers for shows what the server records of it, names the queue, and exits 75", async () => {
  // A task whose worker is gone: its search attributes as its last workflow task upserted them.
  const taskId = `task-no-answer-${unique}`;
  await client.workflow.start('agentTask', {
    workflowId: taskId,
    taskQueue,
    args: [{ objective: 'Add a unique index on users.email in the Postgres database' }],
    typedSearchAttributes: [
      { key: TaskStatus, value: 'running' },
      { key: TaskSpecialist, value: 'DatabaseAgent' },
      { key: TaskIterations, value: 7 },
      { key: TaskCostUsd, value: 0.0123 },
    ],
  });
  // One started around the CLI on the same queue, no status at all: no worker has run its first step.
  const unpicked = `task-no-answer-unpicked-${unique}`;
  await client.workflow.start('agentTask', { workflowId: unpicked, taskQueue, args: [{ objective: 'Add a unique index on users.email in the Postgres database' }] });
  try {
    const [text, json, fresh] = await Promise.all([runCli(['status', taskId], env), runCli(['status', taskId, '--json'], env), runCli(['status', unpicked], env)]);
    expect(fresh.stdout).toMatch(/\nstatus {6}queued \(no status yet: no worker has run its first step\)\n/);
    expect(fresh.code).toBe(75);
    expect(text.stdout).toMatch(/^task {8}\S+ {2}\(workflow running; no worker answered for it, so this is what the server records\)\n/);
    expect(text.stdout).toMatch(/\nstatus {6}running \(as of its last search-attribute upsert\)\nspecialist {2}DatabaseAgent\niterations {2}7\ncost {8}\$0\.0123/);
    expect(text.stderr).toBe(
      `error: worker_unavailable: no worker answered task ${taskId}'s state query within 10 s: is a worker polling its task queue "${taskQueue}"? (npm run worker). The task itself waits for one; nothing is lost.\n`,
    );
    expect(text.code).toBe(75);
    expect(JSON.parse(json.stdout)).toMatchObject({ taskId, execution: 'running', answered: false, recorded: { status: 'running', specialist: 'DatabaseAgent', iterations: 7, costUsd: 0.0123, taskQueue } });
    expect(json.code).toBe(75);
  } finally {
    await client.workflow.getHandle(taskId).terminate('test over').catch(() => undefined);
    await client.workflow.getHandle(unpicked).terminate('test over').catch(() => undefined);
  }
}, 60_000);
