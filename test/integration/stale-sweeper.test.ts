import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../src/config/paths';
import { MockActivityEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import type { WorkflowHandle } from '@temporalio/client';
import { createAlerter } from '../../src/alerts/alerter';
import { createLogger } from '../../src/logging/logger';
import { createSweepStaleTasks } from '../../src/activities/sweep-stale-tasks';
import { ensureSweeperSchedule } from '../../src/client/sweeper-schedule';
import { startTask } from '../../src/client/submit-task';
import type { StalePolicy, SweepReport } from '../../src/activities/types';
import { TaskInputSchema, type TaskInput } from '../../src/tasks/task-input';
import { stateQuery } from '../../src/workflows/agent-task-api';
import { TaskActiveSince, TaskStale, TaskStatus } from '../../src/workflows/search-attributes';
import type { TaskOutcome, TaskState } from '../../src/workflows/task-state';
import { onRuntimeLog, startHarness, testAddress, type Harness } from '../support/harness';
import { eventually } from '../support/eventually';
import { runCli } from '../support/cli';
import { startWebhookReceiver } from '../support/webhook';
import { maybeRecordHistory } from '../support/history';
import { billed } from '../support/billed';
import { cancelledByOperator } from '../../src/god/stats';

let h: Harness;
let webhook: Awaited<ReturnType<typeof startWebhookReceiver>>;

/** DatabaseAgent's expected duration in the impatient roster (0.02 min). */
const EXPECTED_MS = 1200;

/** The repo's roster, but DatabaseAgent is expected to finish within 1.2 seconds. */
function impatientRoster(): string {
  const dir = path.join(process.env.PANTHEON_TEST_DIR ?? '/tmp', `roster-${Date.now()}`);
  fs.mkdirSync(dir, { recursive: true });
  for (const file of fs.readdirSync(path.join(repoRoot(), 'agents'))) {
    let text = fs.readFileSync(path.join(repoRoot(), 'agents', file), 'utf8');
    if (file === 'DatabaseAgent.yaml') text = text.replace(/expected_duration_minutes: .*/, 'expected_duration_minutes: 0.02');
    fs.writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

beforeAll(async () => {
  webhook = await startWebhookReceiver();
  h = await startHarness('sweeper', { rosterDir: impatientRoster(), alertWebhookUrl: webhook.url });
});

afterAll(async () => {
  await h?.stop();
  await webhook?.close();
});

afterEach(() => h.provider.clearFaults());

const DB_TASK = 'Add a unique index on users.email in the Postgres database';
let seq = 0;

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls the task's state query until `ready` holds. */
async function untilState(handle: WorkflowHandle, ready: (state: TaskState) => boolean): Promise<TaskState> {
  for (;;) {
    const state = await handle.query(stateQuery);
    if (ready(state)) return state;
    await pause(100);
  }
}

/** Waits until the sweeper's listing shows the task running a run at least `ms` old. */
async function untilRunOlderThan(handle: WorkflowHandle, ms: number): Promise<Date> {
  for (;;) {
    const attrs = (await handle.describe()).typedSearchAttributes;
    const since = attrs.get(TaskActiveSince);
    if (attrs.get(TaskStatus) === 'running' && since && Date.now() - since.getTime() > ms) return since;
    await pause(100);
  }
}

/** Waits until the sweeper's visibility listing shows the task with this status (and run clock). */
async function untilListed(workflowId: string, status: string, activeSinceMs?: number): Promise<void> {
  for (;;) {
    for await (const info of h.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
      const attrs = info.typedSearchAttributes;
      if (attrs.get(TaskStatus) === status && (activeSinceMs === undefined || attrs.get(TaskActiveSince)?.getTime() === activeSinceMs)) return;
    }
    await pause(100);
  }
}

/** Starts a task whose specialist calls are held by a slow provider, and waits until its run is past due. */
async function startHeldTask(input: Partial<TaskInput>, delayMs: number, which: { times?: number; calls?: number[] } = {}) {
  const id = `stale-${Date.now()}-${++seq}`;
  h.provider.addFault({ kind: 'slow', delayMs, match: { task: id, purpose: 'specialist' }, ...which });
  const handle = await startTask(h.client, h.taskQueue, TaskInputSchema.parse({ objective: DB_TASK, ...input }), id);
  await untilRunOlderThan(handle, EXPECTED_MS + 300);
  return handle;
}

function sweep(policy: StalePolicy): Promise<SweepReport> {
  return h.client.workflow.execute('staleTaskSweeper', { taskQueue: h.taskQueue, workflowId: `sweep-${policy}-${Date.now()}`, args: [{ policy, taskQueue: h.taskQueue }] });
}

/** The sweeper's activity with its clock set to `nowMs` (the same visibility listing, the same roster). */
function sweepAt(policy: StalePolicy, nowMs: number): Promise<SweepReport> {
  const alerter = createAlerter({ logger: createLogger({ level: 'silent' }) });
  const sweepStaleTasks = createSweepStaleTasks({ client: h.client, roster: h.roster, alerter, now: () => nowMs });
  return new MockActivityEnvironment().run(sweepStaleTasks, { policy, taskQueue: h.taskQueue });
}

const EventType = temporal.api.enums.v1.EventType;

/** Each runSpecialist activity of a task, in order: when it was scheduled and how and when it ended. */
async function specialistRuns(handle: WorkflowHandle) {
  const events = (await handle.fetchHistory()).events ?? [];
  const ends = new Map<number, { endedAt: number; how: string }>();
  for (const e of events) {
    const attrs = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes ?? e.activityTaskTimedOutEventAttributes ?? e.activityTaskCanceledEventAttributes;
    if (attrs?.scheduledEventId) ends.set(Number(attrs.scheduledEventId), { endedAt: Number(e.eventId), how: EventType[e.eventType!] });
  }
  const closedAt = Number(events.find((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED)?.eventId ?? Infinity);
  const runs = events
    .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'runSpecialist')
    .map((e) => ({ scheduledAt: Number(e.eventId), ...(ends.get(Number(e.eventId)) ?? { endedAt: Infinity, how: 'never ended' }) }));
  return { runs, closedAt };
}

/** No two runs overlap: each ended before the next was scheduled, and all before the task closed. */
function expectOneRunAtATime({ runs, closedAt }: Awaited<ReturnType<typeof specialistRuns>>) {
  runs.forEach((run, i) => {
    expect(run.endedAt).toBeLessThan(runs[i + 1]?.scheduledAt ?? closedAt);
  });
}

describe('stale-task sweeper', () => {
  it('flags a task held past its expected duration, and the task still completes', async () => {
    const handle = await startHeldTask({}, 4000, { times: 1 });
    const report = await sweep('flag');

    expect(report.stale).toEqual([expect.objectContaining({ taskId: handle.workflowId, specialist: 'DatabaseAgent', action: 'flag' })]);
    const outcome = (await handle.result()) as TaskOutcome;
    expect(outcome.status).toBe('completed');
    expect(outcome.stale).toMatch(/DatabaseAgent is expected to take 0.02/);
    expect((await handle.describe()).typedSearchAttributes.get(TaskStale)).toBe(true);
    expect(webhook.received).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'stale_task' })]));
    // `pantheon status` says so in text too, not only in --json and the search attribute.
    const status = await runCli(['status', handle.workflowId], { TEMPORAL_ADDRESS: testAddress(), PANTHEON_TASK_QUEUE: h.taskQueue });
    expect(status.stdout).toMatch(/^stale {7}running [\d.]+ min this run; DatabaseAgent is expected to take 0\.02/m);
    // A second sweep does not flag it again (it has ended; and flags are not repeated).
    expect((await sweep('flag')).stale).toEqual([]);
  });

  it('requeues a stale task: the new run starts once the old activity has stopped, is judged from its requeue, counts what the old run spent, and completes', async () => {
    // The run's first call answers; its second is held until the requeue abandons the run. The new
    // run's first call is held a while too, so the run can be seen running (without a ledger
    // round trip per call it would otherwise finish between two polls).
    const handle = await startHeldTask({}, 6000, { calls: [2] });
    // (Counted from when the rule is added: the held call came before it.)
    h.provider.addFault({ kind: 'slow', delayMs: 2500, match: { task: handle.workflowId, purpose: 'specialist' }, calls: [1] });
    const report = await sweep('requeue');
    expect(report.stale.map((s) => s.taskId)).toEqual([handle.workflowId]);

    const requeued = await untilState(handle, (s) => s.requeues === 1 && s.status === 'running');
    // The abandoned run's answered call is in the running total (routing's too), not only in the final bill.
    const [firstCall] = h.provider.calls().filter((c) => c.task === handle.workflowId && c.purpose === 'specialist');
    const routing = h.provider.calls().filter((c) => c.task === handle.workflowId && c.purpose !== 'specialist');
    expect(billed([firstCall])).toBeGreaterThan(0);
    expect(requeued.costUsd).toBeGreaterThanOrEqual(billed([firstCall, ...routing]) - 1e-12);
    const { startTime, typedSearchAttributes } = await handle.describe();
    const since = typedSearchAttributes.get(TaskActiveSince)!.getTime();
    await untilListed(handle.workflowId, 'running', since);
    // Half its expected duration into the new run, the task itself is older than expected:
    // judged from the requeue, it is not stale.
    const at = since + EXPECTED_MS / 2;
    expect(at - startTime.getTime()).toBeGreaterThan(EXPECTED_MS);
    expect((await sweepAt('requeue', at)).stale).toEqual([]);

    const outcome = (await handle.result()) as TaskOutcome;
    expect(outcome.status).toBe('completed');
    expect(outcome.requeues).toBe(1);
    const history = await specialistRuns(handle);
    expect(history.runs.map((r) => r.how)).toEqual(['EVENT_TYPE_ACTIVITY_TASK_CANCELED', 'EVENT_TYPE_ACTIVITY_TASK_COMPLETED']);
    expectOneRunAtATime(history);
    await maybeRecordHistory(handle.workflowId, 'requeued-stale-task-waits-for-cancel');
  });

  it('flags a stuck task, requeues it once, then cancels it as poison; no abandoned run keeps calling the provider, and their cost is in the total', async () => {
    // Every specialist call hangs (10 minutes): only a cancellation ends a run.
    const handle = await startHeldTask({ maxRequeues: 1 }, 600_000);
    const first = await sweep('requeue');
    expect(first.stale).toEqual([expect.objectContaining({ taskId: handle.workflowId, action: 'requeue' })]);
    // The signal was accepted when the sweep returned; the task marks itself once it has handled it.
    await untilState(handle, (s) => s.stale !== undefined);
    expect((await handle.describe()).typedSearchAttributes.get(TaskStale)).toBe(true);

    await untilState(handle, (s) => s.requeues === 1 && s.status === 'running');
    await untilRunOlderThan(handle, EXPECTED_MS + 300);
    const second = await sweep('requeue');
    expect(second.stale.map((s) => s.taskId)).toEqual([handle.workflowId]);
    const outcome = (await handle.result()) as TaskOutcome;

    expect(outcome.status).toBe('cancelled');
    expect(outcome.reasons[0]).toMatch(/^stale: requeued 1 time without finishing/);
    expect(outcome.requeues).toBe(2);
    // Both abandoned runs stopped (cancelled, not left running) before the next began or the task ended.
    const history = await specialistRuns(handle);
    expect(history.runs.map((r) => r.how)).toEqual(['EVENT_TYPE_ACTIVITY_TASK_CANCELED', 'EVENT_TYPE_ACTIVITY_TASK_CANCELED']);
    expectOneRunAtATime(history);
    const calls = h.provider.calls().filter((c) => c.task === handle.workflowId && c.purpose === 'specialist');
    expect(calls).toHaveLength(2);
    await pause(500);
    expect(h.provider.calls().filter((c) => c.task === handle.workflowId && c.purpose === 'specialist')).toHaveLength(2);
    // The hung calls may have been billed: the ledger charged each at its worst case, and the total says so.
    expect(outcome.bill!.usd).toBeGreaterThan(0);
    expect(outcome.costUsd).toBeCloseTo(outcome.bill!.usd, 10);
    await maybeRecordHistory(handle.workflowId, 'poison-stale-task-cancelled');
  });

  it("a task cancelled as poison counts the iterations its stopped run had done, as the provider answered them", async () => {
    // Seven steps; the run's 4th call hangs, so the run stops after 3 answered iterations.
    const objective = [DB_TASK, ...[1, 2, 3, 4, 5, 6].map((n) => `- check the index on shard ${n}`)].join('\n');
    const handle = await startHeldTask({ objective, maxRequeues: 0 }, 600_000, { calls: [4] });
    await untilState(handle, (s) => s.status === 'running');
    const report = await sweep('requeue');
    expect(report.stale.map((s) => s.taskId)).toEqual([handle.workflowId]);
    const outcome = (await handle.result()) as TaskOutcome;
    expect(outcome.status).toBe('cancelled');
    expect(outcome.reasons[0]).toMatch(/^stale: requeued 0 times without finishing/);
    const calls = h.provider.calls().filter((c) => c.task === handle.workflowId && c.purpose === 'specialist');
    expect(calls).toHaveLength(4);
    // Before, the task said 0 iterations beside the cost of three.
    expect(outcome.iteration).toBe(3);
    await maybeRecordHistory(handle.workflowId, 'poison-stale-task-counts-run-iterations');
  });

  it('does not flag a task that waited twice its expected duration on an open breaker mid-run, then ran on', async () => {
    const id = `stale-breaker-${Date.now()}`;
    // The first call is held while the breaker opens; the call after the wait is held so the sweep finds it running.
    h.provider.addFault({ kind: 'slow', delayMs: 1500, match: { task: id, purpose: 'specialist' }, calls: [1] });
    h.provider.addFault({ kind: 'slow', delayMs: 3000, match: { task: id, purpose: 'specialist' }, calls: [2] });
    const handle = await startTask(h.client, h.taskQueue, TaskInputSchema.parse({ objective: DB_TASK, breakerPollSeconds: 5 }), id);
    let reopened = false;
    try {
      await untilState(handle, (s) => s.status === 'running');
      await h.gate.openBreaker({ who: 'stale-sweeper test', why: 'a breaker trip mid-run' });
      const waiting = await untilState(handle, (s) => s.status === 'waiting_budget');
      await untilListed(id, 'waiting_budget');
      // While it waits it is not judged at all, however long the wait has been.
      expect((await sweepAt('flag', Date.now() + 10 * EXPECTED_MS)).stale).toEqual([]);
      while (Date.now() - waiting.budgetWait!.sinceMs < 2 * EXPECTED_MS) await pause(100);
      await h.gate.closeBreaker({ who: 'stale-sweeper test', why: 'the trip is over' });
      reopened = true;

      const running = await untilState(handle, (s) => s.status === 'running' && s.runClock!.excludedMs > 0);
      const clock = running.runClock!;
      expect(clock.excludedMs).toBeGreaterThanOrEqual(2 * EXPECTED_MS);
      await untilListed(id, 'running', clock.startedMs + clock.excludedMs);
      // Half its expected duration of running after the wait: the run began longer ago than expected
      // (the wait), but waiting is not running.
      const at = clock.startedMs + clock.excludedMs + EXPECTED_MS / 2;
      expect(at - clock.startedMs).toBeGreaterThan(2 * EXPECTED_MS);
      expect((await sweepAt('flag', at)).stale).toEqual([]);
      expect((await handle.result()).status).toBe('completed');
    } finally {
      if (!reopened) await h.gate.closeBreaker({ who: 'stale-sweeper test', why: 'cleanup' });
    }
  });

  it("ignores a requeue signal while the task waits for budget: no requeue counted, no run restarted, and it completes once the breaker closes", async () => {
    const id = `stale-wait-requeue-${Date.now()}`;
    // The first call is held while the breaker opens: the run's next call is denied and the task waits.
    h.provider.addFault({ kind: 'slow', delayMs: 1500, match: { task: id, purpose: 'specialist' }, calls: [1] });
    // No requeue allowed: before, the first requeue of the waiting task cancelled it as poison.
    const handle = await startTask(h.client, h.taskQueue, TaskInputSchema.parse({ objective: DB_TASK, breakerPollSeconds: 5, maxRequeues: 0 }), id);
    let reopened = false;
    try {
      await untilState(handle, (s) => s.status === 'running');
      await h.gate.openBreaker({ who: 'stale-sweeper test', why: 'a requeue during a wait' });
      const waiting = await untilState(handle, (s) => s.status === 'waiting_budget');
      await handle.signal('requeue', { reason: 'ops: nudge' });
      await handle.signal('requeue', { reason: 'ops: nudge again' });
      // Both signals handled (a query answers after them), and the task still waits where it was.
      const after = await handle.query(stateQuery);
      expect(after).toMatchObject({ status: 'waiting_budget', requeues: 0, iteration: waiting.iteration });
      expect(after.stale).toBeUndefined();
      expect((await handle.describe()).status.name).toBe('RUNNING');
      await h.gate.closeBreaker({ who: 'stale-sweeper test', why: 'the trip is over' });
      reopened = true;
      const outcome = await handle.result();
      expect(outcome).toMatchObject({ status: 'completed', requeues: 0 });
      // The run went on from where it waited: one specialist run for the whole task.
      expect((await specialistRuns(handle)).runs.filter((r) => r.how === 'EVENT_TYPE_ACTIVITY_TASK_CANCELED')).toEqual([]);
      await maybeRecordHistory(handle.workflowId, 'requeue-ignored-while-waiting-budget');
    } finally {
      if (!reopened) await h.gate.closeBreaker({ who: 'stale-sweeper test', why: 'cleanup' });
    }
  });

  it('cancels a stale task when the policy is cancel, with the reason', async () => {
    const handle = await startHeldTask({}, 8000);
    await sweep('cancel');
    const outcome = (await handle.result()) as TaskOutcome;

    expect(outcome.status).toBe('cancelled');
    expect(outcome.reasons[0]).toMatch(/^cancelled as stale: running/);
  });

  it("an operator's cancel of a task the sweeper flagged is a cancel by request, which God does not count against its specialist", async () => {
    const handle = await startHeldTask({}, 8000);
    await sweep('flag');
    await untilState(handle, (state) => state.stale !== undefined);
    await handle.cancel();
    const outcome = (await handle.result()) as TaskOutcome;
    expect(outcome.status).toBe('cancelled');
    expect(outcome.reasons[0]).toMatch(/^cancelled by request \(it was flagged stale: running [\d.]+ min this run/);
    expect(cancelledByOperator({ status: outcome.status, reason: outcome.reasons[0] })).toBe(true);
  });

  it('ignores a flagStale, requeue or budgetAdmitted signal without input or with a malformed one, and a signal it does not take with a warning naming it, and the task runs on to completion', async () => {
    const id = `stale-malformed-${Date.now()}`;
    const warnings: string[] = [];
    const stopHearing = onRuntimeLog(({ message, meta }) => {
      if ((meta as { workflowId?: string } | undefined)?.workflowId === id) warnings.push(message);
    });
    h.provider.addFault({ kind: 'slow', delayMs: 1500, match: { task: id, purpose: 'specialist' }, times: 1 });
    const handle = await startTask(h.client, h.taskQueue, TaskInputSchema.parse({ objective: DB_TASK }), id);
    await untilState(handle, (state) => state.status === 'running');
    // As `temporal workflow signal --name flagStale` sends it without --input, and other shapes.
    await handle.signal('flagStale');
    await handle.signal('flagStale', { reason: 5 });
    await handle.signal('flagStale', 'x');
    await handle.signal('requeue', null);
    await handle.signal('requeue', { action: 'nuke' });
    await handle.signal('budgetAdmitted');
    await handle.signal('budgetAdmitted', { check: 'one' });
    // Names it does not take, as typed by hand: kept unread without a word, before.
    await handle.signal('flagstale', { reason: 'typo' });
    await handle.signal('nudge', {});
    const state = await handle.query(stateQuery);
    expect(state.stale).toBeUndefined();
    try {
      await eventually('the warnings of the two unknown signals', async () => (warnings.filter((w) => /^signal "/.test(w)).length >= 2 ? true : undefined));
    } finally {
      stopHearing();
    }
    expect(warnings).toContain('signal "flagstale" ignored: agentTask takes no such signal (it takes flagStale, requeue, budgetAdmitted); did you mean flagStale? Names are case-sensitive');
    expect(warnings).toContain('signal "nudge" ignored: agentTask takes no such signal (it takes flagStale, requeue, budgetAdmitted)');
    const outcome = (await handle.result()) as TaskOutcome;
    expect(outcome.status).toBe('completed');
    expect(outcome.stale).toBeUndefined();
    // Not one workflow task failed on them.
    const failedTasks = ((await handle.fetchHistory()).events ?? []).filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
    expect(failedTasks).toEqual([]);
  });

  it('creates its Schedule idempotently and brings it in line with the configuration', async () => {
    const scheduleId = `sweeper-test-${Date.now()}`;
    try {
      expect(await ensureSweeperSchedule(h.client, { taskQueue: h.taskQueue, every: '15m', policy: 'flag', scheduleId })).toEqual({ schedule: 'created', overrode: [] });
      // Another worker's settings: what it changed is said, so the worker can warn.
      expect(await ensureSweeperSchedule(h.client, { taskQueue: h.taskQueue, every: '5m', policy: 'requeue', scheduleId })).toEqual({ schedule: 'updated', overrode: ['policy flag → requeue', 'every 900s → 300s'] });
      expect(await ensureSweeperSchedule(h.client, { taskQueue: h.taskQueue, every: '300s', policy: 'requeue', scheduleId })).toEqual({ schedule: 'updated', overrode: [] });
      const description = await h.client.schedule.getHandle(scheduleId).describe();
      expect(description.spec.intervals).toEqual([expect.objectContaining({ every: 5 * 60_000 })]);
      expect(description.action).toEqual(expect.objectContaining({ workflowType: 'staleTaskSweeper', args: [{ policy: 'requeue', taskQueue: h.taskQueue }] }));
    } finally {
      await h.client.schedule.getHandle(scheduleId).delete();
    }
  });
});
