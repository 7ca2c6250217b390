import type { ActivityDeps } from './deps';
import { rulesOf } from '../routing/route-with-policy';

/**
 * The roster's keyword rules (specialist → keywords, the seed files and live spawned specialists):
 * what God seeds its routing policy with on the first tick that has none. Reads only.
 */
export function createRoutingRules(deps: Pick<ActivityDeps, 'roster'>) {
  return async function routingRules(): Promise<{ rules: Record<string, string[]>; fallback: string }> {
    await deps.roster.refresh?.();
    return { rules: rulesOf(deps.roster.specialists), fallback: deps.roster.fallback.name };
  };
}
