import type { WorkflowExecutionStatusName } from '@temporalio/client';
import { ACTIVE_STATUSES, TERMINAL_STATUSES } from '../workflows/task-state';

/** Ends a task's workflow can have without the task reaching an outcome of its own: PantheonStatus
 * keeps whatever it said last (`running`), so the execution's status is what the task is. */
const STOPPED_FROM_OUTSIDE: Partial<Record<WorkflowExecutionStatusName, string>> = { TERMINATED: 'terminated', TIMED_OUT: 'timed_out' };

/** The statuses `listedStatus` gives a task stopped from outside. */
export const STOPPED_FROM_OUTSIDE_STATUSES: readonly string[] = Object.values(STOPPED_FROM_OUTSIDE);

/** What `pantheon list --status` accepts: Pantheon's statuses, then the two ends above. */
export const LISTABLE_STATUSES: readonly string[] = [...ACTIVE_STATUSES, ...TERMINAL_STATUSES, ...Object.values(STOPPED_FROM_OUTSIDE)];

const isTerminal = (status: string): boolean => (TERMINAL_STATUSES as readonly string[]).includes(status);

/**
 * The status `list` and the `status` overview show for a task: its PantheonStatus while its
 * workflow runs (`queued` before it has one), and once it has closed only if that status is an end (a terminated task's last
 * upsert said `running`, which it no longer is); otherwise the execution's own status.
 *
 * @example listedStatus('running', 'TERMINATED') // 'terminated'
 * @example listedStatus(undefined, 'RUNNING') // 'queued'
 */
export function listedStatus(pantheonStatus: string | undefined, execution: WorkflowExecutionStatusName): string {
  const stopped = STOPPED_FROM_OUTSIDE[execution];
  if (stopped) return stopped;
  // No status yet: no worker has run the task's first step (a start around the CLI, which sets
  // `queued` itself; or a task queue no worker polls, a misspelt --task-queue).
  if (execution === 'RUNNING') return pantheonStatus ?? 'queued';
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
  if (status === 'queued') return "(PantheonStatus = 'queued' OR PantheonStatus IS NULL) AND ExecutionStatus = 'Running'";
  return `PantheonStatus = '${status}' AND ExecutionStatus = 'Running'`;
}
