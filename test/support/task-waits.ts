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

/**
 * Waits until the tasks have settled into what the budget allows: no call in flight and none
 * made for `quietMs` (longer than a waiting task's 5 s between checks). Polls the ledger's query
 * and the provider's own call log only: 100 task queries a second would load the server more
 * than the tasks themselves.
 */
export async function waitUntilQuiet(h: Harness, quietMs: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let calls = -1;
  let since = Date.now();
  for (;;) {
    const now = h.provider.calls().length;
    const { outstanding } = await h.gate.snapshot();
    if (now !== calls || outstanding.count > 0) [calls, since] = [now, Date.now()];
    else if (Date.now() - since >= quietMs) return;
    if (Date.now() > deadline) throw new Error(`still spending after ${timeoutMs} ms (${now} calls)`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
