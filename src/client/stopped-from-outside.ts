import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import { historyText, requestLine, type CancelRequest } from './cancel-request';

/**
 * How a task's workflow was stopped from outside, which the task itself never learns (its state
 * ends with it): who terminated it and why (`temporal workflow terminate --reason`), or the
 * timeout set at its start that passed.
 */
export type Stopped = { how: 'terminated'; by?: string; reason?: string } | { how: 'timed_out'; executionTimeoutSeconds?: number; runTimeoutSeconds?: number };

/**
 * Reads how a closed run was stopped: a termination's requester and reason from its history's
 * last event (one event read: a terminated run ends with it), a timeout from the run's description.
 * Undefined for a run that ended otherwise.
 */
export async function stoppedFromOutside(client: Client, description: WorkflowExecutionDescription): Promise<Stopped | undefined> {
  if (description.status.name === 'TIMED_OUT') {
    const config = description.raw.executionConfig;
    const seconds = (d: { seconds?: unknown } | null | undefined) => (d?.seconds ? Number(d.seconds) : undefined) || undefined;
    const executionTimeoutSeconds = seconds(config?.workflowExecutionTimeout);
    const runTimeoutSeconds = seconds(config?.workflowRunTimeout);
    return { how: 'timed_out', ...(executionTimeoutSeconds && { executionTimeoutSeconds }), ...(runTimeoutSeconds && { runTimeoutSeconds }) };
  }
  if (description.status.name !== 'TERMINATED') return undefined;
  const last = await client.workflowService.getWorkflowExecutionHistoryReverse({
    namespace: client.options.namespace,
    execution: { workflowId: description.workflowId, runId: description.runId },
    maximumPageSize: 1,
  });
  const terminated = last.history?.events?.[0]?.workflowExecutionTerminatedEventAttributes;
  const request: CancelRequest = terminated ? { by: historyText(terminated.identity), reason: historyText(terminated.reason) } : {};
  return { how: 'terminated', ...(request.by && { by: request.by }), ...(request.reason && { reason: request.reason }) };
}

/**
 * The status line: `terminated by temporal-cli:alice@host: "ops kill"`, or `timed out: its
 * execution timeout (60 s, set at its start) passed`.
 */
export function stoppedLine(stopped: Stopped): string {
  if (stopped.how === 'terminated') return requestLine('terminated', stopped);
  const timeouts = [
    // The server gives a run without its own timeout the execution's: one timeout, said once.
    ...(stopped.runTimeoutSeconds && stopped.runTimeoutSeconds !== stopped.executionTimeoutSeconds ? [`run timeout ${stopped.runTimeoutSeconds} s`] : []),
    ...(stopped.executionTimeoutSeconds ? [`execution timeout ${stopped.executionTimeoutSeconds} s`] : []),
  ];
  return `timed out: ${timeouts.length ? `its ${timeouts.join(' or ')}, set at its start, passed` : 'a timeout set at its start passed'}`;
}
