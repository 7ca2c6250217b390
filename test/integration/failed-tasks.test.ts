import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { ReconcileTasksResult } from '../../src/activities/god-types';
import { createReconcileTasks } from '../../src/activities/reconcile-tasks';
import { lettersToRedrive } from '../../src/client/redrive';
import { startTask } from '../../src/client/submit-task';
import { taskState } from '../../src/client/tasks';
import { findTemporalCli } from '../../src/runtime/temporal-cli';
import { closedResult } from '../../src/tasks/closed-outcome';
import { TaskInputSchema, type TaskInput } from '../../src/tasks/task-input';
import { TaskCostUsd, TaskRedriveOf, TaskSpecialist, TaskStatus } from '../../src/workflows/search-attributes';
import type { TaskOutcome } from '../../src/workflows/task-state';
import { runCli, stderrBeyondProgress } from '../support/cli';
import { eventually } from '../support/eventually';
import { startHarness, testAddress, type Harness } from '../support/harness';
import { maybeRecordHistory } from '../support/history';
import { limitsWith } from '../support/limits';

/**
 * Dead-lettered and budget-exceeded tasks close as FAILED workflow executions (the Web UI's
 * failure views, `temporal workflow reset`), their outcome in the failure's details and their
 * search attributes as before; the pantheon CLI, the DLQ and God's reconciliation read them as
 * they read any ended task, and a reset of one runs it again.
 */

const E = temporal.api.enums.v1.EventType;
const DB_TASK = 'Add a unique index on users.email in the Postgres database';
const MAX_SPAWN_DEPTH = 1;
let h: Harness;
let env: Record<string, string>;

beforeAll(async () => {
  h = await startHarness('failed-tasks', { limits: limitsWith({ circuitBreaker: { maxSpawnDepth: MAX_SPAWN_DEPTH } }) });
  env = { TEMPORAL_ADDRESS: testAddress(), PANTHEON_TASK_QUEUE: h.taskQueue };
});

afterAll(async () => {
  await h?.stop();
});

afterEach(() => h.provider.clearFaults());

let seq = 0;
const newId = (name: string) => `failed-${name}-${Date.now()}-${++seq}`;

const start = (input: TaskInput, id: string) => startTask(h.client, h.taskQueue, TaskInputSchema.parse(input), id);

/** The failure a closed workflow's result rejects with, and its last history event's failure. */
async function failureOf(id: string, runId?: string) {
  const handle = h.client.workflow.getHandle(id, runId, { followRuns: false });
  const err: unknown = await handle.result().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  const events = (await handle.fetchHistory()).events ?? [];
  return { cause: cause as ApplicationFailure, last: events.at(-1)! };
}

/** Dead-letters a task at once: the provider refuses its specialist's first call for good. */
async function deadLetter(id: string): Promise<TaskOutcome> {
  h.provider.addFault({ kind: 'quota_exhausted', match: { task: id, purpose: 'specialist' }, times: 1 });
  return closedResult(await start({ objective: DB_TASK }, id));
}

/** Runs the Temporal CLI against the suite's server; a failed workflow's result exits non-zero. */
async function temporalCli(args: string[]): Promise<{ code: number; stdout: string }> {
  const cli = await findTemporalCli({ install: false });
  try {
    const { stdout } = await promisify(execFile)(cli, [...args, '--address', testAddress()]);
    return { code: 0, stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '' };
  }
}

const reconcile = (taskIds: string[]): Promise<ReconcileTasksResult> =>
  new MockActivityEnvironment({ activityId: `reconcile-${++seq}`, workflowExecution: { workflowId: 'failed-tasks-god', runId: 'run-1' } }).run(() =>
    createReconcileTasks({ client: h.client })({ taskIds }),
  );

