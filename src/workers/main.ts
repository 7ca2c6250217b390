import { exitOnError } from '../client/exit';
import { loadConfig } from '../config/env';
import { createLogger } from '../logging/logger';
import { installWorkerRuntime } from './runtime';
import { startWorkers } from './start';

/**
 * `npm run worker`: one worker process. Start as many as you like, on as many machines, against
 * the same server and task queue. The server, namespace, API key and TLS come from TEMPORAL_* and
 * temporal.toml profiles (src/config/temporal-connection.ts). Ctrl-C drains in-flight work, then exits.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.log);
  // Shutdown order is ours (runWorkersInOrder): the task worker drains first, then the ledger.
  // Opt-in (PANTHEON_METRICS_ADDRESS): the SDK's and Pantheon's metrics at http://ADDRESS/metrics.
  installWorkerRuntime(logger, config.metrics.address);
  if (config.metrics.address) logger.info({ address: config.metrics.address }, `Prometheus metrics at http://${config.metrics.address}/metrics`);
  const workers = await startWorkers(config, logger);
  try {
    await workers.running;
  } finally {
    await workers.close();
    logger.info('worker stopped');
  }
}

exitOnError(main);
