import type { Limits } from './limits';
import { leaveQueue } from './admission';
import { advance, chargeWorstCase } from './ledger-advance';
import type { Step } from './ledger';
import type { Alert, LedgerOptions, LedgerState } from './ledger-types';

/** What the ledger charged a task over its life: every settled call and every worst case it held. */
export interface TaskBill {
  taskId: string;
  usd: number;
  tokens: number;
  /** False when the ledger no longer knew the task (closed before, or idle past taskIdleMs). */
  known: boolean;
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
  delete state.tasks[taskId];
  leaveQueue(state, taskId);
  return { state, result: { taskId, usd: task?.usd ?? 0, tokens: task?.tokens ?? 0, known: task !== undefined, chargedOutstanding, alerts } };
}
