import type { Limits } from './limits';
import type { Alert, AuditEntry, BreakerState, LedgerState, Override, Spend, Waiter, Window } from './ledger-types';
import { add, emptySpend, limitUsdOf, scopes } from './scopes';
import { windowKeys } from './windows';
import { isLease } from './ledger-lease';
import { LANES, laneHeld, laneLimitUsd, laneOf, laneScope, laneSettled, laneShare, type Lane } from './lanes';

/** What the `budget` query answers: spend per scope (settled and reserved), limits, breaker, logs. */
export interface ScopeView {
  scope: string;
  limitUsd: number;
  settledUsd: number;
  reservedUsd: number;
  settledTokens: number;
  reservedTokens: number;
  /** Task scopes only: the token limit. */
  limitTokens?: number;
}

/** One lane of the day: its share of system:day, that share in USD, and what it spent and holds today. */
export interface LaneSnapshot {
  /** `lane:main:day` or `lane:experimental:day`: the scope its denials and alerts name. */
  scope: string;
  share: number;
  limitUsd: number;
  /** Settled today. */
  spentUsd: number;
  /** Held by the lane's outstanding reservations. */
  reservedUsd: number;
  /** Of `reservedUsd`, what workers' leases hold: room they grant their calls from, each call then
   * booked as a reservation of its own; not spend until it is. */
  leasedUsd?: number;
}

export interface BudgetSnapshot {
  asOfMs: number;
  windows: { hour: string; day: string };
  limits: Limits;
  breaker: BreakerState;
  scopes: ScopeView[];
  /** Calls in flight: their reservations (leases apart). */
  outstanding: { count: number } & Spend;
  /** Room workers hold as leases (gate-leases.ts), counted in the shared scopes' reserved amounts;
   * `expiredToday`: what leases whose holders died were charged today (in system spend, in no task's bill). */
  leases?: { count: number; expiredToday: Spend } & Spend;
  tasksTracked: number;
  /** Charged today to tasks after their bills closed: in system spend, in no cost a task reported
   * (each raised a `charged_after_close` alert). Absent while nothing was. */
  chargedAfterCloseToday?: Spend;
  /** The day's lanes (absent from a ledger older than them). */
  lanes?: Record<Lane, LaneSnapshot>;
  /** The admission queue: how many tasks wait for room in the system windows, and the first few. */
  waiting?: { count: number; next: Waiter[] };
  overrides: Override[];
  alerts: Alert[];
  audit: AuditEntry[];
}

/** Tasks listed in a snapshot: the most recently active ones (the rest are counted). */
const MAX_TASKS_SHOWN = 50;
/** Waiters listed: the head of the queue. */
const MAX_WAITERS_SHOWN = 10;

/** Both lanes at `nowMs` (read-only: a day that has ended shows as empty). */
export function laneSnapshots(state: LedgerState, nowMs: number, limits: Limits): Record<Lane, LaneSnapshot> {
  const key = windowKeys(nowMs, limits.timezone).day;
  const day: Window = state.day.key === key ? state.day : { key, system: emptySpend(), agents: {} };
  const held = laneHeld(state.reservations);
  const leased: Record<Lane, number> = { main: 0, experimental: 0 };
  for (const id in state.reservations) {
    const r = state.reservations[id];
    if (isLease(r)) leased[laneOf(r)] += r.usd;
  }
  const view = (lane: Lane): LaneSnapshot => ({
    scope: laneScope(lane),
    share: laneShare(lane, limits),
    limitUsd: laneLimitUsd(lane, limits, state, nowMs),
    spentUsd: laneSettled(day, lane).usd,
    reservedUsd: held[lane].usd,
    leasedUsd: leased[lane],
  });
  return Object.fromEntries(LANES.map((lane) => [lane, view(lane)])) as Record<Lane, LaneSnapshot>;
}

/**
 * A read-only view at `nowMs` (a query must not change state): a window whose key is no longer
 * current shows as empty, exactly as the next update would roll it over.
 */
export function budgetSnapshot(state: LedgerState, nowMs: number, limits: Limits): BudgetSnapshot {
  const keys = windowKeys(nowMs, limits.timezone);
  const current = (w: Window, key: string): Window => (w.key === key ? w : { key, system: emptySpend(), agents: {} });
  const hour = current(state.hour, keys.hour);
  const day = current(state.day, keys.day);

  const reserved = { system: emptySpend(), agents: new Map<string, Spend>(), tasks: new Map<string, Spend>() };
  const bucket = (m: Map<string, Spend>, k: string) => m.get(k) ?? (m.set(k, emptySpend()), m.get(k)!);
  const reservations = Object.values(state.reservations);
  const calls = { count: 0, ...emptySpend() };
  const leases = { count: 0, ...emptySpend(), expiredToday: { ...(day.leasesExpired ?? emptySpend()) } };
  for (const r of reservations) {
    add(reserved.system, r);
    add(bucket(reserved.agents, r.agent), r);
    const into = isLease(r) ? leases : calls;
    into.count++;
    add(into, r);
    if (!isLease(r)) add(bucket(reserved.tasks, r.taskId), r);
  }
  const view = (scope: string, settled: Spend | undefined, held: Spend | undefined, limitTokens?: number): ScopeView => ({
    scope,
    limitUsd: limitUsdOf(scope, limits, state, nowMs),
    settledUsd: settled?.usd ?? 0,
    reservedUsd: held?.usd ?? 0,
    settledTokens: settled?.tokens ?? 0,
    reservedTokens: held?.tokens ?? 0,
    ...(limitTokens === undefined ? {} : { limitTokens }),
  });

  const agents = [...new Set([...Object.keys(day.agents), ...Object.keys(hour.agents), ...reserved.agents.keys()])].sort();
  const tasks = Object.entries(state.tasks)
    .sort(([, a], [, b]) => b.lastMs - a.lastMs)
    .slice(0, MAX_TASKS_SHOWN);
  return {
    asOfMs: nowMs,
    windows: keys,
    limits,
    breaker: state.breaker,
    scopes: [
      view(scopes.systemHour, hour.system, reserved.system),
      view(scopes.systemDay, day.system, reserved.system),
      ...agents.flatMap((a) => [view(scopes.agentHour(a), hour.agents[a], reserved.agents.get(a)), view(scopes.agentDay(a), day.agents[a], reserved.agents.get(a))]),
      ...tasks.map(([id, t]) => view(scopes.task(id), t, reserved.tasks.get(id), limits.perTaskTokens)),
    ],
    outstanding: calls,
    leases,
    tasksTracked: Object.keys(state.tasks).length,
    ...(day.chargedAfterClose ? { chargedAfterCloseToday: { ...day.chargedAfterClose } } : {}),
    lanes: laneSnapshots(state, nowMs, limits),
    waiting: { count: state.waiters?.length ?? 0, next: (state.waiters ?? []).slice(0, MAX_WAITERS_SHOWN) },
    overrides: state.overrides.filter((o) => o.untilMs > nowMs),
    alerts: state.alerts,
    audit: state.audit,
  };
}
