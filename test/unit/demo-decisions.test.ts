import { inTimeOrder, newDecisionLines, newWaitLines, type TimedLine } from '../../src/demo/god-progress';

const texts = (lines: TimedLine[]) => lines.map((line) => line.text);
import { compactState } from '../../src/god/state';
import type { DecisionRecord } from '../../src/god/types';
import type { TaskState } from '../../src/workflows/task-state';
import { freshState, godConfig } from '../support/god-fixtures';

/** What the demo prints of God's decision log while it watches its batch. */
describe("the demo's decision lines", () => {
  const START = Date.parse('2026-12-05T02:07:35Z');
  const slugs = new Map([['demo-20261205T020735-orders-index', 'orders-index']]);
  const log: DecisionRecord[] = [
    // An earlier `npm start` against the same God: its batch's decisions are still in God's log.
    { atMs: START - 27 * 60_000, kind: 'finished', taskId: 'demo-20261205T014002-orders-index', detail: 'completed $0.0006 (DatabaseAgent)' },
    { atMs: START + 900, kind: 'route', taskId: 'demo-20261205T020735-orders-index', detail: 'rules: DatabaseAgent (confidence 0.95)' },
    { atMs: START + 1_900, kind: 'finished', taskId: 'demo-20261205T020735-orders-index', detail: 'completed $0.0007 (DatabaseAgent)' },
  ];

  it("prints only this run's decisions, each once, named by the demo's slug", () => {
    const printed = new Set<string>();
    expect(texts(newDecisionLines(log.slice(0, 2), printed, slugs, START))).toEqual([
      '  02:07:35 god route     orders-index       rules: DatabaseAgent (confidence 0.95)',
    ]);
    // The next poll returns the whole log again, with one decision more.
    expect(texts(newDecisionLines(log, printed, slugs, START))).toEqual(['  02:07:36 god finished  orders-index       completed $0.0007 (DatabaseAgent)']);
  });

  it('does not print a decision again when God clips its long detail between two polls', () => {
    const long: DecisionRecord = { atMs: START + 900, kind: 'route', taskId: 'demo-20261205T020735-orders-index', detail: `rules: DatabaseAgent (confidence 0.95); ${'policy v1 (active): DatabaseAgent, Thompson pick; '.repeat(10)}` };
    const printed = new Set<string>();
    expect(newDecisionLines([long], printed, slugs, START)).toHaveLength(1);
    // God's state compaction (each loop, and before continue-as-new) trims every detail it keeps.
    const compacted = compactState(freshState({ recent: [long] }), godConfig()).recent;
    expect(compacted[0].detail).not.toBe(long.detail);
    expect(newDecisionLines(compacted, printed, slugs, START)).toEqual([]);
  });

  it('prints a line when a watched task starts waiting for budget, once per wait', () => {
    const id = 'demo-20261205T020735-orders-index';
    const base: TaskState = { taskId: id, status: 'running', objective: 'x', priority: 'normal', iteration: 1, compressions: [], promptTokens: [], costUsd: 0, tokens: 0, reasons: [], failures: [], specialistsTried: [], requeues: 0 };
    const wait = (checks: number, position: number): TaskState => ({
      ...base,
      status: 'waiting_budget',
      budgetWait: { type: 'system_budget_full', reason: `system:hour has no room: position ${position} of 5`, position, waiting: 5, retryAtMs: Date.parse('2026-12-05T03:00:00Z'), sinceMs: START + 5_000, checks },
    });
    const announced = new Set<string>();
    expect(newWaitLines(new Map([[id, base]]), announced, slugs)).toEqual([]);
    expect(texts(newWaitLines(new Map([[id, wait(1, 3)]]), announced, slugs))).toEqual([
      '  02:07:40 task waiting   orders-index       for budget (room by 03:00:00 UTC): system:hour has no room: position 3 of 5',
    ]);
    // Later checks of the same wait move it up the line: nothing new to say.
    expect(newWaitLines(new Map([[id, wait(2, 1)]]), announced, slugs)).toEqual([]);
    // A new wait (after a run that was let through) is news again.
    const again: TaskState = { ...wait(1, 2), budgetWait: { ...wait(1, 2).budgetWait!, sinceMs: START + 65_000 } };
    expect(newWaitLines(new Map([[id, again]]), announced, slugs)).toHaveLength(1);
  });

  it("prints one poll's decisions and waits in the order they happened, not decisions first", () => {
    const id = 'demo-20261205T020735-orders-index';
    const waiting: TaskState = {
      taskId: id, status: 'waiting_budget', objective: 'x', priority: 'normal', iteration: 1, compressions: [], promptTokens: [], costUsd: 0, tokens: 0, reasons: [], failures: [], specialistsTried: [], requeues: 0,
      budgetWait: { type: 'system_budget_full', reason: 'system:hour has no room', position: 1, waiting: 1, sinceMs: START + 1_000, checks: 1 },
    };
    const decided = newDecisionLines(log, new Set(), slugs, START);
    const waits = newWaitLines(new Map([[id, waiting]]), new Set(), slugs);
    expect(inTimeOrder(decided, waits).map((line) => line.slice(2, 23))).toEqual([
      '02:07:35 god route   ',
      '02:07:36 task waiting',
      '02:07:36 god finished',
    ]);
  });
});
