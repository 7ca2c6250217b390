import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Limits } from '../budget/limits';
import type { BreakerState, FinishResult, LedgerOptions, LedgerState, Override, ReserveResult } from '../budget/ledger-types';
import type { FinishInput, OperatorInput, OverrideInput, ReleaseInput, ReserveInput, SetLimitsInput, SettleInput } from '../budget/messages';
import type { BudgetSnapshot } from '../budget/snapshot';

/**
 * The budget ledger's names: its fixed id, its updates and its query. Importable from activities
 * and clients (definitions only, no workflow code runs here).
 */

/** One ledger per namespace: every worker, on every machine, reserves against this workflow. */
export const BUDGET_LEDGER_ID = 'pantheon-budget-ledger';
export const BUDGET_LEDGER_TYPE = 'budgetLedger';

export interface BudgetLedgerInput {
  limits: Limits;
  /** The state a previous run carried through continue-as-new. */
  state?: LedgerState;
  options?: Partial<LedgerOptions> & {
    /** Continue-as-new after this many updates (default 1000); tests force it with a small one. */
    continueAsNewAfterUpdates?: number;
  };
}

export const reserveUpdate = defineUpdate<ReserveResult, [ReserveInput]>('reserve');
export const settleUpdate = defineUpdate<FinishResult, [SettleInput]>('settle');
export const releaseUpdate = defineUpdate<FinishResult, [ReleaseInput]>('release');
/** Many requests in one update, answered in order: how the gate sends under load. */
export const reserveBatchUpdate = defineUpdate<ReserveResult[], [ReserveInput[]]>('reserveBatch');
export const finishBatchUpdate = defineUpdate<FinishResult[], [FinishInput[]]>('finishBatch');
export const closeBreakerUpdate = defineUpdate<BreakerState, [OperatorInput]>('closeBreaker');
export const openBreakerUpdate = defineUpdate<BreakerState, [OperatorInput]>('openBreaker');
export const setOverrideUpdate = defineUpdate<Override[], [OverrideInput]>('setOverride');
export const setLimitsUpdate = defineUpdate<Limits, [SetLimitsInput]>('setLimits');
export const budgetQuery = defineQuery<BudgetSnapshot>('budget');
