const path = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

/**
 * The suite's slowest files, slowest first (seconds in a clean-clone run, 2026-12-07). Jest runs
 * the files it has timings for slowest first; without them (a clean clone: CI) it goes by file
 * size, and the 24-hour ledger simulation, a 37-line file taking two minutes of CPU, ran near the
 * end with the other worker idle beside it. Files named here start first when jest has no timing
 * for them; with timings, jest's own order stands.
 */
const SLOW_FIRST = [
  'test/integration/budget-tasks.test.ts', // ~180 s
  'test/unit/budget-state-size.test.ts', // ~130 s
  'test/integration/god-cli.test.ts', // ~140 s
  'test/integration/cli.test.ts', // ~100 s
  'test/integration/god-days.test.ts', // ~90 s
  'test/integration/worker-stall.test.ts', // ~85 s
  'test/integration/tracing.test.ts', // ~65 s
  'test/integration/budget-lanes.test.ts', // ~55 s
  'test/integration/god-outages.test.ts', // ~50 s
  'test/integration/stale-sweeper.test.ts', // ~50 s
  'test/integration/budget-leases.test.ts', // ~50 s
  'test/unit/god-runway-sim.test.ts', // ~45 s
  'test/integration/budget-cli.test.ts', // ~45 s
];

class SlowFirstSequencer extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    const rank = (test) => SLOW_FIRST.indexOf(path.relative(test.context.config.rootDir, test.path).split(path.sep).join('/'));
    if (!sorted.some((test) => test.duration == null && rank(test) >= 0)) return sorted;
    const slow = sorted.filter((test) => rank(test) >= 0).sort((a, b) => rank(a) - rank(b));
    return [...slow, ...sorted.filter((test) => rank(test) < 0)];
  }
}

module.exports = SlowFirstSequencer;
