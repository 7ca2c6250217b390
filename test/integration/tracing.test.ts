import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Resource } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { connectClient } from '../../src/client/connection';
import { startTask } from '../../src/client/submit-task';
import { loadConfig } from '../../src/config/env';
import { TaskInputSchema } from '../../src/tasks/task-input';
import { bundleHoldsTracing, workflowTracingModule } from '../../src/tracing/bundle';
import { tracedWorkerOptions } from '../../src/tracing/interceptors';
import { bundleWorkflows } from '../../src/workers/workflow-bundle';
import type { TaskOutcome } from '../../src/workflows/task-state';
import { submitTaskUpdate } from '../../src/workflows/god-api';
import { eventually } from '../support/eventually';
import { godDecisions, startTestGod } from '../support/god';
import { installQuietRuntime, testAddress } from '../support/harness';
import { removeWorkerLeftovers } from '../support/leftovers';
import { fixtureWorkflowId, HISTORY_FIXTURES } from '../support/history';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver';
import { killWorkerProcess, spawnWorkerProcess } from '../support/worker-process';

/**
 * A real worker process and a client with tracing on, both exporting to an OTLP/HTTP receiver in
 * this test: one task's client call, workflow, activities and LLM calls arrive as one trace. The
 * worker is given the suite's untraced bundle, so it bundles the workflows with the tracing
 * interceptors itself; meanwhile this test bundles them too, to replay the recorded histories.
 */
const taskQueue = `tracing-${process.pid}-${Date.now()}`;
const ledgerId = `${taskQueue}-ledger`;
const taskId = `${taskQueue}-task`;
let receiver: OtlpReceiver;
let worker: ChildProcess | undefined;
let workerExit: number | null;
let outcome: TaskOutcome;
let spans: ReceivedSpan[];
let tracedBundle: Promise<string>;
/** The traced task's history, as the traced worker wrote it. */
let history: Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;
/** God's history on the traced worker: a task submitted by update, started and heard to finish. */
let godHistory: Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;
const godId = `${taskQueue}-god`;
/** The budget ledger's history on the traced worker: its updates answered to both tasks' calls. */
let ledgerHistory: Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;
const quiet = () => undefined;
const quietLogger = { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: quiet };

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

