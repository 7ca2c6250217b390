import type { Limits } from './limits';
import { raiseAlert } from './ledger-log';
import type { Alert, BreakerReason, Denial, DenialType, LedgerOptions, LedgerState, Measure, ReserveRequest, TaskScope } from './ledger-types';
import { limitUsdOf, outstandingFor, scopes } from './scopes';
import { windowEndMs } from './windows';

/**
 * The admission decision for one reserve request, against every scope that applies, in order:
 * the open breaker, runaway detection, the task, the agent's windows, the system's windows.
 * A scope's spend is its settled spend plus its outstanding reservations.
 */

/** Float sums of sub-cent prices drift by ~1e-17; a billionth of a dollar absorbs it. */
const EPSILON_USD = 1e-9;

const usd = (n: number) => `$${n.toFixed(6)}`;

interface Ctx {
  state: LedgerState;
  request: ReserveRequest;
  nowMs: number;
  limits: Limits;
  options: LedgerOptions;
  alerts: Alert[];
  /** The task's USD limit and spend: the context of denials that count something else. */
  task: { limitUsd: number; spentUsd: number };
}

/** Undefined when every scope affords the request; otherwise why not (and any new alerts). */
export function checkReserve(
  state: LedgerState,
  request: ReserveRequest,
  task: TaskScope,
  nowMs: number,
  limits: Limits,
  options: LedgerOptions,
  alerts: Alert[],
): Denial | undefined {
  const out = outstandingFor(state, request.taskId, request.agent);
  const taskScope = scopes.task(request.taskId);
  const ctx: Ctx = { state, request, nowMs, limits, options, alerts, task: { limitUsd: limitUsdOf(taskScope, limits, state, nowMs), spentUsd: task.usd + out.task.usd } };
  if (state.breaker.open) return breakerDenial(ctx);

  const cb = limits.circuitBreaker;
  if (cb.enabled) {
    const depth = request.spawnDepth ?? 0;
    if (depth > cb.maxSpawnDepth) {
      return trip(ctx, 'spawn_depth', taskScope, { unit: 'spawn_depth', limit: cb.maxSpawnDepth, spent: depth }, ctx.task, windowEndMs(nowMs, limits.timezone, 'hour'));
    }
    if (task.calls.length > cb.maxCallsPerTaskPerMinute) {
      const measure: Measure = { unit: 'calls_per_minute', limit: cb.maxCallsPerTaskPerMinute, spent: task.calls.length };
      return trip(ctx, 'runaway_calls', taskScope, measure, ctx.task, windowEndMs(nowMs, limits.timezone, 'hour'));
    }
  }

  if (ctx.task.spentUsd + request.usd > ctx.task.limitUsd + EPSILON_USD) {
    return deny(ctx, 'budget_exceeded', taskScope, { unit: 'usd', limit: ctx.task.limitUsd, spent: ctx.task.spentUsd }, ctx.task, 'task');
  }
  const spentTokens = task.tokens + out.task.tokens;
  if (spentTokens + request.tokens > limits.perTaskTokens) {
    const measure: Measure = { unit: 'tokens', limit: limits.perTaskTokens, spent: spentTokens };
    return deny(ctx, 'budget_exceeded', scopes.taskTokens(request.taskId), measure, ctx.task, 'task');
  }

  for (const [scope, window] of [[scopes.agentHour(request.agent), state.hour], [scopes.agentDay(request.agent), state.day]] as const) {
    const limitUsd = limitUsdOf(scope, limits, state, nowMs);
    const spentUsd = (window.agents[request.agent]?.usd ?? 0) + out.agent.usd;
    if (spentUsd + request.usd > limitUsd + EPSILON_USD) {
      return deny(ctx, 'agent_budget_exhausted', scope, { unit: 'usd', limit: limitUsd, spent: spentUsd }, { limitUsd, spentUsd }, window.key);
    }
  }

  for (const [scope, window, kind] of [[scopes.systemHour, state.hour, 'hour'], [scopes.systemDay, state.day, 'day']] as const) {
    const limitUsd = limitUsdOf(scope, limits, state, nowMs);
    const spentUsd = window.system.usd + out.system.usd;
    if (spentUsd + request.usd > limitUsd + EPSILON_USD) {
      const measure: Measure = { unit: 'usd', limit: limitUsd, spent: spentUsd };
      // Without a breaker the system limit still holds, one request at a time.
      if (!cb.enabled) return deny(ctx, 'budget_exceeded', scope, measure, { limitUsd, spentUsd }, window.key);
      return trip(ctx, 'system_limit', scope, measure, { limitUsd, spentUsd }, windowEndMs(nowMs, limits.timezone, kind));
    }
  }
  return undefined;
}

function deny(
  ctx: Ctx,
  type: DenialType,
  scope: string,
  measure: Measure,
  money: { limitUsd: number; spentUsd: number },
  window: string,
  retryAtMs?: number,
): Denial {
  const amount = (n: number) => (measure.unit === 'usd' ? usd(n) : `${n} ${measure.unit}`);
  const requested = measure.unit === 'tokens' ? ctx.request.tokens : ctx.request.usd;
  const message =
    type === 'breaker_open'
      ? `${type}: the circuit breaker is open (${ctx.state.breaker.reason} on ${scope}: ${amount(measure.spent)} of limit ${amount(measure.limit)})`
      : `${type}: ${scope} has spent ${amount(measure.spent)} of its limit ${amount(measure.limit)}; the request needs ${amount(requested)} more`;
  if (type !== 'breaker_open') {
    const alert = raiseAlert(ctx.state, { kind: type, scope, ...measure, at: ctx.nowMs, window, message }, ctx.options);
    if (alert) ctx.alerts.push(alert);
  }
  return { granted: false, type, scope, ...measure, ...money, requestedUsd: ctx.request.usd, retryAtMs, message, alerts: ctx.alerts };
}

/** Opens the breaker (one alert), then denies the request that tripped it. */
function trip(ctx: Ctx, reason: BreakerReason, scope: string, measure: Measure, money: { limitUsd: number; spentUsd: number }, untilMs: number): Denial {
  ctx.state.breaker = { open: true, reason, scope, measure, ...money, sinceMs: ctx.nowMs, untilMs };
  const message = `circuit breaker opened: ${reason} on ${scope} (${measure.spent} of limit ${measure.limit} ${measure.unit}); every reservation is denied until ${new Date(untilMs).toISOString()} or an operator closes it`;
  const alert = raiseAlert(ctx.state, { kind: 'breaker_open', reason, scope, ...measure, at: ctx.nowMs, window: `${scope}@${ctx.nowMs}`, message }, ctx.options);
  if (alert) ctx.alerts.push(alert);
  return breakerDenial(ctx);
}

function breakerDenial(ctx: Ctx): Denial {
  const b = ctx.state.breaker;
  const measure = b.measure ?? { unit: 'operator', limit: 0, spent: 0 };
  const money = { limitUsd: b.limitUsd ?? ctx.task.limitUsd, spentUsd: b.spentUsd ?? ctx.task.spentUsd };
  return deny(ctx, 'breaker_open', b.scope ?? 'operator', measure, money, '', b.untilMs);
}
