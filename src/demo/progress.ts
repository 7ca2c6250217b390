import { formatUsd } from '../client/format';
import type { ChainState } from '../tasks/chain';
import type { TaskState } from '../workflows/task-state';

/** One summary row's who and how long: a chain shows its plan and its steps' iterations together. */
function ran(s: TaskState | ChainState): { who: string; iterations: number } {
  if ('steps' in s) return { who: s.plan.join('→'), iterations: s.steps.reduce((n, step) => n + step.iterations, 0) };
  return { who: s.specialist ?? '-', iterations: s.iteration };
}

/** The demo's closing table: each task's end, who ran it, its cost and why it ended so. */
export function printSummary(states: Map<string, TaskState | ChainState>): void {
  console.log('\n  task                 status         specialist        iters  cost        why');
  let total = 0;
  for (const [slug, s] of states) {
    total += s.costUsd;
    const { who, iterations } = ran(s);
    console.log(`  ${slug.padEnd(20)} ${s.status.padEnd(14)} ${who.padEnd(17)} ${String(iterations).padStart(5)}  ${formatUsd(s.costUsd).padEnd(11)} ${s.reasons[0] ?? ''}`);
  }
  console.log(`  total cost ${formatUsd(total)}`);
}
