import { WorkflowNotFoundError, type Client, type WorkflowExecutionInfo } from '@temporalio/client';
import { PantheonError } from '../errors';
import type { agentTask } from '../workflows';
import { stateQuery } from '../workflows/agent-task-api';
import { TaskCostUsd, TaskSpecialist, TaskStatus } from '../workflows/search-attributes';
import type { ChainState } from '../tasks/chain';
import { closedResult } from '../tasks/closed-outcome';
import type { TaskState } from '../workflows/task-state';
import { liveRuns, type LiveRun } from './live-run';
import { retryingActivities, type RetryingActivity } from './retrying-activities';

/** The state of one task (or chain: its `state` query has the same name): its live query answer,
 * the activities it is retrying and its specialist run's last checkpoint while running, its
 * outcome once ended (completed, or failed with the outcome attached). */
export async function taskState(
  client: Client,
  workflowId: string,
): Promise<{ execution: string; state?: TaskState | ChainState; retrying?: RetryingActivity[]; live?: LiveRun[]; runningStep?: { step: number; state: TaskState } }> {
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
    const state = (await handle.query(stateQuery)) as TaskState | ChainState;
    const live = 'steps' in state ? await runningStepRuns(client, state) : await liveRuns(client.workflow.options.loadedDataConverter, pending, Date.now());
    const runningStep = 'steps' in state ? await runningStepState(client, state) : undefined;
    return { execution: 'RUNNING', state, retrying: retryingActivities(pending, Date.now()), live, ...(runningStep && { runningStep }) };
  }
  const execution = description.status.name;
  if (execution !== 'COMPLETED' && execution !== 'FAILED') return { execution };
  // A dead-lettered or budget-exceeded task failed with its outcome attached; another failure has none.
  const closed = client.workflow.getHandle<typeof agentTask>(workflowId, description.runId, { followRuns: false });
  const state = await closedResult(closed).catch((err: unknown) => {
    if (execution === 'FAILED') return undefined;
    throw err;
  });
  return { execution, state };
}

/** The step a chain is running now, if any. */
function runningStepOf(chain: ChainState): ChainState['steps'][number] | undefined {
  const step = chain.steps[chain.current];
  return step?.status === 'running' ? step : undefined;
}

/** A chain's specialist runs are its running step's (a child task): that step's checkpoint, named by its step. */
export async function runningStepRuns(client: Client, chain: ChainState): Promise<LiveRun[]> {
  const step = runningStepOf(chain);
  if (!step) return [];
  try {
    const { raw } = await client.workflow.getHandle(step.taskId).describe();
    const runs = await liveRuns(client.workflow.options.loadedDataConverter, raw.pendingActivities, Date.now());
    return runs.map((run) => ({ ...run, step: step.step }));
  } catch {
    return []; // the step ended or is not started yet: the chain's own lines say where it is
  }
}

/** A running chain's running step's own state (its wait for budget is there, not in the chain's). */
async function runningStepState(client: Client, chain: ChainState): Promise<{ step: number; state: TaskState } | undefined> {
  const step = runningStepOf(chain);
  if (!step) return undefined;
  const state = await client.workflow.getHandle(step.taskId).query(stateQuery).catch(() => undefined);
  return state ? { step: step.step, state: state as TaskState } : undefined;
}

export function taskRow(info: WorkflowExecutionInfo): { id: string; status: string; specialist: string; cost: number; started: Date } {
  const attrs = info.typedSearchAttributes;
  return {
    id: info.workflowId,
    status: attrs.get(TaskStatus) ?? info.status.name.toLowerCase(),
    specialist: attrs.get(TaskSpecialist) ?? '-',
    cost: attrs.get(TaskCostUsd) ?? 0,
    started: info.startTime,
  };
}

