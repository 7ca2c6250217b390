import { proxyActivities } from '@temporalio/workflow';
import type { EnsureGodInput, GodWatchdogActivities } from '../activities/ensure-god';
import type { StartGodResult } from '../client/god-start';

const { ensureGod } = proxyActivities<GodWatchdogActivities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 3 },
});

/**
 * One look at God, started by the `pantheon-god-watchdog` Schedule (default every 5 minutes): if
 * God is not running it is started again, with the goals and settings the Schedule was made with.
 * God keeps its own time; the Schedule is only a watchdog.
 */
export async function godWatchdog(input: EnsureGodInput): Promise<StartGodResult> {
  return ensureGod(input);
}
