/**
 * The budget for activity and worker code. Workflows must not import this file (it pulls in the
 * Temporal client, fs and pricing); the ledger workflow imports the pure modules directly.
 */
export { defaultLimits, LimitsFileSchema, LimitsSchema, type Limits } from './limits';
export { limitsFilePath, loadLimits, parseLimits } from './load-limits';
export { windowEndMs, windowKeys, windowStartMs, type WindowKeys } from './windows';
export { worstCaseOf, type Amount } from './estimate';
export { createBudgetGate, denialError, LEDGER_UPDATES_IN_FLIGHT, type BudgetGate, type BudgetGateOptions, type GateStats, type GrantedReservation } from './gate';
export { createBudgetedLlmClient, type BudgetedClientOptions } from './budgeted-client';
export { activityCallKeys } from './call-key';
export { createLedgerClient, type LedgerClient } from './ledger-client';
export { budgetAlertEvent, budgetAlertSink, createAlerter } from './alerts';
export type { BudgetSnapshot, LaneSnapshot, ScopeView } from './snapshot';
export { laneLimitUsd, laneScope, laneShare, type Lane } from './lanes';
export { runwayOf } from './runway';
export type { GateTiming, OpStats } from './timing';
export type * from './ledger-types';
