/**
 * Whether an error is the codec saying this process lacks the key a payload was written with: no
 * keys at all (the SDK's default converter meets `binary/encrypted`) or not the key id the payload
 * names (src/codec/aes-gcm-codec.ts). Readers that can go on without the payload (a list) or that
 * can name the way out (a worker, a Schedule) test for it.
 */
export function isUnreadablePayload(err: unknown): boolean {
  const message = err instanceof Error ? err.message : String(err);
  return /Unknown encoding: binary\/encrypted|cannot decrypt a payload/i.test(message);
}
