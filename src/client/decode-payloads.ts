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
