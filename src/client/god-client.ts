import { ApplicationFailure, WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { QueryDefinition, UpdateDefinition } from '@temporalio/common';
import type { PantheonConfig } from '../config/env';
import { PantheonError } from '../errors';
import { connectClient, DEFAULT_TEMPORAL_ADDRESS } from './connection';
import { godExecution, refuseNotGod } from './god-start';
import { noAnswer } from './no-answer';
import { updateRetryingUnaccepted } from './update-retry';

/**
 * The CLI's way to God: connect, make sure God runs (or say how to start it), and talk to it with
 * a deadline, so a God whose worker is down is an error that says so, not a hang.
 */

/** How long God gets to answer a query or an update: at once when a worker runs its task queue. */
export const GOD_TIMEOUT_MS = 15_000;

export interface GodSession {
  client: Client;
  handle: WorkflowHandle;
  godId: string;
  address: string;
  namespace: string;
  taskQueue: string;
}

/** The flags are GOD_START_USAGE's (commands/god.ts, which imports this file; a unit test keeps them alike). */
export const HOW_TO_START_GOD = 'start it with `pantheon god start [--goals FILE] [--config JSON | --config-file FILE]` (or `npm run god --` with the same flags)';

/** God is not running: why, and how to start it. */
export function godNotRunning(godId: string, status: string, address: string, namespace: string): PantheonError {
  const found = status === 'NOT_FOUND' ? `no workflow "${godId}"` : `workflow "${godId}" is ${status.toLowerCase().replace(/_/g, ' ')}`;
  return PantheonError.of('invalid_input', `God is not running (${found} in namespace "${namespace}" at ${address}): ${HOW_TO_START_GOD}`, {
    details: { godId, status },
  });
}

/** connectClient: its failure already says where it tried and which settings name the server. */
export async function connectOrExplain(config: PantheonConfig): Promise<Awaited<ReturnType<typeof connectClient>>> {
  return connectClient(config);
}

/** The running God as a session, or undefined (with the status found) when it is not running. */
export async function findGod(client: Client, config: PantheonConfig): Promise<{ god?: GodSession; status: string }> {
  const godId = config.god.id;
  const execution = await client.withDeadline(Date.now() + GOD_TIMEOUT_MS, () => godExecution(client, godId));
  // Asked of a task or the ledger, God's queries and updates meet "no handler" errors.
  refuseNotGod(godId, execution.type);
  if (execution.status !== 'RUNNING') return { status: execution.status };
  return {
    status: execution.status,
    god: {
      client,
      handle: client.workflow.getHandle(godId),
      godId,
      address: config.temporal.address ?? DEFAULT_TEMPORAL_ADDRESS,
      namespace: config.temporal.namespace,
      taskQueue: execution.taskQueue ?? config.temporal.taskQueue,
    },
  };
}

/**
 * Runs `body` with God's deadline; a God that does not answer is `god_unavailable` (exit 75: the
 * same command works once a worker runs God's task queue), saying why it may not. `pending` says
 * what an update sent meanwhile may still do (default: check with `pantheon god status`).
 */
export async function answered<T>(god: GodSession, body: () => Promise<T>, pending = 'A change this command sent (if it sends one) may still be applied when God answers.'): Promise<T> {
  const deadlineMs = Date.now() + GOD_TIMEOUT_MS;
  try {
    return await god.client.withDeadline(deadlineMs, body);
  } catch (err) {
    if (noAnswer(err, deadlineMs)) {
      // The server itself may be what did not answer: blaming God's worker then sends the
      // operator to the wrong place.
      const down = await serverSilence(god.client);
      if (down) {
        throw PantheonError.of('temporal_unavailable', `God could not be asked: Temporal at ${god.address} does not answer (${down}); is the server up? ${pending}`, {
          cause: err,
          details: { godId: god.godId, address: god.address },
        });
      }
      throw PantheonError.of(
        'god_unavailable',
        `God (workflow "${god.godId}" at ${god.address}) did not answer within ${GOD_TIMEOUT_MS / 1000} s: is a worker polling its task queue "${god.taskQueue}"? (\`npm run worker\`). ${pending}`,
        { cause: err, details: { godId: god.godId } },
      );
    }
    throw err;
  }
}

/** Why the server does not answer a cheap call within a few seconds, or undefined when it does. */
async function serverSilence(client: GodSession['client']): Promise<string | undefined> {
  try {
    await client.withDeadline(Date.now() + SERVER_PROBE_MS, () => client.workflowService.getSystemInfo({}));
    return undefined;
  } catch (err) {
    const e = err as { details?: unknown; message?: unknown };
    return String(typeof e.details === 'string' && e.details ? e.details : e.message ?? err).slice(0, 200);
  }
}

/** How long the server gets to answer a cheap call after God did not answer. */
const SERVER_PROBE_MS = 3000;

/** Runs `body` against the running God, or fails with how to start it. */
export async function withGod<T>(config: PantheonConfig, body: (god: GodSession) => Promise<T>): Promise<T> {
  const { client, close } = await connectOrExplain(config);
  try {
    const { god, status } = await findGod(client, config);
    if (!god) throw godNotRunning(config.god.id, status, config.temporal.address ?? DEFAULT_TEMPORAL_ADDRESS, config.temporal.namespace);
    return await answered(god, () => body(god));
  } finally {
    await close();
  }
}

/** The validator's refusal without the update's name in front (the CLI says which update). */
export function refusalMessage(updateName: string, message: string): string {
  return message.startsWith(`${updateName}: `) ? message.slice(updateName.length + 2) : message;
}

/** Runs an update; a refusal by God's validator becomes an `invalid_input` error with its message
 * (`god_queue_full` for a full queue: exit 75). */
export async function godUpdate<Ret, Arg>(god: GodSession, def: UpdateDefinition<Ret, [Arg]> | UpdateDefinition<Ret, [Arg?]>, arg: Arg): Promise<Ret> {
  try {
    return await updateRetryingUnaccepted(() => god.handle.executeUpdate<Ret, [Arg]>(def.name, { args: [arg] }));
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      // A full queue is no fault of the input: the same submission may be taken later.
      const type = err.cause instanceof ApplicationFailure && err.cause.type === 'god_queue_full' ? 'god_queue_full' : 'invalid_input';
      throw PantheonError.of(type, `God refused ${def.name}: ${refusalMessage(def.name, err.cause?.message ?? err.message)}`, { cause: err });
    }
    throw err;
  }
}

export function godQuery<Ret>(god: GodSession, def: QueryDefinition<Ret, []>): Promise<Ret> {
  return god.handle.query(def);
}
