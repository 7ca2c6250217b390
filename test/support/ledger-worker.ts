import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createBudgetGate, type BudgetGate, type BudgetGateOptions } from '../../src/budget/gate';
import type { Limits } from '../../src/budget/limits';
import { clientInterceptors } from '../../src/runtime/client-interceptors';
import { installQuietRuntime, testAddress } from './harness';

/**
 * A worker of the test bundle on a queue of its own, where the ledgers of a test file's gates run,
 * and gates on fresh ledgers; `stop` terminates those ledgers and closes everything.
 */
export interface LedgerTestWorker {
  client: Client;
  taskQueue: string;
  /** A fresh ledger id, terminated at `stop`. */
  newLedgerId(name: string): string;
  /** A gate on a fresh ledger of its own (flushed at `stop`). */
  gate(name: string, limits: Limits, extra?: Partial<BudgetGateOptions>): { gate: BudgetGate; ledgerId: string };
  /** A gate on a ledger already named (another process's gate on it, say; flushed at `stop`). */
  gateOn(ledgerId: string, limits: Limits, extra?: Partial<BudgetGateOptions>): BudgetGate;
  stop(): Promise<void>;
}

export async function startLedgerTestWorker(taskQueue: string): Promise<LedgerTestWorker> {
  installQuietRuntime();
  const native = await NativeConnection.connect({ address: testAddress() });
  const connection = await Connection.connect({ address: testAddress(), interceptors: clientInterceptors() });
  const client = new Client({ connection, namespace: 'default' });
  const worker = await Worker.create({ connection: native, namespace: 'default', taskQueue, workflowBundle: { codePath: process.env.PANTHEON_TEST_BUNDLE! } });
  const running = worker.run();
  const ledgers: string[] = [];
  const gates: BudgetGate[] = [];
  const newLedgerId = (name: string) => {
    const ledgerId = `ledger-${name}-${process.pid}-${Date.now()}`;
    ledgers.push(ledgerId);
    return ledgerId;
  };
  const gateOn = (ledgerId: string, limits: Limits, extra: Partial<BudgetGateOptions> = {}) => {
    const gate = createBudgetGate({ client, taskQueue, limits, ledgerId, ...extra });
    gates.push(gate);
    return gate;
  };
  return {
    client,
    taskQueue,
    newLedgerId,
    gate(name, limits, extra = {}) {
      const ledgerId = newLedgerId(name);
      return { gate: gateOn(ledgerId, limits, extra), ledgerId };
    },
    gateOn,
    async stop() {
      // A leasing gate hands each lease back from a timer at half its life (15 s): one a test did not
      // flush would send it after the close below, into the next test file's run in this process.
      await Promise.all(gates.map((gate) => gate.flush()));
      await Promise.all(ledgers.map((id) => client.workflow.getHandle(id).terminate('test over').catch(() => undefined)));
      worker.shutdown();
      await running;
      await native.close();
      await connection.close();
    },
  };
}
