import { isUnreadablePayload } from '../codec/unreadable';
import { PantheonError } from '../errors';
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
  try {
    await client.schedule.getHandle(wanted.scheduleId).update(merge);
  } catch (err) {
    throw undecryptable(wanted.scheduleId, err) ?? err;
  }
  return 'updated';
}

/**
 * An update reads the Schedule's action first, payloads included: written by a worker that
 * encrypted (PANTHEON_CODEC_KEYS), it cannot be read without a key that wrote it. The codec's own
 * words name neither the Schedule nor the ways out.
 */
function undecryptable(scheduleId: string, err: unknown): PantheonError | undefined {
  if (!isUnreadablePayload(err)) return undefined;
  const message = err instanceof Error ? err.message : String(err);
  return PantheonError.of(
    'config_invalid',
    `Schedule ${scheduleId} was written with encrypted payloads this process cannot read (${message}): ` +
      `start it with the keys that wrote it (PANTHEON_CODEC_KEYS or PANTHEON_CODEC_KEY_FILE, the old key listed first), ` +
      `or delete the Schedule (temporal schedule delete --schedule-id ${scheduleId}) and the next worker writes it again`,
    { details: { scheduleId } },
  );
}
