import type { ChildProcess } from 'node:child_process';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { startTask } from '../../src/client/submit-task';
import { TaskInputSchema } from '../../src/tasks/task-input';
import { requeueSignal, stateQuery } from '../../src/workflows/agent-task-api';
import type { TaskOutcome, TaskState } from '../../src/workflows/task-state';
import { killWorkerProcess, workerFleetSuite } from '../support/worker-process';
import { maybeRecordHistory } from '../support/history';
import { billed } from '../support/billed';

/**
 * A requeue or a cancel that reaches a task whose run's worker has died. The cancel cannot be
 * delivered (the activity learns of one only from a heartbeat's answer), so the run ends by its
 * heartbeat timeout, and the engine, with a cancel pending, does not retry it: the failure says
 * CANCEL_REQUESTED, not cancelled. The task must treat that as the stop it asked for (requeue or
 * cancel), not as the specialist failing: dead-lettering it would throw away a task nothing was
 * wrong with.
 */
const EventType = temporal.api.enums.v1.EventType;
const RetryState = temporal.api.enums.v1.RetryState;
const DB_TASK = 'Add a unique index on users.email in the Postgres database';

const suite = workerFleetSuite('deadcancel');
const { fleet } = suite;
const { taskQueue } = fleet;
const startWorkerProcess = (): ChildProcess => fleet.start(suite.provider.url);

