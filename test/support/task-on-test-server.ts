import { temporal } from '@temporalio/proto';
import type { WorkflowHandle } from '@temporalio/client';
import { closedResult } from '../../src/tasks/closed-outcome';
import type { TaskOutcome } from '../../src/workflows/task-state';
import type { TimeSkippingHarness } from './time-skipping';

/**
 * Skips server time `stepMs` at a time until the task closes (time runs at wall pace while an
 * activity is in flight), failing after `wallMs` of wall time; the task's outcome, failed or not.
 */
export async function untilClosed(h: Pick<TimeSkippingHarness, 'sleep'>, handle: WorkflowHandle, { stepMs, wallMs }: { stepMs: number; wallMs: number }): Promise<TaskOutcome> {
  const deadline = Date.now() + wallMs;
  while ((await handle.describe()).status.name === 'RUNNING') {
    if (Date.now() > deadline) throw new Error(`task ${handle.workflowId} still running after ${Math.round(wallMs / 1000)} s of wall time`);
    await h.sleep(stepMs);
  }
  return closedResult(handle);
}

/** Every PantheonStatus the task published, in order, from its history. */
export async function publishedStatuses(handle: WorkflowHandle): Promise<string[]> {
  const events = (await handle.fetchHistory()).events ?? [];
  return events
    .filter((e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES)
    .map((e) => e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.PantheonStatus?.data)
    .filter((d): d is Uint8Array => d != null)
    .map((d) => JSON.parse(Buffer.from(d).toString()) as string);
}
