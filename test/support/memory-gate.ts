import { worstCaseOf } from '../../src/budget/estimate';
import { denialError, type BudgetGate } from '../../src/budget/gate';
import { defaultLimits, type Limits } from '../../src/budget/limits';
import { initialLedgerState, release, reserve, settle } from '../../src/budget/ledger';
import type { Alert } from '../../src/budget/ledger-types';
import type { ChatRequest } from '../../src/llm/types';

export const T0 = Date.parse('2024-05-01T10:00:00Z');

/**
 * A gate over the real pure ledger, in memory: what the budgeted client sees, minus Temporal.
 * `log` lists what it was asked (`reserve <key>`, `settle <key> <usd> <tokens>`, `release <key>`).
 */
export function memoryGate(limits: Limits = { ...defaultLimits(), perTaskUsd: 1 }) {
  const state = initialLedgerState(T0, limits);
  const log: string[] = [];
  const alerts: Alert[] = [];
  const gate = {
    async reserve(request: ChatRequest, key: string) {
      const worst = worstCaseOf(request);
      const r = reserve(state, { key, taskId: request.taskId!, agent: request.agent ?? request.purpose, ...worst, spawnDepth: request.lineage?.spawnDepth }, T0, limits).result;
      alerts.push(...r.alerts);
      if (!r.granted) throw denialError(r);
      log.push(`reserve ${key}`);
      return { id: r.reservationId, ...worst, replayed: r.replayed };
    },
    async settle(id: string, actual: { usd: number; tokens: number }) {
      log.push(`settle ${id} ${actual.usd.toFixed(8)} ${actual.tokens}`);
      const result = settle(state, id, actual, T0, limits).result;
      alerts.push(...result.alerts);
      return result;
    },
    async release(id: string) {
      log.push(`release ${id}`);
      return release(state, id, T0, limits).result;
    },
  } as unknown as BudgetGate;
  return { gate, state, log, alerts };
}
