import { NativeConnection, Worker } from '@temporalio/worker';
import { runWorkersInOrder } from '../../src/workers/ledger-worker';
import { installQuietRuntime, testAddress } from '../support/harness';

/**
 * How a worker process learns why its workers stopped: a signal (Ctrl-C, SIGTERM) is a deliberate
 * stop and the process exits 0; a stop nobody signalled makes `npm run worker` exit non-zero
 * (`worker_stopped`, src/workers/start.ts), or a supervisor would take it for a deliberate one.
 */
/** Not one of the Runtime's default shutdown signals (SIGINT, SIGTERM, SIGQUIT, SIGUSR2), which
 * the suite's Runtime leaves on: those would stop every worker of this process, not only ours. */
const SIGNAL: NodeJS.Signals = 'SIGHUP';
let connection: NativeConnection;
let queue = 0;

beforeAll(async () => {
  installQuietRuntime();
  connection = await NativeConnection.connect({ address: testAddress() });
});

afterAll(async () => {
  await connection.close();
});

async function twoWorkers(): Promise<{ taskWorker: Worker; ledgerWorker: Worker }> {
  const create = (taskQueue: string) => Worker.create({ connection, namespace: 'default', taskQueue, workflowBundle: { codePath: process.env.PANTHEON_TEST_BUNDLE! } });
  queue += 1;
  return { taskWorker: await create(`workers-stop-${process.pid}-${queue}`), ledgerWorker: await create(`workers-stop-${process.pid}-${queue}-budget`) };
}

async function whenRunning(worker: Worker): Promise<void> {
  while (worker.getState() !== 'RUNNING') await new Promise((r) => setTimeout(r, 20));
}

describe('runWorkersInOrder', () => {
  it('says a stop was signalled when one of its signals stopped the task worker, and stops the ledger worker after it', async () => {
    const { taskWorker, ledgerWorker } = await twoWorkers();
    const running = runWorkersInOrder(taskWorker, ledgerWorker, [SIGNAL]);
    await whenRunning(taskWorker);
    process.emit(SIGNAL, SIGNAL);
    await expect(running).resolves.toEqual({ signalled: true });
    expect([taskWorker.getState(), ledgerWorker.getState()]).toEqual(['STOPPED', 'STOPPED']);
    expect(process.listenerCount(SIGNAL)).toBe(0);
  });

  it('keeps listening for its signals until the ledger worker has stopped too: a second copy of the signal mid-drain (npm relaying a Ctrl-C) finds a listener, not the default action that kills', async () => {
    const { taskWorker, ledgerWorker } = await twoWorkers();
    let flushed!: () => void;
    const flushing = new Promise<void>((resolve) => (flushed = resolve));
    let flushStarted = false;
    const running = runWorkersInOrder(taskWorker, ledgerWorker, [SIGNAL], ledgerWorker.run(), () => {
      flushStarted = true;
      return flushing;
    });
    await whenRunning(taskWorker);
    process.emit(SIGNAL, SIGNAL);
    try {
      while (!flushStarted) await new Promise((r) => setTimeout(r, 20));
      // The task worker has stopped; the gate's last settles are under way and the ledger still runs.
      expect([taskWorker.getState(), ledgerWorker.getState()]).toEqual(['STOPPED', 'RUNNING']);
      expect(process.listenerCount(SIGNAL)).toBe(1);
    } finally {
      flushed();
    }
    await expect(running).resolves.toEqual({ signalled: true });
    expect(ledgerWorker.getState()).toBe('STOPPED');
    expect(process.listenerCount(SIGNAL)).toBe(0);
  });

  it('says a stop was not signalled when the task worker stopped some other way', async () => {
    const { taskWorker, ledgerWorker } = await twoWorkers();
    const running = runWorkersInOrder(taskWorker, ledgerWorker, [SIGNAL]);
    await whenRunning(taskWorker);
    taskWorker.shutdown();
    await expect(running).resolves.toEqual({ signalled: false });
    expect(ledgerWorker.getState()).toBe('STOPPED');
    expect(process.listenerCount(SIGNAL)).toBe(0);
  });
});
