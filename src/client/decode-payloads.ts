import type { Client } from '@temporalio/client';
import type { LoadedDataConverter, Payload } from '@temporalio/common';

/**
 * The first of some payloads read from the server as they are stored (a history event's input, a
 * pending activity's heartbeat details), decoded the way the client's own calls decode theirs:
 * through its codecs (an encrypting codec's key, src/codec/), last first, then its payload converter.
 * Undefined when there are none.
 */
export async function decodeFirstPayload(converter: LoadedDataConverter, stored: readonly unknown[] | null | undefined): Promise<unknown> {
  let payloads = [...(stored ?? [])] as Payload[];
  if (payloads.length === 0) return undefined;
  for (const codec of [...converter.payloadCodecs].reverse()) payloads = await codec.decode(payloads);
  return converter.payloadConverter.fromPayload(payloads[0]);
}

/**
 * The input a run was started with (its first argument), decoded as the client decodes: one history
 * event read, however long the history. Undefined for a run started without input.
 */
export async function runStartInput(client: Client, workflowId: string, runId?: string): Promise<unknown> {
  const first = await client.workflowService.getWorkflowExecutionHistory({ namespace: client.options.namespace, execution: { workflowId, runId }, maximumPageSize: 1 });
  return decodeFirstPayload(client.workflow.options.loadedDataConverter, first.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads);
}
