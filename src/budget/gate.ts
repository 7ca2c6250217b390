import { WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { UpdateDefinition } from '@temporalio/common';
import { PantheonError } from '../errors';
import type { ChatRequest } from '../llm/types';
import {
  BUDGET_LEDGER_ID,
  BUDGET_LEDGER_TYPE,
  budgetQuery,
  closeBreakerUpdate,
  openBreakerUpdate,
  releaseUpdate,
  reserveUpdate,
  setLimitsUpdate,
  setOverrideUpdate,
  settleUpdate,
  type BudgetLedgerInput,
} from '../workflows/budget-ledger-defs';
import { worstCaseOf } from './estimate';
import { LimitsSchema, type Limits } from './limits';
import type { Alert, BreakerState, Denial, FinishResult, Override, Spend } from './ledger-types';
import type { OperatorInput, OverrideInput, ReserveInput } from './messages';
import type { BudgetSnapshot } from './snapshot';
import { TimingStats, type GateOp, type GateTiming, type OpStats } from './timing';

/**
 * The budget gate: how activities talk to the one ledger. It runs in any worker process on any
 * machine; all of them meet in the same ledger workflow, which serialises their updates.
 */

export interface BudgetGateOptions {
  client: Client;
  /** The queue whose workers run the ledger workflow (the task queue: its workers register it). */
  taskQueue: string;
  /** Used only when this gate starts the ledger; a running ledger keeps its own (see setLimits). */
  limits: Limits;
  /** Defaults to {@link BUDGET_LEDGER_ID}; tests use their own. */
  ledgerId?: string;
  ledgerOptions?: BudgetLedgerInput['options'];
  /** Every alert a call raised (breaker trips, exhausted scopes), for logging and the webhook. */
  onAlert?: (alert: Alert) => void;
  /** Every ledger round trip, for benchmarks and metrics. */
  onTiming?: (timing: GateTiming) => void;
}

export interface GrantedReservation {
  id: string;
  /** The worst case held. */
  usd: number;
  tokens: number;
  /** True when the key had been reserved before (a retried update): the same reservation. */
  replayed: boolean;
}

export interface BudgetGate {
  readonly ledgerId: string;
  /** Starts the ledger unless it runs (idempotent; every other call does it on first use). */
  ensureLedger(): Promise<void>;
  /** Reserves the worst case of `request`; throws budget_exceeded, agent_budget_exhausted or breaker_open. */
  reserve(request: ChatRequest, idempotencyKey: string, spawnDepth?: number): Promise<GrantedReservation>;
  /** Reserves an amount computed elsewhere (same denials as {@link reserve}). */
  reserveAmount(input: ReserveInput): Promise<GrantedReservation>;
  settle(reservationId: string, actual: Spend): Promise<FinishResult>;
  release(reservationId: string): Promise<FinishResult>;
  snapshot(): Promise<BudgetSnapshot>;
  stats(): Record<GateOp, OpStats>;
  /** Operator commands; each is audited in the ledger with who and why. */
  closeBreaker(action: OperatorInput): Promise<BreakerState>;
  openBreaker(action: OperatorInput): Promise<BreakerState>;
  setOverride(request: OverrideInput): Promise<Override[]>;
  setLimits(action: OperatorInput & { limits: Limits }): Promise<Limits>;
}

/** A denial as the taxonomy's typed error; details name the scope, its limit and its spend. */
export function denialError(denial: Denial): PantheonError {
  const { type, scope, unit, limit, spent, limitUsd, spentUsd, requestedUsd, retryAtMs, message } = denial;
  return PantheonError.of(type, message, {
    details: { scope, limitUsd, spentUsd, requestedUsd, unit, limit, spent, ...(retryAtMs === undefined ? {} : { retryAtMs }) },
  });
}

export function createBudgetGate(options: BudgetGateOptions): BudgetGate {
  const { client, taskQueue, onAlert, onTiming } = options;
  const limits = LimitsSchema.parse(options.limits);
  const ledgerId = options.ledgerId ?? BUDGET_LEDGER_ID;
  const handle: WorkflowHandle = client.workflow.getHandle(ledgerId);
  const stats = new TimingStats();
  let started: Promise<void> | undefined;

  const ensureLedger = (): Promise<void> => {
    started ??= client.workflow
      .start(BUDGET_LEDGER_TYPE, {
        workflowId: ledgerId,
        taskQueue,
        args: [{ limits, options: options.ledgerOptions } satisfies BudgetLedgerInput],
        // Every worker calls this at first use; the first one starts it, the rest join it.
        workflowIdConflictPolicy: 'USE_EXISTING',
      })
      .then(
        () => undefined,
        (err) => {
          started = undefined;
          throw err;
        },
      );
    return started;
  };

  /** One update; if the ledger is gone (terminated, never started) it is started and asked again. */
  async function update<Ret, Arg>(def: UpdateDefinition<Ret, [Arg]>, arg: Arg, updateId?: string): Promise<Ret> {
    await ensureLedger();
    try {
      return await handle.executeUpdate(def, { args: [arg], updateId });
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) {
        started = undefined;
        await ensureLedger();
        return handle.executeUpdate(def, { args: [arg], updateId });
      }
      if (err instanceof WorkflowUpdateFailedError) {
        // The ledger's validator refused the input: a bug in the caller, not a budget decision.
        throw PantheonError.of('invalid_input', `budget ledger refused ${def.name}: ${err.cause?.message ?? err.message}`, { cause: err });
      }
      throw err;
    }
  }

  async function timed<T>(op: GateOp, body: () => Promise<T>, outcomeOf: (r: T) => GateTiming['outcome']): Promise<T> {
    const t0 = performance.now();
    let outcome: GateTiming['outcome'] = 'error';
    try {
      const result = await body();
      outcome = outcomeOf(result);
      return result;
    } finally {
      const timing = { op, ms: performance.now() - t0, outcome };
      stats.record(timing);
      onTiming?.(timing);
    }
  }

  const report = (alerts: Alert[]) => alerts.forEach((a) => onAlert?.(a));

  async function reserveAmount(input: ReserveInput): Promise<GrantedReservation> {
    // The key is also the update id: Temporal itself dedupes a retried update within a run; the
    // ledger dedupes by key across runs (continue-as-new).
    const result = await timed('reserve', () => update(reserveUpdate, input, `reserve:${input.key}`), (r) => (r.granted ? 'granted' : 'denied'));
    report(result.alerts);
    if (!result.granted) throw denialError(result);
    if (result.status !== 'reserved') {
      // Reusing a key whose call already finished would let a second call through unaccounted.
      throw PantheonError.of('invalid_input', `reservation key "${input.key}" was already ${result.status}; each call needs its own key`, {
        details: { key: input.key, status: result.status },
      });
    }
    return { id: result.reservationId, usd: input.usd, tokens: input.tokens, replayed: result.replayed };
  }

  const finish = (op: 'settle' | 'release', run: () => Promise<FinishResult>) =>
    timed(op, run, (r) => (r.applied ? 'applied' : 'noop')).then((r) => (report(r.alerts), r));

  return {
    ledgerId,
    ensureLedger,
    reserveAmount,
    async reserve(request, idempotencyKey, spawnDepth) {
      if (!request.taskId) {
        throw PantheonError.of('invalid_input', 'an LLM call must name its task (ChatRequest.taskId) to be budgeted', { details: { purpose: request.purpose } });
      }
      const worst = worstCaseOf(request);
      // Calls without a specialist (the router) are attributed to their purpose.
      const agent = request.agent ?? request.purpose;
      return reserveAmount({ key: idempotencyKey, taskId: request.taskId, agent, usd: worst.usd, tokens: worst.tokens, spawnDepth });
    },
    settle: (reservationId, actual) =>
      finish('settle', () => update(settleUpdate, { reservationId, usd: actual.usd, tokens: actual.tokens }, `settle:${reservationId}`)),
    release: (reservationId) => finish('release', () => update(releaseUpdate, { reservationId }, `release:${reservationId}`)),
    async snapshot() {
      await ensureLedger();
      return handle.query(budgetQuery);
    },
    stats: () => ({ reserve: stats.of('reserve'), settle: stats.of('settle'), release: stats.of('release') }),
    closeBreaker: (action) => update(closeBreakerUpdate, action),
    openBreaker: (action) => update(openBreakerUpdate, action),
    setOverride: (request) => update(setOverrideUpdate, request),
    setLimits: (action) => update(setLimitsUpdate, action),
  };
}
