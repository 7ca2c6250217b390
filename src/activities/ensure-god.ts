import { log } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { startGod, type StartGodOptions, type StartGodResult } from '../client/god-start';
import type { GodSettings } from '../client/god-settings';
import { describeRecorded, recordedSettings } from '../client/god-watchdog-settings';
import { asActivity } from '../errors/temporal';

export interface EnsureGodInput extends Omit<StartGodOptions, 'afreshSettings'> {
  /** The settings God was last started with (the defaults left out), recorded by the start that
   * made or updated the Schedule; a God started afresh runs with them. Absent from Schedules made
   * before they were recorded. */
  settings?: GodSettings;
}

export interface EnsureGodResult extends StartGodResult {
  /** For a God the watchdog started: whose settings it runs with, and, where the watchdog could
   * not know the operator's, that it runs on the defaults and why. */
  settings?: string;
}

export interface EnsureGodDeps {
  client: Client;
}

/** Tells what a Schedule without (readable) settings would start God with, and how to mend it. */
const NO_RECORD = 'this Schedule holds no record of the settings God was last started with (made before they were recorded, or by hand); run `pantheon god start` (or `npm run god`) once God runs to record them';

/**
 * The watchdog's one activity: start God if it is not running, otherwise do nothing. Idempotent by
 * construction (a fixed workflow id and the USE_EXISTING conflict policy), so a retry or two
 * overlapping watchdogs never make a second God. A killed God whose state is read back is resumed
 * with its own settings; one started afresh gets the settings the Schedule recorded.
 */
export function createEnsureGod({ client }: EnsureGodDeps) {
  return async function ensureGod(input: EnsureGodInput): Promise<EnsureGodResult> {
    const { settings: recorded, ...options } = input;
    const checked = recordedSettings(recorded);
    const result = await startGod(client, { ...options, ...(checked?.settings && { afreshSettings: checked.settings }) });
    if (result.outcome !== 'started') return result;
    const settings =
      result.resumed === true
        ? "the killed run's, resumed with its state"
        : checked?.settings
          ? `God's last start's: ${describeRecorded(checked.settings)}`
          : `the defaults: ${checked?.error ?? NO_RECORD}`;
    log.warn('God was not running: the watchdog started it', { godId: result.workflowId, runId: result.runId, previous: result.previous, resumed: result.resumed, goals: result.goalsGiven, settings });
    return { ...result, settings };
  };
}

/** The watchdog's activities, typed for Temporal like every other activity. */
export function createGodWatchdogActivities(deps: EnsureGodDeps) {
  const ensure = createEnsureGod(deps);
  return { ensureGod: (input: EnsureGodInput) => asActivity(() => ensure(input)) };
}

export type GodWatchdogActivities = ReturnType<typeof createGodWatchdogActivities>;
