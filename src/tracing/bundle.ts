/**
 * The workflow side of tracing (src/workflows/tracing-interceptors.ts). It must be bundled with
 * the workflows (bundleWorkflowCode's workflowInterceptorModules); a bundle built without it runs
 * its workflows untraced.
 *
 * @example bundleWorkflows({ workflowInterceptorModules: [WORKFLOW_TRACING_MODULE] }) (src/workers/workflow-bundle.ts)
 */
export const WORKFLOW_TRACING_MODULE = require.resolve('../workflows/tracing-interceptors');

/** TRACING_RANDOM_STREAM of that module: a string only it puts into a bundle (not imported: it is workflow code). */
const MARKER = 'pantheon.tracing.span-ids';

/** Whether a prebuilt bundle holds {@link WORKFLOW_TRACING_MODULE}. */
export function bundleHoldsTracing(code: string): boolean {
  return code.includes(MARKER);
}
