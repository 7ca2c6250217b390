import { InterceptingCall, Metadata, status, type Interceptor } from '@grpc/grpc-js';

/**
 * An outage of some of the Temporal frontend's methods, as a client sees one: while a method is
 * down, each of its calls fails with UNAVAILABLE before it leaves the process, and the real client
 * raises its real error for it. Put `interceptor` first in the connection's list (outermost), so
 * the client's own retries of UNAVAILABLE see the outage too instead of waiting it out.
 */
export class GrpcOutage {
  private readonly down = new Set<string>();
  /** Calls failed so far, by method. */
  readonly failed = new Map<string, number>();

  /** Takes a method down (its last path segment, e.g. `DescribeWorkflowExecution`). */
  take(method: string): void {
    this.down.add(method);
  }

  restore(method: string): void {
    this.down.delete(method);
  }

  readonly interceptor: Interceptor = (options, nextCall) => {
    const path = options.method_definition.path;
    const method = path.slice(path.lastIndexOf('/') + 1);
    if (!this.down.has(method)) return new InterceptingCall(nextCall(options));
    this.failed.set(method, (this.failed.get(method) ?? 0) + 1);
    return new InterceptingCall(nextCall(options), {
      // The call never starts: the listener hears UNAVAILABLE, as from a frontend that is gone.
      start: (_metadata, listener) => {
        setImmediate(() => listener.onReceiveStatus({ code: status.UNAVAILABLE, details: `test outage: ${method} is down`, metadata: new Metadata() }));
      },
      sendMessage: () => undefined,
      halfClose: () => undefined,
    });
  };
}
