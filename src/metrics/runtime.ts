import type { RuntimeOptions } from '@temporalio/worker';
import { LEDGER_BUCKETS_MS, METRICS } from './names';

/**
 * The Runtime's telemetry for a worker process: a Prometheus endpoint at `address` (host:port,
 * served at /metrics) with the SDK's metrics (temporal_*) and Pantheon's (pantheon_*), or none.
 * Spread into the one `Runtime.install` call of the process.
 *
 * @example Runtime.install({ logger, shutdownSignals: [], ...metricsRuntimeOptions(config.metrics.address) })
 */
export function metricsRuntimeOptions(address: string | undefined): Pick<RuntimeOptions, 'telemetryOptions'> {
  if (!address) return {};
  return {
    telemetryOptions: {
      metrics: {
        prometheus: { bindAddress: bindAddressOf(address), histogramBucketOverrides: { [METRICS.ledgerRoundTrip.name]: LEDGER_BUCKETS_MS } },
      },
    },
  };
}

/** The exporter binds a socket address and resolves no names: `localhost` is the loopback's. */
export function bindAddressOf(address: string): string {
  return address.replace(/^localhost:/i, '127.0.0.1:');
}
