import type { MetricMeter } from '@temporalio/common';
import type { GateTiming } from '../budget/timing';
import { currentMeter, runtimeMeter } from './meter';
import { METRICS } from './names';

/**
 * Worker-side recorders of Pantheon's metrics (see names.ts). Each takes the meter where it is
 * recorded (by default {@link currentMeter}); nothing here throws into the caller's path.
 */

export interface LlmCallSample {
  /** The specialist, or the call's purpose when none (router, compression, God). */
  specialist: string;
  /** Why the call was made (src/llm/types.ts CALL_PURPOSES): a compressor call for a specialist's
   * context carries the specialist's name (its agent budget pays for it) and purpose `compressor`. */
  purpose: string;
  model: string;
  outcome: 'ok' | 'error';
  tokens: number;
  usd: number;
}

/** Fractions of a micro-dollar per label set, carried so many cheap calls still add up exactly. */
const microRemainders = new Map<string, number>();

function safely(record: () => void): void {
  try {
    record();
  } catch {
    // Metrics never fail the work they describe.
  }
}

export function recordLlmCall(sample: LlmCallSample, meter: MetricMeter = currentMeter()): void {
  safely(() => {
    const { specialist, purpose, model, outcome, tokens, usd } = sample;
    meter.createCounter(METRICS.llmCalls.name, 'calls', METRICS.llmCalls.help).add(1, { specialist, purpose, model, outcome });
    if (tokens > 0) meter.createCounter(METRICS.llmTokens.name, 'tokens', METRICS.llmTokens.help).add(Math.round(tokens), { specialist, purpose, model });
    const key = `${specialist}\u0000${purpose}\u0000${model}`;
    const micros = (microRemainders.get(key) ?? 0) + Math.max(0, usd) * 1e6;
    const whole = Math.floor(micros);
    microRemainders.set(key, micros - whole);
    // Added even at zero, so the series exists from the first call.
    meter.createCounter(METRICS.llmMicroUsd.name, 'microusd', METRICS.llmMicroUsd.help).add(whole, { specialist, purpose, model });
  });
}

export function recordLedgerRoundTrip(timing: GateTiming, meter: MetricMeter = currentMeter()): void {
  safely(() =>
    meter
      .createHistogram(METRICS.ledgerRoundTrip.name, 'float', 'ms', METRICS.ledgerRoundTrip.help)
      .record(Math.max(0, timing.ms), { op: timing.op, outcome: timing.outcome }),
  );
}

/** The breaker as the ledger last answered this worker: open on a breaker denial or trip alert.
 * On the Runtime's meter: one series per worker, not one per activity type. */
export function recordBreaker(open: boolean, meter: MetricMeter = runtimeMeter()): void {
  safely(() => meter.createGauge(METRICS.breakerOpen.name, 'int', '', METRICS.breakerOpen.help).set(open ? 1 : 0));
}
