import type { History } from '@temporalio/common/lib/proto-utils';
import { tsToMs } from '@temporalio/common/lib/time';

/**
 * Where one workflow execution spent its time, read from its history's server timestamps:
 * waiting in the activity queue, running activities, and everything else inside the execution
 * (workflow tasks between activities, start to the first activity, the last one to the end).
 * Activities are assumed sequential, as in agentTask and the bare workflow; the caller checks.
 */

export type HistoryEvent = NonNullable<History['events']>[number];

export interface ActivityRun {
  type: string;
  /** Scheduled → started: waiting for a worker slot and the poll. */
  queuedMs: number;
  /** Started → completed (or failed): the activity's own run, last attempt. */
  runMs: number;
  attempt: number;
}

export interface Timeline {
  /** Workflow execution started → completed, server time. */
  executionMs: number;
  activities: ActivityRun[];
  /** Execution time outside any activity's scheduled → closed span. */
  outsideActivitiesMs: number;
  events: number;
  workflowTasks: number;
  /** Workflow tasks scheduled → started, summed: the wait for a poll (the server's or the worker's queue). */
  workflowTaskQueuedMs: number;
  /** Workflow tasks started → completed, summed: the worker's turn (activation, workflow code, reply). */
  workflowTaskRunMs: number;
  /** Each workflow task's started → completed, in history order (the first one creates the workflow). */
  workflowTaskRunMsEach: number[];
  searchAttributeUpserts: number;
  /** True when two activities' spans overlapped (outsideActivitiesMs would then be understated). */
  overlapping: boolean;
}

const timeOf = (e: HistoryEvent): number => tsToMs(e.eventTime);
const idOf = (e: HistoryEvent): number => Number(e.eventId);

export function timelineOf(events: readonly HistoryEvent[]): Timeline {
  const started = events.find((e) => e.workflowExecutionStartedEventAttributes);
  const closed = events.find((e) => e.workflowExecutionCompletedEventAttributes);
  if (!started || !closed) throw new Error('history has no started and completed workflow execution events');
  const scheduled = new Map<number, HistoryEvent>();
  const startedBy = new Map<number, HistoryEvent>();
  const activities: ActivityRun[] = [];
  let inActivities = 0;
  let lastClose = -Infinity;
  let overlapping = false;
  for (const e of events) {
    if (e.activityTaskScheduledEventAttributes) scheduled.set(idOf(e), e);
    const startedAttrs = e.activityTaskStartedEventAttributes;
    if (startedAttrs) startedBy.set(Number(startedAttrs.scheduledEventId), e);
    const closeAttrs = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes ?? e.activityTaskTimedOutEventAttributes ?? e.activityTaskCanceledEventAttributes;
    if (!closeAttrs) continue;
    const sched = scheduled.get(Number(closeAttrs.scheduledEventId));
    const start = startedBy.get(Number(closeAttrs.scheduledEventId));
    if (!sched) throw new Error(`activity closed at event ${idOf(e)} was never scheduled`);
    const t0 = timeOf(sched);
    const t1 = start ? timeOf(start) : t0;
    const t2 = timeOf(e);
    if (t0 < lastClose) overlapping = true;
    lastClose = Math.max(lastClose, t2);
    inActivities += t2 - t0;
    activities.push({
      type: sched.activityTaskScheduledEventAttributes!.activityType?.name ?? '?',
      queuedMs: t1 - t0,
      runMs: t2 - t1,
      attempt: start?.activityTaskStartedEventAttributes?.attempt ?? 1,
    });
  }
  const executionMs = timeOf(closed) - timeOf(started);
  let workflowTaskQueuedMs = 0;
  let workflowTaskRunMs = 0;
  const workflowTaskRunMsEach: number[] = [];
  const byId = new Map(events.map((e) => [idOf(e), e]));
  for (const e of events) {
    const done = e.workflowTaskCompletedEventAttributes;
    if (!done) continue;
    const sched = byId.get(Number(done.scheduledEventId));
    const start = byId.get(Number(done.startedEventId));
    if (!sched || !start) continue;
    workflowTaskQueuedMs += timeOf(start) - timeOf(sched);
    workflowTaskRunMs += timeOf(e) - timeOf(start);
    workflowTaskRunMsEach.push(timeOf(e) - timeOf(start));
  }
  return {
    executionMs,
    activities,
    outsideActivitiesMs: executionMs - inActivities,
    events: events.length,
    workflowTasks: events.filter((e) => e.workflowTaskScheduledEventAttributes).length,
    workflowTaskQueuedMs,
    workflowTaskRunMs,
    workflowTaskRunMsEach,
    searchAttributeUpserts: events.filter((e) => e.upsertWorkflowSearchAttributesEventAttributes).length,
    overlapping,
  };
}
