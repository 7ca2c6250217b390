import type { WorkflowExecutionStatusName } from '@temporalio/client';
import { ACTIVE_STATUSES, TERMINAL_STATUSES } from '../workflows/task-state';

/** Ends a task's workflow can have without the task reaching an outcome of its own: PantheonStatus
 * keeps whatever it said last (`running`), so the execution's status is what the task is. */
const STOPPED_FROM_OUTSIDE: Partial<Record<WorkflowExecutionStatusName, string>> = { TERMINATED: 'terminated', TIMED_OUT: 'timed_out' };

/** What `pantheon list --status` accepts: Pantheon's statuses, then the two ends above. */
export const LISTABLE_STATUSES: readonly string[] = [...ACTIVE_STATUSES, ...TERMINAL_STATUSES, ...Object.values(STOPPED_FROM_OUTSIDE)];

const isTerminal = (status: string): boolean => (TERMINAL_STATUSES as readonly string[]).includes(status);

/**
 * The status `list` and the `status` overview show for a task: its PantheonStatus while its
 * workflow runs, and once it has closed only if that status is an end (a terminated task's last
 * upsert said `running`, which it no longer is); otherwise the execution's own status.
 *
 * @example listedStatus('running', 'TERMINATED') // 'terminated'
 */
export function listedStatus(pantheonStatus: string | undefined, execution: WorkflowExecutionStatusName): string {
  const stopped = STOPPED_FROM_OUTSIDE[execution];
  if (stopped) return stopped;
  if (execution === 'RUNNING') return pantheonStatus ?? 'running';
  return pantheonStatus !== undefined && isTerminal(pantheonStatus) ? pantheonStatus : execution.toLowerCase();
}

/**
 * The visibility query clause that finds the tasks `listedStatus` shows as `status` (one of
 * LISTABLE_STATUSES, already checked): an active status only on a running execution, an end only
 * on an execution that was not stopped from outside.
 */
export function statusClause(status: string): string {
  if (status === 'terminated') return "ExecutionStatus = 'Terminated'";
  if (status === 'timed_out') return "ExecutionStatus = 'TimedOut'";
  if (isTerminal(status)) return `PantheonStatus = '${status}' AND ExecutionStatus != 'Terminated' AND ExecutionStatus != 'TimedOut'`;
  return `PantheonStatus = '${status}' AND ExecutionStatus = 'Running'`;
}