describe('a task that ends dead_lettered', () => {
  it('is a FAILED execution (TaskDeadLettered, non-retryable) with its outcome in the details and its search attributes set', async () => {
    const id = newId('dlq');
    const outcome = await deadLetter(id);
    expect(outcome).toMatchObject({ taskId: id, status: 'dead_lettered', specialistsTried: ['DatabaseAgent'] });
    expect(outcome.failures).toEqual([expect.objectContaining({ type: 'quota_exhausted', retryState: 'NON_RETRYABLE_FAILURE' })]);

    const described = await h.client.workflow.getHandle(id).describe();
    expect(described.status.name).toBe('FAILED');
    expect(described.typedSearchAttributes.get(TaskStatus)).toBe('dead_lettered');
    expect(described.typedSearchAttributes.get(TaskSpecialist)).toBe('DatabaseAgent');
    expect(described.typedSearchAttributes.get(TaskCostUsd)).toBe(outcome.costUsd);

    const { cause, last } = await failureOf(id);
    expect(cause).toMatchObject({ type: 'TaskDeadLettered', nonRetryable: true, message: `dead_lettered: ${outcome.reasons[0]}` });
    expect(cause.details?.[0]).toEqual(outcome);
    // What the Web UI shows: the close event is a failure carrying the type and the outcome.
    expect(last.eventType).toBe(E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED);
    const failure = last.workflowExecutionFailedEventAttributes!.failure!;
    expect(failure.applicationFailureInfo).toMatchObject({ type: 'TaskDeadLettered', nonRetryable: true });
    expect(defaultPayloadConverter.fromPayload(failure.applicationFailureInfo!.details!.payloads![0])).toMatchObject({ status: 'dead_lettered', reasons: outcome.reasons });

    // `temporal workflow result` names the failure and prints the outcome.
    const shown = await temporalCli(['workflow', 'result', '--workflow-id', id, '--output', 'json']);
    expect(shown.stdout).toContain('TaskDeadLettered');
    expect(shown.stdout).toContain('"status": "dead_lettered"');

    // God's reconciliation reads it as the report the task sent.
    const report = await reconcile([id]);
    expect(report.finished).toEqual([expect.objectContaining({ taskId: id, status: 'dead_lettered', costUsd: outcome.costUsd, specialist: 'DatabaseAgent', reason: outcome.reasons[0] })]);
  });

  it('is shown by pantheon status and submit --wait, listed by dlq list, redriven by dlq redrive, then listed as redriven and passed over by --all', async () => {
    const id = newId('cli');
    h.provider.addFault({ kind: 'quota_exhausted', match: { task: id, purpose: 'specialist' }, times: 1 });
    const submitted = await runCli(['submit', DB_TASK, '--direct', '--wait', '--id', id], env);
    expect(stderrBeyondProgress(submitted.stderr)).toBe('');
    // Waited for, a task that did not complete exits 2 (its outcome printed first).
    expect(submitted.code).toBe(2);
    expect(submitted.stdout).toMatch(/\nstatus +dead_lettered\n/);
    expect(submitted.stdout).toMatch(/reasons +runSpecialist failed: quota_exhausted/);

    const status = await runCli(['status', id], env);
    expect(status.stderr).toBe('');
    expect(status.stdout).toContain(`task        ${id}  (workflow failed)`);
    expect(status.stdout).toMatch(/\nstatus +dead_lettered\n/);
    expect(status.stdout).toMatch(/specialist +DatabaseAgent/);

    await eventually('the dead letter to be visible', async () => {
      for await (const info of h.client.workflow.list({ query: `WorkflowId = '${id}' AND PantheonStatus = 'dead_lettered'` })) return info;
      return undefined;
    });
    const list = await runCli(['dlq', 'list', '--limit', '1000'], env);
    expect(list.stderr).toBe('');
    expect(list.stdout).toMatch(new RegExp(`${id}  \\$[\\d.]+  tried DatabaseAgent\\n  reason: runSpecialist failed: quota_exhausted`));
    expect(list.stdout).toContain('  - DatabaseAgent runSpecialist: quota_exhausted (NON_RETRYABLE_FAILURE');

    // Redriven from a shell whose PANTHEON_TASK_QUEUE names a queue no worker polls: the redrive
    // runs where the dead letter ran.
    const redrive = await runCli(['dlq', 'redrive', id], { ...env, PANTHEON_TASK_QUEUE: `${h.taskQueue}-nobody-polls` });
    expect(redrive.stderr).toBe('');
    expect(redrive.stdout).toContain(`${id}: redriven as ${id}-redrive`);
    const again = await closedResult(h.client.workflow.getHandle(`${id}-redrive`));
    expect(again).toMatchObject({ status: 'completed', redriveOf: id });
    const redriven = await h.client.workflow.getHandle(`${id}-redrive`).describe();
    expect(redriven.typedSearchAttributes.get(TaskRedriveOf)).toBe(id);
    expect(redriven.taskQueue).toBe(h.taskQueue);
    // The list says it was redriven, and how that went; --all passes it over (and does not count it).
    await eventually('the redrive to be visible', async () => {
      for await (const info of h.client.workflow.list({ query: `WorkflowId = '${id}-redrive' AND PantheonStatus = 'completed'` })) return info;
      return undefined;
    });
    const listed = await runCli(['dlq', 'list', '--limit', '1000'], env);
    expect(listed.stdout).toContain(`${id}  `);
    expect(listed.stdout).toMatch(new RegExp(`^${id} .*\\(redriven as ${id}-redrive: completed\\)$`, 'm'));
    const other = newId('not-redriven');
    await deadLetter(other);
    await eventually('the second dead letter to be visible', async () => {
      for await (const info of h.client.workflow.list({ query: `WorkflowId = '${other}' AND PantheonStatus = 'dead_lettered'` })) return info;
      return undefined;
    });
    const all = await lettersToRedrive(h.client, 1000);
    expect(all.ids).toContain(other);
    expect(all.ids).not.toContain(id);
    expect(all.alreadyRedriven).toBeGreaterThanOrEqual(1);
    // The look stops after its cap, and says so: with a cap of one, the newest letter only.
    const capped = await lettersToRedrive(h.client, 1000, 1);
    expect(capped.examinedAll).toBe(false);
    expect(capped.ids.length + capped.skipped.length + capped.alreadyRedriven).toBe(1);
  });

  it('--all skips a redrive that dead-lettered again, and passes it over once an operator redrove it on purpose', async () => {
    const id = newId('twice');
    await deadLetter(id);
    // Its redrive fails the same way: a poison task --all must not loop.
    h.provider.addFault({ kind: 'quota_exhausted', match: { task: `${id}-redrive`, purpose: 'specialist' }, times: 1 });
    expect((await runCli(['dlq', 'redrive', id], env)).code).toBe(0);
    expect(await closedResult(h.client.workflow.getHandle(`${id}-redrive`))).toMatchObject({ status: 'dead_lettered', redriveOf: id });
    await eventually('the failed redrive to be visible', async () => {
      for await (const info of h.client.workflow.list({ query: `WorkflowId = '${id}-redrive' AND PantheonStatus = 'dead_lettered'` })) return info;
      return undefined;
    });
    expect((await lettersToRedrive(h.client, 1000)).skipped.map((l) => l.id)).toContain(`${id}-redrive`);

    // Named, it is redriven on purpose; from then on --all counts it as redriven, not as one to name.
    expect((await runCli(['dlq', 'redrive', `${id}-redrive`], env)).code).toBe(0);
    expect(await closedResult(h.client.workflow.getHandle(`${id}-redrive-redrive`))).toMatchObject({ status: 'completed' });
    const all = await lettersToRedrive(h.client, 1000);
    expect(all.skipped.map((l) => l.id)).not.toContain(`${id}-redrive`);
    expect(all.ids).not.toContain(`${id}-redrive`);
  });

  it('runs again from its start after `temporal workflow reset --type FirstWorkflowTask`, and completes once the fault is gone', async () => {
    const id = newId('reset');
    const dead = await deadLetter(id);
    expect(dead.status).toBe('dead_lettered');
    const failedRun = (await h.client.workflow.getHandle(id).describe()).runId;

    // The fault fired once and is spent: the specialist's call succeeds now.
    const reset = await temporalCli(['workflow', 'reset', '--workflow-id', id, '--type', 'FirstWorkflowTask', '--reason', 'test: the provider is back']);
    expect(reset.code).toBe(0);

    const current = await eventually('the reset run', async () => {
      const d = await h.client.workflow.getHandle(id).describe();
      return d.runId !== failedRun ? d : undefined;
    });
    const outcome = await closedResult(h.client.workflow.getHandle<() => Promise<TaskOutcome>>(id, current.runId, { followRuns: false }));
    expect(outcome).toMatchObject({ taskId: id, status: 'completed', specialist: 'DatabaseAgent', failures: [] });
    const described = await h.client.workflow.getHandle(id).describe();
    expect(described.status.name).toBe('COMPLETED');
    expect(described.typedSearchAttributes.get(TaskStatus)).toBe('completed');
    // The failed run stays in history as it was; the specialist really ran again.
    expect((await h.client.workflow.getHandle(id, failedRun).describe()).status.name).toBe('FAILED');
    expect(h.provider.calls().filter((c) => c.task === id && c.purpose === 'specialist' && !c.fault).length).toBeGreaterThan(0);
    // Memory keeps the failure's lesson and gains the success.
    expect((await h.memory.get(`${id}:failure`))?.success).toBe(false);
    expect((await h.memory.get(`${id}:outcome`))?.success).toBe(true);
    await maybeRecordHistory(id, 'reset-dead-lettered-task', current.runId);

    // No longer a dead letter, though its failed run still matches the query for them: dlq list
    // leaves it out and --all passes it by (it stopped at it with "is completed, not dead_lettered").
    await eventually('the completed run to be visible', async () => {
      for await (const info of h.client.workflow.list({ query: `WorkflowId = '${id}' AND PantheonStatus = 'completed'` })) return info;
      return undefined;
    });
    const list = await runCli(['dlq', 'list', '--limit', '1000'], env);
    expect(list.code).toBe(0);
    expect(list.stdout).not.toContain(id);
    // pantheon list shows the task once, by its latest run: not under the status its old run had.
    const [deadListed, completedListed] = await Promise.all([
      runCli(['list', '--status', 'dead_lettered', '--limit', '1000'], env),
      runCli(['list', '--status', 'completed', '--limit', '1000'], env),
    ]);
    expect(deadListed.code).toBe(0);
    expect(deadListed.stdout.split('\n').filter((line) => line.startsWith(`${id} `))).toEqual([]);
    expect(completedListed.stdout.split('\n').filter((line) => line.startsWith(`${id} `))).toEqual([expect.stringMatching(/ completed /)]);
    expect((await lettersToRedrive(h.client, 1000)).ids).not.toContain(id);
  });
});

