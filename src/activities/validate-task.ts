import { log } from '@temporalio/activity';
import { validateTaskRules } from '../tasks/validation';
import type { ActivityDeps } from './deps';
import type { ValidateTaskInput, ValidateTaskResult } from './types';

/** Pre-flight checks: rules only, so a rejected task costs nothing. */
export function createValidateTask({ roster }: Pick<ActivityDeps, 'roster'>) {
  return async function validateTask({ taskId, task }: ValidateTaskInput): Promise<ValidateTaskResult> {
    const verdict = validateTaskRules(task);
    if (task.specialist && !roster.get(task.specialist)) {
      const known = roster.specialists.map((s) => s.name).join(', ');
      verdict.reasons.push(`specialist: unknown "${task.specialist}" (known: ${known})`);
      verdict.ok = false;
    }
    log.info('task validated', { taskId, ok: verdict.ok, reasons: verdict.reasons });
    return verdict;
  };
}
