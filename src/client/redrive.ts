import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client, type WorkflowExecutionDescription } from '@temporalio/client';
import { PantheonError } from '../errors';
import { runStartInput } from './decode-payloads';
import { listWithoutMemos } from './list-workflows';
import { listedStatus, STOPPED_FROM_OUTSIDE_STATUSES } from './listed-status';
import type { agentTask } from '../workflows';
import { TaskPriority, TaskRedriveOf, TaskStatus } from '../workflows/search-attributes';

export interface RedriveResult {
  deadLetterId: string;
  newId: string;
  /** True when this dead letter had been redriven before; nothing new was started. */
  alreadyRedriven: boolean;
  /** Its earlier redrive was stopped from outside (`terminated`, `timed_out`) and this one replaced it. */
  replaced?: string;
}

/** The task a workflow was started with, read from its first history event and decoded as the
 * client decodes (encrypted payloads with its keys). */
async function originalInput(client: Client, workflowId: string): Promise<unknown> {
  const input = await runStartInput(client, workflowId);
  if (input === undefined) throw PantheonError.of('invalid_input', `task ${workflowId} has no recorded input`, { details: { workflowId } });
  return input;
}

/**
 * The dead letter's input as its redrive runs it: the same task, but a specialist God's routing
 * picked (the task carries God's `pick` or its policy's `routing`) is routed afresh, so the redrive
 * meets the routing as it is now, not the pick that failed (God's policy may have quarantined it
 * since). A specialist the submitter named stays.
 */
export function redriveInput(input: unknown): unknown {
  if (typeof input !== 'object' || input === null) return input;
  const task = input as Record<string, unknown>;
  if (task.pick === undefined && task.routing === undefined) return input;
  const { specialist: _picked, pick: _pick, routing: _routing, ...rest } = task;
  return rest;
}

/**
 * Runs a dead-lettered task again as a new workflow (`<id>-redrive`) linked to the old one by
 * the PantheonRedriveOf search attribute, on the dead letter's own task queue (the workers that
 * ran it; not whichever queue the caller's shell names). Each dead letter is redriven at most once.
 */
