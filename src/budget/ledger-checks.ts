import { admit, keepPlace, leaveQueue, type SystemRoom } from './admission';
import type { Limits } from './limits';
import { EPSILON_USD, openBreakerFor, type Trip } from './ledger-breaker';
import { raiseAlert } from './ledger-log';
import type { Alert, BreakerState, Denial, DenialType, LedgerOptions, LedgerState, Measure, ReserveRequest, Spend, TaskScope } from './ledger-types';
import { add, emptySpend, limitUsdOf, outstandingFor, scopes, type Outstanding } from './scopes';
import { windowEndMs } from './windows';
import { bindingRoom, describeDue, roomDue } from './room-due';
import { LANES, laneOf, laneScope, laneSettled, laneShare } from './lanes';
import { unansweredClause } from './unanswered-text';

/**
 * The admission decision for one reserve request, against every scope that applies, in order:
 * the open breaker, spawn depth and runaway detection (these open the breaker), the task (its
 * limit stops it), the agent's windows (the task is reassigned), the system's windows and the
 * day's lane of the task (the task waits its turn in the admission queue; a full lane never opens
 * the breaker). A scope's spend is its settled spend plus its outstanding reservations.
 */

const MINUTE = 60_000;

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
  /** The task's tokens spent and held (the per-task token limit). */
  spentTokens: number;
}

/**
 * What the task has spent, its calls in flight included: what the ledger remembers plus every
 * reservation it holds for the task, or what the caller says its task's own books hold plus the
 * reservations those books do not cover yet, whichever is more. The ledger forgets an idle task
 * after minutes (its state must stay small at any volume); the task's workflow knows its spend
 * for its whole life. A reservation the caller names as settling is already in its books (the
 * settle is on its way): counting its worst case again would deny a call the task can afford.
 */
export function taskSpent(state: LedgerState, task: TaskScope, request: ReserveRequest, out: Spend): Spend {
  const settling = emptySpend();
  for (const id of request.settling ?? []) {
    const r = state.reservations[id];
    if (r?.taskId === request.taskId) add(settling, r);
  }
  const own = request.taskSpent ?? emptySpend();
  return {
    usd: Math.max(task.usd + out.usd, own.usd + out.usd - settling.usd),
    tokens: Math.max(task.tokens + out.tokens, own.tokens + out.tokens - settling.tokens),
  };
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
  const spent = taskSpent(state, task, request, out.task);
  const ctx: Ctx = { state, request, nowMs, limits, options, alerts, task: { limitUsd: limitUsdOf(taskScope, limits, state, nowMs), spentUsd: spent.usd }, spentTokens: spent.tokens };
  if (state.breaker.open) {
    // A waiter keeps its place in the queue while the breaker is open.
    keepPlace(state, request.taskId, nowMs);
    return breakerDenial(ctx);
  }
  const denial = checkScopes(ctx, task, out);
  if (denial?.type !== 'system_budget_full' && denial?.type !== 'lane_budget_full') leaveQueue(state, request.taskId);
  return denial;
}

