import type { Client } from '@temporalio/client';
import { retryingActivities, retryingLines, type RetryingActivity } from './retrying-activities';

/** How often a waiting command looks at the task's activities. */
export const RETRY_PROGRESS_EVERY_MS = 2_000;

/**
 * Waits for `result` while telling the user, on stderr, when the task's activities start failing
 * and retrying (God not answering for validation, a provider failing every call): a `--wait`
 * that would otherwise sit silent for minutes. A line is printed when an activity's attempt
 * changes, not on every look. Looking never fails the wait.
 */
export async function waitShowingRetries<T>(client: Client, workflowId: string, result: Promise<T>, everyMs = RETRY_PROGRESS_EVERY_MS): Promise<T> {
  const shown = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let done = false;
  const look = async () => {
    try {
      const description = await client.workflow.getHandle(workflowId).describe();
      const key = (r: RetryingActivity) => `${r.activityId}#${r.attempt}`;
      const fresh = retryingActivities(description.raw.pendingActivities, Date.now()).filter((r) => !shown.has(key(r)));
      for (const r of fresh) shown.add(key(r));
      if (!done) for (const line of retryingLines(fresh)) console.error(line);
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
