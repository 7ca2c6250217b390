import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import { PantheonError } from '../errors';
import type { CodecKeyring } from './keys';

/** The metadata an encrypted payload carries; the same names Temporal's encryption samples use. */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';

const IV_BYTES = 12;
const TAG_BYTES = 16;

const utf8 = (s: string) => Buffer.from(s, 'utf8');

// The plaintext is the whole original payload (its metadata says how the data is encoded), as
// JSON with base64 values: readable by any language, no protobuf dependency.
const InnerPayload = z.object({ m: z.record(z.string(), z.string()), d: z.string() });

function serialise(payload: Payload): Buffer {
  const m: Record<string, string> = {};
  for (const [k, v] of Object.entries(payload.metadata ?? {})) if (v) m[k] = Buffer.from(v).toString('base64');
  return utf8(JSON.stringify({ m, d: Buffer.from(payload.data ?? new Uint8Array()).toString('base64') }));
}

function deserialise(plain: Buffer): Payload {
  const inner = InnerPayload.parse(JSON.parse(plain.toString('utf8')));
  const metadata: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(inner.m)) metadata[k] = Buffer.from(v, 'base64');
  return { metadata, data: Buffer.from(inner.d, 'base64') };
}

function undecryptable(keyId: string, message: string, cause?: unknown): PantheonError {
  return PantheonError.of('config_invalid', `cannot decrypt a payload encrypted with key id "${keyId}": ${message}`, {
    details: { keyId, variable: 'PANTHEON_CODEC_KEYS' },
    cause,
  });
}

/**
 * AES-256-GCM encryption of every payload with the keyring's newest key. The key id travels in
 * the payload's metadata (and is bound to the ciphertext as additional authenticated data), so a
 * payload written before a rotation is still decrypted with its own, older key. Payloads that are
 * not encrypted pass through decode unchanged: histories from before encryption stay readable.
 *
 * @example
 *   const codec = new AesGcmCodec(parseKeyList('k1:' + randomBytes(32).toString('base64')));
 *   new Client({ connection, dataConverter: { payloadCodecs: [codec] } });
 */
export class AesGcmCodec implements PayloadCodec {
  constructor(private readonly keyring: CodecKeyring) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const keyId = this.keyring.currentId;
    const key = this.keyring.key(keyId)!;
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(utf8(keyId));
      const body = Buffer.concat([cipher.update(serialise(payload)), cipher.final()]);
      return {
        metadata: { encoding: utf8(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8(keyId) },
        data: Buffer.concat([iv, body, cipher.getAuthTag()]),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.decodeOne(payload));
  }

  private decodeOne(payload: Payload): Payload {
    const encoding = payload.metadata?.encoding;
    if (!encoding || Buffer.from(encoding).toString('utf8') !== ENCRYPTED_ENCODING) return payload;
    const rawId = payload.metadata?.[KEY_ID_METADATA];
    if (!rawId) throw undecryptable('(none)', `the payload has no ${KEY_ID_METADATA} metadata`);
    const keyId = Buffer.from(rawId).toString('utf8');
    const key = this.keyring.key(keyId);
    if (!key) {
      throw undecryptable(keyId, `no key with that id is configured (configured: ${this.keyring.ids.join(', ')}); add it to PANTHEON_CODEC_KEYS or the key file`);
    }
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < IV_BYTES + TAG_BYTES) throw undecryptable(keyId, 'the ciphertext is truncated');
    const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
    decipher.setAAD(utf8(keyId));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    } catch (err) {
      throw undecryptable(keyId, 'authentication failed (the key under that id is not the one that encrypted it, or the payload was altered)', err);
    }
    try {
      return deserialise(plain);
    } catch (err) {
      throw undecryptable(keyId, 'the decrypted payload is malformed', err);
    }
  }
}
