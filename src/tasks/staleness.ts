import { WAITING_STATUSES } from '../workflows/task-state';

/** What the sweeper reads of one running task from visibility (no worker needs to answer). */
export interface RunningTaskFacts {
  /** When the workflow started: the measure only for tasks that predate PantheonActiveSince. */
  startTime: Date;
  /** PantheonActiveSince: the current run's start (or requeue) moved later by its budget waits. */
  activeSince?: Date;
  /** PantheonStatus. */
  status?: string;
}

/**
 * How long, in minutes, the task's current specialist run has been in progress: measured from the
 * run's start or its requeue, not counting time spent waiting for budget. Undefined while the task
 * is waiting (an open breaker, full windows): waiting is not being stuck, and no run is in progress.
 *
 * @example
 *   runAgeMinutes({ startTime, activeSince, status: 'running' }, Date.now()) // e.g. 3.5
 */
export function runAgeMinutes(facts: RunningTaskFacts, nowMs: number): number | undefined {
  if (facts.status !== undefined && WAITING_STATUSES.includes(facts.status)) return undefined;
  const since = facts.activeSince ?? facts.startTime;
  return Math.max(0, nowMs - since.getTime()) / 60_000;
}
