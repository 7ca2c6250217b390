import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { tsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';

/**
 * God's whole life read back from the server: every run of its chain of continue-as-new, with
 * what each run's history says it started and heard. The independent record the long-running
 * God tests check God's own counters against.
 */

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const EventType = temporal.api.enums.v1.EventType;

export interface ChildStart {
  workflowId: string;
  workflowType: string;
  /** Server time of the start command. */
  atMs: number;
  /** The run that started it. */
  runId: string;
  /** The child's first argument (an agentTask's task, a taskChain's chain input). */
  input: Record<string, unknown>;
  /** What God expected the child to cost (its decision memo), when recorded. */
  expectedCostUsd?: number;
  /** God's decision (memo): its kind (`reject` for a task pre-flight refused) and why it was admitted. */
  decisionKind?: string;
  admitted?: string;
}

export interface GodRun {
  runId: string;
  historyLength: number;
  /** Ended by continue-as-new (every run but the current one, in a healthy chain). */
  continuedAsNew: boolean;
  /** JSON length of the state the run was started with (carried from the run before; 0 for the first). */
  carriedStateBytes: number;
  /** Child workflow ids whose end (completed, failed, cancelled, timed out, terminated) this run recorded. */
  childEndsRecorded: Set<string>;
  events: HistoryEvent[];
}

export interface GodLife {
  runs: GodRun[];
  /** Every child start God commanded, in order, across all runs. */
  initiated: ChildStart[];
  /** Child workflow ids the server reported started (once per successful start). */
  started: string[];
  /** Child ids whose start failed (already started). */
  startFailed: string[];
  /** taskFinished signals received, by task id, across all runs. */
  finishedSignals: Map<string, number>;
}

const decode = (payload: temporal.api.common.v1.IPayload | undefined | null): unknown => (payload ? defaultPayloadConverter.fromPayload(payload) : undefined);

function childEnded(e: HistoryEvent): string | undefined {
  const ended =
    e.childWorkflowExecutionCompletedEventAttributes ??
    e.childWorkflowExecutionFailedEventAttributes ??
    e.childWorkflowExecutionCanceledEventAttributes ??
    e.childWorkflowExecutionTimedOutEventAttributes ??
    e.childWorkflowExecutionTerminatedEventAttributes;
  return ended?.workflowExecution?.workflowId ?? undefined;
}

function readRun(runId: string, events: HistoryEvent[]): GodRun {
  const last = events.at(-1);
  const continuedAsNew = last?.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW;
  const input = decode(events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]) as { state?: unknown } | undefined;
  const carriedStateBytes = input?.state === undefined ? 0 : Buffer.byteLength(JSON.stringify(input.state));
  const childEndsRecorded = new Set(events.map(childEnded).filter((id): id is string => id !== undefined));
  return { runId, historyLength: events.length, continuedAsNew, carriedStateBytes, childEndsRecorded, events };
}

/**
 * A workflow's chain of runs, read incrementally: a run that has continued as new never changes,
 * so only the open run is fetched again on each {@link RunChain.read}.
 */
export class RunChain {
  private readonly closed: GodRun[] = [];
  /** The read in progress: reads go one at a time. Two at once (a test's and the orphaned-lock
   * watcher's) could both see the open run close and both keep it, and the chain counted a run twice. */
  private reading: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly client: Client,
    readonly workflowId: string,
    private readonly firstRunId: string,
  ) {}

  read(): Promise<GodRun[]> {
    const next = this.reading.then(() => this.readOnce());
    this.reading = next.catch(() => undefined);
    return next;
  }

  private async readOnce(): Promise<GodRun[]> {
    const runs = [...this.closed];
    let runId: string | undefined = this.closed.at(-1)?.events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? (this.closed.length ? undefined : this.firstRunId);
    while (runId) {
      const history: temporal.api.history.v1.IHistory = await this.client.workflow.getHandle(this.workflowId, runId).fetchHistory();
      const run = readRun(runId, history.events ?? []);
      runs.push(run);
      if (!run.continuedAsNew) break;
      this.closed.push(run);
      runId = run.events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
    }
    return runs;
  }
}

function decisionOf(memo: { expectedCostUsd?: number; kind?: string; admitted?: string } | undefined): Pick<ChildStart, 'expectedCostUsd' | 'decisionKind' | 'admitted'> {
  return { expectedCostUsd: memo?.expectedCostUsd, decisionKind: memo?.kind, admitted: memo?.admitted };
}

/** Every child start a run commanded. */
export function childStarts(run: GodRun): ChildStart[] {
  const out: ChildStart[] = [];
  for (const e of run.events) {
    const initiated = e.startChildWorkflowExecutionInitiatedEventAttributes;
    if (!initiated) continue;
    out.push({
      workflowId: initiated.workflowId ?? '',
      workflowType: initiated.workflowType?.name ?? '',
      atMs: tsToMs(e.eventTime),
      runId: run.runId,
      input: (decode(initiated.input?.payloads?.[0]) ?? {}) as Record<string, unknown>,
      ...decisionOf(decode(initiated.memo?.fields?.godDecision ?? undefined) as { expectedCostUsd?: number; kind?: string; admitted?: string } | undefined),
    });
  }
  return out;
}

/** Follows God's chain of runs from its first run to the last and gathers what they record. */
export async function godLife(client: Client, godId: string, firstRunId: string, chain = new RunChain(client, godId, firstRunId)): Promise<GodLife> {
  const life: GodLife = { runs: await chain.read(), initiated: [], started: [], startFailed: [], finishedSignals: new Map() };
  for (const run of life.runs) {
    life.initiated.push(...childStarts(run));
    for (const e of run.events) {
      const started = e.childWorkflowExecutionStartedEventAttributes;
      if (started) life.started.push(started.workflowExecution?.workflowId ?? '');
      const failed = e.startChildWorkflowExecutionFailedEventAttributes;
      if (failed) life.startFailed.push(failed.workflowId ?? '');
      const signal = e.workflowExecutionSignaledEventAttributes;
      if (signal?.signalName === 'taskFinished') {
        const taskId = (decode(signal.input?.payloads?.[0]) as { taskId?: string } | undefined)?.taskId ?? '?';
        life.finishedSignals.set(taskId, (life.finishedSignals.get(taskId) ?? 0) + 1);
      }
    }
  }
  return life;
}

type ChildInput = { lane?: unknown; goalId?: unknown; task?: { lane?: unknown; goalId?: unknown } };

/** The lane a child's input names (an agentTask's task, or a chain's own field). */
export function laneOfChild(start: ChildStart): 'main' | 'experimental' {
  const input = start.input as ChildInput;
  return (input.lane ?? input.task?.lane) === 'experimental' ? 'experimental' : 'main';
}

/** The goal a generated child belongs to; undefined for submitted tasks. */
export function goalOfChild(start: ChildStart): string | undefined {
  const input = start.input as ChildInput;
  const goalId = input.goalId ?? input.task?.goalId;
  return typeof goalId === 'string' ? goalId : undefined;
}

/** The generateTasks activities a run's history scheduled: each one's event id and goal. */
export function generationsOf(events: HistoryEvent[]): Array<{ eventId: number; goalId: string }> {
  return events
    .filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED && e.activityTaskScheduledEventAttributes?.activityType?.name === 'generateTasks')
    .map((e) => {
      const input = defaultPayloadConverter.fromPayload(e.activityTaskScheduledEventAttributes!.input!.payloads![0]) as { goal: { id: string } };
      return { eventId: Number(e.eventId), goalId: input.goal.id };
    });
}
