import { LatestRuns, type ListedRun } from '../../src/client/latest-runs';

/** The `status` overview counts tasks, each by its latest run (src/client/latest-runs.ts). */

const run = (id: string, status: string, startedMs: number, running = false): ListedRun => ({
  row: { id, status, specialist: 'DatabaseAgent', cost: 0, started: new Date(startedMs) },
  running,
});

describe('LatestRuns', () => {
  it('counts a dead letter reset into a completed task once, as completed, in whichever order its runs are listed', () => {
    for (const order of [[run('reset-1', 'completed', 2_000), run('reset-1', 'dead_lettered', 1_000)], [run('reset-1', 'dead_lettered', 1_000), run('reset-1', 'completed', 2_000)]]) {
      const tasks = new LatestRuns();
      for (const r of order) tasks.add(r);
      expect(tasks.size).toBe(1);
      expect(tasks.summary()).toEqual({ counts: { completed: 1 }, inProgress: [] });
    }
  });

  it("counts a reset chain's step once, in progress only when its latest run runs", () => {
    const tasks = new LatestRuns();
    tasks.add(run('chain-1:step-1', 'running', 3_000, true));
    tasks.add(run('chain-1:step-1', 'terminated', 1_000));
    tasks.add(run('chain-2:step-1', 'completed', 4_000));
    tasks.add(run('chain-2:step-1', 'running', 2_000, true));
    const { counts, inProgress } = tasks.summary();
    expect(counts).toEqual({ running: 1, completed: 1 });
    expect(inProgress.map((row) => row.id)).toEqual(['chain-1:step-1']);
  });

  it('counts different tasks apart', () => {
    const tasks = new LatestRuns();
    tasks.add(run('a', 'completed', 1_000));
    tasks.add(run('b', 'completed', 1_000));
    tasks.add(run('c', 'dead_lettered', 1_000));
    expect(tasks.size).toBe(3);
    expect(tasks.summary().counts).toEqual({ completed: 2, dead_lettered: 1 });
  });
});