beforeAll(async () => {
  installQuietRuntime();
  receiver = await startOtlpReceiver();
  tracedBundle = bundleWorkflows({ workflowInterceptorModules: [workflowTracingModule()], logger: quietLogger });
  tracedBundle.catch(() => undefined); // awaited by its tests
  worker = spawnWorkerProcess({
    PANTHEON_TASK_QUEUE: taskQueue,
    PANTHEON_LEDGER_ID: ledgerId,
    PANTHEON_BUDGET_TASK_QUEUE: `${taskQueue}-budget`,
    PANTHEON_MEMORY_FILE: path.join(process.env.PANTHEON_TEST_DIR ?? '/tmp', `${taskQueue}.sqlite`),
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    // Nothing leaves on a timer: every worker span must reach the collector through the flush at shutdown.
    OTEL_BSP_SCHEDULE_DELAY: '600000',
  });
  const config = loadConfig({ TEMPORAL_ADDRESS: testAddress(), OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/v1/traces`, PANTHEON_LOG_FORMAT: 'json' });
  const { client, close } = await connectClient(config);
  try {
    const handle = await startTask(client, taskQueue, TaskInputSchema.parse({ objective: 'Add an index on created_at to the Postgres table orders' }), taskId);
    outcome = (await handle.result()) as TaskOutcome;
    history = await handle.fetchHistory();
    // God's updates: a submitted task wakes God's loop (its timer cancelled, an activity scheduled)
    // in the same workflow task that answers the update; the order must not depend on tracing.
    const god = await startTestGod(client, { id: godId, taskQueue });
    const godTask = `${godId}-task`;
    // Sent while God sleeps on its tick timer, as an operator's submit usually is.
    await eventually('God to sleep on its timer', async () => ((await god.fetchHistory()).events?.some((e) => e.timerStartedEventAttributes) ? true : undefined));
    await god.executeUpdate(submitTaskUpdate, { args: [{ task: { objective: 'Add an index on updated_at to the Postgres table orders' }, taskId: godTask }] });
    await eventually('God to hear its task finish', async () => ((await godDecisions(god)).some((d) => d.taskId === godTask && d.kind === 'finished') ? true : undefined));
    await god.terminate('test over');
    godHistory = await god.fetchHistory();
    ledgerHistory = await client.workflow.getHandle(ledgerId).fetchHistory();
  } finally {
    await close();
  }
  // Ctrl-C's path: the worker drains, closes, and flushes its spans before it exits.
  worker.kill('SIGTERM');
  workerExit = await exited(worker);
  spans = receiver.spans();
}, 120_000);

afterAll(async () => {
  if (worker) await killWorkerProcess(worker);
  // Once the worker is gone: a live worker's gate starts a successor to a ledger ended under it.
  const connection = await Connection.connect({ address: testAddress() });
  await removeWorkerLeftovers(new Client({ connection }), { taskQueue, ledgerId });
  await connection.close();
  await receiver?.close();
});

const named = (name: string) => spans.filter((s) => s.name === name);
const childrenOf = (parent: ReceivedSpan, name?: string) => spans.filter((s) => s.parentSpanId === parent.spanId && (!name || s.name === name));
const only = (found: ReceivedSpan[], what: string): ReceivedSpan => {
  if (found.length !== 1) throw new Error(`expected one ${what}, got ${found.length}: ${found.map((s) => s.name).join(', ')}`);
  return found[0];
};
/** The client's StartWorkflow span of the task: the root of its trace. */
const root = () => only(named('StartWorkflow:agentTask').filter((s) => s.attributes.temporalWorkflowId === taskId), 'StartWorkflow:agentTask');
const runWorkflow = () => only(childrenOf(root(), 'RunWorkflow:agentTask'), 'RunWorkflow:agentTask under StartWorkflow');
const runActivity = (type: string) =>
  only(childrenOf(only(childrenOf(runWorkflow(), `StartActivity:${type}`), `StartActivity:${type}`), `RunActivity:${type}`), `RunActivity:${type}`);

it('posts OTLP/HTTP JSON to the configured endpoints, and the worker flushes its spans when it stops', () => {
  expect(outcome.status).toBe('completed');
  expect(workerExit).toBe(0);
  expect(receiver.requests().length).toBeGreaterThan(0);
  expect(receiver.requests().every((r) => r.path === '/v1/traces' && r.contentType === 'application/json')).toBe(true);
  // Its batch delay was ten minutes: these arrived through the flush on SIGTERM.
  expect(spans.filter((s) => s.service === 'pantheon-worker').length).toBeGreaterThan(0);
  expect(new Set(spans.map((s) => s.service))).toEqual(new Set(['pantheon-client', 'pantheon-worker']));
});

it("puts the client's start, the workflow and its activities in one trace, each under its parent", () => {
  expect(root().service).toBe('pantheon-client');
  expect(root().parentSpanId).toBeUndefined();
  expect(runWorkflow().service).toBe('pantheon-worker');
  expect(runWorkflow().attributes.workflowType).toBe('agentTask');
  for (const type of ['validateTask', 'routeTask', 'runSpecialist', 'storeMemory']) {
    expect(runActivity(type).attributes.temporalWorkflowId).toBe(taskId);
  }
  const ofTask = spans.filter((s) => s.attributes.temporalWorkflowId === taskId || s.attributes.workflowId === taskId || s.attributes['pantheon.task_id'] === taskId);
  expect(ofTask.length).toBeGreaterThanOrEqual(12);
  expect(new Set(ofTask.map((s) => s.traceId))).toEqual(new Set([root().traceId]));
});

it('makes one span per LLM call under RunActivity:runSpecialist, with model, provider, tokens and cost', () => {
  const calls = childrenOf(runActivity('runSpecialist')).filter((s) => s.name.startsWith('chat '));
  expect(calls).toHaveLength(outcome.iteration);
  for (const call of calls) {
    expect(call.name).toBe('chat gpt-4.1-mini');
    expect(call.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.system': 'openai',
      'gen_ai.request.model': 'gpt-4.1-mini',
      'gen_ai.response.model': 'gpt-4.1-mini',
      'pantheon.purpose': 'specialist',
      'pantheon.specialist': 'DatabaseAgent',
      'pantheon.task_id': taskId,
      'pantheon.lane': 'main',
      'pantheon.outcome': 'ok',
    });
    const { 'gen_ai.usage.input_tokens': input, 'gen_ai.usage.output_tokens': output, 'pantheon.tokens': tokens } = call.attributes as Record<string, number>;
    expect(input).toBeGreaterThan(0);
    expect(output).toBeGreaterThan(0);
    expect(tokens).toBe(input + output);
    expect(call.attributes['pantheon.cost_usd']).toBeGreaterThan(0);
    expect(call.attributes['pantheon.cost_usd']).toBeLessThanOrEqual(call.attributes['pantheon.reserved_usd'] as number);
  }
  // The spans' costs are the task's: what the ledger settled and the task reports.
  const total = calls.reduce((sum, s) => sum + (s.attributes['pantheon.cost_usd'] as number), 0);
  expect(total).toBeCloseTo(outcome.costUsd, 10);
});

it("joins the budget ledger's updates to the activity that asked, through to the ledger workflow's handler", () => {
  const reserves = childrenOf(runActivity('runSpecialist'), 'StartWorkflowUpdate:ledgerBatch');
  expect(reserves.length).toBeGreaterThanOrEqual(1);
  for (const reserve of reserves) {
    expect(reserve.attributes.temporalWorkflowId).toBe(ledgerId);
    expect(childrenOf(reserve, 'HandleUpdate:ledgerBatch')).toHaveLength(1);
  }
});

it('refuses to start a worker whose OTLP endpoint is not an http(s) URL, naming the variable', async () => {
  const bad = spawnWorkerProcess({ PANTHEON_TASK_QUEUE: `${taskQueue}-bad`, OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:4318' });
  let stderr = '';
  bad.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    expect(await exited(bad)).toBe(1);
    expect(stderr).toContain('environment variable OTEL_EXPORTER_OTLP_ENDPOINT: must be an http(s) URL, such as http://localhost:4318');
  } finally {
    await killWorkerProcess(bad);
  }
});

describe('the tracing interceptors in the workflow bundle', () => {
  it('are recognised in a bundle built with them, and not in the suite\'s plain bundle', async () => {
    expect(bundleHoldsTracing(await tracedBundle)).toBe(true);
    expect(bundleHoldsTracing(fs.readFileSync(process.env.PANTHEON_TEST_BUNDLE!, 'utf8'))).toBe(false);
  });

  // Turning tracing on for a worker with tasks in flight must not break them; replay exports nothing.
  const fixtures = fs.readdirSync(HISTORY_FIXTURES).filter((f) => f.endsWith('.json')).sort();
  it('replay every recorded history without non-determinism, exporting no span while replaying', async () => {
    const exporter = new InMemorySpanExporter();
    const { interceptors, sinks } = tracedWorkerOptions(new SimpleSpanProcessor(exporter), Resource.default(), true);
    const code = await tracedBundle;
    // One replay worker for them all (a worker per history loaded the bundle 100-odd times); each
    // history is still replayed on its own and its result checked, as runReplayHistory does.
    const histories = fixtures.map((file) => ({ history: historyFromJSON(JSON.parse(fs.readFileSync(path.join(HISTORY_FIXTURES, file), 'utf8'))), workflowId: fixtureWorkflowId(file) }));
    const failed: string[] = [];
    let replayed = 0;
    for await (const result of Worker.runReplayHistories({ workflowBundle: { code }, interceptors, sinks }, histories)) {
      if (result.error) failed.push(`${fixtures[replayed]}: ${String(result.error)}`);
      replayed++;
    }
    expect(failed).toEqual([]);
    expect(replayed).toBe(fixtures.length);
    expect(fixtures.length).toBeGreaterThanOrEqual(20);
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it("leave nothing an untraced worker trips on: the traced task's history replays on the plain bundle", async () => {
    await Worker.runReplayHistory({ workflowBundle: { codePath: process.env.PANTHEON_TEST_BUNDLE! } }, history, taskId);
  });

  it("leave updates answered where untraced code answers them: God's and the ledger's traced histories replay on the plain bundle", async () => {
    expect(godHistory.events?.some((e) => e.workflowExecutionUpdateCompletedEventAttributes)).toBe(true);
    await Worker.runReplayHistory({ workflowBundle: { codePath: process.env.PANTHEON_TEST_BUNDLE! } }, godHistory, godId);
    expect(ledgerHistory.events?.filter((e) => e.workflowExecutionUpdateCompletedEventAttributes).length).toBeGreaterThan(2);
    await Worker.runReplayHistory({ workflowBundle: { codePath: process.env.PANTHEON_TEST_BUNDLE! } }, ledgerHistory, ledgerId);
  });
});
