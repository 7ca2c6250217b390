import type { Client, ScheduleOptions } from '@temporalio/client';
import { ensureSchedule } from './ensure-schedule';
import type { Duration } from '@temporalio/common';
import type { EnsureGodInput } from '../activities/ensure-god';
import { GOD_WORKFLOW_ID } from '../workflows/god-api';

/** God's watchdog Schedule is named after God: `pantheon-god-watchdog` for the default God. */
export const watchdogScheduleId = (godId: string) => `${godId}-watchdog`;
export const GOD_WATCHDOG_SCHEDULE_ID = watchdogScheduleId(GOD_WORKFLOW_ID);
export const GOD_WATCHDOG_WORKFLOW_TYPE = 'godWatchdog';

export interface GodWatchdogConfig extends EnsureGodInput {
  /** A Temporal duration; default '5m'. */
  every?: string;
  scheduleId?: string;
}

function options(config: GodWatchdogConfig): ScheduleOptions {
  const { every = '5m', scheduleId = watchdogScheduleId(config.godId), ...ensure } = config;
  return {
    scheduleId,
    spec: { intervals: [{ every: every as Duration }] },
    action: {
      type: 'startWorkflow',
      workflowType: GOD_WATCHDOG_WORKFLOW_TYPE,
      workflowId: scheduleId,
      taskQueue: config.taskQueue,
      args: [ensure],
    },
    // A missed look is not worth catching up: the next one does the same job.
    policies: { overlap: 'SKIP', catchupWindow: '1m' },
  };
}

/** The watchdog's input the Schedule holds now, if it starts the watchdog. */
function previousInput(action: { type: string; args?: readonly unknown[] }): Partial<EnsureGodInput> | undefined {
  return action.type === 'startWorkflow' ? (action.args?.[0] as Partial<EnsureGodInput> | undefined) : undefined;
}

/**
 * Creates God's watchdog Schedule, or brings an existing one in line (its interval, and the goals
 * and settings it restarts God with); safe at every start-up. Without goals, those it had are kept;
 * without settings (the starter could not read those God runs with), likewise.
 */
export async function ensureGodWatchdogSchedule(client: Client, config: GodWatchdogConfig): Promise<'created' | 'updated'> {
  const wanted = options(config);
  return ensureSchedule(client, wanted, (previous) => {
    const before = previousInput(previous.action);
    // Started without a goals file: keep the goals an earlier start gave the watchdog.
    const goals = config.goals === undefined && Array.isArray(before?.goals) && before.goals.length ? before.goals : undefined;
    const settings = config.settings === undefined && before?.settings !== undefined ? before.settings : undefined;
    const kept = { ...(goals && { goals }), ...(settings && { settings }) };
    const action = Object.keys(kept).length ? { ...wanted.action, args: [{ ...(wanted.action.args?.[0] as EnsureGodInput), ...kept }] } : wanted.action;
    return { ...previous, spec: wanted.spec, action, policies: { ...previous.policies, ...wanted.policies } };
  });
}

/** The settings the Schedule would start God afresh with: undefined when it holds no record (a
 * Schedule made before they were recorded, or none at all). */
export async function watchdogSettings(client: Client, scheduleId: string): Promise<unknown> {
  const { action } = await client.schedule.getHandle(scheduleId).describe();
  return previousInput(action)?.settings;
}