async function untilState(handle: WorkflowHandle, ready: (state: TaskState) => boolean): Promise<TaskState> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const state = await handle.query(stateQuery);
    if (ready(state)) return state;
    if (Date.now() > deadline) throw new Error(`timed out waiting on ${handle.workflowId}; its state: ${JSON.stringify(state).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function until(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** How many distinct workers poll the task queue for workflow tasks. */
async function workflowPollers(): Promise<number> {
  const { pollers } = await suite.client.workflowService.describeTaskQueue({
    namespace: 'default',
    taskQueue: { name: taskQueue },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  return new Set((pollers ?? []).map((p) => p.identity)).size;
}

/** How long ago the task's running activity last heartbeat, by the server's record. */
async function lastHeartbeatAgoMs(handle: WorkflowHandle): Promise<number> {
  const pending = (await handle.describe()).raw.pendingActivities ?? [];
  const at = pending.find((a) => a.activityType?.name === 'runSpecialist')?.lastHeartbeatTime;
  if (!at) return Infinity;
  return Date.now() - (Number(at.seconds) * 1000 + Math.floor((at.nanos ?? 0) / 1e6));
}

/** How each runSpecialist activity of the task ended, with the engine's retry state. */
async function specialistRunEnds(handle: WorkflowHandle): Promise<{ how: string; retryState?: string }[]> {
  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = new Set(events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'runSpecialist').map((e) => Number(e.eventId)));
  const ends: { how: string; retryState?: string }[] = [];
  for (const e of events) {
    const attrs = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes ?? e.activityTaskTimedOutEventAttributes ?? e.activityTaskCanceledEventAttributes;
    if (!attrs || !scheduled.has(Number(attrs.scheduledEventId))) continue;
    const retryState = 'retryState' in attrs && attrs.retryState ? RetryState[attrs.retryState] : undefined;
    ends.push({ how: EventType[e.eventType!], ...(retryState && { retryState }) });
  }
  return ends;
}

it('a requeue or a cancel that finds the run\'s worker dead: the requeued task runs again and completes, the cancelled one ends cancelled; neither is dead-lettered', async () => {
  const first = startWorkerProcess();
  const ids = { requeued: `${taskQueue}-requeued`, cancelled: `${taskQueue}-cancelled` };
  // The run to be requeued finishes one iteration (checkpointed), then its next call never
  // answers; the one to be cancelled hangs on its first. Each is mid-call when its worker dies.
  suite.provider.addFault({ kind: 'hang', match: { task: ids.requeued, purpose: 'specialist' }, calls: [2] });
  suite.provider.addFault({ kind: 'hang', match: { task: ids.cancelled, purpose: 'specialist' }, calls: [1] });
  const requeued = await startTask(suite.client, taskQueue, TaskInputSchema.parse({ objective: DB_TASK }), ids.requeued);
  const cancelled = await startTask(suite.client, taskQueue, TaskInputSchema.parse({ objective: DB_TASK }), ids.cancelled);
  const callsOf = (id: string) => suite.provider.calls().filter((c) => c.task === id);
  const specialistCalls = (id: string) => callsOf(id).filter((c) => c.purpose === 'specialist').length;
  await until(() => specialistCalls(ids.requeued) === 2 && specialistCalls(ids.cancelled) === 1, 90_000, 'both runs mid-call');
  // The new run's first call is held a while, so the requeued task can be seen running it.
  suite.provider.addFault({ kind: 'slow', delayMs: 4000, match: { task: ids.requeued, purpose: 'specialist' }, calls: [1] });

  // A second worker is polling before the first dies, so the requeue and the cancel are handled
  // within seconds, long before the dead run's heartbeat timeout (15 s) ends it.
  startWorkerProcess();
  await until(async () => (await workflowPollers()) >= 2, 90_000, 'the second worker polling');
  // Killed just after both runs heartbeat (every 5 s): the requeue and the cancel then have most
  // of the 15 s heartbeat timeout to be recorded, even on a loaded machine.
  await until(async () => (await Promise.all([requeued, cancelled].map(lastHeartbeatAgoMs))).every((ago) => ago < 2_000), 90_000, 'both runs to have just heartbeat');
  await killWorkerProcess(first);
  for (const handle of [requeued, cancelled]) {
    // The dead worker's sticky queue would hold the next workflow task for seconds: send it to the live one.
    await suite.client.workflowService.resetStickyTaskQueue({ namespace: 'default', execution: { workflowId: handle.workflowId } });
  }
  await requeued.signal(requeueSignal, { reason: 'test: the run is stuck' });
  await cancelled.cancel();

  // The abandoned run's answered call (from its last checkpoint) is in the running total of the
  // new run, with routing's: the task's books, not only its final bill, hold what it spent.
  const running = await untilState(requeued, (s) => s.requeues === 1 && s.status === 'running');
  const [answered] = callsOf(ids.requeued).filter((c) => c.purpose === 'specialist');
  expect(billed([answered])).toBeGreaterThan(0);
  expect(running.costUsd).toBeGreaterThanOrEqual(billed([answered, ...callsOf(ids.requeued).filter((c) => c.purpose !== 'specialist')]) - 1e-12);

  const [requeuedOutcome, cancelledOutcome] = (await Promise.all([requeued.result(), cancelled.result()])) as TaskOutcome[];
  // The scenario held: each abandoned run ended by its timeout with the cancel pending.
  expect((await specialistRunEnds(requeued))[0]).toEqual({ how: 'EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT', retryState: 'RETRY_STATE_CANCEL_REQUESTED' });
  expect((await specialistRunEnds(cancelled))[0]).toEqual({ how: 'EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT', retryState: 'RETRY_STATE_CANCEL_REQUESTED' });

  expect(requeuedOutcome).toMatchObject({ status: 'completed', requeues: 1 });
  expect(requeuedOutcome.failures).toEqual([]);
  expect(specialistCalls(ids.requeued)).toBeGreaterThan(2);
  expect(cancelledOutcome.status).toBe('cancelled');
  expect(cancelledOutcome.reasons).toEqual(['cancelled by request']);
  // The hung calls may have been billed: each task's bill holds its worst case.
  for (const outcome of [requeuedOutcome, cancelledOutcome]) expect(outcome.bill!.usd).toBeGreaterThan(0);
  await maybeRecordHistory(requeued.workflowId, 'requeue-finds-worker-dead');
  await maybeRecordHistory(cancelled.workflowId, 'cancel-finds-worker-dead');
});
