import { Runtime, type RuntimeOptions } from '@temporalio/worker';
import type { Logger as PinoLogger } from 'pino';
import { PantheonError } from '../errors';
import { temporalLoggerFor } from '../logging/temporal-logger';
import { metricsRuntimeOptions } from '../metrics/runtime';

/**
 * The one Runtime of a process that runs workers: the SDK's log lines and the native core's go
 * through the process's pino logger. Without `logging.forward` the core (Rust) writes its own
 * WARN/ERROR lines (poll failures, connection retries) as plain text beside pino's JSON lines,
 * which a log shipper reading JSON drops or misparses. Metrics as metricsRuntimeOptions gives.
 * Shutdown signals are ours (runWorkersInOrder drains the task worker first, then the ledger).
 */
export function workerRuntimeOptions(logger: PinoLogger, metricsAddress: string | undefined): RuntimeOptions {
  const { telemetryOptions } = metricsRuntimeOptions(metricsAddress);
  return {
    logger: temporalLoggerFor(logger),
    shutdownSignals: [],
    telemetryOptions: { ...telemetryOptions, logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} } },
  };
}

export function installWorkerRuntime(logger: PinoLogger, metricsAddress: string | undefined): void {
  try {
    Runtime.install(workerRuntimeOptions(logger, metricsAddress));
  } catch (err) {
    // The native exporter's own words name neither the variable nor the address ("Address already in use").
    if (!metricsAddress) throw err;
    throw PantheonError.of('config_invalid', `environment variable PANTHEON_METRICS_ADDRESS: cannot serve metrics at ${metricsAddress}: ${err instanceof Error ? err.message : String(err)}`, {
      details: { variable: 'PANTHEON_METRICS_ADDRESS' },
    });
  }
}
