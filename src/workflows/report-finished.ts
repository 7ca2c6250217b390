import { CancellationScope, getExternalWorkflowHandle, log, workflowInfo } from '@temporalio/workflow';
import type { TaskFinished } from '../god/types';
import { taskFinishedSignal } from './god-api';

/** Workflow time since this execution started (recorded in history: deterministic on replay). */
export function elapsedMs(): number {
  return Date.now() - workflowInfo().startTime.getTime();
}

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
