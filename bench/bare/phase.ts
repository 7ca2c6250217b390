import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import type { BenchEnvironment, Progress } from '../environment';
import { BenchFailure, withDeadline, type PhaseResult } from '../phases';
import { runPool } from '../pool';
import { bareActivities } from './activities';
import { planWaitMs, type BareStep } from './plan';
import type { bareTask } from './workflows';
import { workerConnectionOptions } from '../../src/config/temporal-connection';

/**
 * The bare phase: each pipeline task's bare twin (./plan.ts) as a `bareTask` workflow, on the
 * same server, with an in-process worker of its own (its own tiny bundle, its own task queue,
 * default worker options like the pipeline's), at the same concurrency, timed the same way:
 * from starting the workflow to having its result.
 */

export interface BareSample {
  workflowId: string;
  ms: number;
  /** What its activities waited in all: the pipeline task's provider time. */
  waitMs: number;
}

export interface BareRun extends PhaseResult<BareSample> {
  bundleMs: number;
  taskQueue: string;
}

const quiet = () => undefined;
const quietLogger = { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: quiet };

export async function runBare(
  env: BenchEnvironment,
  plans: BareStep[][],
  ids: string[],
  opts: { concurrency: number; warmup: number; warmupIds: string[]; taskTimeoutMs: number; signal: AbortSignal; progress: Progress; onMeasured?: (edge: 'start' | 'end') => void },
): Promise<BareRun> {
  const bundleStarted = performance.now();
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('./workflows'), logger: quietLogger });
  const bundleMs = performance.now() - bundleStarted;
  const taskQueue = `${env.taskQueue}-bare`;
  const connection = await NativeConnection.connect(workerConnectionOptions(env.connection));
  try {
    const worker = await Worker.create({ connection, namespace: env.server.namespace, taskQueue, activities: bareActivities, workflowBundle: { code } });

    const runTasks = async (taskPlans: BareStep[][], workflowIds: string[]): Promise<PhaseResult<BareSample>> => {
      const started = performance.now();
      const samples = await runPool(
        taskPlans,
        opts.concurrency,
        async (plan, i): Promise<BareSample> => {
          const workflowId = workflowIds[i];
          const t0 = performance.now();
          const handle = await env.client.workflow.start<typeof bareTask>('bareTask', { taskQueue, workflowId, args: [plan] });
          try {
            await withDeadline(handle.result(), opts.taskTimeoutMs, opts.signal, `bare task ${workflowId}`);
          } catch (err) {
            await handle.terminate('benchmark aborted').catch(() => undefined);
            throw err;
          }
          return { workflowId, ms: performance.now() - t0, waitMs: planWaitMs(plan) };
        },
        { signal: opts.signal },
      );
      return { samples, wallMs: performance.now() - started };
    };

    const measured = await worker.runUntil(async () => {
      if (opts.warmup > 0) {
        opts.progress(`bare warm-up: ${opts.warmup} task(s) at concurrency ${opts.concurrency}`);
        await runTasks(
          opts.warmupIds.map((_, i) => plans[i % plans.length]),
          opts.warmupIds,
        );
      }
      opts.progress(`bare Temporal: ${plans.length} task(s) with the pipeline's activities, only waiting, at concurrency ${opts.concurrency}`);
      opts.onMeasured?.('start');
      const run = await runTasks(plans, ids);
      opts.onMeasured?.('end');
      return run;
    });
    return { ...measured, bundleMs, taskQueue };
  } catch (err) {
    if (err instanceof BenchFailure) throw err;
    throw new BenchFailure(`bare phase: ${(err as Error).message}`);
  } finally {
    await connection.close();
  }
}
