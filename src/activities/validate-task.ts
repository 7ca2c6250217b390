import { log } from '@temporalio/activity';
import type { Roster } from '../specialists/roster';
import type { Task } from '../tasks/task-input';
import { validateTaskRules, type ValidationVerdict } from '../tasks/validation';
import type { ActivityDeps } from './deps';
import type { ValidateTaskInput, ValidateTaskResult } from './types';

/** The pre-flight verdict: the validation rules, and a requested specialist must exist. Pure. */
export function preflightVerdict(task: Task, roster: Roster): ValidationVerdict {
  const verdict = validateTaskRules(task);
  if (task.specialist && !roster.get(task.specialist)) {
    const known = roster.specialists.map((s) => s.name).join(', ');
    verdict.reasons.push(`specialist: unknown "${task.specialist}" (known: ${known})`);
    verdict.ok = false;
  }
  return verdict;
}

/** Pre-flight checks: rules only, so a rejected task costs nothing. */
export function createValidateTask({ roster }: Pick<ActivityDeps, 'roster'>) {
  return async function validateTask({ taskId, task }: ValidateTaskInput): Promise<ValidateTaskResult> {
    await roster.refresh?.();
    const verdict = preflightVerdict(task, roster);
    log.info('task validated', { taskId, ok: verdict.ok, reasons: verdict.reasons });
    return verdict;
  };
}
