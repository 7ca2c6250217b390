import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { DataConverter } from '@temporalio/common';
import { workflowSource } from './workflow-bundle';
import type { Tracing } from '../tracing/types';
import { onStopSignals, STOP_SIGNALS } from '../runtime/stop-signals';

export interface LedgerWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  /** The budget queue: separate from the task queue so the ledger outlives a draining task worker. */
  taskQueue: string;
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Payload encryption; the same as the task worker's and the client's. */
  dataConverter?: DataConverter;
  /** Tracing on: the ledger's update handlers join the callers' traces (HandleUpdate spans). */
  tracing?: Tracing;
}

/**
 * A worker that only runs the budget ledger workflow. It is shut down after the task worker:
 * activities still draining must be able to settle their reservations.
 */
export function createLedgerWorker(options: LedgerWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...workflowSource(options.workflowBundle),
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
    ...options.tracing?.workerOptions(Boolean(options.workflowBundle)),
  });
}

/** How the task worker came to stop: `signalled` when one of `signals` asked it to. */
export interface WorkersStopped {
  signalled: boolean;
}

/**
 * Runs the task worker and the ledger worker; stops the task worker first, then the ledger.
 * `ledgerRun` is the ledger worker's run if it was started earlier (start-up may need it to
 * answer for an ended ledger run before tasks are taken). `beforeLedgerStops` runs between the
 * two: the budget gate's last settles and lease returns need a ledger worker to answer them, and
 * this process's may be the only one. Resolves saying whether a signal stopped the task worker:
 * a stop nobody signalled (the SDK ended its polling) is for the caller to report.
 */
export async function runWorkersInOrder(
  taskWorker: Worker,
  ledgerWorker: Worker,
  signals: NodeJS.Signals[] = STOP_SIGNALS,
  ledgerRun: Promise<void> = ledgerWorker.run(),
  beforeLedgerStops: () => Promise<unknown> = async () => undefined,
  /** Told first when a stop signal comes, before the task worker starts to drain (drain.ts). */
  onStopRequested: () => void = () => undefined,
): Promise<WorkersStopped> {
  let signalled = false;
  const stop = () => {
    signalled = true;
    onStopRequested();
    if (taskWorker.getState() === 'RUNNING') taskWorker.shutdown();
  };
  // Listening until both workers have stopped: a second copy of the signal (npm's relay of a
  // Ctrl-C) while they drain must not kill the process.
  const dispose = onStopSignals(stop, { signals });
  try {
    await taskWorker.run();
  } finally {
    try {
      await beforeLedgerStops().catch(() => undefined);
      // The Runtime's own shutdown signals (where a process leaves them on) may have stopped it already.
      if (ledgerWorker.getState() === 'RUNNING') ledgerWorker.shutdown();
      await ledgerRun;
    } finally {
      dispose();
    }
  }
  return { signalled };
}