describe('a task that ends budget_exceeded', () => {
  it('is a FAILED execution (TaskBudgetExceeded, non-retryable) with its outcome in the details and its search attributes set', async () => {
    const id = newId('budget');
    // Deeper than max_spawn_depth: the ledger refuses its first call, before any provider call.
    const handle = await start({ objective: DB_TASK, lineage: { rootTaskId: 'failed-root', parentTaskId: 'failed-parent', spawnDepth: MAX_SPAWN_DEPTH + 1 } }, id);
    const outcome = await closedResult(handle);
    expect(outcome).toMatchObject({ taskId: id, status: 'budget_exceeded' });
    expect(outcome.reasons.join(' ')).toMatch(/spawn.depth/i);
    expect(h.provider.calls().filter((c) => c.task === id)).toEqual([]);

    const described = await h.client.workflow.getHandle(id).describe();
    expect(described.status.name).toBe('FAILED');
    expect(described.typedSearchAttributes.get(TaskStatus)).toBe('budget_exceeded');
    const { cause, last } = await failureOf(id);
    expect(cause).toMatchObject({ type: 'TaskBudgetExceeded', nonRetryable: true, message: outcome.reasons[0] });
    expect(cause.details?.[0]).toEqual(outcome);
    expect(last.eventType).toBe(E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED);

    const report = await reconcile([id]);
    expect(report.finished).toEqual([expect.objectContaining({ taskId: id, status: 'budget_exceeded', reason: outcome.reasons[0] })]);
    // What `pantheon status <id>` prints from (its CLI is run on a dead letter above).
    expect(await taskState(h.client, id)).toEqual({ execution: 'FAILED', state: outcome });
  });
});

describe('tasks that end otherwise', () => {
  it('still complete their execution when rejected', async () => {
    const id = newId('rejected');
    const outcome = await closedResult(await start({ objective: 'Fix the thing from yesterday' }, id));
    expect(outcome.status).toBe('rejected');
    expect((await h.client.workflow.getHandle(id).describe()).status.name).toBe('COMPLETED');
  });
});
