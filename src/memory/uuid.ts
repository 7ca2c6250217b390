/**
 * Deterministic UUIDs (RFC 9562 version 5: SHA-1 of namespace + name). Qdrant point ids must be
 * UUIDs or integers, and a record id like `wf-42:outcome` must always map to the same point so that
 * writes are idempotent across processes.
 */
import { createHash } from 'node:crypto';

/** Pantheon's own namespace, so our point ids never collide with other v5 users' ids. */
export const PANTHEON_MEMORY_NAMESPACE = '3b0c6f7e-5b8e-4c1a-9d2f-6a1e8c4b7d50';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function uuidBytes(uuid: string): Buffer {
  if (!UUID_RE.test(uuid)) throw new RangeError(`not a UUID: ${uuid}`);
  return Buffer.from(uuid.replace(/-/g, ''), 'hex');
}

export function uuidV5(name: string, namespace: string): string {
  const hash = createHash('sha1').update(uuidBytes(namespace)).update(name, 'utf8').digest();
  const b = hash.subarray(0, 16);
  b[6] = (b[6] & 0x0f) | 0x50; // version 5
  b[8] = (b[8] & 0x3f) | 0x80; // RFC variant
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The Qdrant point id of a memory record. */
export function pointIdFor(recordId: string): string {
  return uuidV5(recordId, PANTHEON_MEMORY_NAMESPACE);
}
