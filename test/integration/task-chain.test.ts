import { WorkflowNotFoundError } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { TaskFinished } from '../../src/god/types';
import type { RunSpecialistResult } from '../../src/activities/types';
import { PREVIOUS_STEP_INPUT, type ChainInput, type ChainOutcome, type ChainState } from '../../src/tasks/chain';
import { closedResult } from '../../src/tasks/closed-outcome';
import type { Task, TaskInput } from '../../src/tasks/task-input';
import { chainStateQuery } from '../../src/workflows/task-chain-api';
import { TaskCostUsd, TaskSpecialist, TaskStatus } from '../../src/workflows/search-attributes';
import type { TaskOutcome } from '../../src/workflows/task-state';
import { runCli } from '../support/cli';
import { startHarness, testAddress, type Harness } from '../support/harness';
import { maybeRecordHistory } from '../support/history';
import { cliUntilListed } from '../support/visibility';

const E = temporal.api.enums.v1.EventType;
type Event = temporal.api.history.v1.IHistoryEvent;

let h: Harness;

beforeAll(async () => {
  h = await startHarness('task-chain');
});

afterEach(() => h.provider.clearFaults());

afterAll(async () => {
  await h?.stop();
});

let seq = 0;
const newId = (name: string) => `chain-${name}-${Date.now()}-${++seq}`;

/** Research first, then a schema change: a task that spans two specialists. */
const OBJECTIVE = 'Find how production teams index JSONB columns in Postgres, then add a GIN index on orders.meta';

function startChain(id: string, input: ChainInput | Record<string, unknown>) {
  return h.client.workflow.start('taskChain', { taskQueue: h.taskQueue, workflowId: id, args: [input] });
}

async function events(workflowId: string): Promise<Event[]> {
  return (await h.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
}

const decode = <T>(payload: temporal.api.common.v1.IPayload | null | undefined): T => defaultPayloadConverter.fromPayload(payload!) as T;

/** The first argument a workflow was started with, as recorded in its history. */
async function recordedInput<T>(workflowId: string): Promise<T> {
  const [started] = await events(workflowId);
  return decode<T>(started.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]);
}

/** The reports a workflow received, in order. */
async function receivedReports(workflowId: string): Promise<TaskFinished[]> {
  return (await events(workflowId))
    .filter((e) => e.eventType === E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED && e.workflowExecutionSignaledEventAttributes?.signalName === 'taskFinished')
    .map((e) => decode<TaskFinished>(e.workflowExecutionSignaledEventAttributes?.input?.payloads?.[0]));
}

