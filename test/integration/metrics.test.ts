import { CALL_PURPOSES } from '../../src/llm/types';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startTask } from '../../src/client/submit-task';
import { TaskInputSchema } from '../../src/tasks/task-input';
import { flagStaleSignal, stateQuery } from '../../src/workflows/agent-task-api';
import { budgetQuery } from '../../src/budget/ledger-defs';
import type { TaskOutcome } from '../../src/workflows/task-state';
import { testAddress } from '../support/harness';
import { removeWorkerLeftovers } from '../support/leftovers';
import { killWorkerProcess, spawnWorkerProcess, stderrTail } from '../support/worker-process';

/**
 * A real worker process (`npm run worker`) with PANTHEON_METRICS_ADDRESS set serves the Temporal
 * Runtime's Prometheus endpoint; after it runs tasks, a scrape shows the SDK's metrics and
 * Pantheon's own. The Runtime is installed in the worker process only: never in jest's.
 */
const taskQueue = `metrics-${process.pid}-${Date.now()}`;
const ledgerId = `${taskQueue}-ledger`;
const memoryFile = path.join(process.env.PANTHEON_TEST_DIR ?? '/tmp', `${taskQueue}.sqlite`);
let connection: Connection;
let client: Client;
let worker: ChildProcess | undefined;
let address: string;
let scraped: Sample[];
let completed: TaskOutcome;
let deadLettered: TaskOutcome;
/** Its every specialist call answers 503; one attempt, no reassignment: dead-lettered at once. */
const deadId = `${taskQueue}-dead`;

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A free local port: bound by the OS, then handed back for the worker to bind. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Prometheus text exposition, the lines this test reads: `name{a="b",…} value`. */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m || line.startsWith('#')) continue;
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k] = v;
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

async function scrape(): Promise<Sample[]> {
  const res = await fetch(`http://${address}/metrics`);
  if (!res.ok) throw new Error(`scrape answered ${res.status}`);
  return parseExposition(await res.text());
}

const of = (name: string, labels: Record<string, string> = {}) =>
  scraped.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
const sum = (samples: Sample[]) => samples.reduce((n, s) => n + s.value, 0);

beforeAll(async () => {
  connection = await Connection.connect({ address: testAddress() });
  client = new Client({ connection });
  address = `127.0.0.1:${await freePort()}`;
  worker = spawnWorkerProcess({
    PANTHEON_TASK_QUEUE: taskQueue,
    PANTHEON_LEDGER_ID: ledgerId,
    PANTHEON_BUDGET_TASK_QUEUE: `${taskQueue}-budget`,
    PANTHEON_MEMORY_FILE: memoryFile,
    PANTHEON_METRICS_ADDRESS: address,
    PANTHEON_OFFLINE_FAULTS: JSON.stringify([{ kind: 'server_error', match: { task: deadId, purpose: 'specialist' } }]),
  });
  const done = startTask(client, taskQueue, TaskInputSchema.parse({ objective: 'Add an index on created_at to the Postgres table orders' }), `${taskQueue}-ok`);
  // Input the task itself rejects (no objective): a second terminal state, no LLM call.
  const rejected = client.workflow.start('agentTask', { taskQueue, workflowId: `${taskQueue}-rejected`, args: [{ priority: 'normal' }] });
  const dead = startTask(
    client,
    taskQueue,
    TaskInputSchema.parse({ objective: 'Add an index on status to the Postgres table orders', maxReassignments: 0, providerWaitSeconds: 0, retry: { runSpecialist: { maximumAttempts: 1 } } }),
    deadId,
  );
  // Flagged stale as the sweeper would (the signal waits for the task's handler): it still completes.
  const flagged = await startTask(client, taskQueue, TaskInputSchema.parse({ objective: 'Add an index on region to the Postgres table orders' }), `${taskQueue}-stale`);
  await flagged.signal(flagStaleSignal, { reason: 'running 99 min; test' });
  completed = (await (await done).result()) as TaskOutcome;
  await flagged.result();
  // Read through the state query: a dead-lettered task may close as a failed execution (issue 12).
  await (await dead).result().catch(() => undefined);
  deadLettered = (await client.workflow.getHandle(deadId).query(stateQuery)) as TaskOutcome;
  await (await rejected).result();
  // Workflow metrics leave through a sink after the activation: give the last one a moment.
  const deadline = Date.now() + 10_000;
  for (;;) {
    scraped = await scrape();
    if (sum(of('pantheon_tasks_total')) >= 4 || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 200));
  }
}, 120_000);

afterAll(async () => {
  if (worker) await killWorkerProcess(worker);
  await removeWorkerLeftovers(client, { taskQueue, ledgerId });
  await connection?.close();
});

