import { simulateLedgerLoad } from '../../bench/ledger-load';
import { DEFAULT_LEDGER_OPTIONS } from '../../src/budget/ledger-types';
import { limitsWith } from '../support/limits';

/**
 * Invariant 5 at real volume: the state the ledger carries through continue-as-new stays bounded.
 * The pure state machine runs a simulated day at a sustained 50 LLM calls per second (every call
 * reserved, then settled a second later), with the default ledger options.
 */
const MAX_CARRIED_BYTES = 512 * 1024;
/** 4.3 million calls through the pure ledger: ~100 s alone on a quiet machine, 244 s beside the
 * rest of the suite on a slow day of the shared cores. A safety net, not a speed check. */
const DAY_TIMEOUT_MS = 600_000;

describe('budget ledger state size', () => {
  it('stays under 512 KB through 24 hours of 50 calls per second at the default settings', () => {
    // Limits that never deny: every call is granted and remembered, the heaviest case.
    const limits = limitsWith({ systemHourlyUsd: 1e6, systemDailyUsd: 1e6, perAgentHourlyUsd: 1e6, perAgentDailyUsd: 1e6 });
    const result = simulateLedgerLoad({ limits, options: DEFAULT_LEDGER_OPTIONS, callsPerSecond: 50, hours: 24, sampleEveryMs: 30_000 });
    console.info(
      `ledger state over 24 h at 50 calls/s: ${result.calls} calls, peak ${(result.peakBytes / 1024).toFixed(1)} KiB at hour ${result.peakAtHour.toFixed(2)} ` +
        `(${JSON.stringify(result.peak)}), final ${(result.finalBytes / 1024).toFixed(1)} KiB`,
    );
    expect(result.calls).toBe(50 * 24 * 3600);
    expect(result.denied).toBe(0);
    expect(result.peakBytes).toBeLessThan(MAX_CARRIED_BYTES);
    expect(result.finalBytes).toBeLessThan(MAX_CARRIED_BYTES);
  }, DAY_TIMEOUT_MS);

  it('stays bounded when tight limits deny most calls (alerts, waiting tasks, forgotten tasks)', () => {
    const limits = limitsWith({ systemHourlyUsd: 2, perAgentHourlyUsd: 0.5, perTaskUsd: 0.004 });
    const result = simulateLedgerLoad({ limits, options: DEFAULT_LEDGER_OPTIONS, callsPerSecond: 50, hours: 1, sampleEveryMs: 30_000 });
    console.info(`ledger state over 1 h at 50 calls/s under tight limits: ${result.denied} of ${result.calls} denied, peak ${(result.peakBytes / 1024).toFixed(1)} KiB`);
    expect(result.denied).toBeGreaterThan(result.calls / 2);
    expect(result.peakBytes).toBeLessThan(MAX_CARRIED_BYTES);
  }, 300_000);
});
