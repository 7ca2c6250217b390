import { randomUUID } from 'node:crypto';
import { Client, WorkflowNotFoundError } from '@temporalio/client';
import { PantheonError } from '../errors';
import { GodConfigSchema, type GoalInput, type GodInput } from '../god/messages';
import type { GodConfig } from '../god/types';
import { godCarriedStateQuery, GOD_WORKFLOW_TYPE } from '../workflows/god-api';
import { runStartInput } from './decode-payloads';
import type { GodSettings } from './god-settings';

/**
 * Starting God idempotently: one `god` workflow per namespace under a fixed id. A second start
 * while it runs is a no-op (the server's `USE_EXISTING` conflict policy, so even two starters
 * racing end with one God, and only the one whose run it is says `started`); a start after it
 * ended begins a fresh run.
 *
 * @example
 *   const r = await startGod(client, { godId: 'pantheon-god', taskQueue: 'pantheon-tasks', goals });
 *   console.log(r.outcome); // 'started' | 'already_running'
 */

export interface StartGodOptions {
  godId: string;
  /** The task queue God runs on, and starts its tasks on. */
  taskQueue: string;
  /** Goals to add on a fresh start (validated already: see goals-file.ts). Ignored if God runs. */
  goals?: GoalInput[];
  /** God's settings beyond the defaults (src/god/messages.ts GodConfigSchema); when a killed run
   * is resumed, given over the settings it ran with. Ignored if God runs (see god-settings.ts). */
  config?: Partial<GodConfig>;
  /** The settings a run that starts afresh (no killed run whose state could be read) takes under
   * `config`: the watchdog's record of those God was last started with. A resumed run keeps the
   * killed run's own where they can be read, the newer truth. Undefined: the defaults. */
  afreshSettings?: GodSettings;
}

export interface StartGodResult {
  outcome: 'started' | 'already_running';
  workflowId: string;
  runId: string;
  /** What the previous run's end was when this start began a new one ('none': never ran). */
  previous?: string;
  /** Goals handed to the new run (0 when God already ran, or resumed a killed run's goals). */
  goalsGiven: number;
  /** After a killed run: true when the new run resumed its last state, else why it could not. */
  resumed?: true | string;
}

/** Refuses a God id that another workflow type holds (a task's, the budget ledger's). */
export function refuseNotGod(godId: string, type: string | undefined): void {
  if (type === undefined || type === GOD_WORKFLOW_TYPE) return;
  throw PantheonError.of('invalid_input', `PANTHEON_GOD_ID: "${godId}" is the id of a workflow of type ${type}, not God; give God an id of its own`, {
    details: { field: 'PANTHEON_GOD_ID', workflowType: type },
  });
}

/** The status of the workflow under `godId` ('NOT_FOUND' if none ever ran) and its run id. */
export async function godExecution(client: Client, godId: string): Promise<{ status: string; runId?: string; taskQueue?: string; type?: string }> {
  try {
    const d = await client.workflow.getHandle(godId).describe();
    return { status: d.status.name, runId: d.runId, taskQueue: d.taskQueue, type: d.type };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { status: 'NOT_FOUND' };
    throw err;
  }
}

export function godInput(options: StartGodOptions): GodInput {
  return {
    config: { ...options.config, taskQueue: options.config?.taskQueue ?? options.taskQueue },
    ...(options.goals?.length ? { goals: options.goals } : {}),
  };
}

