/**
 * A seeded random stream whose whole state is one 32-bit number kept in the routing policy's
 * state: the same state gives the same draws on every worker and on replay, and carrying the
 * number through continue-as-new carries the stream. Pure functions over a tiny mutable record.
 *
 * @example
 *   const rs = { s: 42 };
 *   uniform(rs);       // 0.6011…, and rs.s has moved on
 *   beta(rs, 3, 1);    // a draw from Beta(3, 1)
 */

export interface RandomState {
  /** mulberry32's counter. */
  s: number;
}

/** One uniform draw in [0, 1) (mulberry32). */
export function uniform(rs: RandomState): number {
  rs.s = (rs.s + 0x6d2b79f5) >>> 0;
  let t = rs.s;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** A standard normal draw (Box–Muller; the second value is dropped to keep the state one number). */
export function normal(rs: RandomState): number {
  const u = 1 - uniform(rs); // (0, 1]: log(0) never happens
  const v = uniform(rs);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** A Gamma(shape, 1) draw (Marsaglia–Tsang; shapes below 1 boosted by U^(1/shape)). */
export function gamma(rs: RandomState, shape: number): number {
  if (!(shape > 0)) throw new RangeError(`gamma shape must be positive, got ${shape}`);
  if (shape < 1) return gamma(rs, shape + 1) * Math.pow(uniform(rs) || Number.MIN_VALUE, 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(rs);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = uniform(rs);
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** A Beta(a, b) draw. */
export function beta(rs: RandomState, a: number, b: number): number {
  const x = gamma(rs, a);
  const y = gamma(rs, b);
  return x / (x + y);
}
