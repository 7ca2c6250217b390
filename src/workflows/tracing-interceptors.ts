import { getRandomStream, type WorkflowInterceptors } from '@temporalio/workflow';
import { OpenTelemetryInboundInterceptor, OpenTelemetryInternalsInterceptor, OpenTelemetryOutboundInterceptor } from '@temporalio/interceptors-opentelemetry/lib/workflow';

/**
 * The workflow side of tracing, bundled only into a traced worker's bundle (not a workflow, and
 * not in index.ts): the OpenTelemetry interceptors' RunWorkflow, StartActivity, StartChildWorkflow,
 * HandleSignal / HandleUpdate / HandleQuery … spans, made inside the sandbox.
 *
 * Turning tracing on or off must not change a history, or a workflow that ran traced cannot go on
 * on an untraced worker (or the other way round). Two things would:
 *
 * - Their span ids come from Math.random, which in a workflow is the workflow's seeded stream: the
 *   one uuid4() draws from (God names its children with it). Left there, tracing would change those
 *   names on replay, and a query's span (queries are not in history) would shift them between a run
 *   and its replay. So every interceptor call runs on a named stream of its own; the SDK hands
 *   `next` (the workflow's own code) back the default stream.
 * - Each wraps the promise it is given in a few async functions, so an update's answer, an
 *   activity's result or the workflow's end reach the SDK some microtasks later than untraced. Where
 *   other code runs in the same activation (God's loop, woken by the update it answers, cancels its
 *   timer and schedules an activity), the answer then goes out after those commands instead of
 *   before them: a history an untraced worker cannot replay. So the SDK is handed the workflow's own
 *   promise, and the span ends beside it. (Not behind a patch: a patch marker that untraced code
 *   never asks for fails its replay. A God run begun traced before 2026-12-07 that answered an
 *   update while asleep cannot go on on this version: README, Traces.)
 */

/** Its name also marks a bundle that holds this module (src/tracing/bundle.ts). */
export const TRACING_RANDOM_STREAM = 'pantheon.tracing.span-ids';

/** The interceptors' methods that wrap a promise the SDK waits on (the rest are synchronous). */
const WRAPS_A_PROMISE = new Set<PropertyKey>([
  'execute',
  'handleSignal',
  'handleUpdate',
  'handleQuery',
  'scheduleActivity',
  'scheduleLocalActivity',
  'startNexusOperation',
  'startChildWorkflowExecution',
  'continueAsNew',
  'signalWorkflow',
]);

type Next = (input: unknown) => Promise<unknown>;
type Method = (input: unknown, next: Next) => Promise<unknown>;

/**
 * Runs the traced method for its span, but returns the promise of `next` itself, so the workflow's
 * own code is answered when it would be without tracing. Falls back to the traced promise where the
 * interceptor did not call `next` at once (an old history's SDK flags make it yield first).
 */
function answeredInPlace(method: Method, input: unknown, next: Next): Promise<unknown> {
  let own: Promise<unknown> | undefined;
  const traced = method(input, (i) => (own = next(i)));
  if (own === undefined) return traced;
  // The span's promise settles with `own`; its rejection is `own`'s, which the SDK handles.
  traced.catch(() => undefined);
  return own;
}

function onOwnStream<T extends object>(make: () => T): T {
  const stream = getRandomStream(TRACING_RANDOM_STREAM);
  const interceptor = stream.with(make);
  return new Proxy(interceptor, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key);
      if (typeof value !== 'function') return value;
      const method = (value as (...a: unknown[]) => unknown).bind(target);
      return (...args: unknown[]) =>
        stream.with(() => (WRAPS_A_PROMISE.has(key) ? answeredInPlace(method as Method, args[0], args[1] as Next) : method(...args)));
    },
  });
}

export const interceptors = (): WorkflowInterceptors => ({
  inbound: [onOwnStream(() => new OpenTelemetryInboundInterceptor())],
  outbound: [onOwnStream(() => new OpenTelemetryOutboundInterceptor())],
  internals: [onOwnStream(() => new OpenTelemetryInternalsInterceptor())],
});