export async function startGod(client: Client, options: StartGodOptions): Promise<StartGodResult> {
  const before = await godExecution(client, options.godId);
  // A task's or the ledger's id: a God started under it would hide the task's outcome from
  // `pantheon status`, and its watchdog would start a God in the ledger's place once it ends.
  refuseNotGod(options.godId, before.type);
  if (before.status === 'RUNNING') {
    return { outcome: 'already_running', workflowId: options.godId, runId: before.runId!, goalsGiven: 0 };
  }
  const carried = KILLED.includes(before.status) ? await lastState(client, options.godId, before.runId!) : undefined;
  // A resumed run keeps the killed run's settings (tick, pacing, review timeout …): the caller
  // names only where God runs, unless it gives settings of its own.
  const settings = carried?.state ? await killedRunConfig(client, options.godId, before.runId!) : undefined;
  // Afresh (or a resumed run whose start input cannot be read): the settings recorded for it.
  const base = settings ?? options.afreshSettings;
  const input = godInput(base ? { ...options, config: { ...base, ...options.config } } : options);
  // This start's own identity, so the run's first event tells whether this start made it.
  const starter = new Client({ ...client.options, identity: `${client.options.identity} start ${randomUUID().slice(0, 8)}` });
  const handle = await starter.workflow.start(GOD_WORKFLOW_TYPE, {
    workflowId: options.godId,
    taskQueue: options.taskQueue,
    // A killed God's successor resumes its queue, goals, statistics and in-flight tasks (which it
    // reconciles at once); goals given now apply only to a God that starts afresh.
    args: [carried?.state ? { config: input.config, state: carried.state } : input],
    // A start racing another (two watchdogs, an operator and `npm start`) joins the running God.
    workflowIdConflictPolicy: 'USE_EXISTING',
    staticSummary: 'Pantheon God: goals → tasks, prioritised within the daily runway',
  });
  // The run that came back is the other starter's when it won the race: this start joined it.
  if (!(await startedBy(client, options.godId, handle.firstExecutionRunId, starter.options.identity))) {
    return { outcome: 'already_running', workflowId: options.godId, runId: handle.firstExecutionRunId, goalsGiven: 0 };
  }
  return {
    outcome: 'started',
    workflowId: options.godId,
    runId: handle.firstExecutionRunId,
    previous: before.status === 'NOT_FOUND' ? 'none' : before.status.toLowerCase(),
    goalsGiven: carried?.state ? 0 : (options.goals?.length ?? 0),
    ...(carried && { resumed: carried.state ? true : `no: ${carried.error}` }),
  };
}

/**
 * Whether the run was started under `identity` (each start of God has its own: the client's, such
 * as pid@host, and a random suffix): the server's USE_EXISTING answers a start that lost a race with
 * the winner's run, as it answers the winner, so two `npm run god` at once both said "God started"
 * with one run id. Read from the run's first event, which names its starter: no payload, so nothing
 * a codec must read (a memo did, and God's memo outlives a codec key's rotation).
 */
export async function startedBy(client: Client, godId: string, runId: string, identity: string): Promise<boolean> {
  const { history } = await client.workflowService.getWorkflowExecutionHistory({ namespace: client.options.namespace, execution: { workflowId: godId, runId }, maximumPageSize: 1 });
  return history?.events?.[0]?.workflowExecutionStartedEventAttributes?.identity === identity;
}

/** Ends after which God's last state is worth reading back (it did not end by itself). */
const KILLED = ['TERMINATED', 'FAILED', 'TIMED_OUT', 'CANCELLED'];

/** How long reading a killed God's last state may take (a worker replays its history to answer). */
const LAST_STATE_TIMEOUT_MS = 15_000;

/** A killed run's last state, answered by replaying its history; an error says why not. */
async function lastState(client: Client, godId: string, runId: string): Promise<{ state?: unknown; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no worker answered within ${LAST_STATE_TIMEOUT_MS / 1000} s`)), LAST_STATE_TIMEOUT_MS);
  });
  try {
    return { state: await Promise.race([client.workflow.getHandle(godId, runId).query(godCarriedStateQuery), timeout]) };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The settings a run was started with, defaults filled in: its start input's (God does not change
 * them while it runs; a continue-as-new carries them on). An error says why they cannot be read
 * (a codec key this client lacks; settings this version no longer takes).
 */
export async function runSettings(client: Client, godId: string, runId: string): Promise<{ settings?: GodConfig; error?: string }> {
  try {
    const input = (await runStartInput(client, godId, runId)) as GodInput | undefined;
    const parsed = GodConfigSchema.safeParse(input?.config ?? {});
    return parsed.success ? { settings: parsed.data } : { error: `its start input's config is not valid settings: ${parsed.error.issues[0]?.message}` };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * The settings a killed run ran with. Undefined when they cannot be read, and the caller's then
 * apply. Where God runs (taskQueue) is always the caller's.
 */
async function killedRunConfig(client: Client, godId: string, runId: string): Promise<Partial<GodConfig> | undefined> {
  const { settings } = await runSettings(client, godId, runId);
  if (!settings) return undefined;
  const { taskQueue: _where, ...rest } = settings;
  return rest;
}
