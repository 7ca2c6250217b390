import { QueryNotRegisteredError, WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import { PantheonError } from '../errors';
import type { Roster } from '../specialists/roster';
import { describeIssues, retryOrderIssues, TaskInputSchema, type Task } from '../tasks/task-input';
import { childLineage, lineageOf, type LineageInput } from '../tasks/lineage';
import type { agentTask } from '../workflows';
import { stateQuery } from '../workflows/agent-task-api';
import { TaskPriority, TaskRootTask, TaskStatus } from '../workflows/search-attributes';

/**
 * The lineage of a subtask of `parentTaskId`: its root, and one level deeper. The parent's own
 * lineage comes from its state query (a worker answers it, for running and ended tasks alike).
 */
export async function lineageUnder(client: Client, parentTaskId: string, field = '--parent'): Promise<LineageInput> {
  let parent;
  try {
    parent = await client.workflow.getHandle(parentTaskId).query(stateQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      throw PantheonError.of('invalid_input', `${field}: no task "${parentTaskId}"`, { details: { field } });
    }
    if (err instanceof QueryNotRegisteredError) {
      throw PantheonError.of('invalid_input', `${field}: "${parentTaskId}" is not a task (a God, chain or ledger workflow, say: those start their own tasks); name a task, or leave the lineage out`, { details: { field } });
    }
    throw err;
  }
  return childLineage(parentTaskId, parent.lineage ?? lineageOf(parentTaskId, undefined));
}

/**
 * A lineage given with the task (`--json`) must be the one its parent gives: its root, one level
 * deeper. Taken on trust, a copy of a parent's input would start its subtask at the parent's own
 * depth, and a spawner doing that would never reach max_spawn_depth. The parent must be a task:
 * God and a chain start their own tasks, with the lineage they hold, and a lineage naming one
 * cannot be checked here (a copy of a God-started task's input would stay at depth 1 forever).
 */
export async function checkedLineage(client: Client, given: LineageInput): Promise<LineageInput> {
  const expected = await lineageUnder(client, given.parentTaskId, 'lineage.parentTaskId');
  if (expected.rootTaskId !== given.rootTaskId || expected.spawnDepth !== given.spawnDepth) {
    throw PantheonError.of(
      'invalid_input',
      `lineage: a subtask of "${given.parentTaskId}" has root "${expected.rootTaskId}" and spawn depth ${expected.spawnDepth}, not root "${given.rootTaskId}" and depth ${given.spawnDepth} (or use --parent and leave lineage out)`,
      { details: { field: 'lineage', expected } },
    );
  }
  return given;
}

/**
 * Checks a task completely before anything starts: the schema, then the specialist against the
 * roster. Bad input throws an `invalid_input` / `unknown_specialist` error naming the field.
 */
export function checkTask(input: unknown, roster: Roster): Task {
  const parsed = TaskInputSchema.safeParse(input);
  if (!parsed.success) {
    const issues = describeIssues(parsed.error);
    throw PantheonError.of('invalid_input', `invalid task: ${issues.join('; ')}`, { details: { issues } });
  }
  const task = parsed.data;
  const order = retryOrderIssues(task.retry);
  if (order.length) throw PantheonError.of('invalid_input', `invalid task: ${order.join('; ')}`, { details: { issues: order } });
  if (task.specialist && !roster.get(task.specialist)) throw unknownSpecialistError(task.specialist, roster.specialists.map((s) => s.name));
  return task;
}

/** A task naming a specialist nobody knows: the names that are known, and why the list may be short. */
export function unknownSpecialistError(name: string, knownNames: readonly string[], note?: string): PantheonError {
  const known = knownNames.join(', ');
  return PantheonError.of('unknown_specialist', `invalid task: specialist: unknown "${name}" (known: ${known})${note ? `; ${note}` : ''}`, { details: { field: 'specialist', known } });
}

export function newTaskId(): string {
  return `task-${randomUUID()}`;
}

/**
 * Starts an agentTask workflow for a checked task. A task id is used once: an id that already has
 * a workflow, running or ended, is refused (WorkflowExecutionAlreadyStartedError), so a submit
 * retried after a lost answer never runs, and bills, the task a second time. God starts its tasks
 * the same way; a dead letter runs again through `pantheon dlq redrive`, under a new id.
 */
export function startTask(client: Client, taskQueue: string, task: Task, workflowId = newTaskId()): Promise<WorkflowHandle<typeof agentTask>> {
  return client.workflow.start<typeof agentTask>('agentTask', {
    taskQueue,
    workflowId,
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    args: [task],
    staticSummary: task.objective.slice(0, 200),
    typedSearchAttributes: [
      { key: TaskStatus, value: 'queued' },
      { key: TaskPriority, value: task.priority },
      { key: TaskRootTask, value: task.lineage?.rootTaskId ?? workflowId },
    ],
  });
}
