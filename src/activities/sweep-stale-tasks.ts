import { Context, log } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Roster } from '../specialists/roster';
import { flagStaleSignal, requeueSignal } from '../workflows/agent-task-api';
import { runAgeMinutes } from '../tasks/staleness';
import { TaskActiveSince, TaskSpecialist, TaskStale, TaskStatus } from '../workflows/search-attributes';
import type { Alerter } from '../alerts/alerter';
import type { StalePolicy, SweepReport, SweepStaleTasksInput } from './types';

export interface SweeperDeps {
  client: Client;
  roster: Roster;
  alerter: Alerter;
  now?: () => number;
}

const RUNNING_TASKS = "WorkflowType = 'agentTask' AND ExecutionStatus = 'Running'";

/**
 * Finds tasks whose current specialist run has been in progress longer than the specialist's
 * expected duration (through a visibility query, so it sees every worker's tasks) and flags,
 * requeues or cancels them per the policy. A run is measured from its start or its requeue, not
 * counting time waiting for budget (src/tasks/staleness.ts), so a breaker trip or a requeue does
 * not make tasks stale. Requeues are bounded by each task's maxRequeues, so a poison task ends
 * cancelled, not looping.
 */
export function createSweepStaleTasks({ client, roster, alerter, now = Date.now }: SweeperDeps) {
  return async function sweepStaleTasks({ policy, taskQueue }: SweepStaleTasksInput): Promise<SweepReport> {
    const report: SweepReport = { checked: 0, stale: [] };
    // One alert per task and sweep: a retry of this activity repeats its alerts under the same
    // ids (the alerter drops the repeats), a later sweep's action is news.
    const sweepId = Context.current().info.workflowExecution?.workflowId ?? 'direct';
    await roster.refresh?.();
    // Task queue names come from configuration, but a quote must still not change the query.
    const query = taskQueue ? `${RUNNING_TASKS} AND TaskQueue = '${taskQueue.replace(/'/g, '')}'` : RUNNING_TASKS;
    for await (const info of client.workflow.list({ query, pageSize: 200 })) {
      report.checked += 1;
      Context.current().heartbeat(report.checked);
      const name = info.typedSearchAttributes.get(TaskSpecialist);
      const specialist = (name && roster.get(name)) || roster.fallback;
      const attrs = info.typedSearchAttributes;
      const ageMinutes = runAgeMinutes({ startTime: info.startTime, activeSince: attrs.get(TaskActiveSince), status: attrs.get(TaskStatus) }, now());
      if (ageMinutes === undefined || ageMinutes <= specialist.expected_duration_minutes) continue;
      const alreadyFlagged = attrs.get(TaskStale) === true;
      if (policy === 'flag' && alreadyFlagged) continue;
      const reason = `running ${ageMinutes.toFixed(2)} min this run; ${specialist.name} is expected to take ${specialist.expected_duration_minutes}`;
      await act(client, info.workflowId, policy, reason);
      report.stale.push({ taskId: info.workflowId, specialist: specialist.name, ageMinutes, action: policy });
      log.warn('stale task', { taskId: info.workflowId, action: policy, reason });
      await alerter.alert({ id: `${info.workflowId}:stale:${policy}:${sweepId}`, kind: 'stale_task', message: `task ${info.workflowId} is stale (${policy}): ${reason}`, details: { taskId: info.workflowId, policy, ageMinutes } });
    }
    return report;
  };
}

async function act(client: Client, workflowId: string, policy: StalePolicy, reason: string): Promise<void> {
  const handle = client.workflow.getHandle(workflowId);
  switch (policy) {
    case 'flag':
      return handle.signal(flagStaleSignal, { reason });
    case 'requeue':
      return handle.signal(requeueSignal, { reason });
    case 'cancel':
      // The flag first, so the task's cancelled reason says why.
      await handle.signal(flagStaleSignal, { reason, cancelling: true });
      await handle.cancel();
  }
}
