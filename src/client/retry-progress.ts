import type { Client } from '@temporalio/client';
import { stateQuery } from '../workflows/agent-task-api';
import { TaskStatus } from '../workflows/search-attributes';
import { budgetWaitLines, formatUsd, providerWaitLines } from './format';
import type { ChainState } from '../tasks/chain';
import type { TaskState } from '../workflows/task-state';
import { liveRuns, runProgressLines } from './live-run';
import { runningStepOf } from './tasks';
import { retryingActivities, retryingLines, type RetryingActivity } from './retrying-activities';

/** How often a waiting command looks at the task's activities. */
export const RETRY_PROGRESS_EVERY_MS = 2_000;

/** A specialist run's progress is told only once the wait is this long: a task that ends within
 * seconds keeps a quiet stderr. */
export const RUN_PROGRESS_AFTER_MS = 10_000;

/** The waits a waiting command tells of, by the status that shows them: which wait it is (each is
 * told once) and its lines. */
const WAITS = new Map<unknown, (state: TaskState, nowMs: number) => { key: string; lines: string[] } | undefined>([
  // One wait for budget is told once, however often its checks flip the status.
  ['waiting_budget', (state, nowMs) => (state.budgetWait ? { key: `budget#${state.budgetWait.sinceMs}`, lines: budgetWaitLines(state, nowMs) } : undefined)],
  // Each wait for the provider is told once (its count names it).
  ['waiting_provider', (state, nowMs) => (state.providerWait ? { key: `provider#${state.providerWait.waits}`, lines: providerWaitLines(state, nowMs) } : undefined)],
]);

/**
 * Waits for `result` while telling the user, on stderr, when the task's activities start failing
 * and retrying (God not answering for validation, a provider failing every call), and when it
 * waits for budget (why, and its place in line) or for a provider outage to pass: a `--wait` that would otherwise sit silent for
 * minutes. A line is printed when an activity's attempt changes, and once per wait for budget, not
 * on every look. Once the wait has lasted {@link RUN_PROGRESS_AFTER_MS}, the specialist run's
 * progress too, each time its checkpoint has more iterations (live-run.ts). Looking never fails
 * the wait.
 */
export async function waitShowingRetries<T>(client: Client, workflowId: string, result: Promise<T>, everyMs = RETRY_PROGRESS_EVERY_MS): Promise<T> {
  const shown = new Set<string>();
  const startedMs = Date.now();
  let timer: NodeJS.Timeout | undefined;
  let done = false;
  const look = async () => {
    try {
      const description = await client.workflow.getHandle(workflowId).describe();
      const key = (r: RetryingActivity) => `${r.activityId}#${r.attempt}`;
      const fresh = retryingActivities(description.raw.pendingActivities, Date.now()).filter((r) => !shown.has(key(r)));
      for (const r of fresh) shown.add(key(r));
      if (!done) for (const line of retryingLines(fresh)) console.error(line);
      if (Date.now() - startedMs >= RUN_PROGRESS_AFTER_MS) {
        const runs =
          description.type === 'taskChain'
            ? ((await runningStepOf(client, (await client.workflow.getHandle(workflowId).query(stateQuery)) as unknown as ChainState))?.live ?? [])
            : await liveRuns(client.workflow.options.loadedDataConverter, description.raw.pendingActivities, Date.now());
        // A run that has done nothing yet (its first call hangs, say) is no progress to tell.
        const advanced = runs.filter((r) => r.iteration > 0 && !shown.has(`run#${r.step ?? 0}#${r.iteration}`));
        for (const r of advanced) shown.add(`run#${r.step ?? 0}#${r.iteration}`);
        if (!done) for (const line of runProgressLines(advanced, formatUsd)) console.error(line);
      }
      // A wait shows in the status search attribute; the state says why (a query, asked only then).
      const tell = WAITS.get(description.typedSearchAttributes.get(TaskStatus));
      if (tell) {
        const wait = tell(await client.workflow.getHandle(workflowId).query(stateQuery), Date.now());
        if (wait && !shown.has(wait.key) && !done) {
          shown.add(wait.key);
          for (const line of wait.lines) console.error(line);
        }
      }
    } catch {
      // The next look may do better; the wait itself is what matters.
    }
    if (!done) timer = setTimeout(look, everyMs);
  };
  timer = setTimeout(look, everyMs);
  try {
    return await result;
  } finally {
    done = true;
    clearTimeout(timer);
  }
}
