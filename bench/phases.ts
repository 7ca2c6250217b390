import { parseStructured } from '../src/llm/client';
import type { CallRecord } from '../src/llm/offline';
import type { LlmClient } from '../src/llm/types';
import { checkTask, startTask } from '../src/client/submit-task';
import { SpecialistStep } from '../src/specialists/protocol';
import { closedResult } from '../src/tasks/closed-outcome';
import type { Task, TaskInput } from '../src/tasks/task-input';
import type { BenchEnvironment } from './environment';
import { runPool } from './pool';
import type { RecordedCall } from './recording-llm';

/** The two measured phases: tasks through Temporal, and the same LLM calls in a plain loop. */

export class BenchFailure extends Error {}

export interface PipelineSample {
  workflowId: string;
  /** Wall time from starting the workflow to having its result. */
  ms: number;
  iterations: number;
  specialist?: string;
  routeMethod?: string;
}

export interface PhaseResult<S> {
  samples: S[];
  /** First start to last finish. */
  wallMs: number;
}

/** Resolves as `work` does, or rejects after `ms` or when `signal` aborts. */
export function withDeadline<T>(work: Promise<T>, ms: number, signal: AbortSignal, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => finish(() => reject(signal.reason ?? new BenchFailure('aborted')));
    const timer = setTimeout(() => finish(() => reject(new BenchFailure(`${what} did not finish within ${ms} ms`))), ms);
    const finish = (settle: () => void) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      settle();
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => finish(() => resolve(value)),
      (err) => finish(() => reject(err)),
    );
  });
}

/** Checks every task like the CLI does, before anything is timed. */
export function checkTasks(env: BenchEnvironment, inputs: TaskInput[]): Task[] {
  return inputs.map((input) => checkTask(input, env.roster));
}

/**
 * Runs tasks through the full agentTask workflow with at most `concurrency` in flight, timing
 * each from start to result. Anything but 'completed' (or a route other than the rules) fails the run.
 */
export async function runPipeline(
  env: BenchEnvironment,
  tasks: Task[],
  ids: string[],
  opts: { concurrency: number; taskTimeoutMs: number; signal: AbortSignal },
): Promise<PhaseResult<PipelineSample>> {
  const started = performance.now();
  const pool = runPool(
    tasks,
    opts.concurrency,
    async (task, i): Promise<PipelineSample> => {
      const workflowId = ids[i];
      const t0 = performance.now();
      const handle = await startTask(env.client, env.taskQueue, task, workflowId);
      let outcome;
      try {
        outcome = await withDeadline(closedResult(handle), opts.taskTimeoutMs, opts.signal, `task ${workflowId}`);
      } catch (err) {
        // Leave nothing running on a server we do not own.
        await handle.terminate('benchmark aborted').catch(() => undefined);
        throw err;
      }
      const ms = performance.now() - t0;
      if (outcome.status !== 'completed') {
        throw new BenchFailure(`task ${workflowId} ended '${outcome.status}', not 'completed': ${outcome.reasons.join('; ') || '(no reason given)'}`);
      }
      if (outcome.route?.method !== 'rules') {
        throw new BenchFailure(`task ${workflowId} was routed by '${outcome.route?.method}', not by the rules; the benchmark tasks must route by rules`);
      }
      return { workflowId, ms, iterations: outcome.iteration, specialist: outcome.specialist, routeMethod: outcome.route?.method };
    },
    { signal: opts.signal },
  );
  // A worker that dies mid-run would otherwise leave every task waiting for its deadline.
  const samples = await Promise.race([pool, env.workerFailure]);
  return { samples, wallMs: performance.now() - started };
}

export interface LowerBoundSample {
  /** The pipeline task whose calls were replayed. */
  of: string;
  /** The task id the replayed calls carried, so the provider's log attributes them. */
  taskId: string;
  calls: number;
  ms: number;
}

/**
 * The lower bound: each pipeline task's LLM calls (same requests, models and SDK clients) made
 * one after another in a plain loop, `concurrency` tasks at a time, no Temporal, no memory store.
 * Specialist answers are parsed as run-specialist parses them, and a replay must end 'done' too.
 */
export async function runLowerBound(
  llm: LlmClient,
  work: Array<{ of: string; taskId: string; calls: RecordedCall[] }>,
  opts: { concurrency: number; signal: AbortSignal },
): Promise<PhaseResult<LowerBoundSample>> {
  const started = performance.now();
  const samples = await runPool(
    work,
    opts.concurrency,
    async ({ of, taskId, calls }): Promise<LowerBoundSample> => {
      // Each task gets its own signal, as each activity gets its own cancellation signal.
      const task = new AbortController();
      const cancel = () => task.abort(opts.signal.reason);
      opts.signal.addEventListener('abort', cancel, { once: true });
      const t0 = performance.now();
      let last: SpecialistStep | undefined;
      try {
        for (const { request } of calls) {
          const answer = await llm.complete({ ...request, taskId }, task.signal);
          if (request.purpose === 'specialist') last = parseStructured(answer, SpecialistStep, request.agent ?? 'specialist');
        }
      } finally {
        opts.signal.removeEventListener('abort', cancel);
      }
      const ms = performance.now() - t0;
      if (last && last.status !== 'done') {
        throw new BenchFailure(`lower bound: replaying ${of} ended with status '${last.status}', not 'done'; the replay diverged from the pipeline`);
      }
      return { of, taskId, calls: calls.length, ms };
    },
    { signal: opts.signal },
  );
  return { samples, wallMs: performance.now() - started };
}

/** The provider's log by task id; fails on any call that was not a clean 200 (no faults expected). */
export function callsByTask(log: CallRecord[]): { byTask: Map<string, CallRecord[]>; unattributed: number } {
  const bad = log.filter((c) => c.status !== 200 || c.fault !== undefined);
  if (bad.length) {
    const first = bad[0];
    throw new BenchFailure(
      `${bad.length} LLM call(s) did not succeed cleanly (first: #${first.seq} ${first.model} for ${first.task ?? 'no task'}: status ${first.status}${first.fault ? `, fault ${first.fault}` : ''})`,
    );
  }
  const byTask = new Map<string, CallRecord[]>();
  let unattributed = 0;
  for (const call of log) {
    if (call.task === null) {
      unattributed++;
      continue;
    }
    const list = byTask.get(call.task) ?? [];
    list.push(call);
    byTask.set(call.task, list);
  }
  return { byTask, unattributed };
}