export async function redriveTask(client: Client, deadLetterId: string): Promise<RedriveResult> {
  const description = await redrivable(client, deadLetterId);
  const input = redriveInput(await originalInput(client, deadLetterId));
  const newId = `${deadLetterId}-redrive`;
  const start = (workflowIdReusePolicy: 'REJECT_DUPLICATE' | 'ALLOW_DUPLICATE_FAILED_ONLY') =>
    client.workflow.start<typeof agentTask>('agentTask', {
      taskQueue: description.taskQueue,
      workflowId: newId,
      args: [input],
      workflowIdReusePolicy,
      staticSummary: `redrive of ${deadLetterId}`,
      typedSearchAttributes: [
        { key: TaskStatus, value: 'queued' },
        { key: TaskPriority, value: description.typedSearchAttributes.get(TaskPriority) ?? 'normal' },
        { key: TaskRedriveOf, value: deadLetterId },
      ],
    });
  try {
    await start('REJECT_DUPLICATE');
    return { deadLetterId, newId, alreadyRedriven: false };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  // A redrive stopped from outside (terminated, timed out) never ran to an outcome: naming the dead
  // letter again runs it again. Until 2026-12-07 it answered "already redriven", and such a dead
  // letter could never be redriven.
  const earlier = await redriveOfLetter(client, deadLetterId);
  if (earlier && STOPPED_FROM_OUTSIDE_STATUSES.includes(earlier.status)) {
    try {
      await start('ALLOW_DUPLICATE_FAILED_ONLY');
      return { deadLetterId, newId, alreadyRedriven: false, replaced: earlier.status };
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }
  return { deadLetterId, newId, alreadyRedriven: true };
}

/**
 * The dead letter's workflow when it can be redriven; invalid_input naming task-id otherwise (no
 * such task, a chain, another workflow, a task that is not dead-lettered). Asked of every id
 * before any is redriven, so a list with one bad id starts nothing.
 */
export async function redrivable(client: Client, deadLetterId: string): Promise<WorkflowExecutionDescription> {
  const description = await client.workflow.getHandle(deadLetterId).describe().catch((err: unknown) => {
    if (err instanceof WorkflowNotFoundError) throw PantheonError.of('invalid_input', `task-id: no task "${deadLetterId}"`, { details: { field: 'task-id' } });
    throw err;
  });
  if (description.type === 'taskChain') {
    // A chain is dead-lettered by its step; its own input is a plan, which an agentTask would refuse.
    throw PantheonError.of('invalid_input', `task-id: "${deadLetterId}" is a chain; redrive its dead-lettered step (\`pantheon dlq list\` names it: ${deadLetterId}:step-N)`, { details: { field: 'task-id' } });
  }
  if (description.type !== 'agentTask') {
    throw PantheonError.of('invalid_input', `task-id: "${deadLetterId}" is a ${description.type} workflow, not a task`, { details: { field: 'task-id' } });
  }
  const status = description.typedSearchAttributes.get(TaskStatus);
  if (status !== 'dead_lettered') {
    throw PantheonError.of('invalid_input', `task ${deadLetterId} is ${listedStatus(status, description.status.name)}, not dead_lettered`, {
      details: { workflowId: deadLetterId },
    });
  }
  return description;
}

export interface DeadLetter {
  id: string;
  /** The dead letter this one was a redrive of: it failed again. */
  redriveOf?: string;
}

const DEAD_LETTERS = "WorkflowType = 'agentTask' AND PantheonStatus = 'dead_lettered'";

/** Every dead-lettered task, newest first. */
export async function listDeadLetters(client: Client, limit: number): Promise<DeadLetter[]> {
  const found: DeadLetter[] = [];
  for await (const letter of deadLetters(client)) {
    found.push(letter);
    if (found.length >= limit) break;
  }
  return found;
}

/**
 * The visibility query matches runs, not tasks: a dead letter reset since (`temporal workflow
 * reset`) keeps its dead-lettered run beside the new one, which may have completed. A task is a
 * dead letter when its latest run is; each id is yielded once.
 */
async function* deadLetters(client: Client): AsyncGenerator<DeadLetter> {
  const seen = new Set<string>();
  for await (const info of listWithoutMemos(client, DEAD_LETTERS, 100)) {
    if (seen.has(info.workflowId)) continue;
    seen.add(info.workflowId);
    const latest = await client.workflow.getHandle(info.workflowId).describe().catch(() => undefined);
    if (latest && latest.runId !== info.runId && latest.typedSearchAttributes.get(TaskStatus) !== 'dead_lettered') continue;
    const redriveOf = info.typedSearchAttributes.get(TaskRedriveOf);
    yield { id: info.workflowId, ...(redriveOf && { redriveOf }) };
  }
}

/** The redrive a dead letter already has (`<id>-redrive`), with its status; undefined when none. */
export async function redriveOfLetter(client: Client, deadLetterId: string): Promise<{ id: string; status: string } | undefined> {
  const id = `${deadLetterId}-redrive`;
  try {
    const d = await client.workflow.getHandle(id).describe();
    // As `list` shows it: a redrive terminated before it ended is `terminated`, not the `queued` it was started with.
    return { id, status: listedStatus(d.typedSearchAttributes.get(TaskStatus), d.status.name) };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/**
 * What `dlq redrive --all` works through: the newest `limit` dead letters not redriven yet, looking
 * past those that were (they would otherwise fill the window run after run, and older dead letters
 * would never be reached), and the redrives that dead-lettered again (see {@link redrivesForAll}).
 */
export async function lettersToRedrive(
  client: Client,
  limit: number,
  maxExamined = MAX_EXAMINED,
): Promise<{ ids: string[]; skipped: DeadLetter[]; alreadyRedriven: number; examinedAll: boolean }> {
  const ids: string[] = [];
  const skipped: DeadLetter[] = [];
  let alreadyRedriven = 0;
  let examined = 0;
  for await (const letter of deadLetters(client)) {
    // Each one already redriven costs a look: a fleet with years of them stops somewhere.
    if (++examined > maxExamined) return { ids, skipped, alreadyRedriven, examinedAll: false };
    const { ids: fresh, skipped: again } = redrivesForAll([letter]);
    // A redrive that dead-lettered again is skipped unless an operator already redrove it on purpose.
    for (const redrive of again) {
      if (await redriveOfLetter(client, redrive.id)) alreadyRedriven += 1;
      else skipped.push(redrive);
    }
    if (fresh.length === 0) continue;
    if (await redriveOfLetter(client, letter.id)) {
      alreadyRedriven += 1;
      continue;
    }
    ids.push(letter.id);
    if (ids.length >= limit) break;
  }
  return { ids, skipped, alreadyRedriven, examinedAll: true };
}

/** The most dead letters one `--all` looks at, newest first. */
export const MAX_EXAMINED = 2000;

/**
 * What `dlq redrive --all` starts: every dead letter but the redrives that dead-lettered too. Those
 * failed twice on the same input; run after run, --all would loop such a poison task, one more
 * paid attempt each time. They are skipped (named, so an operator can redrive one on purpose).
 */
export function redrivesForAll(letters: readonly DeadLetter[]): { ids: string[]; skipped: DeadLetter[] } {
  return { ids: letters.filter((l) => !l.redriveOf).map((l) => l.id), skipped: letters.filter((l) => l.redriveOf) };
}
