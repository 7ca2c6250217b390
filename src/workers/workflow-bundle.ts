import { bundleWorkflowCode, type BundleOptions, type WorkerOptions } from '@temporalio/worker';

/** The path the workflow bundler starts from: the one export file of all workflows. */
export const WORKFLOWS_PATH = require.resolve('../workflows');

/**
 * Modules the workflow sandbox evaluates once per worker thread and shares across executions,
 * instead of once per execution with the rest of the bundle (the SDK's `preloadModules`).
 *
 * Why: with one module cache per execution, every new agentTask evaluated zod and built its input
 * schemas again, about a third of the workflow thread's CPU per task (`node --cpu-prof` on
 * `npm run bench`), and tasks that start together queue behind each other's first workflow task.
 * Shared: zod itself; the sandbox's zod configuration (sandbox-zod.ts, which also sets what zod
 * would otherwise set lazily on a frozen object); and lazy-schema.ts, whose schemas are then built
 * once per worker thread (see there).
 *
 * What is listed here must be pure: the SDK deep-freezes what a preloaded module exports, and its
 * state is seen by every workflow the thread runs. Never add a module that keeps per-workflow state.
 */
export const PRELOADED_MODULES: readonly string[] = ['zod', require.resolve('../workflows/sandbox-zod'), require.resolve('../tasks/lazy-schema')];

/** Bundles the workflows as every Pantheon worker runs them (tests and benches too). */
export async function bundleWorkflows(options: Omit<BundleOptions, 'workflowsPath' | 'preloadModules'> = {}): Promise<string> {
  const { code } = await bundleWorkflowCode({ ...options, workflowsPath: WORKFLOWS_PATH, preloadModules: [...PRELOADED_MODULES] });
  return code;
}

/** A worker's workflow code: the prebuilt bundle given, or the workflows bundled at worker start the same way. */
export function workflowSource(prebuilt: WorkerOptions['workflowBundle'] | undefined): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath' | 'bundlerOptions'> {
  return prebuilt ? { workflowBundle: prebuilt } : { workflowsPath: WORKFLOWS_PATH, bundlerOptions: { preloadModules: [...PRELOADED_MODULES] } };
}
