import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { TaskOutcome } from '../../src/workflows/task-state';
import { stateQuery } from '../../src/workflows/agent-task-api';
import { submitTaskUpdate } from '../../src/workflows/god-api';
import { startHarness, type Harness } from '../support/harness';
import { maybeRecordHistory } from '../support/history';
import { eventually } from '../support/eventually';
import { GrpcOutage } from '../support/grpc-outage';
import { startWebhookReceiver } from '../support/webhook';
import { godDecisions, godQueue, godStatus, startTestGod } from '../support/god';

/**
 * God through outages of the Temporal frontend it leans on (the real client, its calls failing
 * with UNAVAILABLE before they leave the process): the ledger's query it reads the runway with,
 * and the describe calls that reconcile its in-flight tasks. God is long-lived: a read that fails
 * must cost a tick, never a decision taken blind, and never God itself.
 */
const EventType = temporal.api.enums.v1.EventType;
const DB_TASK = 'Add a created_at column with an index to the orders table in Postgres';

const outage = new GrpcOutage();
let h: Harness;
let webhook: Awaited<ReturnType<typeof startWebhookReceiver>>;
const gods: WorkflowHandle[] = [];

beforeAll(async () => {
  webhook = await startWebhookReceiver();
  h = await startHarness('god-outages', { connectionInterceptors: [outage.interceptor], alertWebhookUrl: webhook.url });
});

afterAll(async () => {
  await Promise.all(gods.map((g) => g.terminate('test over').catch(() => undefined)));
  await h?.stop();
  await webhook?.close();
});

async function startGod(name: string): Promise<WorkflowHandle> {
  const god = await startTestGod(h.client, { id: `${name}-${process.pid}-${Date.now()}`, taskQueue: h.taskQueue, config: { routingSeed: 1, reconcileEveryTicks: 1 } });
  gods.push(god);
  // God has read the runway once: it has a runway it could go on using.
  await eventually('God to read the runway', async () => (await godStatus(god)).runway);
  // And has finished that first tick (it sleeps on its tick timer): a submit that lands while the
  // tick still runs is assessed on the runway that tick read, before any outage a test takes.
  await until('God to finish its first tick', async () => (await historyOf(god)).some((e) => e.eventType === EventType.EVENT_TYPE_TIMER_STARTED));
  return god;
}

/** God's history (read with GetWorkflowExecutionHistory, which no outage here touches). */
async function historyOf(god: WorkflowHandle) {
  return (await god.fetchHistory()).events ?? [];
}

/** How many activities of this type failed (all their attempts) in God's history. */
async function failedActivities(god: WorkflowHandle, type: string): Promise<number> {
  const events = await historyOf(god);
  const ofType = new Set(events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === type).map((e) => Number(e.eventId)));
  return events.filter((e) => e.activityTaskFailedEventAttributes && ofType.has(Number(e.activityTaskFailedEventAttributes.scheduledEventId))).length;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  await eventually(what, async () => ((await check()) ? true : undefined), timeoutMs, 200);
}

async function exists(workflowId: string): Promise<boolean> {
  try {
    await h.client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

const submit = (god: WorkflowHandle, taskId: string) => god.executeUpdate(submitTaskUpdate, { args: [{ task: { objective: DB_TASK }, taskId }] });

it('admits nothing while the budget ledger cannot be read (not on the runway it read before), and admits the task once it can', async () => {
  const god = await startGod('god-runway-outage');
  const taskId = `${god.workflowId}-task`;
  outage.take('QueryWorkflow');
  try {
    const before = await failedActivities(god, 'readRunway');
    expect((await submit(god, taskId)).accepted).toBe(true);
    // Five ticks in a row whose reads failed (the one that took the submit among them): God
    // alerted an operator, and its history shows it started nothing all the while.
    await until('five failed runway reads after the submit', async () => (await failedActivities(god, 'readRunway')) >= before + 5);
    await until('the outage alert', async () => webhook.received.some((a) => a.kind === 'god_outage' && (a.details as { godId?: string }).godId === god.workflowId));
    expect(webhook.received.find((a) => a.kind === 'god_outage' && (a.details as { godId?: string }).godId === god.workflowId)).toMatchObject({ details: { what: 'ledger_unreadable' } });
    const events = await historyOf(god);
    expect(events.filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)).toEqual([]);
    expect(events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'assessTask')).toEqual([]);
  } finally {
    outage.restore('QueryWorkflow');
  }
  expect(outage.failed.get('QueryWorkflow')).toBeGreaterThan(0);
  await until('God to start the task once the ledger answers', () => exists(taskId));
  expect(((await h.client.workflow.getHandle(taskId).result()) as TaskOutcome).status).toBe('completed');
  await maybeRecordHistory(god.workflowId, 'god-admits-on-fresh-runway');
});

