import { Context, log } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client, type WorkflowExecutionDescription } from '@temporalio/client';
import { PantheonError } from '../errors';
import type { TaskFinished } from '../god/types';
import { closedResult } from '../tasks/closed-outcome';
import { finishedReport } from '../tasks/report';
import { TERMINAL_STATUSES, type TerminalStatus } from '../workflows/task-state';
import type { TaskBills } from './deps';
import { MAX_RECONCILE_IDS, type ReconcileTasksInput, type ReconcileTasksResult } from './god-types';

export interface ReconcileDeps {
  client: Client;
  /** The ledger's bills: what a task that closed without its outcome was charged (absent: reported at $0). */
  bills?: TaskBills;
}

/** Describes in flight at once: enough to be quick, few enough to be gentle on the frontend. */
const CONCURRENCY = 8;

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() ? value : undefined;
}

/**
 * The report a closed workflow's result amounts to. An agentTask returns its TaskOutcome (or
 * fails with it attached, when dead-lettered or over budget), a taskChain an object of its own;
 * both are read field by field, tolerating whatever is missing, because a result from an older
 * or newer version must never wedge reconciliation. Pure.
 */
export function finishedFromResult(taskId: string, result: unknown, durationMs: number): TaskFinished {
  const r = (typeof result === 'object' && result !== null ? result : {}) as Record<string, unknown>;
  const known = (TERMINAL_STATUSES as readonly string[]).includes(r.status as string);
  const reasons = Array.isArray(r.reasons) ? r.reasons.filter((x): x is string => typeof x === 'string') : [];
  const reason = reasons[0] ?? str(r.reason) ?? (known ? '' : `the workflow completed with an unrecognised result (status ${JSON.stringify(r.status ?? null)})`);
  const tried = Array.isArray(r.specialistsTried) ? r.specialistsTried.filter((x): x is string => typeof x === 'string') : [];
  return finishedReport(
    {
      taskId,
      status: known ? (r.status as TerminalStatus) : 'cancelled',
      costUsd: num(r.costUsd),
      tokens: num(r.tokens),
      specialist: str(r.specialist) ?? tried.at(-1),
      reasons: [reason],
      result: str(r.result) ?? str(r.summary),
    },
    durationMs,
  );
}

/** A workflow that closed without a result (failed with no outcome attached, terminated, timed out, cancelled): cancelled, saying how, at what the ledger charged it. */
export function finishedWithoutResult(taskId: string, closeStatus: string, durationMs: number, bill: { usd: number; tokens: number } = { usd: 0, tokens: 0 }): TaskFinished {
  return finishedReport({ taskId, status: 'cancelled', costUsd: bill.usd, tokens: bill.tokens, reasons: [`the workflow ${closeStatus.toLowerCase().replace(/_/g, ' ')} without reporting a result`] }, durationMs);
}

/**
 * What the ledger charged a task that closed without its outcome, closing its bill there (no run
 * of the task will: it was stopped from outside). Before, God counted such a task at $0 in its
 * statistics and the day's finished spend, though its calls (an in-flight one at its worst case)
 * were paid. A ledger that cannot answer leaves it at $0, as before: reconciling never waits on it.
 * Closing again is harmless: the ledger answers a bill it closed lately the same, later `known: false`.
 */
async function billOf(bills: TaskBills | undefined, taskId: string): Promise<{ usd: number; tokens: number } | undefined> {
  if (!bills) return undefined;
  try {
    const bill = await bills.closeTask(taskId);
    return bill.known ? { usd: bill.usd, tokens: bill.tokens } : undefined;
  } catch (err) {
    log.warn('the bill of a task that closed without its outcome not read; reported at $0', { taskId, error: String(err) });
    return undefined;
  }
}

type Verdict = { kind: 'finished'; report: TaskFinished } | { kind: 'running' } | { kind: 'missing' };

async function reconcileOne({ client, bills }: ReconcileDeps, taskId: string): Promise<Verdict> {
  const handle = client.workflow.getHandle(taskId);
  let info: WorkflowExecutionDescription;
  try {
    info = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { kind: 'missing' };
    throw err;
  }
  const status = info.status.name;
  if (status === 'RUNNING' || status === 'CONTINUED_AS_NEW' || status === 'PAUSED') return { kind: 'running' };
  const durationMs = Math.max(0, (info.closeTime ?? new Date()).getTime() - info.startTime.getTime());
  if (status !== 'COMPLETED' && status !== 'FAILED') return { kind: 'finished', report: finishedWithoutResult(taskId, status, durationMs, await billOf(bills, taskId)) };
  // followRuns: false reads this closed run's result, never waits for a newer one. A task that
  // dead-lettered or ran out of budget failed with its outcome attached; other failures have none.
  const closed = client.workflow.getHandle(taskId, info.runId, { followRuns: false });
  const result: unknown = await closedResult<unknown>(closed).catch((err: unknown) => {
    if (status === 'FAILED') return undefined;
    throw err;
  });
  if (result === undefined) return { kind: 'finished', report: finishedWithoutResult(taskId, status, durationMs, await billOf(bills, taskId)) };
  return { kind: 'finished', report: finishedFromResult(taskId, result, durationMs) };
}

/**
 * Asks the server what became of tasks God started: closed ones come back as the taskFinished
 * reports they would have sent (so a signal lost across God's continue-as-new costs nothing),
 * the rest as running or missing. It writes only to close the bill of a task stopped from outside
 * (idempotent, see billOf), so retrying it is harmless.
 */
export function createReconcileTasks(deps: ReconcileDeps) {
  return async function reconcileTasks({ taskIds }: ReconcileTasksInput): Promise<ReconcileTasksResult> {
    if (taskIds.length > MAX_RECONCILE_IDS) {
      throw PantheonError.of('invalid_input', `reconcileTasks: at most ${MAX_RECONCILE_IDS} task ids per call (got ${taskIds.length})`, { details: { count: taskIds.length } });
    }
    const ids = [...new Set(taskIds)];
    const out: ReconcileTasksResult = { finished: [], running: [], missing: [] };
    const verdicts = new Map<string, Verdict>();
    let next = 0;
    const worker = async () => {
      while (next < ids.length) {
        const id = ids[next++];
        verdicts.set(id, await reconcileOne(deps, id));
        Context.current().heartbeat(verdicts.size);
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, ids.length) }, worker));
    // In the caller's order, so a result never depends on which describe answered first.
    for (const id of ids) {
      const v = verdicts.get(id)!;
      if (v.kind === 'finished') out.finished.push(v.report);
      else if (v.kind === 'running') out.running.push(id);
      else out.missing.push(id);
    }
    log.info('in-flight tasks reconciled', { asked: ids.length, finished: out.finished.length, running: out.running.length, missing: out.missing.length });
    return out;
  };
}
