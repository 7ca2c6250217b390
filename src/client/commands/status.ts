import type { Client } from '@temporalio/client';
import type { WorkflowExecutionStatusName } from '@temporalio/client';
import { STATE_QUERY_TIMEOUT_MS, taskRow, taskState, type RecordedAttributes, type UnansweredTask } from '../tasks';
import { listedStatus } from '../listed-status';
import { stoppedLine } from '../stopped-from-outside';
import type { LiveRun } from '../live-run';
import type { RetryingActivity } from '../retrying-activities';
import { parseArgs, positiveInteger, refuseBlankTaskIds } from '../parse-args';
import { LatestRuns } from '../latest-runs';
import { loadConfig, type PantheonConfig } from '../../config/env';
import { answered, findGod, godQuery } from '../god-client';
import { PantheonError } from '../../errors';
import { connectClient, workflowUrl } from '../connection';
import { budgetWaitLines, formatUsd, printOutcome } from '../format';
import { pendingRecordWritten } from '../memory-written';
import { liveRunLines } from '../live-run';
import { listWithoutMemos } from '../list-workflows';
import { assessFailedReason, decisionPath, whyNotRun } from '../god-view';
import { assessingAhead, assessmentWait } from '../assessment-wait';
import { FINISHED_OR_DROPPED, godKeepsId, KEPT_ID_LINE } from '../god-known';
import { godDecisionsQuery, godQueueQuery, godStatusQuery, type QueueItemView } from '../../workflows/god-api';
import type { DecisionRecord } from '../../god/types';
import { retryingLines } from '../retrying-activities';
import { cancelRequestLine } from '../cancel-request';

/**
 * What God says of a task it holds or held without starting it (its queue, then its decision log:
 * dropped, rejected), as `pantheon god queue` shows it; undefined when God does not answer or
 * knows no such task.
 */
/** What God holds of a task it has not started: its queue entry, its decisions, and the lines `status` prints. */
interface HeldByGod {
  lines: string[];
  queued?: QueueItemView;
  decisions: DecisionRecord[];
  /** Set when the task left God's queue without starting (rejected in review, dropped): it will not run. */
  notRun?: string;
}


/**
 * Asks God (when it runs) about a task with no workflow. A God that runs and does not answer is
 * `god_unavailable` (exit 75): it may hold the task, so "no such task" (exit 1) would be wrong
 * until it answers (until 2026-12-06 it said so, after a 30 s wait).
 */
async function heldByGod(client: Client, config: PantheonConfig, taskId: string): Promise<HeldByGod | undefined> {
  const { god } = await findGod(client, config);
  if (!god) return undefined;
  const [queue, records] = await answered(
    god,
    () => Promise.all([godQuery(god, godQueueQuery), godQuery(god, godDecisionsQuery)]),
    `Task ${taskId} has no workflow, and God may hold it: \`pantheon status ${taskId}\` says so once God answers.`,
  );
  const item = queue.find((q) => q.taskId === taskId);
  const decisions = records.filter((r) => r.taskId === taskId);
  const notRun = item ? undefined : whyNotRun(decisions);
  const held = (lines: string[]): HeldByGod => ({ lines, ...(item && { queued: item }), decisions, ...(notRun && { notRun }) });
  if (item && !item.decision) {
    const nowMs = Date.now();
    const why = item.assessFailed ? assessFailedReason(item.assessFailed, nowMs, assessingAhead(item, queue, nowMs)) : assessmentWait(item, queue, nowMs);
    return held([`status      ${item.status}: ${why}`, 'see         npm run pantheon -- god queue']);
  }
  const path = decisionPath(taskId, queue, records);
  if (!path) {
    // Rejected or dropped more than God's newest decisions ago: God still keeps its id (it has no workflow).
    const kept = await answered(god, () => godKeepsId(god, taskId), `Task ${taskId} has no workflow, and God may have held it: \`pantheon status ${taskId}\` says so once God answers.`);
    return kept ? { lines: [KEPT_ID_LINE, 'see         npm run pantheon -- god decisions'], decisions, notRun: FINISHED_OR_DROPPED } : undefined;
  }
  return held([...(item ? [`status      ${item.status.replace(/_/g, ' ')}`] : []), ...path.lines, 'see         npm run pantheon -- god queue, god decisions']);
}

/** How long the overview waits for God's counts: a God without a worker must not hold it up. */
const GOD_COUNTS_TIMEOUT_MS = 3_000;

