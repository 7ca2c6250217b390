import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { GoalInput, GodInput } from '../god/messages';
import type { GodConfig } from '../god/types';
import { GOD_WORKFLOW_TYPE } from '../workflows/god-api';

/**
 * Starting God idempotently: one `god` workflow per namespace under a fixed id. A second start
 * while it runs is a no-op (the server's `USE_EXISTING` conflict policy, so even two starters
 * racing end with one God); a start after it ended begins a fresh run.
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
  /** God's settings beyond the defaults (src/god/messages.ts GodConfigSchema). */
  config?: Partial<GodConfig>;
}

export interface StartGodResult {
  outcome: 'started' | 'already_running';
  workflowId: string;
  runId: string;
  /** What the previous run's end was when this start began a new one ('none': never ran). */
  previous?: string;
  /** Goals handed to the new run (0 when God already ran: its goals stay as they are). */
  goalsGiven: number;
}

/** The status of the workflow under `godId` ('NOT_FOUND' if none ever ran) and its run id. */
export async function godExecution(client: Client, godId: string): Promise<{ status: string; runId?: string; taskQueue?: string }> {
  try {
    const d = await client.workflow.getHandle(godId).describe();
    return { status: d.status.name, runId: d.runId, taskQueue: d.taskQueue };
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
  if (before.status === 'RUNNING') {
    return { outcome: 'already_running', workflowId: options.godId, runId: before.runId!, goalsGiven: 0 };
  }
  const handle = await client.workflow.start(GOD_WORKFLOW_TYPE, {
    workflowId: options.godId,
    taskQueue: options.taskQueue,
    args: [godInput(options)],
    // A start racing another (two watchdogs, an operator and `npm start`) joins the running God.
    workflowIdConflictPolicy: 'USE_EXISTING',
    staticSummary: 'Pantheon God: goals → tasks, prioritised within the daily runway',
  });
  return {
    outcome: 'started',
    workflowId: options.godId,
    runId: handle.firstExecutionRunId,
    previous: before.status === 'NOT_FOUND' ? 'none' : before.status.toLowerCase(),
    goalsGiven: options.goals?.length ?? 0,
  };
}
