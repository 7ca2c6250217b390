import { Runtime } from '@temporalio/worker';
import { exitOnError } from '../client/exit';
import { loadConfig } from '../config/env';
import { createLogger } from '../logging/logger';
import { temporalLoggerFor } from '../logging/temporal-logger';
import { startWorkers } from './start';

/**
 * `npm run worker`: one worker process. Start as many as you like, on as many machines, against
 * the same TEMPORAL_ADDRESS and task queue. Ctrl-C drains in-flight work, then exits.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.log);
  // Shutdown order is ours (runWorkersInOrder): the task worker drains first, then the ledger.
  Runtime.install({ logger: temporalLoggerFor(logger), shutdownSignals: [] });
  const workers = await startWorkers(config, logger);
  try {
    await workers.running;
  } finally {
    await workers.close();
    logger.info('worker stopped');
  }
}

exitOnError(main);
