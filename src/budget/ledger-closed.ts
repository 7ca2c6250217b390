import { raiseAlert } from './ledger-log';
import type { Alert, ClosedBill, LedgerOptions, LedgerState, TaskScope } from './ledger-types';

/**
 * Bills the ledger closed a short while ago. A close can be applied and its answer lost (the
 * worker killed between the close and its activity's completion, an update's answer lost on the
 * wire): the retried activity closes again. Without this memory the ledger would no longer know
 * the task and answer an empty bill, and the task would report its own books, missing what only
 * the ledger charged (calls that died in flight, charged at their worst case at the close).
 * With it, a repeated close answers the bill the first one closed, and a call the same run of the
 * task makes after its close (a retried activity's) adds to that bill instead of starting anew.
 */

/** The run of a task's workflow a call key names: keys are `${workflowId}:${runId}:…` (call-key.ts),
 * and a task's id is its workflow's. Undefined for keys of another shape. */
export function runOfKey(taskId: string, key: string): string | undefined {
  if (!key.startsWith(`${taskId}:`)) return undefined;
  const run = key.slice(taskId.length + 1).split(':', 1)[0];
  return run === '' ? undefined : run;
}

/**
 * Remembers a bill just closed. How many are kept is bounded by `maxClosedBills`: at each prune
 * (pruneClosed, every few seconds) when `capsClosedAtPrune`, else here at every close. Counting a
 * record whose keys come and go takes a sort of all its keys in V8 (about 0.1 ms at 1000 bills):
 * at every close that was a quarter of the ledger's work at 50 calls a second.
 */
export function rememberClose(state: LedgerState, taskId: string, task: TaskScope, nowMs: number, options: LedgerOptions): void {
  const closed = (state.closed ??= {});
  delete closed[taskId];
  closed[taskId] = { usd: task.usd, tokens: task.tokens, atMs: nowMs, ...(task.run === undefined ? {} : { run: task.run }) };
  if (options.capsClosedAtPrune) return;
  const ids = Object.keys(closed);
  if (ids.length <= options.maxClosedBills) return;
  // Ids that look like integers are ordered first by JavaScript, not by insertion: go by age.
  let oldest = ids[0];
  for (const id of ids) if (closed[id].atMs < closed[oldest].atMs) oldest = id;
  delete closed[oldest];
}

/** The bill a close already closed, if it is still remembered. */
export function closedBill(state: LedgerState, taskId: string): ClosedBill | undefined {
  return state.closed?.[taskId];
}

/**
 * A task seen again after its close: when the call comes from the run that closed it, its scope
 * starts from the closed bill (the per-task limits and the next bill count what was already
 * charged); a call from another run (a reset, an id used again) starts afresh. Either way the
 * memory goes: from now on the task is in the ledger again.
 */
export function reopenClosed(state: LedgerState, taskId: string, task: TaskScope): void {
  const bill = state.closed?.[taskId];
  if (!bill) return;
  delete state.closed![taskId];
  if (bill.run !== task.run) return;
  task.usd += bill.usd;
  task.tokens += bill.tokens;
  task.billClosedAtMs = bill.atMs;
}

/**
 * A call granted to a task whose bill was closed (its scope reopened above): the task has already
 * reported its cost, so what this call costs is in the windows but in no task's report. Its
 * workflow closes the bill once every activity is over, so such a call comes from a run the
 * workflow no longer waits for: a stalled worker's booking of a call it granted under a lease, an
 * abandoned activity still calling, a retried write after the close. One alert per reopened bill
 * (each charge is counted in the day's `chargedAfterClose`); undefined when nothing is raised.
 */
export function alertCallAfterClose(state: LedgerState, taskId: string, task: TaskScope, call: { key: string; agent: string; usd: number }, nowMs: number, options: LedgerOptions): Alert | undefined {
  if (task.billClosedAtMs === undefined) return undefined;
  const closedAt = new Date(task.billClosedAtMs).toISOString();
  return raiseAlert(
    state,
    {
      kind: 'charged_after_close',
      scope: `task:${taskId}`,
      unit: 'usd',
      // What the closed bill reported, and that plus this call's worst case.
      limit: task.usd,
      spent: task.usd + call.usd,
      at: nowMs,
      window: `${task.run ?? ''}@${task.billClosedAtMs}`,
      message: `call ${call.key} of ${call.agent} for task ${taskId} reached the ledger after the task's bill closed (${closedAt}, $${task.usd.toFixed(6)}): up to $${call.usd.toFixed(6)} more is charged to the windows and counted in the day's chargedAfterClose, but missing from the cost the task reported`,
    },
    options,
  );
}

/** Forgets bills closed more than `closedRetentionMs` ago and, when `capsClosedAtPrune`, the
 * oldest beyond `maxClosedBills` (between prunes a few more may be kept: the closes of one prune
 * interval, a few seconds). */
export function pruneClosed(state: LedgerState, nowMs: number, options: LedgerOptions): void {
  if (!state.closed) return;
  const kept: Array<[string, number]> = [];
  for (const [taskId, bill] of Object.entries(state.closed)) {
    if (bill.atMs <= nowMs - options.closedRetentionMs) delete state.closed[taskId];
    else kept.push([taskId, bill.atMs]);
  }
  if (!options.capsClosedAtPrune || kept.length <= options.maxClosedBills) return;
  // Oldest first (a stable sort: ids closed at the same moment keep their order).
  kept.sort((a, b) => a[1] - b[1]);
  for (const [taskId] of kept.slice(0, kept.length - options.maxClosedBills)) delete state.closed[taskId];
}
