import fs from 'node:fs';
import { PantheonError } from '../errors';

/** AES-256 wants exactly 32 bytes of key. */
export const KEY_BYTES = 32;

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
// Strict base64 (standard alphabet, padded or not): Buffer.from would silently skip bad characters.
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * The payload keys, in the order they were listed: the last one encrypts, every one decrypts.
 * Rotation is "append a new key, keep the old ones until no history needs them".
 *
 * The key bytes live in a private field, so logging or serialising a config shows only the ids.
 */
export class CodecKeyring {
  readonly #keys: ReadonlyMap<string, Buffer>;
  readonly currentId: string;

  constructor(keys: ReadonlyArray<{ id: string; key: Buffer }>) {
    if (keys.length === 0) throw new Error('a keyring needs at least one key');
    this.#keys = new Map(keys.map(({ id, key }) => [id, key]));
    this.currentId = keys[keys.length - 1].id;
  }

  get ids(): string[] {
    return [...this.#keys.keys()];
  }

  /** The key named by a payload; undefined when this keyring does not hold it. */
  key(id: string): Buffer | undefined {
    return this.#keys.get(id);
  }

  toJSON(): { ids: string[]; currentId: string } {
    return { ids: this.ids, currentId: this.currentId };
  }
}

/** Where a key list came from: the variable (for error details) and how to name it in a message. */
export interface KeySource {
  variable: 'PANTHEON_CODEC_KEYS' | 'PANTHEON_CODEC_KEY_FILE';
  label: string;
}

function invalid(source: KeySource, message: string, extra: Record<string, unknown> = {}): PantheonError {
  return PantheonError.of('config_invalid', `${source.label}: ${message}`, { details: { variable: source.variable, ...extra } });
}

const FROM_ENV: KeySource = { variable: 'PANTHEON_CODEC_KEYS', label: 'environment variable PANTHEON_CODEC_KEYS' };

/**
 * Parses `id1:base64key,id2:base64key` (commas or newlines between entries; `#` starts a comment
 * in a key file). Errors name the variable and the key id, never the key.
 *
 * @example
 *   parseKeyList(process.env.PANTHEON_CODEC_KEYS!)
 */
export function parseKeyList(spec: string, source: KeySource = FROM_ENV): CodecKeyring {
  const entries = spec
    .split(/[,\n]/)
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter((line) => line.length > 0);
  if (entries.length === 0) throw invalid(source, 'no keys; expected id:base64key[,id:base64key...]');
  const seen = new Set<string>();
  const keys = entries.map((entry, index) => {
    const colon = entry.indexOf(':');
    if (colon < 0) throw invalid(source, `entry ${index + 1} has no "id:" prefix; expected id:base64key`);
    const id = entry.slice(0, colon).trim();
    const encoded = entry.slice(colon + 1).trim();
    if (!KEY_ID.test(id)) throw invalid(source, `entry ${index + 1}: key id must be 1-64 of A-Z a-z 0-9 . _ -`);
    if (seen.has(id)) throw invalid(source, `key id "${id}" is listed twice`, { keyId: id });
    seen.add(id);
    if (!BASE64.test(encoded)) throw invalid(source, `key "${id}" is not base64`, { keyId: id });
    const key = Buffer.from(encoded, 'base64');
    if (key.length !== KEY_BYTES) {
      throw invalid(source, `key "${id}" is ${key.length} bytes; AES-256-GCM needs ${KEY_BYTES} (generate one with: openssl rand -base64 32)`, { keyId: id });
    }
    return { id, key };
  });
  return new CodecKeyring(keys);
}

/**
 * The keyring from PANTHEON_CODEC_KEYS or PANTHEON_CODEC_KEY_FILE (one of them, not both);
 * undefined when neither is set: payloads then stay plaintext, as before.
 */
export function loadKeyring(env: { PANTHEON_CODEC_KEYS?: string; PANTHEON_CODEC_KEY_FILE?: string }): CodecKeyring | undefined {
  if (env.PANTHEON_CODEC_KEYS && env.PANTHEON_CODEC_KEY_FILE) {
    throw invalid(FROM_ENV, 'set either PANTHEON_CODEC_KEYS or PANTHEON_CODEC_KEY_FILE, not both');
  }
  if (env.PANTHEON_CODEC_KEYS) return parseKeyList(env.PANTHEON_CODEC_KEYS);
  if (!env.PANTHEON_CODEC_KEY_FILE) return undefined;
  const file = env.PANTHEON_CODEC_KEY_FILE;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw PantheonError.of('config_invalid', `environment variable PANTHEON_CODEC_KEY_FILE: cannot read ${file}: ${(err as Error).message}`, {
      details: { variable: 'PANTHEON_CODEC_KEY_FILE' },
      cause: err,
    });
  }
  return parseKeyList(text, { variable: 'PANTHEON_CODEC_KEY_FILE', label: `PANTHEON_CODEC_KEY_FILE (${file})` });
}

/**
 * Why the key file PANTHEON_CODEC_KEY_FILE names is readable by others than its owner (group or
 * world bits set), or undefined: the keys decrypt every payload, as an ssh key opens a host. Told,
 * not refused: an operator may mean a group-readable file for a service account.
 */
export function keyFileExposure(env: { PANTHEON_CODEC_KEY_FILE?: string }): string | undefined {
  const file = env.PANTHEON_CODEC_KEY_FILE;
  if (!file) return undefined;
  let mode: number;
  try {
    mode = fs.statSync(file).mode & 0o777;
  } catch {
    return undefined; // loadKeyring says what is wrong with it
  }
  if ((mode & 0o077) === 0) return undefined;
  return `PANTHEON_CODEC_KEY_FILE ${file} is readable by others than its owner (mode ${mode.toString(8).padStart(3, '0')}): the keys decrypt every payload; chmod 600 ${file}`;
}
