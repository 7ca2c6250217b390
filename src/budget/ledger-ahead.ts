import type { Limits } from './limits';
import { EPSILON_USD } from './ledger-breaker';
import { taskSpent } from './ledger-checks';
import type { Alert, Denial, LedgerOptions, LedgerState, ReserveRequest } from './ledger-types';
import { laneLimitUsd, laneOf, laneScope, laneSettled } from './lanes';
import { limitUsdOf, outstandingFor, scopes } from './scopes';

/**
 * Reserving ahead: a specialist's loop asks for its next call's reservation while the current
 * call runs, so the next call finds it granted and waits for no ledger round trip. Such a request
 * is a bet on plenty, never a claim on scarce room: it is granted only while the breaker is
 * closed, nobody waits in the admission queue, the task stays within its limits and the runaway
 * bound, and every shared scope it draws on (the agent's and the system's windows, the task's
 * lane) keeps at least {@link AHEAD_HEADROOM} of its limit free after holding it. Otherwise it is
 * refused quietly (no alert, no queue place, no breaker trip) and the call reserves as usual when
 * it comes, which is where every denial, wait and trip happens.
 */

/** A refusal of a bet on plenty (an ahead reservation, a lease): no alert, no queue place, no trip. */
export function quietRefusal(request: Pick<ReserveRequest, 'usd'>, scope: string, message: string, alerts: Alert[]): Denial {
  return { granted: false, type: 'system_budget_full', scope, unit: 'usd', limit: 0, spent: 0, limitUsd: 0, spentUsd: 0, requestedUsd: request.usd, message, alerts };
}

/** The share of a shared scope's limit that must stay free after an ahead reservation. */
export const AHEAD_HEADROOM = 0.5;

/** Why an ahead request is refused, or undefined when it may be granted. No side effects. */
export function aheadRefusal(state: LedgerState, request: ReserveRequest, nowMs: number, limits: Limits, options: LedgerOptions): string | undefined {
  if (state.breaker.open) return 'the breaker is open';
  if ((state.waiters ?? []).length > 0) return 'tasks are waiting for room';
  const task = state.tasks[request.taskId];
  if (!task) return 'the task has no call in flight';
  const cb = limits.circuitBreaker;
  if (cb.enabled) {
    if ((request.spawnDepth ?? 0) > cb.maxSpawnDepth) return 'past max_spawn_depth';
    // One short of the bound: the call that would reach it reserves as usual (and trips there).
    if (task.calls.filter((t) => t > nowMs - 60_000).length + 1 >= cb.maxCallsPerTaskPerMinute) return 'near the calls-per-minute bound';
  }
  const out = outstandingFor(state, request.taskId, request.agent);
  const spent = taskSpent(state, task, request, out.task);
  if (spent.usd + request.usd > limitUsdOf(scopes.task(request.taskId), limits, state, nowMs) + EPSILON_USD) return 'the task limit';
  if (spent.tokens + request.tokens > limits.perTaskTokens) return 'the task token limit';
  return sharedRoomRefusal(state, request, nowMs, limits, options, out);
}

/**
 * Why holding `request` more would leave a shared scope (the agent's and the system's windows,
 * the request's lane) with less than {@link AHEAD_HEADROOM} of its limit free; undefined when
 * none would. Reserving ahead and leases (ledger-lease.ts) both ask it: neither may claim scarce room.
 */
export function sharedRoomRefusal(
  state: LedgerState,
  request: Pick<ReserveRequest, 'taskId' | 'agent' | 'usd' | 'lane'>,
  nowMs: number,
  limits: Limits,
  options: LedgerOptions,
  out = outstandingFor(state, request.taskId, request.agent),
): string | undefined {
  const lane = laneOf(request);
  const laneHeld = Object.values(state.reservations).reduce((sum, r) => sum + (laneOf(r) === lane ? r.usd : 0), 0);
  const shared: Array<[string, number, number]> = [
    [scopes.agentHour(request.agent), limitUsdOf(scopes.agentHour(request.agent), limits, state, nowMs), (state.hour.agents[request.agent]?.usd ?? 0) + out.agent.usd],
    [scopes.agentDay(request.agent), limitUsdOf(scopes.agentDay(request.agent), limits, state, nowMs), (state.day.agents[request.agent]?.usd ?? 0) + out.agent.usd],
    [scopes.systemHour, limitUsdOf(scopes.systemHour, limits, state, nowMs), state.hour.system.usd + out.system.usd],
    [scopes.systemDay, limitUsdOf(scopes.systemDay, limits, state, nowMs), state.day.system.usd + out.system.usd],
    ...(options.lanes ? [[laneScope(lane), laneLimitUsd(lane, limits, state, nowMs), laneSettled(state.day, lane).usd + laneHeld] as [string, number, number]] : []),
  ];
  for (const [scope, limitUsd, used] of shared) {
    if (used + request.usd > limitUsd * (1 - AHEAD_HEADROOM)) return `${scope} has less than ${AHEAD_HEADROOM * 100} % of its limit free`;
  }
  return undefined;
}
