import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Limits } from './limits';
import type { BreakerState, FinishResult, LeasingStatus, LedgerOptions, LedgerState, Override, ReserveResult } from './ledger-types';
import type { CloseTaskInput, FinishInput, LedgerBatchInput, OperatorInput, OverrideInput, ReleaseInput, ReserveInput, RestoreInput, SetExperimentalShareInput, SetLimitsInput, SettleInput } from './messages';
import type { PredecessorRun } from './ledger-recovery';
import type { TaskBill } from './ledger-close';
import type { BudgetSnapshot, LaneSnapshot } from './snapshot';
import type { Lane } from '../tasks/task-input';

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
  /**
   * Set when this run succeeds one that ended without continue-as-new (terminated, failed):
   * with `state`, it resumes that state; with `lost`, the state could not be read and the
   * ledger starts locked until an operator restores or resets it.
   */
  succeeds?: { from?: PredecessorRun; lost?: string };
}

/** The answers to a {@link ledgerBatchUpdate}, each list in its request's order. */
export interface LedgerBatchResult {
  finishes: FinishResult[];
  reserves: ReserveResult[];
  /** The bills of the batch's closes (present when it carried any). */
  closes?: TaskBill[];
  /** Whether leases may still be used (absent from a ledger older than leases). */
  leasing?: LeasingStatus;
  /** This ledger takes settles marked `unanswered` (absent from a ledger older than that: its
   * validator refuses the mark, and with it the whole batch). */
  unansweredSettles?: true;
}

/** What a run hands on: the input of its continue-as-new, readable at any time by a query. */
export interface CarriedLedger {
  limits: Limits;
  state: LedgerState;
  options?: BudgetLedgerInput['options'];
}

export const reserveUpdate = defineUpdate<ReserveResult, [ReserveInput]>('reserve');
export const settleUpdate = defineUpdate<FinishResult, [SettleInput]>('settle');
export const releaseUpdate = defineUpdate<FinishResult, [ReleaseInput]>('release');
/** Many requests in one update, answered in order: how the gate sends under load. */
export const reserveBatchUpdate = defineUpdate<ReserveResult[], [ReserveInput[]]>('reserveBatch');
export const finishBatchUpdate = defineUpdate<FinishResult[], [FinishInput[]]>('finishBatch');
/** Settles and releases, then reserves, in one update: how the gate sends since settles left the
 * call's path (a settle rides on the next update instead of costing one of its own). */
export const ledgerBatchUpdate = defineUpdate<LedgerBatchResult, [LedgerBatchInput]>('ledgerBatch');
/** A task has ended: charge what it left outstanding, answer its lifetime bill, forget it. */
export const closeTaskUpdate = defineUpdate<TaskBill, [CloseTaskInput]>('closeTask');
/** Many closes in one update, answered in order: how the gate sends them (tasks end in bursts). */
export const closeTaskBatchUpdate = defineUpdate<TaskBill[], [CloseTaskInput[]]>('closeTaskBatch');
export const closeBreakerUpdate = defineUpdate<BreakerState, [OperatorInput]>('closeBreaker');
export const openBreakerUpdate = defineUpdate<BreakerState, [OperatorInput]>('openBreaker');
export const setOverrideUpdate = defineUpdate<Override[], [OverrideInput]>('setOverride');
export const setLimitsUpdate = defineUpdate<Limits, [SetLimitsInput]>('setLimits');
/** The experimental lane's share of the day, changed at once (audited); answers both lanes as they now stand. */
export const setExperimentalShareUpdate = defineUpdate<Record<Lane, LaneSnapshot>, [SetExperimentalShareInput]>('setExperimentalShare');
/** Operator recovery: take over an exported state, or start the books over. Both audited. */
export const restoreUpdate = defineUpdate<BudgetSnapshot, [RestoreInput]>('restore');
export const resetUpdate = defineUpdate<BudgetSnapshot, [OperatorInput]>('reset');
export const budgetQuery = defineQuery<BudgetSnapshot>('budget');
/** The whole carried state (for a successor run, `pantheon budget export`, and restore). */
export const ledgerStateQuery = defineQuery<CarriedLedger>('ledgerState');