/** The reports a workflow sent (whether or not they were delivered), with the target ids. */
async function sentReports(workflowId: string): Promise<Array<{ to: string; report: TaskFinished }>> {
  return (await events(workflowId))
    .filter((e) => e.eventType === E.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED)
    .map((e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes!)
    .filter((a) => a.signalName === 'taskFinished')
    .map((a) => ({ to: a.workflowExecution?.workflowId ?? '', report: decode<TaskFinished>(a.input?.payloads?.[0]) }));
}

const countOf = (list: Event[], type: temporal.api.enums.v1.EventType) => list.filter((e) => e.eventType === type).length;

/** Every runSpecialist result of a task: its transcript is in their histories. */
async function specialistRuns(workflowId: string): Promise<RunSpecialistResult[]> {
  return (await events(workflowId))
    .filter((e) => e.eventType === E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED)
    .map((e) => decode<RunSpecialistResult & { lastNote?: unknown }>(e.activityTaskCompletedEventAttributes?.result?.payloads?.[0]))
    .filter((r): r is RunSpecialistResult => typeof r === 'object' && r !== null && Array.isArray((r as RunSpecialistResult).history));
}

describe('taskChain on a real Temporal server', () => {
  it('runs ResearchAgent then DatabaseAgent, handing step 2 the start of step 1 result and not its transcript', async () => {
    const id = newId('two-steps');
    const receiver = `${id}-no-receiver`;
    const outcome: ChainOutcome = await (await startChain(id, { task: { objective: OBJECTIVE, priority: 'high' }, plan: ['ResearchAgent', 'DatabaseAgent'], reportTo: receiver })).result();

    expect(outcome.status).toBe('completed');
    expect(outcome.steps.map((s) => [s.taskId, s.specialist, s.status])).toEqual([
      [`${id}:step-1`, 'ResearchAgent', 'completed'],
      [`${id}:step-2`, 'DatabaseAgent', 'completed'],
    ]);
    expect(outcome.reasons).toEqual([
      expect.stringMatching(/^chain completed: 2 of 2 steps \(ResearchAgent → DatabaseAgent\); last: DatabaseAgent finished/),
      expect.stringMatching(/^step 1\/2 \(ResearchAgent\) completed: ResearchAgent finished/),
      expect.stringMatching(/^step 2\/2 \(DatabaseAgent\) completed: DatabaseAgent finished/),
    ]);

    const step1 = await h.client.workflow.getHandle<() => Promise<TaskOutcome>>(`${id}:step-1`).result();
    const step2 = await h.client.workflow.getHandle<() => Promise<TaskOutcome>>(`${id}:step-2`).result();
    expect(step1.specialist).toBe('ResearchAgent');
    expect(step2.specialist).toBe('DatabaseAgent');
    expect(outcome.result).toBe(step2.result);
    expect(outcome.costUsd).toBeCloseTo(step1.costUsd + step2.costUsd, 10);
    expect(outcome.tokens).toBe(step1.tokens + step2.tokens);

    // Step 2's recorded input: the start of step 1's result under a header, none of its transcript.
    const input2 = await recordedInput<Task>(`${id}:step-2`);
    const handed = input2.inputs[PREVIOUS_STEP_INPUT];
    expect(handed).toMatch(/^Result of step 1\/2 \(ResearchAgent\)/);
    expect(handed).toContain(step1.result!.trim().slice(0, 200));
    const transcript = (await specialistRuns(`${id}:step-1`)).flatMap((r) => r.history);
    const notes = transcript.filter((m) => m.role === 'assistant').map((m) => JSON.parse(m.content) as { status: string; note: string }).filter((t) => t.status === 'continue').map((t) => t.note);
    expect(notes.length).toBeGreaterThan(0);
    const serialised = JSON.stringify(input2);
    for (const note of notes) expect(serialised).not.toContain(note);
    expect(serialised).not.toContain('Continue with the next step.');
    expect(input2.objective).toContain(OBJECTIVE);
    expect(input2).toMatchObject({ specialist: 'DatabaseAgent', reportTo: id, lineage: { rootTaskId: id, parentTaskId: id, spawnDepth: 1 }, lane: 'main' });
    // Step 1 had nothing to receive.
    expect((await recordedInput<Task>(`${id}:step-1`)).inputs).toEqual({});
    // The steps' calls carried the chain's lineage to the provider.
    const stepCalls = h.provider.calls().filter((c) => c.task === `${id}:step-2`);
    expect(stepCalls.length).toBeGreaterThan(0);
    expect(stepCalls.every((c) => c.lineage?.rootTaskId === id && c.lineage?.spawnDepth === 1)).toBe(true);

    // Each step reported its end to the chain by a taskFinished signal.
    const reports = await receivedReports(id);
    expect(reports.map((r) => [r.taskId, r.status, r.specialist])).toEqual([
      [`${id}:step-1`, 'completed', 'ResearchAgent'],
      [`${id}:step-2`, 'completed', 'DatabaseAgent'],
    ]);
    expect(reports[0].costUsd).toBeCloseTo(step1.costUsd, 10);
    expect(reports[0].summary).toBe(step1.result!.trim().slice(0, reports[0].summary!.length));
    expect(outcome.steps.map((s) => s.reported)).toEqual(['completed', 'completed']);

    // The chain reported its own end; its receiver is not running, which changes nothing.
    const sent = await sentReports(id);
    expect(sent).toHaveLength(1);
    expect(sent[0].to).toBe(receiver);
    expect(sent[0].report).toMatchObject({ taskId: id, status: 'completed', tokens: outcome.tokens, specialist: 'DatabaseAgent' });
    expect(sent[0].report.summary?.startsWith(step2.result!.trim().slice(0, 100))).toBe(true);
    expect(countOf(await events(id), E.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED)).toBe(1);

    // Operators find it like any task.
    const handle = h.client.workflow.getHandle(id);
    const attrs = (await handle.describe()).typedSearchAttributes;
    expect(attrs.get(TaskStatus)).toBe('completed');
    expect(attrs.get(TaskSpecialist)).toBe('DatabaseAgent');
    expect(attrs.get(TaskCostUsd)).toBeCloseTo(outcome.costUsd, 10);
    const state: ChainState = await handle.query(chainStateQuery);
    expect(state.steps.map((s) => s.status)).toEqual(['completed', 'completed']);

    // completed-task-chain.json is a chain from before its plan was checked first ('chain-plan-checked-first').
    await maybeRecordHistory(id, 'completed-task-chain-plan-checked');
    await maybeRecordHistory(`${id}:step-1`, 'reporting-chain-step');
  });

  it('refuses a plan of five steps, naming plan, and starts no step', async () => {
    const id = newId('five');
    const plan = ['ResearchAgent', 'DatabaseAgent', 'CodeReviewAgent', 'ResearchAgent', 'DatabaseAgent'];
    const outcome: ChainOutcome = await (await startChain(id, { task: { objective: OBJECTIVE }, plan, reportTo: `${id}-receiver` })).result();

    expect(outcome.status).toBe('rejected');
    expect(outcome.reasons).toEqual([expect.stringMatching(/^input plan: must name at most 4 specialists/)]);
    expect(countOf(await events(id), E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED)).toBe(0);
    // Even a refused chain tells its receiver.
    expect((await sentReports(id)).map((s) => [s.to, s.report.status])).toEqual([[`${id}-receiver`, 'rejected']]);
  });

  it('refuses a plan whose later step names a specialist not on the roster before step 1 spends anything, naming plan.N', async () => {
    const id = newId('unknown-step');
    const plan = ['ResearchAgent', 'DatabaseAgent', 'NoSuchAgent'];
    const outcome: ChainOutcome = await (await startChain(id, { task: { objective: OBJECTIVE }, plan, reportTo: `${id}-receiver` })).result();

    expect(outcome.status).toBe('rejected');
    expect(outcome.reasons).toEqual([expect.stringMatching(/^input plan\.2: unknown "NoSuchAgent" \(known: .*DatabaseAgent.*\)$/)]);
    expect(outcome.steps.map((s) => s.status)).toEqual(['skipped', 'skipped', 'skipped']);
    expect(outcome.costUsd).toBe(0);
    const history = await events(id);
    expect(countOf(history, E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED)).toBe(0);
    await expect(h.client.workflow.getHandle(`${id}:step-1`).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect(h.provider.calls().filter((c) => c.task?.startsWith(`${id}:`))).toHaveLength(0);
    expect((await h.client.workflow.getHandle(id).describe()).typedSearchAttributes.get(TaskStatus)).toBe('rejected');
    expect((await sentReports(id)).map((s) => [s.to, s.report.status])).toEqual([[`${id}-receiver`, 'rejected']]);
    await maybeRecordHistory(id, 'task-chain-unknown-plan-step');
  });

  it('ends dead_lettered when step 2 of 3 fails, naming the step, and never starts step 3', async () => {
    const id = newId('fails');
    h.provider.addFault({ kind: 'quota_exhausted', match: { task: `${id}:step-2`, purpose: 'specialist' } });
    const outcome: ChainOutcome = await (await startChain(id, { task: { objective: OBJECTIVE }, plan: ['ResearchAgent', 'DatabaseAgent', 'CodeReviewAgent'] })).result();

    expect(outcome.status).toBe('dead_lettered');
    expect(outcome.reasons).toEqual([expect.stringMatching(/^step 2\/3 \(DatabaseAgent\) ended dead_lettered: runSpecialist failed: quota_exhausted/)]);
    expect(outcome.steps.map((s) => s.status)).toEqual(['completed', 'dead_lettered', 'skipped']);
    expect(outcome.result).toBeUndefined();
    const history = await events(id);
    expect(countOf(history, E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED)).toBe(2);
    await expect(h.client.workflow.getHandle(`${id}:step-3`).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect(h.provider.calls().filter((c) => c.task === `${id}:step-3`)).toHaveLength(0);
    // Exactly one terminal state: the chain completed its workflow once, with this outcome.
    expect(countOf(history, E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED)).toBe(1);
    const step1 = await h.client.workflow.getHandle<() => Promise<TaskOutcome>>(`${id}:step-1`).result();
    // A dead-lettered step fails its execution, its outcome attached.
    const step2 = await closedResult(h.client.workflow.getHandle<() => Promise<TaskOutcome>>(`${id}:step-2`));
    expect((await h.client.workflow.getHandle(`${id}:step-2`).describe()).status.name).toBe('FAILED');
    expect(outcome.costUsd).toBeCloseTo(step1.costUsd + step2.costUsd, 10);
    expect((await receivedReports(id)).map((r) => r.status)).toEqual(['completed', 'dead_lettered']);
    expect((await h.client.workflow.getHandle(id).describe()).typedSearchAttributes.get(TaskStatus)).toBe('dead_lettered');
    // A step that fails its execution (failed-step-task-chain.json: a step that completed dead_lettered).
    await maybeRecordHistory(id, 'failed-step-task-chain-failed-child');
  });

  it('cancels its running step when cancelled, ends cancelled, and starts no later step', async () => {
    const id = newId('cancel');
    // A slow provider keeps step 1 running long enough to cancel it.
    h.provider.addFault({ kind: 'slow', match: { task: `${id}:step-1`, purpose: 'specialist' }, delayMs: 4000 });
    const handle = await startChain(id, { task: { objective: OBJECTIVE }, plan: ['ResearchAgent', 'DatabaseAgent'], reportTo: `${id}-receiver` });
    await waitFor(async () => (await h.client.workflow.getHandle(`${id}:step-1`).query<{ status: string }>('state')).status === 'running');
    await handle.cancel();
    const outcome: ChainOutcome = await handle.result();

    expect(outcome.status).toBe('cancelled');
    expect(outcome.reasons).toEqual([expect.stringMatching(/^step 1\/2 \(ResearchAgent\) ended cancelled: cancelled by request/)]);
    expect(outcome.steps.map((s) => s.status)).toEqual(['cancelled', 'skipped']);
    const step1 = await h.client.workflow.getHandle<() => Promise<TaskOutcome>>(`${id}:step-1`).result();
    expect(step1.status).toBe('cancelled');
    await expect(h.client.workflow.getHandle(`${id}:step-2`).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    // The cancelled step still reported (its report is non-cancellable), and so did the chain.
    expect((await receivedReports(id)).map((r) => [r.taskId, r.status])).toEqual([[`${id}:step-1`, 'cancelled']]);
    expect((await sentReports(id)).map((s) => [s.to, s.report.status])).toEqual([[`${id}-receiver`, 'cancelled']]);
    await maybeRecordHistory(id, 'cancelled-task-chain');
    await maybeRecordHistory(`${id}:step-1`, 'cancelled-reporting-step');
  });
});

describe('a chain whose step is stopped from outside', () => {
  it("counts what the terminated step spent (the ledger's bill for it) in the step and the chain", async () => {
    const id = newId('terminated-step');
    const stepId = `${id}:step-1`;
    // Step 1's second call takes long enough to terminate the step while it is in flight.
    h.provider.addFault({ kind: 'slow', match: { task: stepId, purpose: 'specialist' }, delayMs: 8000, calls: [2] });
    const handle = await startChain(id, { task: { objective: OBJECTIVE }, plan: ['ResearchAgent', 'DatabaseAgent'] });
    await waitFor(async () => h.provider.calls().some((c) => c.task === stepId && c.purpose === 'specialist'));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await h.client.workflow.getHandle(stepId).terminate('operator stopped the step');
    const outcome: ChainOutcome = await handle.result();

    expect(outcome.status).toBe('cancelled');
    expect(outcome.steps.map((s) => s.status)).toEqual(['cancelled', 'skipped']);
    // The provider answered the step's validation and first specialist call before the stop: the
    // step's bill holds them (and what the call in flight was charged), by the provider's own counts.
    const answered = h.provider.calls().filter((c) => c.task === stepId && c.status === 200);
    const billedTokens = answered.reduce((sum, c) => sum + c.inputTokens + c.outputTokens, 0);
    expect(answered.filter((c) => c.purpose === 'specialist').length).toBeGreaterThanOrEqual(1);
    expect(outcome.steps[0].tokens).toBeGreaterThanOrEqual(billedTokens);
    expect(outcome.steps[0].costUsd).toBeGreaterThan(0);
    expect(outcome.costUsd).toBe(outcome.steps[0].costUsd);
    expect(outcome.tokens).toBe(outcome.steps[0].tokens);
    await maybeRecordHistory(id, 'task-chain-billed-broken-step');
  });
});

describe('taskChain for operators', () => {
  it('shows in pantheon list with its status and current specialist, and pantheon status shows its steps', async () => {
    const id = newId('listed');
    await (await startChain(id, { task: { objective: OBJECTIVE }, plan: ['ResearchAgent', 'DatabaseAgent'] })).result();
    // Completed only: open tasks are listed first, and other files' tasks may still be running.
    const listed = new RegExp(`^${id}:step-2 +completed`, 'm');
    const list = await cliUntilListed(['list', '--specialist', 'DatabaseAgent', '--status', 'completed', '--limit', '50'], { TEMPORAL_ADDRESS: testAddress(), PANTHEON_TASK_QUEUE: h.taskQueue }, (out) => listed.test(out) && out.includes(`${id} `));
    expect(list.stdout).toMatch(new RegExp(`^${id} +completed +DatabaseAgent`, 'm'));
    expect(list.stdout).toMatch(new RegExp(`^${id}:step-2 +completed +DatabaseAgent`, 'm'));
    const status = await runCli(['status', id], { TEMPORAL_ADDRESS: testAddress() });
    expect(status.stderr).toBe('');
    expect(status.stdout).toMatch(/^chain +ResearchAgent → DatabaseAgent$/m);
    expect(status.stdout).toMatch(/^ +step 2 +DatabaseAgent +completed/m);
  });
});

describe('taskChain waiting for budget', () => {
  it("pantheon status of a running chain shows its running step's wait for budget (the chain itself says only running)", async () => {
    const id = newId('budget-wait');
    await h.gate.openBreaker({ who: 'test', why: 'a chain waits' });
    try {
      await startChain(id, { task: { objective: OBJECTIVE }, plan: ['ResearchAgent', 'DatabaseAgent'] });
      let status = '';
      for (let deadline = Date.now() + 40_000; Date.now() < deadline; ) {
        status = (await runCli(['status', id], { TEMPORAL_ADDRESS: testAddress() })).stdout;
        if (/^budget {6}step 1: waiting for budget/m.test(status)) break;
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      expect(status).toMatch(/^budget {6}step 1: waiting for budget \d+ min \(\d+ checks? so far\)/m);
      expect(status).toMatch(/breaker_open/);
    } finally {
      await h.gate.closeBreaker({ who: 'test', why: 'done' });
      await h.client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
    }
  });
});

describe('taskChain progress', () => {
  it("pantheon status of a running chain shows its running step's specialist progress, named by its step", async () => {
    const id = newId('live');
    const step2 = `${id}:step-2`;
    // Step 2's second specialist call takes 8 s: the step waits there with its first iteration checkpointed.
    h.provider.setFaults([{ kind: 'slow', delayMs: 8_000, match: { task: step2, purpose: 'specialist' }, calls: [2] }]);
    const objective = `${OBJECTIVE}\n- create the index concurrently\n- check the query plan uses it\n- document the change`;
    await startChain(id, { task: { objective }, plan: ['ResearchAgent', 'DatabaseAgent'] });
    try {
      let status = '';
      for (let deadline = Date.now() + 40_000; Date.now() < deadline; ) {
        status = (await runCli(['status', id], { TEMPORAL_ADDRESS: testAddress() })).stdout;
        if (/^live +step 2 runSpecialist: [1-9]\d* iterations? done/m.test(status)) break;
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      expect(status).toMatch(/^live +step 2 runSpecialist: 1 iteration done \(checkpointed \d+ s ago\); this run has spent \$0\.\d+ \(\d+ tokens\), not yet in the cost above$/m);
    } finally {
      // Ending the chain asks its step to cancel, which needs a worker, gone by then: both go.
      for (const wf of [id, step2]) await h.client.workflow.getHandle(wf).terminate('test over').catch(() => undefined);
    }
  });
});

describe('agentTask outcome report', () => {
  it('signals its end to reportTo; a receiver that is not running never changes the task end', async () => {
    const id = newId('task-report');
    const input: TaskInput = { objective: 'Add a unique index on users.email in the Postgres database', reportTo: `${id}-gone` };
    const outcome: TaskOutcome = await (await h.client.workflow.start('agentTask', { taskQueue: h.taskQueue, workflowId: id, args: [input] })).result();

    expect(outcome.status).toBe('completed');
    const sent = await sentReports(id);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ to: `${id}-gone`, report: { taskId: id, status: 'completed', specialist: 'DatabaseAgent', tokens: outcome.tokens } });
    expect(sent[0].report.costUsd).toBeCloseTo(outcome.costUsd, 10);
    expect(sent[0].report.durationMs).toBeGreaterThan(0);
    expect(sent[0].report.summary).toBe(outcome.result!.trim().slice(0, sent[0].report.summary!.length));
    expect(countOf(await events(id), E.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED)).toBe(1);
  });

  it('reports a rejection for invalid input when reportTo can be read', async () => {
    const id = newId('bad-input-report');
    const outcome: TaskOutcome = await (await h.client.workflow.start('agentTask', { taskQueue: h.taskQueue, workflowId: id, args: [{ objective: '', reportTo: `${id}-gone` }] })).result();

    expect(outcome.status).toBe('rejected');
    const [sent] = await sentReports(id);
    expect(sent.report).toMatchObject({ taskId: id, status: 'rejected', costUsd: 0, tokens: 0 });
    expect(sent.report.reason).toMatch(/^input objective:/);
  });

  it('sends nothing when the task has no reportTo', async () => {
    const id = newId('no-report');
    const outcome: TaskOutcome = await (await h.client.workflow.start('agentTask', { taskQueue: h.taskQueue, workflowId: id, args: [{ objective: 'improve the thing from yesterday' }] })).result();
    expect(outcome.status).toBe('rejected');
    expect(await sentReports(id)).toEqual([]);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // Not started yet.
    }
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 200));
  }
}
