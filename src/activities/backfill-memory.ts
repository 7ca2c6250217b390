import { Context, log } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { asActivity } from '../errors/temporal';
import { isPantheonError } from '../errors';
import { closedResult } from '../tasks/closed-outcome';
import type { TaskOutcome } from '../workflows/task-state';
import type { StoreMemoryInput, StoreMemoryResult } from './types';

/**
 * Writes the memory records tasks could not write when they ended (the store was down through
 * their store-memory retries, src/workflows/agent-task.ts): finds the closed tasks marked
 * PantheonMemoryPending through a visibility query, reads each one's record from its outcome
 * (`memoryPending`) and writes it with the same storeMemory the task would have used. Idempotent:
 * storeMemory keys records by task, so a repeated backfill (or one racing another) writes nothing
 * twice and reports the record as already stored. A closed task's search attributes cannot change,
 * so the mark stays; the store's idempotency is what makes a second pass a no-op.
 *
 * @example
 *   const backfill = createBackfillMemory({ client, storeMemory: createStoreMemory(deps) });
 *   const report = await backfill({ limit: 100 }); // { found, written, alreadyStored, failed }
 */
export interface BackfillMemoryInput {
  /** Tasks looked at per run, newest first; default 500. */
  limit?: number;
  /** Only tasks of this task queue; unset: every agentTask in the namespace. */
  taskQueue?: string;
}

export interface BackfillMemoryReport {
  /** Closed tasks marked PantheonMemoryPending that were looked at. */
  found: number;
  written: number;
  /** Records already in the store (an earlier backfill, or the write landed after all). */
  alreadyStored: number;
  /** Records that still could not be written; the store is likely still down. */
  failed: Array<{ taskId: string; error: string }>;
  /** Set when the pass ended with pending tasks it did not look at: at the store's first failed
   * write ('store_down'), or at its limit ('limit'). The next pass takes them. */
  stoppedEarly?: 'store_down' | 'limit';
}

export interface BackfillMemoryDeps {
  client: Client;
  /** The store-memory activity's body (src/activities/store-memory.ts): the record is written exactly as the task would have. */
  storeMemory: (input: StoreMemoryInput) => Promise<StoreMemoryResult>;
}

export const DEFAULT_BACKFILL_LIMIT = 500;

/** Closed tasks whose record waits; a running task is not done deciding what to write. */
export function pendingMemoryQuery(taskQueue?: string): string {
  const base = "WorkflowType = 'agentTask' AND PantheonMemoryPending = true AND ExecutionStatus != 'Running'";
  // Task queue names come from configuration, but a quote must still not change the query.
  return taskQueue ? `${base} AND TaskQueue = '${taskQueue.replace(/'/g, '')}'` : base;
}

/**
 * The record a task kept when its store was down, with the cost and tokens its outcome reports:
 * the record was put aside before the task's bill was closed, and the bill (what the ledger
 * charged, re-paid and in-flight calls included) can be larger than the task's own books.
 */
export function pendingRecord(outcome: Pick<TaskOutcome, 'memoryPending' | 'costUsd' | 'tokens'>): StoreMemoryInput {
  const pending = outcome.memoryPending;
  if (!pending) throw new Error('marked PantheonMemoryPending, but its outcome holds no pending record');
  const { input } = pending;
  return {
    ...input,
    costUsd: Math.max(input.costUsd, outcome.costUsd),
    ...((input.tokens !== undefined || outcome.tokens > 0) && { tokens: Math.max(input.tokens ?? 0, outcome.tokens) }),
  };
}

/** A store still down ends the pass at its first failed write: the rest would fail the same way (and each wait out the store's timeout); the next pass takes them. */
const STORE_DOWN_STOPS_AFTER = 1;

export function createBackfillMemory({ client, storeMemory }: BackfillMemoryDeps) {
  return async function backfillMemory(input: BackfillMemoryInput = {}): Promise<BackfillMemoryReport> {
    const limit = input.limit ?? DEFAULT_BACKFILL_LIMIT;
    const report: BackfillMemoryReport = { found: 0, written: 0, alreadyStored: 0, failed: [] };
    let storeDown = 0;
    for await (const info of client.workflow.list({ query: pendingMemoryQuery(input.taskQueue), pageSize: Math.min(limit, 200) })) {
      // Another pending task is here, and this pass will not look at it: say so.
      if (storeDown >= STORE_DOWN_STOPS_AFTER || report.found >= limit) {
        report.stoppedEarly = storeDown >= STORE_DOWN_STOPS_AFTER ? 'store_down' : 'limit';
        break;
      }
      report.found += 1;
      Context.current().heartbeat(report.found);
      const taskId = info.workflowId;
      try {
        const outcome = await closedResult<TaskOutcome>(client.workflow.getHandle(taskId, info.runId));
        const { stored } = await storeMemory(pendingRecord(outcome));
        if (stored) report.written += 1;
        else report.alreadyStored += 1;
      } catch (err) {
        if (isPantheonError(err) && err.type === 'store_unavailable') storeDown += 1;
        report.failed.push({ taskId, error: String((err as Error)?.message ?? err).slice(0, 300) });
      }
    }
    log.info('memory backfill', { found: report.found, written: report.written, alreadyStored: report.alreadyStored, failed: report.failed.length, stoppedEarly: report.stoppedEarly });
    return report;
  };
}

/** The backfill as an activity (typed failures); the worker registers it beside the task activities. */
export function createBackfillActivities(deps: BackfillMemoryDeps) {
  const backfill = createBackfillMemory(deps);
  return { backfillMemory: (input: BackfillMemoryInput = {}) => asActivity(() => backfill(input)) };
}

export type BackfillActivities = ReturnType<typeof createBackfillActivities>;
