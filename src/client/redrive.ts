import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { PantheonError } from '../errors';
import type { agentTask } from '../workflows';
import { TaskPriority, TaskRedriveOf, TaskStatus } from '../workflows/search-attributes';

export interface RedriveResult {
  deadLetterId: string;
  newId: string;
  /** True when this dead letter had been redriven before; nothing new was started. */
  alreadyRedriven: boolean;
}

/** The task a workflow was started with, read from its first history event. */
async function originalInput(client: Client, workflowId: string): Promise<unknown> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) throw PantheonError.of('invalid_input', `task ${workflowId} has no recorded input`, { details: { workflowId } });
  return defaultPayloadConverter.fromPayload(payload);
}

/**
 * Runs a dead-lettered task again as a new workflow (`<id>-redrive`) linked to the old one by
 * the PantheonRedriveOf search attribute, on the dead letter's own task queue (the workers that
 * ran it; not whichever queue the caller's shell names). Each dead letter is redriven at most once.
 */
export async function redriveTask(client: Client, deadLetterId: string): Promise<RedriveResult> {
  const description = await client.workflow.getHandle(deadLetterId).describe();
  const status = description.typedSearchAttributes.get(TaskStatus);
  if (status !== 'dead_lettered') {
    throw PantheonError.of('invalid_input', `task ${deadLetterId} is ${status ?? description.status.name.toLowerCase()}, not dead_lettered`, {
      details: { workflowId: deadLetterId },
    });
  }
  const input = await originalInput(client, deadLetterId);
  const newId = `${deadLetterId}-redrive`;
  try {
    await client.workflow.start<typeof agentTask>('agentTask', {
      taskQueue: description.taskQueue,
      workflowId: newId,
      args: [input],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      staticSummary: `redrive of ${deadLetterId}`,
      typedSearchAttributes: [
        { key: TaskStatus, value: 'queued' },
        { key: TaskPriority, value: description.typedSearchAttributes.get(TaskPriority) ?? 'normal' },
        { key: TaskRedriveOf, value: deadLetterId },
      ],
    });
    return { deadLetterId, newId, alreadyRedriven: false };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { deadLetterId, newId, alreadyRedriven: true };
    throw err;
  }
}

export interface DeadLetter {
  id: string;
  /** The dead letter this one was a redrive of: it failed again. */
  redriveOf?: string;
}

/** Every dead-lettered task, newest first. */
export async function listDeadLetters(client: Client, limit: number): Promise<DeadLetter[]> {
  const found: DeadLetter[] = [];
  for await (const info of client.workflow.list({ query: "WorkflowType = 'agentTask' AND PantheonStatus = 'dead_lettered'", pageSize: 100 })) {
    const redriveOf = info.typedSearchAttributes.get(TaskRedriveOf);
    found.push({ id: info.workflowId, ...(redriveOf && { redriveOf }) });
    if (found.length >= limit) break;
  }
  return found;
}

/**
 * What `dlq redrive --all` starts: every dead letter but the redrives that dead-lettered too. Those
 * failed twice on the same input; run after run, --all would loop such a poison task, one more
 * paid attempt each time. They are skipped (named, so an operator can redrive one on purpose).
 */
export function redrivesForAll(letters: readonly DeadLetter[]): { ids: string[]; skipped: DeadLetter[] } {
  return { ids: letters.filter((l) => !l.redriveOf).map((l) => l.id), skipped: letters.filter((l) => l.redriveOf) };
}
