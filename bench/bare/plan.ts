import type { CallPurpose } from '../../src/llm/types';

/**
 * The bare twin of one pipeline task: the same activity executions in the same order, each
 * waiting as long as the pipeline's activity waited on the provider (its LLM calls × the fixed
 * latency, one wait per call), and doing nothing else. What the pipeline does beyond that (the
 * budget ledger, SDK/HTTP, prompts, SQLite memory, search attributes, heartbeats) is its overhead
 * over the engine's.
 */

export interface BareStep {
  /** The pipeline activity this step stands for (shown in the bare workflow's history). */
  activity: string;
  /** One wait per LLM call the pipeline's activity made, ms. */
  waitsMs: number[];
}

/** Which activity makes the LLM calls of each purpose. */
export const ACTIVITY_OF_PURPOSE: Record<CallPurpose, string> = {
  router: 'routeTask',
  specialist: 'runSpecialist',
  compressor: 'compressContext',
  generator: 'generateTasks',
  spawner: 'proposeSpecialist',
  validator: 'validateTask',
};

/**
 * Steps from the activities a pipeline task scheduled (its history, in order) and the purposes
 * of the LLM calls it made. An activity type that made calls must have run once per task: the
 * history alone cannot say how its calls split over several runs (the benchmark tasks never
 * compress, so runSpecialist runs once).
 */
export function barePlan(activityTypes: readonly string[], callPurposes: readonly CallPurpose[], latencyMs: number): BareStep[] {
  const callsOf = new Map<string, number>();
  for (const purpose of callPurposes) {
    const activity = ACTIVITY_OF_PURPOSE[purpose];
    if (!activity) throw new Error(`no activity is known to make '${purpose}' calls`);
    callsOf.set(activity, (callsOf.get(activity) ?? 0) + 1);
  }
  for (const [activity, calls] of callsOf) {
    const runs = activityTypes.filter((t) => t === activity).length;
    if (runs !== 1) throw new Error(`${calls} LLM call(s) of ${activity}, which ran ${runs} time(s); a bare plan needs exactly one run`);
  }
  return activityTypes.map((activity) => ({ activity, waitsMs: Array.from({ length: callsOf.get(activity) ?? 0 }, () => latencyMs) }));
}

/** Total time a plan spends waiting: its provider time. */
export function planWaitMs(plan: readonly BareStep[]): number {
  return plan.reduce((sum, step) => sum + step.waitsMs.reduce((s, ms) => s + ms, 0), 0);
}
