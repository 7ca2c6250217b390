/** Small vector maths for recall, kept apart so every backend ranks by the same definition. */

export function norm(v: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i] * v[i];
  return Math.sqrt(sum);
}

/**
 * True cosine similarity. Vectors are usually stored normalised, but the store must not depend on
 * that (another embedder, float drift), so both norms are computed. A zero vector has no direction:
 * its similarity to anything is 0. The result is clamped to [-1, 1] against rounding.
 */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`vector lengths differ: ${a.length} vs ${b.length}`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  if (na === 0 || nb === 0) return 0;
  const c = dot / (Math.sqrt(na) * Math.sqrt(nb));
  return Math.max(-1, Math.min(1, c));
}

/** Little-endian float32 bytes, so a database file reads the same on any host. */
export function vectorToBlob(v: Float32Array): Buffer {
  const buf = Buffer.alloc(v.length * 4);
  for (let i = 0; i < v.length; i++) buf.writeFloatLE(v[i], i * 4);
  return buf;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export function blobToVector(buf: Buffer): Float32Array {
  if (buf.length % 4 !== 0) throw new RangeError(`vector blob of ${buf.length} bytes is not float32`);
  // On a little-endian host the bytes are the floats: one copy (which also aligns them), no per-float reads.
  if (LITTLE_ENDIAN_HOST) return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
  const v = new Float32Array(buf.length / 4);
  for (let i = 0; i < v.length; i++) v[i] = buf.readFloatLE(i * 4);
  return v;
}
