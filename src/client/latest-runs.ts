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
