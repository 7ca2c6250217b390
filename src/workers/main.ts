import { NativeConnection, Runtime } from '@temporalio/worker';
import { connectClient } from '../client/connection';
import { exitOnError } from '../client/exit';
import { ensureSweeperSchedule } from '../client/sweeper-schedule';
import { loadConfig } from '../config/env';
import { createLogger } from '../logging/logger';
import { temporalLoggerFor } from '../logging/temporal-logger';
import { buildWorkerDeps } from './deps';
import { createLedgerWorker, runWorkersInOrder } from './ledger-worker';
import { createTaskWorker } from './task-worker';

/**
 * `npm run worker`: one worker process. Start as many as you like, on as many machines, against
 * the same TEMPORAL_ADDRESS and task queue. Ctrl-C drains in-flight work, then exits.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.log);
  // The Runtime drains every worker on SIGINT/SIGTERM: Ctrl-C lets in-flight activities finish.
  // Shutdown order is ours (runWorkersInOrder): the task worker drains first, then the ledger.
  Runtime.install({ logger: temporalLoggerFor(logger), shutdownSignals: [] });
  const address = config.temporal.address ?? 'localhost:7233';
  const { client, close } = await connectClient(config);
  const built = await buildWorkerDeps(config, logger, client);
  const connection = await NativeConnection.connect({ address });
  const schedule = await ensureSweeperSchedule(client, { taskQueue: config.temporal.taskQueue, ...config.sweeper });
  logger.info({ schedule, ...config.sweeper }, 'stale-task sweeper schedule ready');
  const workflowBundle = config.workflowBundlePath ? { codePath: config.workflowBundlePath } : undefined;
  const ledgerWorker = await createLedgerWorker({ connection, namespace: config.temporal.namespace, taskQueue: config.temporal.budgetTaskQueue, workflowBundle });
  const worker = await createTaskWorker({
    connection,
    client,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    deps: built.deps,
    workflowBundle,
  });
  logger.info({ address, taskQueue: config.temporal.taskQueue }, 'worker running; Ctrl-C to drain and stop');
  try {
    await runWorkersInOrder(worker, ledgerWorker);
  } finally {
    await close();
    await connection.close();
    await built.close();
    logger.info('worker stopped');
  }
}

exitOnError(main);
