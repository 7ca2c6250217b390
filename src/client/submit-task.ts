import type { Client, WorkflowHandle } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { PantheonError } from '../errors';
import type { Roster } from '../specialists/roster';
import { describeIssues, TaskInputSchema, type Task } from '../tasks/task-input';
import type { agentTask } from '../workflows';
import { TaskPriority, TaskStatus } from '../workflows/search-attributes';

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
  if (task.specialist && !roster.get(task.specialist)) {
    const known = roster.specialists.map((s) => s.name).join(', ');
    throw PantheonError.of('unknown_specialist', `invalid task: specialist: unknown "${task.specialist}" (known: ${known})`, {
      details: { field: 'specialist', known },
    });
  }
  return task;
}

export function newTaskId(): string {
  return `task-${randomUUID()}`;
}

/** Starts an agentTask workflow for a checked task. */
export function startTask(client: Client, taskQueue: string, task: Task, workflowId = newTaskId()): Promise<WorkflowHandle<typeof agentTask>> {
  return client.workflow.start<typeof agentTask>('agentTask', {
    taskQueue,
    workflowId,
    args: [task],
    staticSummary: task.objective.slice(0, 200),
    typedSearchAttributes: [
      { key: TaskStatus, value: 'queued' },
      { key: TaskPriority, value: task.priority },
    ],
  });
}
