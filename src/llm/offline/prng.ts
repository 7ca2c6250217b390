/**
 * Reproducible numbers. Fault probabilities and latency jitter must replay identically for a given
 * seed so a flaky-looking test run can be reproduced exactly; Math.random cannot give that.
 */

export type Prng = () => number;

/** mulberry32: tiny and statistically good enough for coin flips and jitter. */
export function createPrng(seed: number): Prng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a: a stable hash so answers vary with their input without any randomness. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Derives independent seeds from one, so two rules seeded by the server do not flip in lockstep. */
export function deriveSeed(seed: number, salt: string): number {
  return hashString(`${seed >>> 0}:${salt}`);
}

/** A stable pick from `options` keyed by text, so phrasing varies between items but never between runs. */
export function choose<T>(options: readonly T[], key: string): T {
  return options[hashString(key) % options.length];
}