/** The tasks God holds and has not started (no workflow yet, so visibility has none of them);
 * `unanswered` when God runs and did not answer in time (its worker down): they are not known. */
async function heldCounts(client: Client, godId: string): Promise<{ god: string; queued: number; awaitingReview: number } | { god: string; unanswered: true } | undefined> {
  const god = client.workflow.getHandle(godId);
  const running = await client.withDeadline(Date.now() + GOD_COUNTS_TIMEOUT_MS, () => god.describe()).then(
    (d) => d.status.name === 'RUNNING',
    () => false,
  );
  if (!running) return undefined;
  const status = await client.withDeadline(Date.now() + GOD_COUNTS_TIMEOUT_MS, () => god.query(godStatusQuery)).catch(() => undefined);
  return status ? { god: godId, queued: status.queued, awaitingReview: status.awaitingReview } : { god: godId, unanswered: true };
}

/** How many of the most recent tasks the overview counts without --limit. */
export const OVERVIEW_LIMIT = 1000;

export const STATUS_USAGE = `pantheon status <task-id> [--json]     one task's state
pantheon status [--limit N] [--json]   counts per state over the most recent N tasks (default ${OVERVIEW_LIMIT}), and the tasks in progress`;

/** Counts per Pantheon status over the most recent tasks (each by its latest run), and the ones still in progress. */
export async function overview(client: Client, limit: number) {
  const tasks = new LatestRuns();
  for await (const info of listWithoutMemos(client, "WorkflowType = 'agentTask'", 200)) {
    tasks.add({ row: taskRow(info), running: info.status.name === 'RUNNING' });
    // Runs come newest first: a task's older runs, past the last task counted, change nothing.
    if (tasks.size >= limit) break;
  }
  return { ...tasks.summary(), seen: tasks.size };
}

export async function statusCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { limit: { type: 'string' }, json: { type: 'boolean', default: false } } });
  const limit = values.limit === undefined ? OVERVIEW_LIMIT : positiveInteger(values.limit, '--limit');
  if (values.limit !== undefined && positionals.length > 0) throw PantheonError.of('invalid_input', '--limit: sets how many tasks the overview counts; a task id shows one task', { details: { field: '--limit' } });
  refuseBlankTaskIds(positionals);
  if (positionals.length > 1) throw PantheonError.of('invalid_input', `task-id: one task at a time, got ${positionals.length} ("${positionals[1]}"${positionals.length > 2 ? ' and more' : ''} after the first)`, { details: { field: 'task-id' } });
  const config = loadConfig();
  const { client, close } = await connectClient(config);
  // --json: one object on stdout for a script, the same facts as the lines.
  const printJson = (value: unknown) => console.log(JSON.stringify(value, null, 2));
  try {
    if (positionals[0]) {
      const taskId = positionals[0];
      const found = await taskState(client, taskId).catch(async (err: unknown) => {
        // Submitted through God and not started yet: no workflow, but God holds it.
        const held = err instanceof PantheonError && err.details.notFound === true ? await heldByGod(client, config, taskId) : undefined;
        if (!held) throw err;
        if (values.json) printJson({ taskId, execution: held.notRun ? 'not_run' : 'held_by_god', god: config.god.id, ...held });
        else {
          console.log(`task        ${taskId}  (${held.notRun ? `${held.notRun}: it will not run` : `held by God ${config.god.id}, not started yet`})`);
          for (const line of held.lines) console.log(line);
        }
        return undefined;
      });
      if (!found) return;
      if (found.unanswered) return unansweredStatus(config, taskId, found.unanswered, found, values.json);
      // A task with no outcome of its own (terminated, timed out) is shown by its search attributes, as `list` shows it.
      const listed = found.recorded && listedStatus(found.recorded.status, found.execution as WorkflowExecutionStatusName);
      if (values.json) return printJson({ taskId, ...found, execution: found.execution.toLowerCase(), ...(listed && { status: listed }), webUi: workflowUrl(config, taskId) });
      const { execution, state, retrying, live, runningStep, cancelRequest, recorded, stopped } = found;
      // The workflow's own state, named so: a rejected task's workflow completed, and "status" below is the task's.
      console.log(`task        ${taskId}  (workflow ${execution.toLowerCase().replace(/_/g, ' ')})`);
      console.log(`web ui      ${workflowUrl(config, taskId)}`);
      if (state) printOutcome(state, 'memoryPending' in state && state.memoryPending ? await pendingRecordWritten(config, state.memoryPending) : undefined);
      else if (recorded && listed) {
        // What it was doing when stopped, and how far it got: its search attributes as of their last upsert.
        const last = recorded.status && recorded.status !== listed ? ` (last recorded: ${recorded.status})` : '';
        for (const line of recordedLines(`${listed}${last}`, recorded)) console.log(line);
      }
      if (cancelRequest) console.log(`cancel      ${cancelRequestLine(cancelRequest)}`);
      if (stopped) console.log(`stopped     ${stoppedLine(stopped)}`);
      // A chain's running step waiting for budget: the chain itself shows only "running".
      if (runningStep) for (const line of budgetWaitLines(runningStep.state, Date.now(), `step ${runningStep.step}: `)) console.log(line);
      for (const line of liveRunLines(live ?? [], formatUsd)) console.log(line);
      for (const line of retryingLines(retrying ?? [])) console.log(line);
      return;
    }
    const [{ counts, inProgress, seen }, held] = await Promise.all([overview(client, limit), heldCounts(client, config.god.id)]);
    if (values.json) return printJson({ seen, counts, inProgress, ...(held && { heldByGod: held }) });
    console.log(`tasks (most recent ${seen})`);
    for (const [status, n] of Object.entries(counts).sort()) console.log(`  ${status.padEnd(16)} ${n}`);
    console.log(`in progress: ${inProgress.length}`);
    // Tasks God holds have no workflow yet: without this line the view reads "nothing pending".
    if (held && 'unanswered' in held) console.log(`held by God (not started yet): not known, God (${held.god}) did not answer within ${GOD_COUNTS_TIMEOUT_MS / 1000} s (is a worker polling its task queue? npm run worker)`);
    else if (held && held.queued + held.awaitingReview > 0) console.log(`held by God (not started yet): ${held.queued} queued, ${held.awaitingReview} awaiting review (npm run pantheon -- god queue)`);
    const idW = Math.max(0, ...inProgress.map((row) => row.id.length));
    for (const row of inProgress) console.log(`  ${row.id.padEnd(idW)}  ${row.status.padEnd(14)} ${row.specialist.padEnd(16)} ${formatUsd(row.cost)}  since ${row.started.toISOString()}`);
  } finally {
    await close();
  }
}

