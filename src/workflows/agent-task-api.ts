import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { TaskState } from './task-state';

/** `temporal workflow query --type state` answers with the task's current {@link TaskState}. */
export const stateQuery = defineQuery<TaskState>('state');

export interface StaleNotice {
  /** Why the sweeper acted, e.g. "running 16.20 min this run; DatabaseAgent is expected to take 15". */
  reason: string;
}

/** Marks a task stale: a search attribute and a log line; the task keeps running. */
export const flagStaleSignal = defineSignal<[StaleNotice]>('flagStale');

/**
 * Abandons the current specialist run and starts it again from scratch (a new attempt on any
 * worker) once the abandoned run's activity has stopped (status `requeuing` meanwhile); the run is
 * judged from the requeue. Bounded by the task's maxRequeues: past it, the task is cancelled as a
 * poison task.
 */
export const requeueSignal = defineSignal<[StaleNotice]>('requeue');

export interface BudgetAdmission {
  /** The check for budget it answers (RunSpecialistInput.announceAdmission): a late one is ignored. */
  check: number;
}

/** Sent by a specialist run that checks for budget after a wait, once the ledger let its first call
 * through: the task is running again (it showed waiting_budget while it asked). */
export const budgetAdmittedSignal = defineSignal<[BudgetAdmission]>('budgetAdmitted');
