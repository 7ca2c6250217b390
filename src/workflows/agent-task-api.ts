import { defineQuery, defineSignal } from '@temporalio/workflow';
import { z } from 'zod';
import { lazySchema } from '../tasks/lazy-schema';
import type { TaskState } from './task-state';

/** `temporal workflow query --type state` answers with the task's current {@link TaskState}. */
export const stateQuery = defineQuery<TaskState>('state');

export interface StaleNotice {
  /** Why the sweeper acted, e.g. "running 16.20 min this run; DatabaseAgent is expected to take 15". */
  reason: string;
  /** Sent by the sweeper's `cancel` policy just before its cancel: the task ends `cancelled as
   * stale`. Without it, a later cancel is an operator's (`cancelled by request`). */
  cancelling?: true;
}

/** Signals arrive from anyone with the Temporal CLI; a malformed one is ignored with a warning
 * (a signal cannot be refused), never left to fail every workflow task of the task. */
export const StaleNoticeSchema = lazySchema('workflows/agent-task-api.StaleNoticeSchema', () =>
  z.object({ reason: z.string().trim().min(1).max(2000), cancelling: z.literal(true).optional() }),
);

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

export const BudgetAdmissionSchema = lazySchema('workflows/agent-task-api.BudgetAdmissionSchema', () => z.object({ check: z.number().int().nonnegative() }));

/** Sent by a specialist run that checks for budget after a wait, once the ledger let its first call
 * through: the task is running again (it showed waiting_budget while it asked). */
export const budgetAdmittedSignal = defineSignal<[BudgetAdmission]>('budgetAdmitted');