function checkScopes(ctx: Ctx, task: TaskScope, out: Outstanding): Denial | undefined {
  const { state, request, nowMs, limits } = ctx;
  const taskScope = scopes.task(request.taskId);
  const cb = limits.circuitBreaker;
  if (cb.enabled) {
    const depth = request.spawnDepth ?? 0;
    if (depth > cb.maxSpawnDepth) {
      // The task past the limit is stopped before its first call, which cuts a runaway spawner
      // there (it never runs, so it spawns nothing). The rest of the fleet keeps working.
      return deny(ctx, 'budget_exceeded', taskScope, { unit: 'spawn_depth', limit: cb.maxSpawnDepth, spent: depth }, ctx.task, 'spawn_depth');
    }
    // Granted calls only: a task asking again and again while it waits is not a runaway.
    const granted = task.calls.filter((t) => t > nowMs - MINUTE).length;
    if (granted >= cb.maxCallsPerTaskPerMinute) {
      const measure: Measure = { unit: 'calls_per_minute', limit: cb.maxCallsPerTaskPerMinute, spent: granted + 1 };
      const runaway: Trip = { reason: 'runaway_calls', scope: taskScope, measure, money: ctx.task, untilMs: windowEndMs(nowMs, limits.timezone, 'hour') };
      return ctx.options.runawayStopsTask ? stopRunaway(ctx, task, runaway) : trip(ctx, runaway);
    }
  }

  if (ctx.task.spentUsd + request.usd > ctx.task.limitUsd + EPSILON_USD) {
    return deny(ctx, 'budget_exceeded', taskScope, { unit: 'usd', limit: ctx.task.limitUsd, spent: ctx.task.spentUsd }, ctx.task, 'task');
  }
  const spentTokens = ctx.spentTokens;
  if (spentTokens + request.tokens > limits.perTaskTokens) {
    const measure: Measure = { unit: 'tokens', limit: limits.perTaskTokens, spent: spentTokens };
    return deny(ctx, 'budget_exceeded', scopes.taskTokens(request.taskId), measure, ctx.task, 'task');
  }

  for (const [scope, window] of [[scopes.agentHour(request.agent), state.hour], [scopes.agentDay(request.agent), state.day]] as const) {
    const limitUsd = limitUsdOf(scope, limits, state, nowMs);
    const spentUsd = (window.agents[request.agent]?.usd ?? 0) + out.agent.usd;
    if (spentUsd + request.usd > limitUsd + EPSILON_USD) {
      // When the window's end makes room for sure: a task with no other specialist left waits
      // until then (agent-task.ts). A call larger than the whole limit never fits: no such time.
      const retryAtMs = request.usd <= limitUsd ? windowEndMs(nowMs, limits.timezone, window === state.hour ? 'hour' : 'day') : undefined;
      return deny(ctx, 'agent_budget_exhausted', scope, { unit: 'usd', limit: limitUsd, spent: spentUsd }, { limitUsd, spentUsd }, window.key, retryAtMs);
    }
  }

  const rooms: SystemRoom[] = (
    [
      [scopes.systemHour, state.hour],
      [scopes.systemDay, state.day],
    ] as const
  ).map(([scope, window]) => ({ scope, limitUsd: limitUsdOf(scope, limits, state, nowMs), settledUsd: window.system.usd, heldUsd: out.system.usd }));
  const systemDay = rooms[1];
  if (ctx.options.lanes) rooms.push(...laneRooms(state, limits, systemDay.limitUsd, out));
  const lane = laneOf(request);
  // A call dearer than a whole system window (or its whole lane) can never be made: waiting would be for nothing.
  const never = rooms.find((r) => (r.lane === undefined || r.lane === lane) && request.usd > r.limitUsd + EPSILON_USD);
  if (never) {
    const measure: Measure = { unit: 'usd', limit: never.limitUsd, spent: never.settledUsd + never.heldUsd };
    return deny(ctx, 'budget_exceeded', never.scope, measure, { limitUsd: never.limitUsd, spentUsd: measure.spent }, never.scope === scopes.systemHour ? state.hour.key : state.day.key);
  }
  const admission = admit(state, { taskId: request.taskId, seq: task.seq ?? 0, lane }, request, rooms, nowMs, ctx.options);
  if (admission.admitted) return undefined;
  const { position, waiting, onlyAfterRollover } = admission;
  // Computed only here: finding a window's end costs more than the rest of a reserve. The wait is
  // named by the window whose room comes last (the others full too are said), so the scope, the
  // sums and the time in the answer are one window's.
  const due = onlyAfterRollover.map((full) => roomDue(full, request.usd, state, limits, nowMs));
  const { binding, others } = due.length === 0 ? { binding: undefined, others: [] } : bindingRoom(due);
  const { room, spentUsd } = binding ?? admission;
  const retryAtMs = binding?.atMs;
  const measure: Measure = { unit: 'usd', limit: room.limitUsd, spent: spentUsd };
  const type = room.lane === undefined ? 'system_budget_full' : 'lane_budget_full';
  const what = room.lane === undefined ? room.scope : `${room.scope} (${Math.round(laneShare(room.lane, limits) * 1000) / 10}% of system:day)`;
  const alsoFull = others.map((d) => `${d.room.scope} is full too, until ${describeDue(d)}`).join('; ');
  const message =
    `${type}: ${what} has ${usd(spentUsd)} of its limit ${usd(room.limitUsd)} spent, held or set aside for older tasks; ` +
    `the request needs ${usd(request.usd)}; waiting: position ${position} of ${waiting}` +
    (binding === undefined ? ', admitted in order as running calls settle' : `, until ${describeDue(binding)}${alsoFull ? ` (${alsoFull})` : ''}`);
  const window = room.scope === scopes.systemHour ? state.hour.key : state.day.key;
  const alert = raiseAlert(state, { kind: type, scope: room.scope, ...measure, at: nowMs, window, message: `${room.scope} is full: tasks wait their turn (${message})` }, ctx.options);
  if (alert) ctx.alerts.push(alert);
  return { granted: false, type, scope: room.scope, ...measure, limitUsd: room.limitUsd, spentUsd, requestedUsd: request.usd, retryAtMs, position, waiting, message, alerts: ctx.alerts };
}

/** The day's two lanes as admission rooms: each its share of system:day's limit, its settled spend and what its calls hold. */
function laneRooms(state: LedgerState, limits: Limits, systemDayUsd: number, out: Outstanding): SystemRoom[] {
  const heldUsd = { main: out.system.usd - out.experimental.usd, experimental: out.experimental.usd };
  return LANES.map((lane) => ({ scope: laneScope(lane), lane, limitUsd: laneShare(lane, limits) * systemDayUsd, settledUsd: laneSettled(state.day, lane).usd, heldUsd: heldUsd[lane] }));
}