it('keeps running when the server cannot describe its in-flight tasks, and hears their ends after', async () => {
  const god = await startGod('god-reconcile-outage');
  const taskId = `${god.workflowId}-task`;
  // The task's first two specialist calls are held past the client's timeout (10 s), so the task
  // is in flight for 20 s or more while the outage lasts.
  h.provider.addFault({ kind: 'slow', delayMs: 25_000, match: { task: taskId, purpose: 'specialist' }, calls: [1, 2] });
  expect((await submit(god, taskId)).accepted).toBe(true);
  await until('God to start the task', () => exists(taskId));
  // Past its validation, which reads God's constraints with a describe too (an outage then would
  // dead-letter the task, leaving God nothing in flight to reconcile): its specialist is running.
  await until('the task to run its specialist', async () => (await h.client.workflow.getHandle(taskId).query(stateQuery)).status === 'running');
  outage.take('DescribeWorkflowExecution');
  try {
    await until('a reconcile that failed through its retries', async () => (await failedActivities(god, 'reconcileTasks')) >= 1);
    // God ticks on after it (another runway read is scheduled), or it failed.
    await until('God to tick on, or fail', async () => {
      const events = await historyOf(god);
      const reconciles = new Set(events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'reconcileTasks').map((e) => Number(e.eventId)));
      const failedAt = events.findIndex((e) => e.activityTaskFailedEventAttributes && reconciles.has(Number(e.activityTaskFailedEventAttributes.scheduledEventId)));
      return events.slice(failedAt).some((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED || e.activityTaskScheduledEventAttributes?.activityType?.name === 'readRunway');
    });
    // Three in a row: an operator hears of it (God now waits for its periodic reconcile).
    await until('three failed reconciles, or God failed', async () => (await failedActivities(god, 'reconcileTasks')) >= 3 || (await historyOf(god)).some((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED));
    await until('the outage alert', async () => webhook.received.some((a) => a.kind === 'god_outage' && (a.details as { what?: string }).what === 'reconcile_failing' && (a.details as { godId?: string }).godId === god.workflowId), 30_000);
  } finally {
    outage.restore('DescribeWorkflowExecution');
  }
  await maybeRecordHistory(god.workflowId, 'god-survives-failed-reconcile');
  expect((await god.describe()).status.name).toBe('RUNNING');
  expect(((await h.client.workflow.getHandle(taskId).result()) as TaskOutcome).status).toBe('completed');
  await eventually('God to hear the task finished', async () => (await godDecisions(god)).find((d) => d.taskId === taskId && d.kind === 'finished'));
});

it('backs off a task whose assessment keeps failing and assesses the others meanwhile, saying why it waits', async () => {
  const god = await startGod('god-assess-backoff');
  const poisonId = `${god.workflowId}-poison`;
  // No keyword fits, so the assessment asks the classifier (billed to God's assessment of the
  // task), whose provider refuses it every time.
  h.provider.addFault({ kind: 'quota_exhausted', match: { task: `${god.workflowId}:assess:${poisonId}`, purpose: 'router' } });
  await god.executeUpdate(submitTaskUpdate, { args: [{ task: { objective: 'Which open questions remain about the cited durability claims of Kafka and Pulsar? Keep the writeup concise.' }, taskId: poisonId }] });
  await until('the first failed assessment', async () => (await failedActivities(god, 'assessTask')) >= 1);
  const readsAtFailure = (await historyOf(god)).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'readRunway').length;

  const goodId = `${god.workflowId}-good`;
  expect((await submit(god, goodId)).accepted).toBe(true);
  await until('the other task to start', () => exists(goodId));
  // Five more ticks: the failed task was not assessed again in any of them (it waits 30 s).
  await until('five more ticks', async () => (await historyOf(god)).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'readRunway').length >= readsAtFailure + 5);
  expect(await failedActivities(god, 'assessTask')).toBe(1);
  const waiting = (await godQueue(god)).find((q) => q.taskId === poisonId);
  expect(waiting).toMatchObject({ status: 'assessing' });
  expect(waiting?.waitReason).toMatch(/^assessment failed 1 time in a row \(.*quota.*\); tried again in 30 s$/);
  expect(((await h.client.workflow.getHandle(goodId).result()) as TaskOutcome).status).toBe('completed');
  await maybeRecordHistory(god.workflowId, 'god-backs-off-failed-assessments');
});

