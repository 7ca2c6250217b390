import { log } from '@temporalio/activity';
import type { ActivityDeps } from './deps';
import { notOnRoster } from './validate-task';

export interface CheckChainPlanInput {
  chainId: string;
  plan: string[];
}

export interface CheckChainPlanResult {
  /** One reason per step whose specialist is not on the roster, naming its field (`plan.N`); empty when every step can run. */
  unknown: string[];
}

/**
 * A chain's plan against the roster, before its first step spends anything. Without it, a plan
 * whose later step names no specialist (a typo in a Temporal CLI start) paid for the steps before
 * it and then was rejected there. The roster is refreshed first: a specialist God spawned since
 * the worker started counts as known, as it does for a task's own validation.
 */
export function createCheckChainPlan(deps: Pick<ActivityDeps, 'roster'>) {
  const { roster } = deps;
  return async function checkChainPlan({ chainId, plan }: CheckChainPlanInput): Promise<CheckChainPlanResult> {
    await roster.refresh?.();
    const unknown = plan.flatMap((name, i) => notOnRoster(`plan.${i}`, name, roster) ?? []);
    if (unknown.length) log.info('chain plan names specialists not on the roster', { chainId, unknown });
    return { unknown };
  };
}
