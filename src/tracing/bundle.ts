/**
 * The workflow side of tracing (src/workflows/tracing-interceptors.ts). It must be bundled with
 * the workflows (bundleWorkflowCode's workflowInterceptorModules); a bundle built without it runs
 * its workflows untraced.
 *
 * Resolved when asked, not when this file loads: a process that only traces as a client (the CLI)
 * never needs it, and the CLI compiled into one file for the tests (test/setup/global-setup.ts)
 * could not resolve it from where that file lives.
 *
 * @example bundleWorkflows({ workflowInterceptorModules: [workflowTracingModule()] }) (src/workers/workflow-bundle.ts)
 */
export function workflowTracingModule(): string {
  return require.resolve('../workflows/tracing-interceptors');
}

/** TRACING_RANDOM_STREAM of that module: a string only it puts into a bundle (not imported: it is workflow code). */
const MARKER = 'pantheon.tracing.span-ids';

/** Whether a prebuilt bundle holds {@link workflowTracingModule}. */
export function bundleHoldsTracing(code: string): boolean {
  return code.includes(MARKER);
}
