import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { listWithoutMemos } from './list-workflows';

/** A task as one of its runs lists it (`taskRow`), and whether that run is still running. */
export interface ListedRun {
  row: { id: string; status: string; specialist: string; cost: number; started: Date };
  running: boolean;
}

/**
 * The tasks some listed runs belong to, each by its latest run. A visibility query matches runs,
 * not tasks: a task reset since (`temporal workflow reset`, a chain's steps with it) keeps its old
 * run beside the new one, and counting both counted the task twice, under a status it no longer has.
 *
 * @example
 *   const tasks = new LatestRuns();
 *   tasks.add({ row: { id: 'a', status: 'dead_lettered', ... , started: t0 }, running: false });
 *   tasks.add({ row: { id: 'a', status: 'completed', ... , started: t1 }, running: false }); // t1 > t0
 *   tasks.summary() // { counts: { completed: 1 }, inProgress: [] }
 */
export class LatestRuns {
  private readonly byId = new Map<string, ListedRun>();

  /** Keeps the run if it is its task's first seen or started later than the one kept. */
  add(run: ListedRun): void {
    const kept = this.byId.get(run.row.id);
    if (!kept || run.row.started.getTime() > kept.row.started.getTime()) this.byId.set(run.row.id, run);
  }

  /** How many tasks the runs added so far belong to. */
  get size(): number {
    return this.byId.size;
  }

  /** Counts per listed status, and the tasks whose latest run is running, in the order first seen. */
  summary(): { counts: Record<string, number>; inProgress: ListedRun['row'][] } {
    const counts: Record<string, number> = {};
    const inProgress: ListedRun['row'][] = [];
    for (const { row, running } of this.byId.values()) {
      counts[row.status] = (counts[row.status] ?? 0) + 1;
      if (running) inProgress.push(row);
    }
    return { counts, inProgress };
  }
}

/** A bounded IN list per query: visibility stores cap a query's length. */
const IDS_PER_QUERY = 100;

/** Ids a visibility query can quote as they are; any other is taken as its own latest run. */
const QUOTABLE = /^[^'"\\]+$/;

/** The run each of `ids` runs now or ran last (by start time), as visibility lists them. */
async function latestRunIds(client: Client, ids: readonly string[]): Promise<Map<string, { runId: string; started: number }>> {
  const latest = new Map<string, { runId: string; started: number }>();
  const quotable = [...new Set(ids)].filter((id) => QUOTABLE.test(id));
  for (let i = 0; i < quotable.length; i += IDS_PER_QUERY) {
    const query = `WorkflowId IN (${quotable.slice(i, i + IDS_PER_QUERY).map((id) => `'${id}'`).join(', ')})`;
    for await (const info of listWithoutMemos(client, query, 1000)) {
      const kept = latest.get(info.workflowId);
      const started = info.startTime.getTime();
      if (!kept || started > kept.started) latest.set(info.workflowId, { runId: info.runId, started });
    }
  }
  return latest;
}

/**
 * Up to `limit` of the listed runs, in their order, that are their task's latest run, each task
 * once. A visibility query matches runs: a task reset since (`temporal workflow reset`) keeps its
 * old run, which a status filter can match when the new run does not (`list --status
 * dead_lettered` listed a task whose reset run completed); without a filter the task was listed
 * twice. Each batch of candidates costs one more visibility query, for their latest runs.
 */
export async function latestRunsOf(client: Client, runs: AsyncIterable<WorkflowExecutionInfo>, limit: number): Promise<WorkflowExecutionInfo[]> {
  const kept: WorkflowExecutionInfo[] = [];
  const listed = new Set<string>();
  const source = runs[Symbol.asyncIterator]();
  let exhausted = false;
  while (kept.length < limit && !exhausted) {
    const batch: WorkflowExecutionInfo[] = [];
    while (batch.length < limit - kept.length) {
      const next = await source.next();
      if (next.done) {
        exhausted = true;
        break;
      }
      if (!listed.has(next.value.workflowId)) batch.push(next.value);
    }
    const latest = await latestRunIds(client, batch.map((info) => info.workflowId));
    for (const info of batch) {
      const newest = latest.get(info.workflowId);
      if (listed.has(info.workflowId) || (newest && newest.runId !== info.runId)) continue;
      listed.add(info.workflowId);
      kept.push(info);
    }
  }
  await source.return?.();
  return kept;
}
