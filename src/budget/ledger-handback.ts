import type { ExpiredLease, LedgerState, Spend } from './ledger-types';

/** Takes `amount` off a spend, never below zero. */
export function takeFrom(spend: Spend | undefined, amount: Spend): void {
  if (!spend) return;
  spend.usd = Math.max(0, spend.usd - amount.usd);
  spend.tokens = Math.max(0, spend.tokens - amount.tokens);
}

/**
 * Hands back money a worst-case charge took that was not spent: from the hour and day windows it
 * was charged to (a window since rolled over is left alone: its spend no longer limits anything),
 * the system's and the agent's, and the day's experimental lane when it paid. A lease's charge
 * was counted in the day's `leasesExpired` too (`lease`).
 */
export function handBackCharge(state: LedgerState, charged: Omit<ExpiredLease, keyof Spend>, amount: Spend, lease: boolean): void {
  for (const [window, key] of [[state.hour, charged.hour], [state.day, charged.day]] as const) {
    if (window.key !== key) continue;
    takeFrom(window.system, amount);
    takeFrom(window.agents[charged.agent], amount);
  }
  if (state.day.key !== charged.day) return;
  if (charged.lane === 'experimental') takeFrom(state.day.experimental, amount);
  if (lease) takeFrom(state.day.leasesExpired, amount);
}
