import { WorkflowNotFoundError, type Client, type WorkflowExecutionDescription, type WorkflowExecutionInfo } from '@temporalio/client';
import { PantheonError } from '../errors';
import type { agentTask } from '../workflows';
import { stateQuery } from '../workflows/agent-task-api';
import { TaskCostUsd, TaskIterations, TaskSpecialist, TaskStatus } from '../workflows/search-attributes';
import type { ChainState } from '../tasks/chain';
import { closedResult } from '../tasks/closed-outcome';
import type { TaskState } from '../workflows/task-state';
import { cancelRequestOf, type CancelRequest } from './cancel-request';
import { liveRuns, type LiveRun } from './live-run';
import { noAnswer } from './no-answer';
import { retryingActivities, type RetryingActivity } from './retrying-activities';
import { listedStatus } from './listed-status';
import { stoppedFromOutside, type Stopped } from './stopped-from-outside';

/** The state of one task (or chain: its `state` query has the same name): its live query answer,
 * the activities it is retrying and its specialist run's last checkpoint while running, its
 * outcome once ended (completed, or failed with the outcome attached). */
export async function taskState(
  client: Client,
  workflowId: string,
): Promise<{
  execution: string;
  state?: TaskState | ChainState;
  retrying?: RetryingActivity[];
  live?: LiveRun[];
  runningStep?: RunningStep;
  cancelRequest?: CancelRequest;
  unanswered?: UnansweredTask;
  /** A closed task with no outcome of its own (terminated, timed out): its search attributes. */
  recorded?: RecordedAttributes;
  stopped?: Stopped;
}> {
  const handle = client.workflow.getHandle<typeof agentTask>(workflowId);
  const description = await handle.describe().catch((err: unknown) => {
    if (err instanceof WorkflowNotFoundError) throw PantheonError.of('invalid_input', `task-id: no task "${workflowId}"`, { details: { field: 'task-id', notFound: true } });
    throw err;
  });
  if (description.type !== 'agentTask' && description.type !== 'taskChain') {
    throw PantheonError.of('invalid_input', `task-id: "${workflowId}" is a ${description.type} workflow, not a task`, { details: { field: 'task-id' } });
  }
  if (description.status.name === 'RUNNING') {
    const pending = description.raw.pendingActivities;
    // A worker replays the task to answer; with none polling, the query would wait out the
    // server's own deadline and fail bare. The server still knows the task's search attributes.
    const deadlineMs = Date.now() + STATE_QUERY_TIMEOUT_MS;
    const state = (await client.withDeadline(deadlineMs, () => handle.query(stateQuery)).catch((err: unknown) => {
      if (noAnswer(err, deadlineMs)) return undefined;
      throw err;
    })) as TaskState | ChainState | undefined;
    if (!state) {
      const unanswered: UnansweredTask = { taskQueue: description.taskQueue, ...recordedAttributes(description) };
      const live = await liveRuns(client.workflow.options.loadedDataConverter, pending, Date.now());
      return { execution: 'RUNNING', unanswered, retrying: retryingActivities(pending, Date.now()), live };
    }
    if ('steps' in state) {
      // A chain runs nothing itself: its progress and its waits are its running step's.
      const runningStep = await runningStepOf(client, state);
      return { execution: 'RUNNING', state, retrying: retryingActivities(pending, Date.now()), live: runningStep?.live ?? [], ...(runningStep && { runningStep }) };
    }
    // The runs still pending once the state was read: one that returned between the first read and
    // the query would be in the state's cost and in a live line too, counted twice.
    const after = await handle.describe().catch(() => undefined);
    if (after && after.status.name !== 'RUNNING') return taskState(client, workflowId);
    const stillPending = after?.raw.pendingActivities ?? pending;
    const live = await liveRuns(client.workflow.options.loadedDataConverter, stillPending, Date.now());
    return { execution: 'RUNNING', state, retrying: retryingActivities(stillPending, Date.now()), live };
  }
  const execution = description.status.name;
  if (execution !== 'COMPLETED' && execution !== 'FAILED') {
    // Stopped from outside (terminated, timed out): no outcome of its own; what the server records of it, and how it was stopped.
    const stopped = await stoppedFromOutside(client, description);
    return { execution, recorded: recordedAttributes(description), ...(stopped && { stopped }) };
  }
  // A dead-lettered or budget-exceeded task failed with its outcome attached; another failure has none.
  const closed = client.workflow.getHandle<typeof agentTask>(workflowId, description.runId, { followRuns: false });
  const state = await closedResult(closed).catch((err: unknown) => {
    if (execution === 'FAILED') return undefined;
    throw err;
  });
  // A cancelled task's outcome says only "cancelled by request": who asked and why is in its history.
  const cancelRequest = state?.status === 'cancelled' ? await cancelRequestOf(client, workflowId, description.runId) : undefined;
  // A failure without an outcome attached: what the server records is all there is.
  return { execution, state, ...(cancelRequest && { cancelRequest }), ...(!state && { recorded: recordedAttributes(description) }) };
}

/** How long a running task's state query may wait for a worker to answer it. */
export const STATE_QUERY_TIMEOUT_MS = 10_000;

/** What the server records of a task whose own state cannot be read: its search attributes, as of their last upsert. */
export interface RecordedAttributes {
  /** PantheonStatus: what the task last said it was doing (`running` for one terminated mid-run). */
  status?: string;
  specialist?: string;
  costUsd?: number;
  iterations?: number;
}

function recordedAttributes(description: WorkflowExecutionDescription): RecordedAttributes {
  const attrs = description.typedSearchAttributes;
  return { status: attrs.get(TaskStatus), specialist: attrs.get(TaskSpecialist), costUsd: attrs.get(TaskCostUsd), iterations: attrs.get(TaskIterations) };
}

/** A running task whose state query no worker answered: what the server records of it. */
export interface UnansweredTask extends RecordedAttributes {
  taskQueue: string;
}

/** A chain's running step as `taskState` reads it: its own state and its specialist runs, named by the step. */
export interface RunningStep {
  step: number;
  state: TaskState;
  live: LiveRun[];
}

/** The step a running chain is running now (a child task); undefined when none runs or it cannot be read. */
export async function runningStepOf(client: Client, chain: ChainState): Promise<RunningStep | undefined> {
  const step = chain.steps[chain.current];
  if (step?.status !== 'running') return undefined;
  const inner = await taskState(client, step.taskId).catch(() => undefined);
  if (!inner?.state || 'steps' in inner.state) return undefined;
  return { step: step.step, state: inner.state, live: (inner.live ?? []).map((run) => ({ ...run, step: step.step })) };
}

export function taskRow(info: WorkflowExecutionInfo): { id: string; status: string; specialist: string; cost: number; started: Date } {
  const attrs = info.typedSearchAttributes;
  return {
    id: info.workflowId,
    status: listedStatus(attrs.get(TaskStatus), info.status.name),
    specialist: attrs.get(TaskSpecialist) ?? '-',
    cost: attrs.get(TaskCostUsd) ?? 0,
    started: info.startTime,
  };
}

