import type { Limits } from './limits';
import { leaveQueue } from './admission';
import { advance, chargeWorstCase } from './ledger-advance';
import type { Step } from './ledger';
import { closedBill, rememberClose } from './ledger-closed';
import type { Alert, LedgerOptions, LedgerState } from './ledger-types';

/** What the ledger charged a task over its life: every settled call and every worst case it held. */
export interface TaskBill {
  taskId: string;
  usd: number;
  tokens: number;
  /** False when the ledger no longer knew the task (closed long before, or idle past taskIdleMs). */
  known: boolean;
  /** The task was closed before (a close whose answer was lost, asked again): this is the bill
   * that close closed, charged nothing new. */
  repeated?: true;
  /** With `repeated`: the run of the task's workflow whose bill that close closed, when its calls'
   * keys named one. A close asks by task id only, so the caller compares: a close from another
   * run (the id used again for a new task) is not this one repeated (gate.ts closeTask). */
  run?: string;
  /** Reservations still outstanding at the close, charged at their worst case. */
  chargedOutstanding: number;
  /** Asked `ifSettled` while calls of the task were still reserved: how many. Nothing was
   * charged or forgotten; the caller asks again (and at last without `ifSettled`). */
  pending?: number;
  alerts: Alert[];
}

/**
 * A task has ended: its bill, and the ledger forgets it. Its workflow asks once every activity is
 * over, so a reservation of the task still outstanding belongs to a caller that died mid-call
 * (a killed worker): it may have been billed, so it is charged its worst case now rather than at
 * its expiry, and the bill includes it. A late settle of it is a no-op.
 */
export function closeTask(state: LedgerState, taskId: string, nowMs: number, limits: Limits, options: LedgerOptions, ifSettled = false): Step<TaskBill> {
  const alerts = advance(state, nowMs, limits, options);
  if (ifSettled) {
    // Settles travel off the call's path: one another worker sent may not have arrived yet.
    let pending = 0;
    for (const r of Object.values(state.reservations)) if (r.taskId === taskId) pending++;
    if (pending > 0) {
      const task = state.tasks[taskId];
      return { state, result: { taskId, usd: task?.usd ?? 0, tokens: task?.tokens ?? 0, known: task !== undefined, chargedOutstanding: 0, pending, alerts } };
    }
  }
  let chargedOutstanding = 0;
  for (const r of Object.values(state.reservations)) {
    if (r.taskId !== taskId) continue;
    chargeWorstCase(state, r.id, nowMs);
    chargedOutstanding++;
  }
  const task = state.tasks[taskId];
  if (!task) {
    const bill = options.rememberCloses ? closedBill(state, taskId) : undefined;
    if (bill) return { state, result: { taskId, usd: bill.usd, tokens: bill.tokens, known: true, repeated: true, ...(bill.run === undefined ? {} : { run: bill.run }), chargedOutstanding: 0, alerts } };
  }
  delete state.tasks[taskId];
  leaveQueue(state, taskId);
  if (task && options.rememberCloses) rememberClose(state, taskId, task, nowMs, options);
  return { state, result: { taskId, usd: task?.usd ?? 0, tokens: task?.tokens ?? 0, known: task !== undefined, chargedOutstanding, alerts } };
}
