import { formatUsd } from '../client/format';
import type { ChainState } from '../tasks/chain';
import type { TaskState } from '../workflows/task-state';

/** One summary row's who and how long: a chain shows its plan and its steps' iterations together. */
function ran(s: TaskState | ChainState): { who: string; iterations: number } {
  if ('steps' in s) return { who: s.plan.join('→'), iterations: s.steps.reduce((n, step) => n + step.iterations, 0) };
  return { who: s.specialist ?? '-', iterations: s.iteration };
}

/** The demo's closing table: each task's end, who ran it, its cost and why it ended so. Columns are
 * as wide as their longest cell (a chain's plan or a status like budget_exceeded must not push the
 * rest of its row out of line). */
export function printSummary(states: Map<string, TaskState | ChainState>): void {
  const rows = [...states].map(([slug, s]) => ({ slug, status: s.status, ...ran(s), cost: formatUsd(s.costUsd), why: s.reasons[0] ?? '' }));
  const width = (header: string, cells: string[]) => Math.max(header.length, ...cells.map((c) => c.length));
  const w = {
    slug: width('task', rows.map((r) => r.slug)),
    status: width('status', rows.map((r) => r.status)),
    who: width('specialist', rows.map((r) => r.who)),
    cost: width('cost', rows.map((r) => r.cost)),
  };
  console.log(`\n  ${'task'.padEnd(w.slug)}  ${'status'.padEnd(w.status)}  ${'specialist'.padEnd(w.who)}  iters  ${'cost'.padEnd(w.cost)}  why`);
  for (const r of rows) {
    console.log(`  ${r.slug.padEnd(w.slug)}  ${r.status.padEnd(w.status)}  ${r.who.padEnd(w.who)}  ${String(r.iterations).padStart(5)}  ${r.cost.padEnd(w.cost)}  ${r.why}`);
  }
  const total = [...states.values()].reduce((sum, s) => sum + s.costUsd, 0);
  console.log(`  total cost ${formatUsd(total)}`);
}
