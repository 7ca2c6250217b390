import type { ChainState } from '../tasks/chain';
import { isTerminal, type TaskState } from '../workflows/task-state';
import { formatSpend } from './budget-view';
import { chainOutcomeLines } from './god-view';

/** A cost as the CLI prints it: $0.0123, six decimals below a cent (so $0.000051 is not $0.0001 or
 * $0.0000), and $0.000000 for none. */
export function formatUsd(usd: number): string {
  return usd === 0 ? '$0.000000' : formatSpend(usd);
}

/** A task's (or a chain's: its `state` query has the same name) state as a few readable lines. */
export function printOutcome(state: TaskState | ChainState, memoryWritten?: boolean): void {
  if ('steps' in state) {
    for (const line of chainOutcomeLines(state)) console.log(line);
    return;
  }
  console.log(`status      ${state.status}`);
  if (state.specialist) console.log(`specialist  ${specialistLine(state)}`);
  console.log(`iterations  ${state.iteration}${state.compressions.length ? ` (${state.compressions.length} compression(s))` : ''}`);
  for (const line of compressionLines(state.compressions)) console.log(line);
  console.log(`cost        ${formatUsd(state.costUsd)} (${state.tokens} tokens)`);
  if (state.reasons.length) console.log(`reasons     ${state.reasons.join('\n            ')}`);
  for (const line of budgetWaitLines(state, Date.now())) console.log(line);
  for (const line of providerWaitLines(state, Date.now())) console.log(line);
  // Flagged (or requeued) by the sweeper or an operator: PantheonStale in the Web UI, said here too.
  if (state.stale) console.log(`stale       ${state.stale}${state.requeues ? ` (requeued ${state.requeues} time(s))` : ''}`);
  if (state.memoryPending) console.log(memoryPendingLine(state.memoryPending.error, memoryWritten));
  if (state.result) console.log(`result\n${state.result}`);
}

/**
 * The record a task could not write when it ended: still pending, or (the store, read here, has it)
 * written since by a backfill; undefined when this shell cannot read the store.
 */
export function memoryPendingLine(error: string, written?: boolean): string {
  if (written) return `memory      written by a backfill since (the store failed when the task ended: ${error})`;
  const since = written === undefined ? ' (as the task ended: a backfill pass may have written it since)' : '';
  return `memory      pending: the store failed (${error}); \`pantheon memory backfill\` writes it${since}`;
}

/** One line per compression: where it happened, the specialist's prompt before and after it, and its pinned facts kept. */
export function compressionLines(compressions: TaskState['compressions']): string[] {
  return compressions.map(
    (c, i) =>
      `${i === 0 ? 'compressed ' : '           '} at iteration ${c.atIteration}: prompt ${c.promptTokensBefore} → ${c.promptTokensAfter} tokens (${Math.round((100 * c.promptTokensAfter) / Math.max(1, c.promptTokensBefore))} %)` +
      (c.pinnedFacts === undefined ? '' : `, pinned facts kept ${c.pinnedKept ?? 0}/${c.pinnedFacts}`),
  );
}

/**
 * A task waiting for budget: how long, its place in the admission queue, when room is due, and the
 * ledger's reason. Kept after a task that ended waiting (it gave up, or was cancelled) as why.
 */
export function budgetWaitLines(state: Pick<TaskState, 'status' | 'budgetWait'>, nowMs: number, whose = ''): string[] {
  const wait = state.budgetWait;
  if (!wait) return [];
  const minutes = Math.max(0, Math.round((nowMs - wait.sinceMs) / 60_000));
  const checks = `${wait.checks} check${wait.checks === 1 ? '' : 's'}`;
  const head = isTerminal(state.status) ? `ended waiting for budget after ${minutes} min (${checks})` : `waiting for budget ${minutes} min (${checks} so far)`;
  const place = wait.position === undefined ? [] : [`position ${wait.position} of ${wait.waiting ?? wait.position} in the admission queue`];
  const room = wait.retryAtMs === undefined ? [] : [`room by ${new Date(wait.retryAtMs).toISOString()}`];
  return [`budget      ${whose}${head}${wait.scope ? ` on ${wait.scope}` : ''}`, ...[...place, ...room, wait.reason].map((line) => `            ${line}`)];
}

/**
 * A task that waits (or waited) out a provider outage: now, when it tries again and why; after,
 * how many waits it took and how long in all.
 */
export function providerWaitLines(state: Pick<TaskState, 'status' | 'providerWait'>, nowMs: number): string[] {
  const wait = state.providerWait;
  if (!wait) return [];
  const seconds = Math.round(wait.waitedMs / 1000);
  const total = `${wait.waits} wait${wait.waits === 1 ? '' : 's'}, ${seconds} s in all`;
  if (state.status !== 'waiting_provider') return [`provider    waited out an outage: ${total}`];
  const inSeconds = Math.max(0, Math.round((wait.retryAtMs - nowMs) / 1000));
  return [`provider    waiting for the provider (${total}); tries again in ${inSeconds} s`, `            ${wait.reason}`];
}

/**
 * The specialist now on the task, how it was first routed, and the ones before it: a reassignment
 * moves the task on while its route still tells the first pick.
 */
export function specialistLine(state: Pick<TaskState, 'specialist' | 'route' | 'specialistsTried'>): string {
  const route = state.route ? ` (${routeHeadline(state.route)})` : '';
  const before = state.specialistsTried.filter((s) => s !== state.specialist);
  return before.length > 0 ? `${state.specialist}, reassigned from ${before.join(', ')}; first routed${route}` : `${state.specialist}${route}`;
}

/**
 * `rules, confidence 0.95, picked by routing policy v3`: the method and its confidence are the
 * rules' (or the classifier's), the pick the policy's when a version chose among them, which may
 * be another specialist than the rules' best: the headline must not credit the rules with it.
 */
export function routeHeadline(route: { method: string; confidence: number; policyVersion?: number; policyMode?: 'explore' }): string {
  // An explored pick (or a probe) is not the policy's best guess: not "picked", which reads as one.
  const how = route.policyMode === 'explore' ? 'explored' : 'picked';
  const policy = route.policyVersion !== undefined && route.policyVersion > 0 ? `, ${how} by routing policy v${route.policyVersion}` : '';
  return `${route.method}, confidence ${route.confidence.toFixed(2)}${policy}`;
}
