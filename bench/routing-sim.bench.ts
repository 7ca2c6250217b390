import { summarise, type SimSummary } from './routing/policy-sim';

/**
 * bench:routing's scenario around the pure policy, no Temporal (bench/routing/policy-sim.ts): how
 * often the failing specialist loses its exploit picks within 30 tasks, and what sidelining costs
 * healthy arms, over many seeded runs.
 *
 *   npm run bench:routing-sim                 (400 runs of each)
 *   npm run bench:routing-sim -- --runs 1000
 */

function runsFrom(argv: string[]): number {
  const i = argv.indexOf('--runs');
  if (i === -1) return 400;
  const n = Number(argv[i + 1]);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`--runs: must be a whole number of runs ≥ 1, got "${argv[i + 1] ?? ''}"`);
    process.exit(2);
  }
  return n;
}

const runs = runsFrom(process.argv.slice(2));
const row = (name: string, regressed: SimSummary, healthy: SimSummary) =>
  `| ${name} | ${regressed.lostWithin} of ${runs} (${((regressed.lostWithin / runs) * 100).toFixed(1)} %) | ${(regressed.meanSuccessRate * 100).toFixed(1)} % | $${(regressed.meanCostPerSuccessUsd * 1000).toFixed(3)} | ${(healthy.meanSuccessRate * 100).toFixed(1)} % | $${(healthy.meanCostPerSuccessUsd * 1000).toFixed(3)} |`;
console.log(`${runs} seeded runs of 300 tasks, concurrency 10 (cost per success in thousandths of a dollar)\n`);
console.log('| policy | failing specialist loses its exploit picks within 30 tasks | success | cost / success | success, no regression | cost / success, no regression |');
console.log('|---|---|---|---|---|---|');
for (const [name, options] of [
  ['without', { sideline: false }],
  ['with sidelining', { sideline: true }],
  ['with sidelining, runs judged by the record before them', { sideline: true, recordBeforeRun: true }],
] as const) {
  console.log(row(name, summarise(runs, { ...options, regressionAt: 0.6 }), summarise(runs, options)));
}
