import { CancellationScope, getExternalWorkflowHandle, log, patched, workflowInfo } from '@temporalio/workflow';
import type { TaskFinished } from '../god/types';
import type { RoutedChoice } from '../activities/types';
import type { TaskOutcome } from './task-state';
import { routedOutcomeSignal, taskFinishedSignal } from './god-api';
import { REPORT_REASON_CHARS, trimText } from '../tasks/report';

/** A task routed by God's policy but not started by God tells God how it ended; its marker is
 * recorded only for such a task. */
export const ROUTED_OUTCOME_PATCH = 'routed-outcome';

/** Workflow time since this execution started (recorded in history: deterministic on replay). */
export function elapsedMs(): number {
  return Date.now() - workflowInfo().startTime.getTime();
}

/**
 * Tells God how a task ended that God's routing policy chose a specialist for but God did not start
 * (no `reportTo`): the policy learns from directly started tasks too. Best effort: a God that is
 * not running only costs a log line. `isPatched`: the caller's `patched` (agentTask folds its patches).
 */
export async function reportRoutedOutcome(reportTo: string | undefined, learn: RoutedChoice | undefined, outcome: TaskOutcome, durationMs: number, isPatched: (id: string) => boolean = patched): Promise<void> {
  if (reportTo || !learn || !isPatched(ROUTED_OUTCOME_PATCH)) return;
  await CancellationScope.nonCancellable(async () => {
    try {
      await getExternalWorkflowHandle(learn.godId).signal(routedOutcomeSignal, {
        taskId: outcome.taskId,
        status: outcome.status as RoutedOutcomeStatus,
        costUsd: outcome.costUsd,
        durationMs,
        objective: outcome.objective.slice(0, 200),
        kind: learn.kind,
        value: learn.value,
        reason: trimText(outcome.reasons[0] ?? '', REPORT_REASON_CHARS),
        decision: learn.decision,
      });
    } catch (err) {
      log.warn('routed outcome not delivered to God; God learns from the tasks it routes', { taskId: outcome.taskId, godId: learn.godId, error: String(err) });
    }
  });
}

type RoutedOutcomeStatus = TaskFinished['status'];

/**
 * Signals `taskFinished` to the `reportTo` workflow by id (no run id, so it reaches the current
 * run after continue-as-new). Runs even in a cancelled workflow. A receiver that is not running
 * only costs a log line: it reconciles against visibility, and the task's end stands as it is.
 */
export async function reportFinished(reportTo: string | undefined, report: TaskFinished): Promise<void> {
  if (!reportTo) return;
  await CancellationScope.nonCancellable(async () => {
    try {
      await getExternalWorkflowHandle(reportTo).signal(taskFinishedSignal, report);
      log.info('outcome reported', { taskId: report.taskId, reportTo, status: report.status });
    } catch (err) {
      log.warn('outcome report not delivered; the receiver reconciles', { taskId: report.taskId, reportTo, error: String(err) });
    }
  });
}