/** What the server records of a task (its search attributes) as status lines, under the `status` given. */
function recordedLines(status: string, known: RecordedAttributes): string[] {
  return [
    `status      ${status}`,
    ...(known.specialist ? [`specialist  ${known.specialist}`] : []),
    ...(known.iterations !== undefined ? [`iterations  ${known.iterations}`] : []),
    ...(known.costUsd !== undefined ? [`cost        ${formatUsd(known.costUsd)}`] : []),
  ];
}

/**
 * A running task no worker answers for (all stopped, or none polls its queue): what the server
 * records of it (its search attributes as of their last upsert, its pending activities and their
 * last checkpoints), then worker_unavailable (exit 75: the same command answers once a worker runs).
 */
function unansweredStatus(
  config: PantheonConfig,
  taskId: string,
  known: UnansweredTask,
  found: { retrying?: RetryingActivity[]; live?: LiveRun[] },
  json: boolean,
): never {
  if (json) {
    console.log(JSON.stringify({ taskId, execution: 'running', answered: false, recorded: known, retrying: found.retrying ?? [], live: found.live ?? [], webUi: workflowUrl(config, taskId) }, null, 2));
  } else {
    console.log(`task        ${taskId}  (workflow running; no worker answered for it, so this is what the server records)`);
    console.log(`web ui      ${workflowUrl(config, taskId)}`);
    // No status at all: no worker has run the task's first step (as `list` shows it: queued).
    const said = known.status ? `${known.status} (as of its last search-attribute upsert)` : 'queued (no status yet: no worker has run its first step)';
    for (const line of recordedLines(said, known)) console.log(line);
    for (const line of liveRunLines(found.live ?? [], formatUsd)) console.log(line);
    for (const line of retryingLines(found.retrying ?? [])) console.log(line);
  }
  throw PantheonError.of(
    'worker_unavailable',
    `no worker answered task ${taskId}'s state query within ${STATE_QUERY_TIMEOUT_MS / 1000} s: is a worker polling its task queue "${known.taskQueue}"? (npm run worker). The task itself waits for one; nothing is lost.`,
    { details: { taskId, taskQueue: known.taskQueue } },
  );
}
