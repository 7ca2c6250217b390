import { createRequire } from 'node:module';
import { makeGrpcRetryInterceptor, defaultGrpcRetryOptions } from '@temporalio/client';
import type * as Grpc from '@grpc/grpc-js';
import type { Interceptor } from '@grpc/grpc-js';

/** What a call under an InterceptingCall does (grpc-js does not export its name). */
type InterceptingCallInterface = ConstructorParameters<typeof Grpc.InterceptingCall>[0];

/** The grpc-js the SDK's connections run on (a dependency of @temporalio/client, not of Pantheon's own). */
const grpc = createRequire(require.resolve('@temporalio/client'))('@grpc/grpc-js') as typeof Grpc;

/**
 * The gRPC interceptors of every Temporal client Connection Pantheon opens.
 *
 * The SDK's retry interceptor sends a retry from a timer. A call that fails retryably while its
 * connection closes (a call queued when `close()` runs is failed UNAVAILABLE by grpc-js, and the
 * server may answer UNAVAILABLE or RESOURCE_EXHAUSTED meanwhile) has its retry fire after the
 * close: grpc-js throws "Channel has been shut down" from that timer, an uncaught exception that
 * ends the process (a worker at shutdown, a CLI command, a test file), and the call's promise never
 * settles. {@link closedConnectionGuard}, below the retry interceptor, turns that throw into a call
 * that ends CANCELLED (which the SDK does not retry): the caller gets an error instead.
 *
 * @example
 *   await Connection.connect({ address, interceptors: clientInterceptors() });
 */
export function clientInterceptors({ sdkRetries = true, outer = [] }: { sdkRetries?: boolean; outer?: Interceptor[] } = {}): Interceptor[] {
  return [...outer, ...(sdkRetries ? [makeGrpcRetryInterceptor(defaultGrpcRetryOptions())] : []), closedConnectionGuard];
}

/** What grpc-js throws when a call is created on a closed channel. */
const SHUT_DOWN = 'Channel has been shut down';

const CLOSED_CONNECTION_DETAILS = 'the Temporal connection was closed before this call could be sent (again)';

/** Creates the call; on a closed connection, a call that ends CANCELLED instead of a throw. */
export const closedConnectionGuard: Interceptor = (options, nextCall) => {
  let call: InterceptingCallInterface;
  try {
    call = nextCall(options);
  } catch (err) {
    if (!(err instanceof Error) || err.message !== SHUT_DOWN) throw err;
    call = endedCall();
  }
  return new grpc.InterceptingCall(call);
};

/** A call that sends nothing and ends CANCELLED once started (on the next tick, as a real call's status comes). */
function endedCall(): InterceptingCallInterface {
  return {
    start(_metadata, listener) {
      process.nextTick(() => listener?.onReceiveStatus?.({ code: grpc.status.CANCELLED, details: CLOSED_CONNECTION_DETAILS, metadata: new grpc.Metadata() }));
    },
    cancelWithStatus() {},
    getPeer: () => '',
    sendMessageWithContext() {},
    sendMessage() {},
    startRead() {},
    halfClose() {},
    getAuthContext: () => null,
  };
}
