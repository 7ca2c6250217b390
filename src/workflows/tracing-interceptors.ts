import { getRandomStream, type WorkflowInterceptors } from '@temporalio/workflow';
import { OpenTelemetryInboundInterceptor, OpenTelemetryInternalsInterceptor, OpenTelemetryOutboundInterceptor } from '@temporalio/interceptors-opentelemetry/lib/workflow';

/**
 * The workflow side of tracing, bundled only into a traced worker's bundle (not a workflow, and
 * not in index.ts): the OpenTelemetry interceptors' RunWorkflow, StartActivity, StartChildWorkflow,
 * HandleSignal / HandleUpdate / HandleQuery … spans, made inside the sandbox.
 *
 * Their span ids come from Math.random, which in a workflow is the workflow's seeded stream: the
 * one uuid4() draws from (God names its children with it). Left there, turning tracing on or off
 * would change those names on replay, and a query's span (queries are not in history) would shift
 * them between a run and its replay: non-determinism. So every interceptor call runs on a named
 * stream of its own; the SDK hands `next` (the workflow's own code) back the default stream.
 */

/** Its name also marks a bundle that holds this module (src/tracing/bundle.ts). */
export const TRACING_RANDOM_STREAM = 'pantheon.tracing.span-ids';

function onOwnStream<T extends object>(make: () => T): T {
  const stream = getRandomStream(TRACING_RANDOM_STREAM);
  const interceptor = stream.with(make);
  return new Proxy(interceptor, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => stream.with(() => (value as (...a: unknown[]) => unknown).apply(target, args));
    },
  });
}

export const interceptors = (): WorkflowInterceptors => ({
  inbound: [onOwnStream(() => new OpenTelemetryInboundInterceptor())],
  outbound: [onOwnStream(() => new OpenTelemetryOutboundInterceptor())],
  internals: [onOwnStream(() => new OpenTelemetryInternalsInterceptor())],
});
