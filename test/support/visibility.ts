import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { runCli, type CliResult } from './cli';
import { eventually } from './eventually';

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

/**
 * Runs a CLI command that lists through visibility until its output shows what `shows` looks for
 * (a task that just ended may not be listed yet), and returns that run; fails with the last
 * output if it never does.
 */
export async function cliUntilListed(args: string[], env: Record<string, string>, shows: (stdout: string) => boolean, timeoutMs = 30_000): Promise<CliResult> {
  return eventually(
    `pantheon ${args.join(' ')} to show what was expected`,
    async () => {
      const run = await runCli(args, env);
      if (run.code === 0 && shows(run.stdout)) return run;
      // Thrown, not returned: eventually names the last one when it gives up.
      throw new Error(`last exit ${run.code}:\n${run.stdout}${run.stderr}`);
    },
    timeoutMs,
    500,
  );
}
