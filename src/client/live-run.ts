import type { LoadedDataConverter } from '@temporalio/common';
import { decodeFirstPayload } from './decode-payloads';
import type { temporal } from '@temporalio/proto';
import { z } from 'zod';

type PendingActivity = temporal.api.workflow.v1.IPendingActivityInfo;

/**
 * A specialist run in progress, read from its last heartbeat. The task's own state learns of a
 * run's iterations and cost only when the run's activity returns (at a compression, every
 * `compressEvery` iterations, or at the end), so without this `pantheon status` of a long task
 * says "iterations 0, $0" for minutes while the specialist works and pays.
 */
export interface LiveRun {
  activity: string;
  attempt: number;
  /** Iterations done so far, across compressions (the checkpoint counts from the task's start). */
  iteration: number;
  /** What this run has spent so far: not yet in the task's cost. */
  costUsd: number;
  tokens: number;
  lastNote: string;
  /** Since the server last heard the checkpoint; undefined when it did not say. */
  heartbeatAgoMs?: number;
  /** A chain's run: the step (1-based) whose task it is. */
  step?: number;
}

// The checkpoint run-specialist.ts heartbeats; a field it does not know leaves the line out.
const Checkpoint = z.looseObject({
  iteration: z.number().int().min(0),
  costUsd: z.number().min(0),
  tokens: z.number().min(0),
  lastNote: z.string().default(''),
});

const RUNS_WITH_CHECKPOINTS = new Set(['runSpecialist']);

function millis(ts: PendingActivity['lastHeartbeatTime']): number | undefined {
  if (!ts?.seconds) return undefined;
  return Number(ts.seconds) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
}

/** The task's specialist runs in flight with a checkpoint the server holds. Never throws: a detail
 * that cannot be read (another version's shape, a key this client lacks) is left out. */
export async function liveRuns(converter: LoadedDataConverter, pending: readonly PendingActivity[] | null | undefined, nowMs: number): Promise<LiveRun[]> {
  const runs: LiveRun[] = [];
  for (const p of pending ?? []) {
    const activity = p.activityType?.name ?? '';
    if (!RUNS_WITH_CHECKPOINTS.has(activity)) continue;
    // Through the client's codec too: encrypted checkpoints read as the Web UI shows them through the codec server.
    const detail = await decodeFirstPayload(converter, p.heartbeatDetails?.payloads).catch(() => undefined);
    const checkpoint = Checkpoint.safeParse(detail);
    if (!checkpoint.success) continue;
    const heard = millis(p.lastHeartbeatTime);
    runs.push({ activity, attempt: p.attempt ?? 1, ...checkpoint.data, ...(heard !== undefined && { heartbeatAgoMs: Math.max(0, nowMs - heard) }) });
  }
  return runs;
}

/** `runSpecialist, attempt 2: 7 iterations done` (`step 2 runSpecialist: …` in a chain): which run, and how far it got. */
function runAndIterations(r: LiveRun): string {
  return `${r.step === undefined ? '' : `step ${r.step} `}${r.activity}${r.attempt > 1 ? `, attempt ${r.attempt}` : ''}: ${r.iteration} iteration${r.iteration === 1 ? '' : 's'} done`;
}

/** `live        runSpecialist: 7 iterations done (checkpointed 2 s ago); this run has spent $0.002100 (4100 tokens), not yet in the cost above`, then the last note. */
export function liveRunLines(runs: readonly LiveRun[], formatUsd: (usd: number) => string): string[] {
  return runs.flatMap((r, i) => {
    const ago = r.heartbeatAgoMs === undefined ? '' : ` (checkpointed ${Math.round(r.heartbeatAgoMs / 1000)} s ago)`;
    const head = `${i === 0 ? 'live       ' : '           '} ${runAndIterations(r)}${ago}; this run has spent ${formatUsd(r.costUsd)} (${r.tokens} tokens), not yet in the cost above`;
    const note = r.lastNote.trim().replace(/\s+/g, ' ');
    return note ? [head, `            last note: ${note.length > 160 ? `${note.slice(0, 157)}...` : note}`] : [head];
  });
}

/** `progress    runSpecialist: 12 iterations done; this run has spent $0.004100 (9000 tokens)`: one line per advance, for a waiting `submit`. */
export function runProgressLines(runs: readonly LiveRun[], formatUsd: (usd: number) => string): string[] {
  return runs.map((r) => `progress    ${runAndIterations(r)}; this run has spent ${formatUsd(r.costUsd)} (${r.tokens} tokens)`);
}
