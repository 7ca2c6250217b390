/**
 * Round-trip statistics of the gate's ledger calls (the price every LLM call pays for a single
 * budget authority), kept over a bounded window of recent samples.
 */

export type GateOp = 'reserve' | 'settle' | 'release';

export interface GateTiming {
  op: GateOp;
  ms: number;
  outcome: 'granted' | 'denied' | 'applied' | 'noop' | 'error';
  /** Nobody waited for it: a settle or release delivered off the call's path. */
  background?: boolean;
}

export interface OpStats {
  count: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

const WINDOW = 1000;

export class TimingStats {
  private readonly samples: Record<GateOp, number[]> = { reserve: [], settle: [], release: [] };
  private readonly counts: Record<GateOp, number> = { reserve: 0, settle: 0, release: 0 };

  record(timing: GateTiming): void {
    const samples = this.samples[timing.op];
    samples.push(timing.ms);
    if (samples.length > WINDOW) samples.shift();
    this.counts[timing.op]++;
  }

  /** Count is over the gate's life; the other figures over the last {@link WINDOW} samples. */
  of(op: GateOp): OpStats {
    const sorted = [...this.samples[op]].sort((a, b) => a - b);
    const at = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : 0);
    const mean = sorted.length ? sorted.reduce((s, x) => s + x, 0) / sorted.length : 0;
    return { count: this.counts[op], meanMs: mean, p50Ms: at(0.5), p95Ms: at(0.95), maxMs: sorted.at(-1) ?? 0 };
  }
}
