import { Client, Connection } from '@temporalio/client';
import type { PantheonConfig } from '../config/env';
import { dataConverterFor } from '../codec';

export const DEFAULT_TEMPORAL_ADDRESS = 'localhost:7233';

/** A Temporal client for the configured server (TEMPORAL_ADDRESS, else the local dev server). */
export async function connectClient(config: PantheonConfig): Promise<{ client: Client; close(): Promise<void> }> {
  const connection = await Connection.connect({ address: config.temporal.address ?? DEFAULT_TEMPORAL_ADDRESS });
  // With PANTHEON_CODEC_KEYS set, payloads leave this process encrypted.
  const client = new Client({ connection, namespace: config.temporal.namespace, dataConverter: dataConverterFor(config.codec.keys) });
  return { client, close: () => connection.close() };
}

/** Where the Web UI shows a workflow. */
export function workflowUrl(config: PantheonConfig, workflowId: string): string {
  return `${config.temporal.uiUrl}/namespaces/${encodeURIComponent(config.temporal.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
