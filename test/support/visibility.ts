import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { eventually } from './god';

/**
 * The runs the visibility store lists for a workflow id (newest first), read once the listing has
 * caught up with the server's own record of the current run. Visibility is eventually consistent: a
 * list right after a start can come back empty (seen in CI), so "exactly one run" is only checkable
 * after the current run (from describe, which is not visibility) appears in it.
 */
export async function listedRuns(client: Client, workflowId: string): Promise<WorkflowExecutionInfo[]> {
  const current = (await client.workflow.getHandle(workflowId).describe()).runId;
  return eventually(`visibility to list run ${current} of ${workflowId}`, async () => {
    const runs: WorkflowExecutionInfo[] = [];
    for await (const run of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push(run);
    return runs.some((r) => r.runId === current) ? runs : undefined;
  });
}
