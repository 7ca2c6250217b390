import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { ConstraintBook } from '../constraints/book';
import type { StandingConstraint } from '../constraints/schema';
import { taskConstraintId } from '../constraints/registry';
import { PantheonError } from '../errors';
import { addConstraintUpdate, godConstraintsQuery } from '../workflows/god-api';

/**
 * The validate activity's way to the standing constraints God holds: its `constraints` query
 * (cached for `ttlMs`, and activities that ask while a read is under way share it, so a burst of
 * tasks asks once) and its `addConstraint` update (a task's declared constraints, registered when
 * the task is accepted; the cache, and any read under way, are dropped at once).
 * God never started (or closed) means no constraints; God that does not answer is `god_unavailable`
 * (retryable): a task is never validated against constraints it could not read.
 */


export const GOD_CONSTRAINTS_TIMEOUT_MS = 5_000;
export const CONSTRAINTS_TTL_MS = 2_000;

export interface GodConstraintBookOptions {
  ttlMs?: number;
  timeoutMs?: number;
  now?: () => number;
}

function unavailable(godId: string, err: unknown): PantheonError {
  return PantheonError.of('god_unavailable', `God ("${godId}") did not answer for the standing constraints: ${(err as Error)?.message ?? String(err)}`, { cause: err, details: { godId } });
}

export function godConstraintBook(client: Client, godId: string, options: GodConstraintBookOptions = {}): ConstraintBook {
  const ttlMs = options.ttlMs ?? CONSTRAINTS_TTL_MS;
  const timeoutMs = options.timeoutMs ?? GOD_CONSTRAINTS_TIMEOUT_MS;
  const now = options.now ?? Date.now;
  let cached: { at: number; list: StandingConstraint[] } | undefined;
  /** The read under way: activities that ask while it runs share it. */
  let inFlight: Promise<StandingConstraint[]> | undefined;
  /** Bumped by every registration: a read that began before one must not cache what it found. */
  let generation = 0;
  const handle = () => client.workflow.getHandle(godId);
  const read = async (): Promise<StandingConstraint[]> => {
    const began = generation;
    let list: StandingConstraint[];
    try {
      // A closed God holds none now (a successor resumes them), and a query to a closed workflow
      // waits for a worker to replay it: ask the server first, God only while it runs.
      const { status } = await client.withDeadline(Date.now() + timeoutMs, () => handle().describe());
      list = status.name === 'RUNNING' ? await client.withDeadline(Date.now() + timeoutMs, () => handle().query(godConstraintsQuery)) : [];
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) list = [];
      else throw unavailable(godId, err);
    }
    if (began === generation) cached = { at: now(), list };
    return list;
  };
  return {
    async active() {
      if (cached && now() - cached.at < ttlMs) return cached.list;
      const shared = (inFlight ??= read().finally(() => {
        if (inFlight === shared) inFlight = undefined;
      }));
      return shared;
    },
    async register(taskId, specs) {
      if (!specs.length) return undefined;
      const notRunning = `God ("${godId}") is not running to hold the constraints the task sets (start it: npm run god)`;
      try {
        const description = await client.withDeadline(Date.now() + timeoutMs, () => handle().describe());
        if (description.status.name !== 'RUNNING') return notRunning;
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return notRunning;
        throw unavailable(godId, err);
      }
      try {
        for (const [i, spec] of specs.entries()) {
          await client.withDeadline(Date.now() + timeoutMs, () =>
            handle().executeUpdate(addConstraintUpdate, { args: [{ id: taskConstraintId(taskId, i), spec, setBy: { kind: 'task', id: taskId } }] }),
          );
        }
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) return `setsConstraints: God refused it: ${err.cause?.message ?? err.message}`;
        throw unavailable(godId, err);
      } finally {
        // What was read or is being read may lack what was just added: the next activity asks anew.
        cached = undefined;
        inFlight = undefined;
        generation++;
      }
      return undefined;
    },
  };
}
