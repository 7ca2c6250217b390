import { Context, log } from '@temporalio/activity';
import { lessonLine } from '../memory/lesson-text';
import type { LessonWrite } from '../memory/lesson-types';
import type { ActivityDeps } from './deps';

/** One failure of a task: what the next specialist, and later similar tasks, should avoid. */
export interface RecordLessonInput {
  taskId: string;
  specialist: string;
  /** The task's objective: the lesson's topic. */
  objective: string;
  failure: { activity: string; type: string; message: string };
}

/**
 * Writes a failure's lesson (src/memory/lesson-book.ts consolidates it on the way in). The store
 * keys the write by lesson and task, so a retried or re-executed activity, or a reset task that
 * fails the same way again, adds no second evidence row.
 */
export function createRecordLesson({ memory }: Pick<ActivityDeps, 'memory'>) {
  return async function recordLesson(input: RecordLessonInput): Promise<LessonWrite> {
    const write = await memory.recordLesson({
      taskId: input.taskId,
      specialist: input.specialist,
      failureType: input.failure.type,
      text: lessonLine(input.failure),
      objective: input.objective,
      seenAt: new Date().toISOString(),
    });
    log.info('lesson recorded', { taskId: input.taskId, lessonId: write.lessonId, action: write.action, nearDuplicate: write.nearDuplicate, retired: write.retired.length, attempt: Context.current().info.attempt });
    return write;
  };
}
