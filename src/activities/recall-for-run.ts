import { log } from '@temporalio/activity';
import { recallForPrompt } from '../memory/recall-for-prompt';
import type { ActivityDeps } from './deps';
import type { RecallForRunInput, RecallForRunResult } from './types';

/**
 * Memory for a specialist about to run a task (its first run, and every reassignment): this
 * task's failed attempts so far, the specialist's own failures on similar tasks, and similar
 * tasks' outcomes, at most 5 lines and 1,500 characters (src/memory/recall-for-prompt.ts).
 * Read-only, so a retry is harmless; the workflow records the lines, so every call of the run
 * (and its compressions) shows the same ones.
 */
export function createRecallForRun({ memory }: Pick<ActivityDeps, 'memory'>) {
  return async function recallForRun(input: RecallForRunInput): Promise<RecallForRunResult> {
    const { lines: warnings, lessonIds } = await recallForPrompt(memory, input.task, { specialist: input.specialist, attempts: input.attempts, countLessonHits: true });
    log.info('memory recalled for a run', { taskId: input.taskId, specialist: input.specialist, lines: warnings.length, lessons: lessonIds.length, attempts: input.attempts.length });
    return { warnings, lessonIds };
  };
}
