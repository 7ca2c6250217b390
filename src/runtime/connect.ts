import { Connection, type ConnectionOptions } from '@temporalio/client';
import { clientInterceptors } from './client-interceptors';

export interface ConnectWhenReadyOptions {
  /** Overall time to keep trying. */
  timeoutMs: number;
  /** Settles (with a reason) when waiting longer is pointless, e.g. the server process died. */
  abandon?: Promise<string>;
  /**
   * How long one attempt waits for the TCP/HTTP2 channel; default 5 s. Keep it short for a local
   * server: grpc-js keeps an abandoned attempt's timer alive until it expires, delaying exit.
   */
  attemptConnectMs?: number;
  /**
   * A server that answers that it has no such namespace: final for a server Pantheon did not
   * start (no wait makes one; thrown at once, see {@link isNamespaceNotFound}), waited out for a
   * dev server just spawned (it answers before it has registered its namespaces). Default false.
   */
  missingNamespaceIsFinal?: boolean;
}

/** Whether a call failed because the server has no such namespace (gRPC NOT_FOUND naming it), anywhere in the cause chain. */
export function isNamespaceNotFound(err: unknown): boolean {
  let cause: unknown = err;
  for (let depth = 0; cause instanceof Error && depth < 5; depth += 1, cause = cause.cause) {
    const { code } = cause as { code?: unknown };
    if (code === 5 && /namespace/i.test(cause.message)) return true;
  }
  return false;
}

/**
 * Connects to a Temporal frontend once it answers and knows `namespace`, retrying until the
 * deadline. A freshly spawned server first refuses connections, then answers before its namespaces
 * are registered, so both getSystemInfo (inside ensureConnected) and describeNamespace must pass.
 * Each attempt gets a fresh, short-lived connection: one long-lived channel would back off
 * exponentially between reconnects and notice readiness late. `target` is an address, or full
 * options (TLS, API key) from src/config/temporal-connection.ts for a server Pantheon did not start.
 */
export async function connectWhenReady(target: string | (ConnectionOptions & { address: string }), namespace: string, options: ConnectWhenReadyOptions): Promise<Connection> {
  const connectionOptions = typeof target === 'string' ? { address: target } : target;
  const { address } = connectionOptions;
  const deadline = Date.now() + options.timeoutMs;
  let abandoned: string | undefined;
  const abandon = new Promise<'abandoned'>((resolve) => {
    void options.abandon?.then((why) => {
      abandoned = why;
      resolve('abandoned');
    });
  });
  let lastError: unknown;
  for (;;) {
    const remaining = deadline - Date.now();
    if (abandoned !== undefined || remaining <= 0) {
      const why = abandoned ?? `no answer from ${address} within ${options.timeoutMs} ms`;
      throw new Error(lastError ? `${why}; last error: ${describe(lastError)}` : why, { cause: lastError });
    }
    // Abandoned, an attempt closes its connection with its call perhaps waiting to be retried: guarded.
    const connection = Connection.lazy({ interceptors: clientInterceptors(), ...connectionOptions, connectTimeout: Math.min(options.attemptConnectMs ?? 5_000, remaining) });
    const attempt = (async () => {
      await connection.ensureConnected();
      await connection.withDeadline(Date.now() + 5_000, () => connection.workflowService.describeNamespace({ namespace }));
    })().then(
      () => 'ready' as const,
      (err: unknown) => {
        lastError = err;
        return 'failed' as const;
      },
    );
    const outcome = await Promise.race([attempt, abandon]);
    if (outcome === 'ready') return connection;
    await connection.close();
    if (outcome === 'failed' && options.missingNamespaceIsFinal && isNamespaceNotFound(lastError)) throw lastError;
    if (outcome === 'failed') await Promise.race([new Promise((r) => setTimeout(r, 250)), abandon]);
  }
}

function describe(err: unknown): string {
  const e = err as { message?: string; cause?: { message?: string } };
  return [e.message, e.cause?.message].filter(Boolean).join(': ') || String(err);
}