it('a second worker on the same address stops at once, naming PANTHEON_METRICS_ADDRESS and the address', async () => {
  const second = spawnWorkerProcess({ PANTHEON_TASK_QUEUE: `${taskQueue}-second`, PANTHEON_METRICS_ADDRESS: address });
  const tail = stderrTail(second);
  const code = await new Promise<number | null>((resolve) => second.once('exit', (c) => resolve(c)));
  expect(code).toBe(1);
  expect(tail()).toContain(`environment variable PANTHEON_METRICS_ADDRESS: cannot serve metrics at ${address}: `);
});

it('serves the Temporal Runtime\'s own metrics at http://PANTHEON_METRICS_ADDRESS/metrics', () => {
  expect(completed.status).toBe('completed');
  expect(sum(of('temporal_workflow_completed', { workflow_type: 'agentTask' }))).toBeGreaterThanOrEqual(2);
  expect(sum(of('temporal_activity_execution_latency_count', { activity_type: 'runSpecialist' }))).toBeGreaterThanOrEqual(1);
});

it('counts tasks by terminal status and specialist (pantheon_tasks_total)', () => {
  expect(of('pantheon_tasks_total', { status: 'completed', specialist: completed.specialist!, taskQueue }).length).toBe(1);
  expect(sum(of('pantheon_tasks_total', { status: 'completed' }))).toBe(2);
  expect(of('pantheon_tasks_total', { status: 'rejected', specialist: 'none' }).map((s) => s.value)).toEqual([1]);
  expect(deadLettered.status).toBe('dead_lettered');
  expect(of('pantheon_tasks_total', { status: 'dead_lettered', specialist: deadLettered.specialist! }).map((s) => s.value)).toEqual([1]);
});

it('counts stale notices a task receives (pantheon_stale_notices_total)', () => {
  expect(of('pantheon_stale_notices_total', { action: 'flag' }).map((s) => s.value)).toEqual([1]);
});

it('counts dead letters by specialist and failure type (pantheon_dead_letters_total)', () => {
  const failure = deadLettered.failures.at(-1)!.type;
  expect(of('pantheon_dead_letters_total', { specialist: deadLettered.specialist!, failure }).map((s) => s.value)).toEqual([1]);
  expect(sum(of('pantheon_dead_letters_total'))).toBe(1);
});

it('counts LLM calls, tokens and micro-dollars by specialist and model, matching what the ledger settled', async () => {
  const calls = of('pantheon_llm_calls_total', { specialist: completed.specialist!, purpose: 'specialist', outcome: 'ok' });
  expect(sum(calls)).toBeGreaterThanOrEqual(completed.iteration);
  // Every call says why it was made: a compressor call for a specialist's context is told from the specialist's own.
  for (const name of ['pantheon_llm_calls_total', 'pantheon_llm_tokens_total', 'pantheon_llm_microusd_total']) {
    expect(of(name).map((s) => s.labels.purpose).filter((p) => !(CALL_PURPOSES as readonly string[]).includes(p))).toEqual([]);
  }
  expect(calls.every((s) => s.labels.model.length > 0)).toBe(true);
  // The failed calls answered 503: proved unbilled, released, counted as errors costing nothing.
  expect(sum(of('pantheon_llm_calls_total', { specialist: deadLettered.specialist!, outcome: 'error' }))).toBeGreaterThanOrEqual(1);
  const snapshot = await client.workflow.getHandle(ledgerId).query(budgetQuery);
  const { settledUsd, settledTokens } = snapshot.scopes.find((s) => s.scope === 'system:day')!;
  expect(sum(of('pantheon_llm_tokens_total'))).toBe(settledTokens);
  expect(settledUsd).toBeGreaterThan(0);
  const micros = of('pantheon_llm_microusd_total');
  // Whole micro-dollars per series; each series carries its fraction (less than one) to its next call.
  expect(sum(micros)).toBeLessThanOrEqual(settledUsd * 1e6 + 1e-6);
  expect(sum(micros)).toBeGreaterThan(settledUsd * 1e6 - micros.length);
});

it('times every ledger round trip (pantheon_ledger_round_trip_ms) and reports the breaker closed', () => {
  const reserves = of('pantheon_ledger_round_trip_ms_count', { op: 'reserve', outcome: 'granted' });
  const settles = of('pantheon_ledger_round_trip_ms_count', { op: 'settle', outcome: 'applied' });
  const releases = of('pantheon_ledger_round_trip_ms_count', { op: 'release', outcome: 'applied' });
  expect(sum(reserves)).toBe(sum(of('pantheon_llm_calls_total')));
  expect(sum(settles) + sum(releases)).toBe(sum(reserves));
  expect(sum(releases)).toBe(sum(of('pantheon_llm_calls_total', { outcome: 'error' })));
  // Millisecond buckets: a local round trip lands below the exporter's default first bucket (50).
  expect(of('pantheon_ledger_round_trip_ms_bucket', { op: 'reserve', le: '5' }).length).toBeGreaterThan(0);
  expect(of('pantheon_breaker_open').map((s) => s.value)).toEqual([0]);
});
