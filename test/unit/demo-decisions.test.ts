import { newDecisionLines } from '../../src/demo/god-progress';
import { compactState } from '../../src/god/state';
import type { DecisionRecord } from '../../src/god/types';
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
    expect(newDecisionLines(log.slice(0, 2), printed, slugs, START)).toEqual([
      '  02:07:35 god route     orders-index       rules: DatabaseAgent (confidence 0.95)',
    ]);
    // The next poll returns the whole log again, with one decision more.
    expect(newDecisionLines(log, printed, slugs, START)).toEqual(['  02:07:36 god finished  orders-index       completed $0.0007 (DatabaseAgent)']);
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
});
