import { Client, Connection } from '@temporalio/client';
import type { PantheonConfig } from '../config/env';
import { clientConnectionOptions, DEFAULT_TEMPORAL_ADDRESS, describeTemporalConnection, type TemporalConnection } from '../config/temporal-connection';
import { dataConverterFor } from '../codec';
import { PantheonError } from '../errors';
import { clientInterceptors } from '../runtime/client-interceptors';
import { tlsHint, tlsMismatch } from '../runtime/tls-check';
import { openTracing } from '../tracing/open';

export { DEFAULT_TEMPORAL_ADDRESS };

export interface ClientConnectionChoices {
  /**
   * False: calls are not retried by the SDK. A retry it has scheduled runs from a timer that a
   * cancel does not stop (once the connection has closed it ends the call CANCELLED:
   * runtime/client-interceptors.ts), so a caller that must be able to stop at once (the demo's
   * watch on Ctrl-C) retries itself.
   */
  sdkRetries?: boolean;
}

/**
 * A client Connection to `target`, or an error that says where and how it tried (address, its
 * source, namespace, api key set or not, TLS and certificate paths) and which settings to check.
 */
export async function openClientConnection(target: TemporalConnection, { sdkRetries = true }: ClientConnectionChoices = {}): Promise<Connection> {
  const options = { ...clientConnectionOptions(target), interceptors: clientInterceptors({ sdkRetries }) };
  try {
    return await Connection.connect(options);
  } catch (err) {
    // grpc-js hides a refused handshake, and a plaintext connection to a TLS port, behind a
    // deadline: ask the TLS layer what went wrong.
    const handshake = await tlsMismatch(options.address, options.tls);
    throw unreachable(target, err, handshake);
  }
}

/** Why a connection failed, with the settings it used (never a secret). */
export function unreachable(target: TemporalConnection, err: unknown, handshake?: string): PantheonError {
  const e = err as { message?: string; cause?: { message?: string } };
  const said = [e.message, e.cause?.message].filter(Boolean).join(': ') || String(err);
  // The Rust core (workers) names the TLS alert in its message; grpc-js needs the handshake probe.
  const hint = handshake ?? (target.summary.tls === 'on' ? tlsHint(said) : undefined);
  const why = hint ? `${said}: ${hint}` : said;
  return PantheonError.of(
    'temporal_unavailable',
    // A full stop, not a colon: the description ends in "tls: off".
    `cannot reach Temporal at ${describeTemporalConnection(target)}. ${why} ` +
      '(is the server up? TEMPORAL_ADDRESS, TEMPORAL_PROFILE / temporal.toml, TEMPORAL_API_KEY and TEMPORAL_TLS_* name it and how to reach it)',
    { cause: err, details: { address: target.address ?? DEFAULT_TEMPORAL_ADDRESS, namespace: target.namespace, tls: target.summary.tls } },
  );
}

/**
 * A Temporal client for the configured server (env / temporal.toml profile, else localhost:7233).
 * With tracing on (OTEL_EXPORTER_OTLP_*), its workflow calls are spans the workflows continue;
 * `close` flushes them. `traced: false` for a client whose calls start no workflow (a watch).
 */
export async function connectClient(config: PantheonConfig, choices: ClientConnectionChoices & { traced?: boolean } = {}): Promise<{ client: Client; connection: Connection; close(): Promise<void> }> {
  const traced = choices.traced === false ? undefined : await openTracing(config.tracing, 'pantheon-client');
  let connection: Connection;
  try {
    connection = await openClientConnection(config.temporal.connection, choices);
  } catch (err) {
    await traced?.release();
    throw err;
  }
  const client = new Client({
    connection,
    namespace: config.temporal.namespace,
    // With PANTHEON_CODEC_KEYS set, payloads leave this process encrypted.
    dataConverter: dataConverterFor(config.codec.keys),
    ...(traced ? { interceptors: traced.tracing.clientInterceptors() } : {}),
  });
  return {
    client,
    connection,
    async close() {
      try {
        await connection.close();
      } finally {
        await traced?.release();
      }
    },
  };
}

/** Where the Web UI shows a workflow. */
export function workflowUrl(config: PantheonConfig, workflowId: string): string {
  return `${config.temporal.uiUrl}/namespaces/${encodeURIComponent(config.temporal.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
