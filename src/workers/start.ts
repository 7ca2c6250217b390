import type { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Logger } from 'pino';
import { connectClient } from '../client/connection';
import { ensureSweeperSchedule } from '../client/sweeper-schedule';
import type { PantheonConfig } from '../config/env';
import { buildWorkerDeps, type WorkerDeps } from './deps';
import { createLedgerWorker, runWorkersInOrder } from './ledger-worker';
import { createTaskWorker } from './task-worker';

export interface RunningWorkers {
  client: Client;
  built: WorkerDeps;
  /** Settles when the workers have stopped (Ctrl-C/SIGTERM drains the task worker, then the ledger). */
  running: Promise<void>;
  /** Closes what start-up opened; call after `running` settles. */
  close(): Promise<void>;
}

/**
 * Everything a worker process runs: dependencies (roster, limits, memory, LLM behind the budget
 * ledger), the sweeper's Schedule, the ledger worker and the task worker. The client stays open
 * while they run: the budget gate and the sweeper use it.
 */
export async function startWorkers(config: PantheonConfig, logger: Logger): Promise<RunningWorkers> {
  const address = config.temporal.address ?? 'localhost:7233';
  const { client, close: closeClient } = await connectClient(config);
  const built = await buildWorkerDeps(config, logger, client);
  const connection = await NativeConnection.connect({ address });
  const schedule = await ensureSweeperSchedule(client, { taskQueue: config.temporal.taskQueue, ...config.sweeper });
  logger.info({ schedule, ...config.sweeper }, 'stale-task sweeper schedule ready');
  const { namespace, taskQueue, budgetTaskQueue } = config.temporal;
  const workflowBundle = config.workflowBundlePath ? { codePath: config.workflowBundlePath } : undefined;
  const ledgerWorker = await createLedgerWorker({ connection, namespace, taskQueue: budgetTaskQueue, workflowBundle });
  const worker = await createTaskWorker({ connection, client, namespace, taskQueue, deps: built.deps, workflowBundle });
  logger.info({ address, taskQueue }, 'worker running; Ctrl-C to drain and stop');
  return {
    client,
    built,
    running: runWorkersInOrder(worker, ledgerWorker),
    async close() {
      await closeClient();
      await connection.close();
      await built.close();
    },
  };
}
