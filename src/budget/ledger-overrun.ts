import type { Limits } from './limits';
import { EPSILON_USD, tripOnSettledSpend } from './ledger-breaker';
import { bumpLeaseEpoch } from './ledger-lease';
import { raiseAlert } from './ledger-log';
import type { Alert, AlertKind, LedgerOptions, LedgerState, Reservation, Spend } from './ledger-types';
import { limitUsdOf, scopes } from './scopes';

/**
 * A settle above its reservation: the provider billed more than the worst case held for the call
 * (an estimate that undercounted, a provider that over-reports). The settle has already charged
 * the true amount; this raises `reservation_exceeded` and re-checks every scope the call was
 * charged to. A scope now at its limit is alerted as a denial would alert it, and the system's
 * windows follow the breaker's rule for settled spend (ledger-breaker.ts). The next call of a
 * scope at its limit is then denied by the ordinary checks: no call fits in no room. Every lease
 * is retired (its holders stop granting from it at the ledger's next answer): a worker grants
 * from a lease without asking whether a scope is full, and the overrun may have filled one.
 */
export function checkOverrun(state: LedgerState, r: Reservation, actual: Spend, nowMs: number, limits: Limits, options: LedgerOptions): Alert[] {
  const overUsd = actual.usd > r.usd + EPSILON_USD;
  if (!overUsd && actual.tokens <= r.tokens) return [];
  const alerts: Alert[] = [];
  const raise = (kind: AlertKind, scope: string, unit: 'usd' | 'tokens', limit: number, spent: number, window: string, message: string) => {
    const alert = raiseAlert(state, { kind, scope, unit, limit, spent, at: nowMs, window, message }, options);
    if (alert) alerts.push(alert);
  };
  const usd = (n: number) => `$${n.toFixed(6)}`;
  if (options.overrunRetiresLeases) bumpLeaseEpoch(state);

  raise(
    'reservation_exceeded',
    scopes.task(r.taskId),
    overUsd ? 'usd' : 'tokens',
    overUsd ? r.usd : r.tokens,
    overUsd ? actual.usd : actual.tokens,
    r.id,
    `reservation ${r.id} of ${r.agent} settled at ${usd(actual.usd)} and ${actual.tokens} tokens, above the worst case held (${usd(r.usd)}, ${r.tokens} tokens); the true cost is charged`,
  );

  // A scope is full once its settled spend reaches its limit (a zero limit with nothing spent is not).
  const full = (spent: number, limit: number, epsilon = 0) => spent > 0 && spent + epsilon >= limit;
  const task = state.tasks[r.taskId];
  const taskLimitUsd = limitUsdOf(scopes.task(r.taskId), limits, state, nowMs);
  if (task && full(task.usd, taskLimitUsd, EPSILON_USD)) {
    raise('budget_exceeded', scopes.task(r.taskId), 'usd', taskLimitUsd, task.usd, 'task', `budget_exceeded: ${scopes.task(r.taskId)} has spent ${usd(task.usd)} of its limit ${usd(taskLimitUsd)} after a call settled above its reservation`);
  }
  if (task && full(task.tokens, limits.perTaskTokens)) {
    const scope = scopes.taskTokens(r.taskId);
    raise('budget_exceeded', scope, 'tokens', limits.perTaskTokens, task.tokens, 'task', `budget_exceeded: ${scope} has spent ${task.tokens} tokens of its limit ${limits.perTaskTokens} after a call settled above its reservation`);
  }
  for (const [scope, window] of [[scopes.agentHour(r.agent), state.hour], [scopes.agentDay(r.agent), state.day]] as const) {
    const limitUsd = limitUsdOf(scope, limits, state, nowMs);
    const spent = window.agents[r.agent]?.usd ?? 0;
    if (full(spent, limitUsd, EPSILON_USD)) {
      raise('agent_budget_exhausted', scope, 'usd', limitUsd, spent, window.key, `agent_budget_exhausted: ${scope} has spent ${usd(spent)} of its limit ${usd(limitUsd)} after a call settled above its reservation`);
    }
  }
  if (limits.circuitBreaker.enabled) {
    alerts.push(...tripOnSettledSpend(state, nowMs, limits, options));
  } else {
    for (const [scope, window] of [[scopes.systemHour, state.hour], [scopes.systemDay, state.day]] as const) {
      const limitUsd = limitUsdOf(scope, limits, state, nowMs);
      if (full(window.system.usd, limitUsd, EPSILON_USD)) {
        raise('budget_exceeded', scope, 'usd', limitUsd, window.system.usd, window.key, `budget_exceeded: ${scope} has spent ${usd(window.system.usd)} of its limit ${usd(limitUsd)} after a call settled above its reservation`);
      }
    }
  }
  return alerts;
}
