import type { TaskState } from '../workflows/task-state';

export function formatUsd(usd: number): string {
  return `$${usd.toFixed(usd < 0.01 ? 6 : 4)}`;
}

/** A task's state as a few readable lines. */
export function printOutcome(state: TaskState): void {
  console.log(`status      ${state.status}`);
  if (state.specialist) console.log(`specialist  ${state.specialist}${state.route ? ` (${state.route.method}, confidence ${state.route.confidence.toFixed(2)})` : ''}`);
  console.log(`iterations  ${state.iteration}${state.compressions.length ? ` (${state.compressions.length} compression(s))` : ''}`);
  console.log(`cost        ${formatUsd(state.costUsd)} (${state.tokens} tokens)`);
  if (state.reasons.length) console.log(`reasons     ${state.reasons.join('\n            ')}`);
  if (state.result) console.log(`result\n${state.result}`);
}
