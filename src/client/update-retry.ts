import { ServiceError } from '@temporalio/client';

/** gRPC FAILED_PRECONDITION. */
const FAILED_PRECONDITION = 9;

/**
 * Whether a workflow update was refused before the workflow accepted it because one of its
 * workflow tasks failed (a busy worker's task timed out or came back too late: "Unable to perform
 * workflow execution update due to unexpected workflow task failure"). Since Temporal server 1.27
 * this ends the update call instead of being retried by the server; nothing was applied, so
 * asking again is safe whatever the update does.
 */
export function updateNotAccepted(err: unknown): boolean {
  const cause = err instanceof ServiceError ? (err.cause as { code?: number; message?: string } | undefined) : undefined;
  return cause?.code === FAILED_PRECONDITION && /workflow task failure/i.test(cause.message ?? '');
}

/** Runs an update, asking again (up to `attempts` times, backing off) while it was not accepted. */
export async function updateRetryingUnaccepted<T>(run: () => Promise<T>, attempts = 5, pauseMs = 200): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      if (!updateNotAccepted(err) || attempt >= attempts) throw err;
      await new Promise((resolve) => setTimeout(resolve, pauseMs * attempt));
    }
  }
}
