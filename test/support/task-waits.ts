import { stateQuery } from '../../src/workflows/agent-task-api';
import { closedResult } from '../../src/tasks/closed-outcome';
import type { TaskOutcome, TaskState } from '../../src/workflows/task-state';
import type { Harness } from './harness';

/** A task's state: its live query answer while it runs, its outcome once it ended. */
export async function stateOf(h: Harness, taskId: string): Promise<TaskState> {
  const handle = h.client.workflow.getHandle(taskId);
  const description = await handle.describe();
  return description.status.name === 'RUNNING' ? handle.query(stateQuery) : ((await closedResult(handle)) as TaskOutcome);
}

/** The statuses a task published, in order, from its history's search attribute upserts. */
export async function publishedStatuses(h: Harness, taskId: string): Promise<string[]> {
  const history = await h.client.workflow.getHandle(taskId).fetchHistory();
  return (history.events ?? []).flatMap((e) => {
    const field = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.PantheonStatus;
    return field?.data ? [JSON.parse(Buffer.from(field.data).toString()) as string] : [];
  });
}

/**
 * Waits until the tasks have settled into what the budget allows: no call in flight and none
 * made for `quietMs` (longer than a waiting task's 5 s between checks), and, given `taskQueue`,
 * every task still running on it waiting for budget (by its PantheonStatus search attribute): on
 * a loaded machine, quiet alone can come before the tasks have even made their first call. Polls
 * the ledger's query, the provider's own call log and two visibility counts only: 100 task
 * queries a second would load the server more than the tasks themselves.
 */
export async function waitUntilQuiet(h: Harness, quietMs: number, timeoutMs: number, taskQueue?: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let calls = -1;
  let since = Date.now();
  const notWaiting = async () => {
    if (!taskQueue) return 0;
    const running = `TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running"`;
    const [all, waiting] = await Promise.all([h.client.workflow.count(running), h.client.workflow.count(`${running} AND PantheonStatus = "waiting_budget"`)]);
    return all.count - waiting.count;
  };
  for (;;) {
    const now = h.provider.calls().length;
    const { outstanding } = await h.gate.snapshot();
    if (now !== calls || outstanding.count > 0) [calls, since] = [now, Date.now()];
    else if (Date.now() - since >= quietMs && (await notWaiting()) === 0) return;
    if (Date.now() > deadline) throw new Error(`still spending after ${timeoutMs} ms (${now} calls; ${await notWaiting()} tasks running and not waiting for budget)`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
