import { ScheduleAlreadyRunning, type Client, type ScheduleDescription, type ScheduleOptions, type ScheduleUpdateOptions } from '@temporalio/client';

/**
 * Creates a Schedule, or, when it exists, brings it in line through `merge` (what the existing
 * one keeps is the caller's choice). Safe at every start-up, from any number of processes.
 */
export async function ensureSchedule(client: Client, wanted: ScheduleOptions, merge: (previous: ScheduleDescription) => ScheduleUpdateOptions): Promise<'created' | 'updated'> {
  try {
    await client.schedule.create(wanted);
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await client.schedule.getHandle(wanted.scheduleId).update(merge);
  return 'updated';
}
