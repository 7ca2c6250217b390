import type { Limits } from './limits';
import type { LedgerState, Spend } from './ledger-types';

/**
 * Scope names and what a scope may spend. A scope names what a limit applies to; denials,
 * alerts, overrides and the snapshot all use the same names.
 */
export const scopes = {
  systemHour: 'system:hour',
  systemDay: 'system:day',
  agentHour: (agent: string) => `agent:${agent}:hour`,
  agentDay: (agent: string) => `agent:${agent}:day`,
  task: (taskId: string) => `task:${taskId}`,
  taskTokens: (taskId: string) => `task:${taskId}:tokens`,
} as const;

/** The scopes an operator may override (task token limits are not USD and are not overridable). */
export const OVERRIDABLE_SCOPE = /^(system:(hour|day)|agent:[^:\s]+:(hour|day)|task:\S+)$/;

/** The configured USD limit of a scope, or an operator's unexpired override of it. */
export function limitUsdOf(scope: string, limits: Limits, state: Pick<LedgerState, 'overrides'>, nowMs: number): number {
  const override = state.overrides.find((o) => o.scope === scope && o.untilMs > nowMs);
  if (override) return override.limitUsd;
  if (scope === scopes.systemHour) return limits.systemHourlyUsd;
  if (scope === scopes.systemDay) return limits.systemDailyUsd;
  if (scope.startsWith('agent:')) return scope.endsWith(':hour') ? limits.perAgentHourlyUsd : limits.perAgentDailyUsd;
  return limits.perTaskUsd;
}

/** Outstanding reservations summed for the scopes one request touches. */
export interface Outstanding {
  system: Spend;
  agent: Spend;
  task: Spend;
  /** Held by experimental-lane calls (the main lane holds the rest of `system`). */
  experimental: Spend;
}

const zero = (): Spend => ({ usd: 0, tokens: 0 });

/**
 * Reservations count against every window until they settle: a call reserved at 10:59 and
 * settled at 11:01 is charged to 11:00, so it must already count there.
 */
export function outstandingFor(state: LedgerState, taskId: string, agent: string): Outstanding {
  const sums = { system: zero(), agent: zero(), task: zero(), experimental: zero() };
  // for…in: no array built per call; the ledger asks this on every reservation.
  for (const id in state.reservations) {
    const r = state.reservations[id];
    add(sums.system, r);
    if (r.lane === 'experimental') add(sums.experimental, r);
    if (r.agent === agent) add(sums.agent, r);
    if (r.taskId === taskId) add(sums.task, r);
  }
  return sums;
}

export function add(into: Spend, amount: Spend): void {
  into.usd += amount.usd;
  into.tokens += amount.tokens;
}

export function emptySpend(): Spend {
  return zero();
}