/** Said when one call's worst case is more than the whole limit: no wait, retry or fresh window helps. */
const NEVER_FITS = ' (one call held at its worst case is more than the whole limit, so no call of this size can fit: raise the limit, or lower the specialist\'s max_output_tokens or the task\'s context)';

function deny(
  ctx: Ctx,
  type: Exclude<DenialType, 'system_budget_full' | 'lane_budget_full'>,
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
      ? `${type}: the circuit breaker is open (${breakerCause(ctx.state.breaker, scope, amount(measure.spent), amount(measure.limit))})`
      : measure.unit === 'spawn_depth'
        ? `${type}: ${scope} was spawned at depth ${measure.spent}, past max_spawn_depth ${measure.limit}; it makes no call`
        : measure.unit === 'calls_per_minute'
          ? `${type}: ${scope} asked for its call ${measure.spent} within a minute, past max_calls_per_task_per_minute ${measure.limit}: a runaway loop, stopped (the circuit breaker is open until ${new Date(ctx.state.breaker.untilMs ?? ctx.nowMs).toISOString()} or an operator closes it)`
        : `${type}: ${scope} has spent ${amount(measure.spent)} of its limit ${amount(measure.limit)}${ownLimitNote(ctx, scope, measure, amount)}; the request needs ${amount(requested)} more${requested > measure.limit ? NEVER_FITS : ''}`;
  if (type !== 'breaker_open') {
    const alert = raiseAlert(ctx.state, { kind: type, scope, ...measure, at: ctx.nowMs, window, message }, ctx.options);
    if (alert) ctx.alerts.push(alert);
  }
  return { granted: false, type, scope, ...measure, ...money, requestedUsd: ctx.request.usd, retryAtMs, message, alerts: ctx.alerts };
}

/**
 * At the task's own limit (USD or tokens), the part of its spend the ledger charged at worst case
 * for calls that got no answer saying what they cost: a provider that never answers stops tasks
 * there, which must not read as a dear task. That part is in the task's scope, so it is within the
 * spend said (the larger of the scope and the task's books, taskSpent).
 */
function ownLimitNote(ctx: Ctx, scope: string, measure: Measure, amount: (n: number) => string): string {
  const taskId = ctx.request.taskId;
  const unit = scope === scopes.task(taskId) ? 'usd' : scope === scopes.taskTokens(taskId) ? 'tokens' : undefined;
  const charges = ctx.state.tasks[taskId]?.unanswered;
  if (!charges || unit === undefined || measure.unit !== unit) return '';
  return unansweredClause(charges.calls, amount(unit === 'usd' ? charges.usd : charges.tokens));
}

/**
 * A runaway task: the breaker opens (the loop may be the fleet's, not this task's alone) and the
 * task that tripped it is stopped, not left to wait the breaker out and loop again once it closes.
 * Its minute of calls is counted once: its calls still on their way (its activity's last settle,
 * a record's embedding) do not open the breaker again after an operator closes it.
 */
function stopRunaway(ctx: Ctx, task: TaskScope, t: Trip): Denial {
  const alert = openBreakerFor(ctx.state, t, ctx.nowMs, ctx.options);
  if (alert) ctx.alerts.push(alert);
  task.calls = [];
  return deny(ctx, 'budget_exceeded', t.scope, t.measure, ctx.task, `runaway@${ctx.nowMs}`);
}

/** Opens the breaker (one alert), then denies the request that tripped it. */
function trip(ctx: Ctx, t: Trip): Denial {
  const alert = openBreakerFor(ctx.state, t, ctx.nowMs, ctx.options);
  if (alert) ctx.alerts.push(alert);
  return breakerDenial(ctx);
}

function breakerDenial(ctx: Ctx): Denial {
  const b = ctx.state.breaker;
  const measure = b.measure ?? { unit: 'operator', limit: 0, spent: 0 };
  const money = { limitUsd: b.limitUsd ?? ctx.task.limitUsd, spentUsd: b.spentUsd ?? ctx.task.spentUsd };
  return deny(ctx, 'breaker_open', b.scope ?? 'operator', measure, money, '', b.untilMs);
}

/** Why the breaker is open, in words: an operator's action (no spend to show), a lost ledger, or a limit crossed. */
function breakerCause(breaker: BreakerState, scope: string, spent: string, limit: string): string {
  if (breaker.reason === 'operator') {
    const by = breaker.openedBy ? `${breaker.openedBy.who}: "${breaker.openedBy.why}"` : 'an operator';
    return `opened by ${by}; only an operator closes it (pantheon budget close)`;
  }
  if (breaker.reason === 'ledger_lost') return "ledger_lost: the ledger's state could not be read; an operator restores or resets it (pantheon budget restore|reset)";
  return `${breaker.reason} on ${scope}: ${spent} of limit ${limit}`;
}
