import { Client, Connection } from '@temporalio/client';
import type { PantheonConfig } from '../config/env';
import { dataConverterFor } from '../codec';
import { openTracing } from '../tracing/open';

export const DEFAULT_TEMPORAL_ADDRESS = 'localhost:7233';

/**
 * A Temporal client for the configured server (TEMPORAL_ADDRESS, else the local dev server).
 * With tracing on (OTEL_EXPORTER_OTLP_*), its workflow calls are spans the workflows continue;
 * `close` flushes them.
 */
export async function connectClient(config: PantheonConfig): Promise<{ client: Client; close(): Promise<void> }> {
  const traced = await openTracing(config.tracing, 'pantheon-client');
  let connection: Connection;
  try {
    connection = await Connection.connect({ address: config.temporal.address ?? DEFAULT_TEMPORAL_ADDRESS });
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
