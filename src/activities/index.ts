import { asActivity } from '../errors/temporal';
import { withTaskLineage } from '../tasks/lineage-context';
import type { ActivityDeps } from './deps';
import { createCompressContext } from './compress-context';
import { createRaiseAlert } from './raise-alert';
import { createRouteTask } from './route-task';
import { createRunSpecialist } from './run-specialist';
import { createRecallForRun } from './recall-for-run';
import { createStoreMemory } from './store-memory';
import { createValidateTask } from './validate-task';
import { createCloseTaskBill } from './close-task-bill';
import { createRecordLesson } from './record-lesson';
import { createConsolidateLessons } from './consolidate-lessons';
import { createCheckChainPlan } from './check-chain-plan';

export type { ActivityDeps } from './deps';
export { DEFAULT_SYSTEM_MODELS } from './deps';

/** Wraps each activity so its failures reach Temporal typed and marked retryable or not, and
 * calls made below it (embeddings) know the lineage of the task in its input. */
export function typed<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return (...args: A) => asActivity(() => withTaskLineage(args[0], () => fn(...args)));
}

/**
 * Every activity of the agentTask workflow, built from its dependencies.
 *
 * @example
 *   const activities = createActivities({ llm, roster, memory, models: DEFAULT_SYSTEM_MODELS });
 *   await Worker.create({ activities, ... });
 */
export function createActivities(deps: ActivityDeps) {
  return {
    validateTask: typed(createValidateTask(deps)),
    routeTask: typed(createRouteTask(deps)),
    recallForRun: typed(createRecallForRun(deps)),
    runSpecialist: typed(createRunSpecialist(deps)),
    compressContext: typed(createCompressContext(deps)),
    storeMemory: typed(createStoreMemory(deps)),
    raiseAlert: typed(createRaiseAlert(deps)),
    closeTaskBill: typed(createCloseTaskBill(deps)),
    recordLesson: typed(createRecordLesson(deps)),
    consolidateLessons: typed(createConsolidateLessons(deps)),
    checkChainPlan: typed(createCheckChainPlan(deps)),
  };
}

export type Activities = ReturnType<typeof createActivities>;
