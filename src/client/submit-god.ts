import { WorkflowNotFoundError } from '@temporalio/client';
import { isPantheonError } from '../errors';
import type { PantheonConfig } from '../config/env';
import type { ChainOutcome } from '../tasks/chain';
import { closedResult } from '../tasks/closed-outcome';
import { waitShowingRetries } from './retry-progress';
import type { Task } from '../tasks/task-input';
import { godDecisionsQuery, godQueueQuery, submitTaskUpdate } from '../workflows/god-api';
import type { TaskState } from '../workflows/task-state';
import { workflowUrl } from './connection';
import { printOutcome } from './format';
import { exitForOutcome, NOT_COMPLETED_EXIT_CODE, sayTaskGoesOnWhenInterrupted } from './exit';
import { answered, godUpdate, type GodSession } from './god-client';
import { decisionPath, type DecisionPath } from './god-view';
import { newTaskId } from './submit-task';

/**
 * `pantheon submit` while God runs: the task goes to God's `submitTask` update, and the command
 * prints the path God sends it down (assessed, decided, queued or sent to review, started).
 */

export interface SubmitToGodOptions {
  taskId?: string;
  /** Wait for God's decision and then for the task's end. */
  wait: boolean;
  /** How long to watch for God's decision without --wait (it decides within a tick). */
  decisionWaitMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How long a plain submit (no --wait) watches for God's decision: it decides within a tick. */
const DECISION_WAIT_MS = 5_000;

/** The commands that follow a task God has not decided on, once a plain submit has stopped watching. */
function followLine(taskId: string): string {
  return `follow     pantheon status ${taskId}   (or wait for its end: pantheon submit … --id ${taskId} --wait; God queues an id once)`;
}

/** Watches God's queue and decision log until the task has a decision (and, if `untilDone`, has left the queue). */
async function watchDecision(god: GodSession, taskId: string, untilDone: boolean, deadlineMs: number, omitKind?: string): Promise<DecisionPath | undefined> {
  let last: DecisionPath | undefined;
  for (;;) {
    const [queue, records] = await answered(god, () => Promise.all([god.handle.query(godQueueQuery), god.handle.query(godDecisionsQuery)]));
    last = decisionPath(taskId, queue, records, omitKind);
    if (last && (!untilDone || last.done)) return last;
    if (Date.now() >= deadlineMs) return last;
    await sleep(500);
  }
}

export async function submitToGod(god: GodSession, config: PantheonConfig, task: Task, options: SubmitToGodOptions): Promise<void> {
  // The id is chosen here, not by God, so a God that does not answer in time can still be told
  // about: the update may be applied once a worker runs God's task queue.
  const taskId = options.taskId ?? newTaskId();
  const pending = `The task's id is ${taskId}: once God answers, \`pantheon status ${taskId}\` shows it if it was queued; submitting it again with \`--id ${taskId}\` is safe (God queues an id once).`;
  const result = await answered(god, () => godUpdate(god, submitTaskUpdate, { task, taskId }), pending).catch((err: unknown) => {
    // Refusals and a God that did not answer say what they must. Anything else (God's answer
    // unreadable, e.g. encrypted for a client without the keys; the connection lost) may come after
    // God queued the task: the id must not be lost, or a second submit pays for it twice.
    if (isPantheonError(err)) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`${message}\n  God may have queued the task before this failed: its id is ${taskId}; \`pantheon status ${taskId}\` shows it, and submitting it again with \`--id ${taskId}\` is safe (God queues an id once).`, { cause: err });
  });
  if (options.wait) sayTaskGoesOnWhenInterrupted(taskId);
  console.log(`submitted to God (${god.godId}): ${taskId}`);
  if (!result.accepted) {
    // Why nothing happened, and what does: a retried submit is safe, a second run needs its own id.
    console.log(`  God already knows ${taskId} (${result.status}): an id runs once, so nothing new was queued; \`pantheon status ${taskId}\` shows it, and another --id (or none) submits the task anew`);
    if (!options.wait) return;
    // A retried `submit --id X --wait` waits for X as the first one would have: a task that has
    // started or ended is waited for (its decision may have left God's log); one still in God's
    // hands is watched below like a new one.
    if (result.status === 'finished' || result.status === 'in_flight') return waitForEnd(god, taskId);
  } else {
    console.log('path       God assesses it, decides (route, chain, spawn, review or reject), then admits it within the daily runway');
  }
  const waitMs = options.wait ? Number.POSITIVE_INFINITY : (options.decisionWaitMs ?? DECISION_WAIT_MS);
  let path = await watchDecision(god, taskId, false, Date.now() + waitMs);
  if (!path) {
    // Not a bare "pending": the assessment may yet fail (and be tried again), which only a later look shows.
    console.log(`decision   not yet: God is still assessing it (watched ${Math.round(waitMs / 1000)} s; an assessment can still fail and be tried again)`);
    console.log(followLine(taskId));
    console.log(`web ui     ${workflowUrl(config, taskId)} (once started)`);
    return;
  }
  if (options.wait && !path.done) {
    for (const line of path.lines) console.log(line);
    // The decision just shown is not repeated from the log once the task has started.
    path = await watchDecision(god, taskId, true, Number.POSITIVE_INFINITY, path.kind);
  }
  for (const line of path!.lines) console.log(line);
  // Undecided (its assessment failed) or waiting: where to look next, as this command stops here.
  if (!options.wait && !path!.done && !path!.kind) console.log(followLine(taskId));
  console.log(`web ui     ${workflowUrl(config, taskId)}${path!.done ? '' : ' (once started)'}`);
  if (!options.wait) return;
  await waitForEnd(god, taskId);
}

/** Waits for the task's workflow to end and prints its outcome; exit 2 unless it completed. */
async function waitForEnd(god: GodSession, taskId: string): Promise<void> {
  let outcome: TaskState | ChainOutcome;
  try {
    outcome = await waitShowingRetries(god.client, taskId, closedResult(god.client.workflow.getHandle(taskId)));
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      console.log('ended      without a workflow (God did not start it: rejected in review, or dropped)');
      process.exitCode = NOT_COMPLETED_EXIT_CODE;
      return;
    }
    throw err;
  }
  printOutcome(outcome);
  exitForOutcome(outcome.status);
}
