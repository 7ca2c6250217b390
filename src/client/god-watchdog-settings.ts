import type { Client } from '@temporalio/client';
import { defaultGodConfig, GodConfigSchema } from '../god/messages';
import type { GodConfig } from '../god/types';
import { runSettings } from './god-start';
import { describeSettings, type GodSettings } from './god-settings';

/**
 * The settings God's watchdog Schedule records, so a God it has to start afresh (a killed run whose
 * state cannot be read, or no run left at all) runs with the settings its operator started it with,
 * not the defaults: those of the God run a start made or found, read from that run's start input.
 *
 * @example
 *   const { settings } = await settingsOfRun(client, 'pantheon-god', runId); // { maxQueue: 50 }
 */

/**
 * What the watchdog keeps of a run's settings: those that differ from the defaults, without where
 * God runs (taskQueue is PANTHEON_TASK_QUEUE's). A default a later version changes then applies to
 * a God started afresh, as to any new God.
 */
export function settingsToRecord(config: Partial<GodConfig>): GodSettings {
  const defaults = defaultGodConfig() as unknown as Record<string, unknown>;
  return Object.fromEntries(Object.entries(config).filter(([key, value]) => key !== 'taskQueue' && value !== undefined && value !== defaults[key])) as GodSettings;
}

/** The settings the run `runId` was started with, as the watchdog records them; an error says why they cannot be read. */
export async function settingsOfRun(client: Client, godId: string, runId: string): Promise<{ settings?: GodSettings; error?: string }> {
  const read = await runSettings(client, godId, runId);
  return read.settings ? { settings: settingsToRecord(read.settings) } : { error: read.error };
}

/**
 * A Schedule's recorded settings checked as God checks its own (the Schedule can be edited by hand:
 * `temporal schedule update`): undefined when none are recorded, else the settings or why not.
 */
export function recordedSettings(recorded: unknown): { settings?: GodSettings; error?: string } | undefined {
  if (recorded === undefined) return undefined;
  const isObject = typeof recorded === 'object' && recorded !== null && !Array.isArray(recorded);
  const parsed = isObject && !Object.hasOwn(recorded, 'taskQueue') ? GodConfigSchema.safeParse(recorded) : undefined;
  if (!parsed?.success) return { error: `the recorded settings are not God's settings (${parsed ? parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') : 'expected an object without taskQueue'})` };
  return { settings: recorded as GodSettings };
}

/** "maxQueue 50, pacing none", or "the defaults": recorded settings as a line prints them. */
export function describeRecorded(settings: GodSettings): string {
  return Object.keys(settings).length ? describeSettings(settings) : 'the defaults';
}
