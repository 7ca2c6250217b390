import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { WorkflowNotFoundError, type UpdateDefinition } from '@temporalio/common';
import { PantheonError } from '../errors';
import { BUDGET_LEDGER_ID, BUDGET_LEDGER_TYPE, budgetQuery, type BudgetLedgerInput } from '../workflows/budget-ledger-defs';
import type { Limits } from './limits';
import type { BudgetSnapshot } from './snapshot';

/** The connection to the ledger workflow: start it if needed, send updates, ask the query. */
export interface LedgerClient {
  readonly ledgerId: string;
  ensure(): Promise<void>;
  update<Ret, Arg>(def: UpdateDefinition<Ret, [Arg]>, arg: Arg): Promise<Ret>;
  snapshot(): Promise<BudgetSnapshot>;
}

export interface LedgerClientOptions {
  client: Client;
  taskQueue: string;
  limits: Limits;
  ledgerId?: string;
  ledgerOptions?: BudgetLedgerInput['options'];
}

export function createLedgerClient({ client, taskQueue, limits, ledgerId = BUDGET_LEDGER_ID, ledgerOptions }: LedgerClientOptions): LedgerClient {
  const handle = client.workflow.getHandle(ledgerId);
  let started: Promise<void> | undefined;

  const ensure = (): Promise<void> => {
    started ??= client.workflow
      .start(BUDGET_LEDGER_TYPE, {
        workflowId: ledgerId,
        taskQueue,
        args: [{ limits, options: ledgerOptions } satisfies BudgetLedgerInput],
        // Every worker calls this at first use; the first starts the ledger, the rest join it.
        workflowIdConflictPolicy: 'USE_EXISTING',
      })
      .then(
        () => undefined,
        (err: unknown) => {
          started = undefined;
          throw err;
        },
      );
    return started;
  };

  const send = <Ret, Arg>(def: UpdateDefinition<Ret, [Arg]>, arg: Arg) =>
    // No update id of ours: the client keeps one per call across its own retries, and the ledger
    // dedupes reservations by key, so a retried call gets the ledger's current answer.
    handle.executeUpdate(def, { args: [arg] });

  return {
    ledgerId,
    ensure,
    async update(def, arg) {
      await ensure();
      try {
        return await send(def, arg);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) {
          // Terminated or never started: start it and ask once more.
          started = undefined;
          await ensure();
          return send(def, arg);
        }
        if (err instanceof WorkflowUpdateFailedError) {
          // The ledger's validator refused the input: a bug in the caller, not a budget decision.
          throw PantheonError.of('invalid_input', `budget ledger refused ${def.name}: ${err.cause?.message ?? err.message}`, { cause: err });
        }
        throw err;
      }
    },
    async snapshot() {
      await ensure();
      return handle.query(budgetQuery);
    },
  };
}
