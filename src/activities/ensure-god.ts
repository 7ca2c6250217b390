import { log } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { startGod, type StartGodOptions, type StartGodResult } from '../client/god-start';
import { asActivity } from '../errors/temporal';

export type EnsureGodInput = StartGodOptions;

export interface EnsureGodDeps {
  client: Client;
}

/**
 * The watchdog's one activity: start God if it is not running, otherwise do nothing. Idempotent by
 * construction (a fixed workflow id and the USE_EXISTING conflict policy), so a retry or two
 * overlapping watchdogs never make a second God.
 */
export function createEnsureGod({ client }: EnsureGodDeps) {
  return async function ensureGod(input: EnsureGodInput): Promise<StartGodResult> {
    const result = await startGod(client, input);
    if (result.outcome === 'started') {
      log.warn('God was not running: the watchdog started it', { godId: result.workflowId, runId: result.runId, previous: result.previous, goals: result.goalsGiven });
    }
    return result;
  };
}

/** The watchdog's activities, typed for Temporal like every other activity. */
export function createGodWatchdogActivities(deps: EnsureGodDeps) {
  const ensure = createEnsureGod(deps);
  return { ensureGod: (input: EnsureGodInput) => asActivity(() => ensure(input)) };
}

export type GodWatchdogActivities = ReturnType<typeof createGodWatchdogActivities>;
