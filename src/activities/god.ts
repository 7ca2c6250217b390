import type { Client } from '@temporalio/client';
import { createAssessTask } from './assess-task';
import type { ActivityDeps } from './deps';
import { createGenerateTasks } from './generate-tasks';
import { typed } from './index';
import { createProposeSpecialist } from './propose-specialist';
import { createReconcileTasks } from './reconcile-tasks';
import { createRoutingRules } from './routing-rules';

export type * from './god-types';

/** What God's activities need: the task activities' parts, and a client for visibility. */
export type GodActivityDeps = Pick<ActivityDeps, 'llm' | 'roster' | 'memory' | 'models'> & Partial<Pick<ActivityDeps, 'bills'>> & { client: Client };

/**
 * The God workflow's activities: assess a task (free), generate a goal's tasks and propose a
 * specialist (cheap LLM calls through the budget ledger), and reconcile in-flight tasks against
 * the server. Each wrapped so its failures reach Temporal typed, retryable or not.
 *
 * @example
 *   Worker.create({ activities: { ...createActivities(deps), ...createGodActivities({ ...deps, client }) }, ... });
 */
export function createGodActivities(deps: GodActivityDeps) {
  return {
    assessTask: typed(createAssessTask(deps)),
    generateTasks: typed(createGenerateTasks(deps)),
    proposeSpecialist: typed(createProposeSpecialist(deps)),
    reconcileTasks: typed(createReconcileTasks(deps)),
    routingRules: typed(createRoutingRules(deps)),
  };
}

export type GodActivities = ReturnType<typeof createGodActivities>;
