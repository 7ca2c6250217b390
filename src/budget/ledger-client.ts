import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { WorkflowNotFoundError, type UpdateDefinition } from '@temporalio/common';
import { PantheonError } from '../errors';
import { BUDGET_LEDGER_ID, BUDGET_LEDGER_TYPE, budgetQuery, ledgerStateQuery, type BudgetLedgerInput, type CarriedLedger } from './ledger-defs';
import type { PredecessorRun } from './ledger-recovery';
import type { Alert } from './ledger-types';
import type { Limits } from './limits';
import { LedgerStateSchema } from './messages';
import type { BudgetSnapshot } from './snapshot';

/** The connection to the ledger workflow: start or succeed it if needed, send updates, ask the query. */
export interface LedgerClient {
  readonly ledgerId: string;
  /** Makes sure a ledger run is open: starts the first one, or the successor of one that ended. */
  ensure(): Promise<void>;
  update<Ret, Arg>(def: UpdateDefinition<Ret, [Arg]>, arg: Arg): Promise<Ret>;
  snapshot(): Promise<BudgetSnapshot>;
}

export interface LedgerClientOptions {
  client: Client;
  taskQueue: string;
  /** Used only to start the first ledger of a namespace; every later run keeps the ledger's own. */
  limits: Limits;
  ledgerId?: string;
  ledgerOptions?: BudgetLedgerInput['options'];
  /** A successor was started (resumed, or locked because the last state could not be read). */
  onAlert?: (alert: Alert) => void;
  /** How long reading an ended run's state may take before the attempt is given up for now. */
  readTimeoutMs?: number;
}

const DEFAULT_READ_TIMEOUT_MS = 15_000;

/** gRPC codes that mean "nobody answered yet" rather than "this state cannot be read". */
const NO_ANSWER_CODES = new Set([4 /* DEADLINE_EXCEEDED */, 14 /* UNAVAILABLE */, 1 /* CANCELLED */]);

function grpcCode(err: unknown): number | undefined {
  for (let e: unknown = err; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number') return code;
  }
  return undefined;
}

/** The ended run's carried state, checked; a string says why it cannot be used. */
function usable(carried: CarriedLedger | undefined): CarriedLedger | string {
  if (!carried || typeof carried !== 'object') return 'its ledgerState query answered nothing';
  const parsed = LedgerStateSchema.safeParse(carried.state);
  if (!parsed.success) return `its state is malformed at ${parsed.error.issues[0].path.join('.')}: ${parsed.error.issues[0].message}`;
  return carried;
}

export function createLedgerClient(options: LedgerClientOptions): LedgerClient {
  const { client, taskQueue, limits, ledgerId = BUDGET_LEDGER_ID, ledgerOptions, onAlert } = options;
  const readTimeoutMs = options.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
  const handle = client.workflow.getHandle(ledgerId);
  let ensured: Promise<void> | undefined;

  const start = (input: BudgetLedgerInput) =>
    client.workflow.start(BUDGET_LEDGER_TYPE, {
      workflowId: ledgerId,
      taskQueue,
      args: [input],
      // Every worker may notice at once: the first start wins, the rest join the run it opened.
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    });

  const alert = (kind: Alert['kind'], message: string, window: string) =>
    onAlert?.({ seq: 0, kind, scope: 'ledger', unit: kind === 'ledger_lost' ? 'operator' : 'usd', limit: 0, spent: 0, at: Date.now(), window, message });

  /** Reads what the ended run carried. Throws ledger_unavailable when no worker answers yet. */
  async function readCarried(from: PredecessorRun): Promise<CarriedLedger | string> {
    try {
      const carried = await client.withDeadline(Date.now() + readTimeoutMs, () => client.workflow.getHandle(ledgerId, from.runId).query(ledgerStateQuery));
      return usable(carried);
    } catch (err) {
      const code = grpcCode(err);
      if (code !== undefined && NO_ANSWER_CODES.has(code)) {
        // Reading an ended run replays it on a worker of the ledger's queue; none answered.
        throw PantheonError.of('ledger_unavailable', `budget ledger run ${from.runId} ended ${from.status} and no worker on "${taskQueue}" answered for its state yet`, {
          cause: err,
          details: { ledgerId, runId: from.runId },
        });
      }
      return err instanceof Error ? err.message : String(err);
    }
  }

  /** Opens the successor of a run that ended without continue-as-new. */
  async function succeed(from: PredecessorRun): Promise<void> {
    const carried = await readCarried(from);
    // Reading replays the ended run and can take seconds: meanwhile another worker may have opened
    // a successor, and that one may have ended too. Only the newest run's state is the books; a
    // successor of an older one would forget everything charged since.
    const latest = await handle.describe();
    if (latest.runId !== from.runId) {
      if (latest.status.name !== 'RUNNING') await succeed({ runId: latest.runId, status: latest.status.name });
      return;
    }
    if (typeof carried === 'string') {
      await start({ limits, succeeds: { from, lost: carried } });
      alert('ledger_lost', `budget ledger run ${from.runId} ended ${from.status} and its state cannot be read (${carried}); every LLM call is refused until an operator runs pantheon budget restore or reset`, from.runId);
      return;
    }
    await start({ limits: carried.limits, state: carried.state, options: carried.options, succeeds: { from } });
    alert('ledger_recovered', `budget ledger run ${from.runId} ended ${from.status}; a successor resumed its state (outstanding reservations charged at their worst case until their live callers settle or return them)`, from.runId);
  }

  async function establish(): Promise<void> {
    let description;
    try {
      description = await handle.describe();
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      // No run at all: the namespace's first ledger, with this worker's limits.
      await start({ limits, options: ledgerOptions });
      return;
    }
    if (description.status.name === 'RUNNING') return;
    await succeed({ runId: description.runId, status: description.status.name });
  }

  const ensure = (): Promise<void> => {
    ensured ??= establish().catch((err: unknown) => {
      ensured = undefined;
      throw err;
    });
    return ensured;
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
          // The run ended (terminated, failed) since: open its successor and ask once more.
          ensured = undefined;
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
