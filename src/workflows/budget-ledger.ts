import { ApplicationFailure, allHandlersFinished, condition, continueAsNew, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import { z } from 'zod';
import { lazySchema } from '../tasks/lazy-schema';
import { LimitsSchema, type Limits } from '../budget/limits';
import { changedSinceRead } from '../budget/limits-patch';
import { initialLedgerState, release, reserve, settle, tallyOf } from '../budget/ledger';
import { isLease } from '../budget/ledger-lease';
import { DEFAULT_LEDGER_OPTIONS, type FinishResult, type LedgerOptions, type LedgerState } from '../budget/ledger-types';
import {
  FinishBatchSchema,
  LedgerBatchSchema,
  OperatorInputSchema,
  CloseTaskBatchSchema,
  CloseTaskInputSchema,
  OverrideInputSchema,
  ReleaseInputSchema,
  RestoreInputSchema,
  nullListsAsEmpty,
  unwrapCarriedLedger,
  ReserveBatchSchema,
  ReserveInputSchema,
  SetExperimentalShareInputSchema,
  SetLimitsInputSchema,
  SettleInputSchema,
  refuseInput,
  validatorOf,
  operatorAliases,
  operatorValidatorOf,
  type CloseTaskInput,
  type FinishInput,
  type LedgerBatchInput,
  type ReserveInput,
  type SetLimitsInput,
} from '../budget/messages';
import { bumpLeaseEpoch, leasingStatus } from '../budget/ledger-lease';
import { closeBreaker, openBreaker, recordLimitsChange, setExperimentalShare, setOverride } from '../budget/operator';
import { closeTask } from '../budget/ledger-close';
import { keepWindowsAcrossTimezone } from '../budget/ledger-advance';
import { lostState, resetState, restoreState, resumeState } from '../budget/ledger-recovery';
import { budgetSnapshot, laneSnapshots } from '../budget/snapshot';
import {
  budgetQuery,
  closeBreakerUpdate,
  closeTaskBatchUpdate,
  closeTaskUpdate,
  ledgerStateQuery,
  resetUpdate,
  restoreUpdate,
  finishBatchUpdate,
  ledgerBatchUpdate,
  openBreakerUpdate,
  releaseUpdate,
  reserveBatchUpdate,
  reserveUpdate,
  setExperimentalShareUpdate,
  setLimitsUpdate,
  setOverrideUpdate,
  settleUpdate,
  type BudgetLedgerInput,
} from '../budget/ledger-defs';

export * from '../budget/ledger-defs';

/**
 * Updates per run before continue-as-new. A run's whole history is replayed whenever its worker
 * lost it from cache (a restart, a workflow task failed by an update racing continue-as-new), and
 * that replay must fit the workflow task timeout (10 s): 1000 updates made ~4,100 events that took
 * 6 s to replay on an idle 2-core machine and 15-17 s on a loaded one, so the ledger timed out
 * on every attempt and stopped answering. 250 keeps a run near 1,100 events.
 */
const CONTINUE_AS_NEW_AFTER = 250;
/** Before the shorter runs: runs that began without this marker keep continuing after 1000. */
const LEGACY_CONTINUE_AS_NEW_AFTER = 1000;
export const SHORTER_RUNS_PATCH = 'budget-ledger-shorter-runs';

/** Lane scopes enforced: a run whose history began before them replays (and keeps running) without. */
export const LANES_PATCH = 'budget-ledger-lanes';

/** Closed bills remembered for a repeated close (ledger-closed.ts): a run whose history began
 * before replays (and keeps running) answering a repeated close with an empty bill, as it did. */
export const REMEMBERED_CLOSES_PATCH = 'budget-ledger-remembers-closes';

/** A settle above its reservation retires every lease (ledger-overrun.ts): a run whose history
 * began before replays (and keeps running) with its leases granting on, as it did. */
export const OVERRUN_RETIRES_LEASES_PATCH = 'budget-ledger-overrun-retires-leases';

/** A runaway trip stops the task that tripped it (ledger-checks.ts): a run whose history began
 * before replays (and keeps running) with the task waiting out the breaker, as it did. */
export const RUNAWAY_STOPS_TASK_PATCH = 'budget-ledger-runaway-stops-task';

/** A settled-spend trip remembered for its window in the state (ledger-breaker.ts): a run whose
 * history began before replays (and keeps running) knowing it by its alert only, as it did. */
export const REMEMBERS_TRIPS_PATCH = 'budget-ledger-remembers-trips';

/** A lease charged at its end is handed back when its holder's return comes after it
 * (ledger-lease.ts refundExpiredLease): a run whose history began before replays (and keeps
 * running) leaving such a lease charged, as it did. */
export const REFUNDS_LATE_LEASES_PATCH = 'budget-ledger-refunds-late-leases';

/** Such a hand-back closes the breaker its charge opened when the window is under its limit again
 * (ledger-breaker.ts undoRefundedTrip): a run whose history began before replays (and keeps
 * running) leaving it open until the window ends, as it did. */
export const REFUND_UNDOES_TRIP_PATCH = 'budget-ledger-refund-undoes-trip';

/** The outstanding reservations a recovery (resume, restore) charges at their worst case are
 * corrected when their live callers settle them or return them (ledger-recovered.ts): a run whose
 * history began before replays (and keeps running) leaving those charges standing, as it did. */
export const CORRECTS_RECOVERED_CHARGES_PATCH = 'budget-ledger-corrects-recovered-charges';

/** The bounded alert log lets one task's alerts go before the fleet's (ledger-log.ts trimAlerts):
 * the log decides whether a trip is new, so a run whose history began before replays (and keeps
 * running) dropping the oldest alerts, as it did. */
export const KEEPS_FLEET_ALERTS_PATCH = 'budget-ledger-keeps-fleet-alerts';

/** The breaker opens on settled spend only when it has grown since it last looked
 * (ledger-breaker.ts): a run whose history began before replays (and keeps running) tripping on
 * spend an override allowed once it lapses, as it did. */
export const TRIPS_ON_NEW_SPEND_PATCH = 'budget-ledger-trips-on-new-spend';

/** The cap on remembered closed bills is enforced at each prune, not at every close
 * (ledger-closed.ts): a run whose history began before replays (and keeps running) enforcing it at
 * every close, as it did. */
export const CAPS_CLOSED_AT_PRUNE_PATCH = 'budget-ledger-caps-closed-at-prune';

/** Limits that name another timezone keep the current hour's and day's spend (ledger-advance.ts
 * keepWindowsAcrossTimezone): before, the new zone's keys read as a new day, and its spend was
 * dropped. Asked only when a change names another timezone (histories from before dropped it). */
export const TIMEZONE_KEEPS_WINDOWS_PATCH = 'budget-ledger-timezone-keeps-windows';
/**
 * A restore keeps the restored state's audit and alerts beside the current ledger's (it kept the
 * current's alone). Asked at a restore only: the alerts log decides whether a trip is new.
 */
export const RESTORE_KEEPS_RECORD_PATCH = 'budget-ledger-restore-keeps-record';

const InputSchema = lazySchema('workflows/budget-ledger.InputSchema', () =>
  z.object({
    limits: LimitsSchema,
    state: z.object({ version: z.literal(1) }).passthrough().optional(),
    options: z
      .object({
        reservationTtlMs: z.number().int().positive(),
        finishedRetentionMs: z.number().int().positive(),
        taskIdleMs: z.number().int().positive(),
        maxAlerts: z.number().int().positive(),
        maxAudit: z.number().int().positive(),
        continueAsNewAfterUpdates: z.number().int().positive(),
      })
      .partial()
      .strict()
      .optional(),
    succeeds: z
      .object({
        from: z.object({ runId: z.string(), status: z.string() }).optional(),
        lost: z.string().max(2000).optional(),
      })
      .strict()
      .optional(),
  })
);

/**
 * The one budget authority of a namespace: an entity workflow holding the ledger state. Every
 * reserve, settle and operator action is an update, so they are serialised by the workflow
 * (no two workers can both spend the last dollar) and recorded in its history (durable across
 * worker restarts). Handlers are synchronous: an update runs start to end in one activation.
 */
export async function budgetLedger(input: BudgetLedgerInput): Promise<void> {
  const parsed = InputSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw ApplicationFailure.nonRetryable(`budget ledger input ${issue.path.join('.')}: ${issue.message}`, 'config_invalid');
  }
  let limits: Limits = parsed.data.limits;
  // Decided once, before any handler: one run never switches rules halfway through its history.
  const options: LedgerOptions = { ...DEFAULT_LEDGER_OPTIONS, ...parsed.data.options, lanes: patched(LANES_PATCH), rememberCloses: patched(REMEMBERED_CLOSES_PATCH), capsClosedAtPrune: patched(CAPS_CLOSED_AT_PRUNE_PATCH), overrunRetiresLeases: patched(OVERRUN_RETIRES_LEASES_PATCH), runawayStopsTask: patched(RUNAWAY_STOPS_TASK_PATCH), remembersTrips: patched(REMEMBERS_TRIPS_PATCH), refundsLateLeaseReturns: patched(REFUNDS_LATE_LEASES_PATCH), refundUndoesTrip: patched(REFUND_UNDOES_TRIP_PATCH), tripsOnNewSpendOnly: patched(TRIPS_ON_NEW_SPEND_PATCH), correctsRecoveredCharges: patched(CORRECTS_RECOVERED_CHARGES_PATCH), keepsFleetAlerts: patched(KEEPS_FLEET_ALERTS_PATCH) };
  const continueAfter = parsed.data.options?.continueAsNewAfterUpdates ?? (patched(SHORTER_RUNS_PATCH) ? CONTINUE_AS_NEW_AFTER : LEGACY_CONTINUE_AS_NEW_AFTER);
  // Date.now() in a workflow is the activation's recorded time: deterministic on replay.
  let state: LedgerState = (input.state as LedgerState | undefined) ?? initialLedgerState(Date.now(), limits);
  const succeeds = parsed.data.succeeds;
  if (succeeds?.lost !== undefined) state = lostState(Date.now(), limits, succeeds.from, succeeds.lost, options).state;
  else if (succeeds?.from && input.state) state = resumeState(state, succeeds.from, Date.now(), options).state;
  // A successor charged its predecessor's leases: their holders must take new ones.
  if (succeeds) bumpLeaseEpoch(state);
  let updates = 0;
  const counted = <A, R>(handler: (arg: A) => R) => (arg: A): R => {
    updates++;
    return handler(arg);
  };

  /** Ends a call; the answer tells its caller the task as the ledger now holds it (tallyOf), so
   * the task's last caller may know its bill without asking again (gate.ts closeTask). */
  const finishOne = (item: FinishInput): FinishResult => {
    const held = state.reservations[item.reservationId];
    const result =
      item.op === 'settle'
        ? settle(state, item.reservationId, { usd: item.usd, tokens: item.tokens, ...(item.unanswered && { unanswered: item.unanswered }) }, Date.now(), limits, options).result
        : release(state, item.reservationId, Date.now(), limits, options).result;
    const task = held && result.applied && !isLease(held) ? tallyOf(state, held.taskId) : undefined;
    return task ? { ...result, task } : result;
  };
  const closeOne = ({ taskId, ifSettled }: CloseTaskInput) => closeTask(state, taskId, Date.now(), limits, options, ifSettled).result;

  setHandler(reserveUpdate, counted((req) => reserve(state, req, Date.now(), limits, options).result), { validator: validatorOf(ReserveInputSchema) });
  setHandler(
    settleUpdate,
    counted(({ reservationId, usd, tokens, unanswered }) => settle(state, reservationId, { usd, tokens, ...(unanswered && { unanswered }) }, Date.now(), limits, options).result),
    { validator: validatorOf(SettleInputSchema) },
  );
  setHandler(releaseUpdate, counted(({ reservationId }) => release(state, reservationId, Date.now(), limits, options).result), {
    validator: validatorOf(ReleaseInputSchema),
  });
  setHandler(reserveBatchUpdate, counted((reqs: ReserveInput[]) => reqs.map((req) => reserve(state, req, Date.now(), limits, options).result)), {
    validator: validatorOf(ReserveBatchSchema),
  });
  setHandler(
    finishBatchUpdate,
    counted((items: FinishInput[]) => items.map((item) => finishOne(item))),
    { validator: validatorOf(FinishBatchSchema) },
  );
  setHandler(
    ledgerBatchUpdate,
    counted(({ finishes, reserves, closes }: LedgerBatchInput) => ({
      finishes: finishes.map((item) => finishOne(item)),
      // After the settles (a task's settles in the batch count in its bill), before the reserves.
      ...(closes && closes.length > 0 && { closes: closes.map(closeOne) }),
      reserves: reserves.map((req) => reserve(state, req, Date.now(), limits, options).result),
      // Every answer tells lease holders whether they may go on granting calls themselves.
      leasing: leasingStatus(state),
      unansweredSettles: true as const,
    })),
    { validator: validatorOf(LedgerBatchSchema) },
  );
  setHandler(closeTaskUpdate, counted(closeOne), {
    validator: validatorOf(CloseTaskInputSchema),
  });
  setHandler(closeTaskBatchUpdate, counted((items: CloseTaskInput[]) => items.map(closeOne)), {
    validator: validatorOf(CloseTaskBatchSchema),
  });
  // An operator's change ends the leases granted before it (ledger-lease.ts): their holders stop using them.
  const operatorChange = <A, R>(handler: (arg: A) => R) =>
    counted((arg: A): R => {
      bumpLeaseEpoch(state);
      return handler(arg);
    });
  setHandler(closeBreakerUpdate, operatorChange((action) => closeBreaker(state, operatorAliases(action), Date.now(), options).breaker), {
    validator: (action) => {
      operatorValidatorOf(OperatorInputSchema)(action);
      // Closing would spend against books that may be empty; the operator must decide what they hold.
      if (state.breaker.reason === 'ledger_lost') refuseInput('the ledger lost its state: run `pantheon budget restore` or `pantheon budget reset`, not close');
    },
  });
  setHandler(openBreakerUpdate, operatorChange((action) => openBreaker(state, operatorAliases(action), Date.now(), options).breaker), {
    validator: operatorValidatorOf(OperatorInputSchema),
  });
  setHandler(setOverrideUpdate, operatorChange((request) => setOverride(state, operatorAliases(request), Date.now(), options).overrides), {
    // An override that has already ended would replace the scope's live one and then lapse: refused
    // (validators run only when an update arrives, never on replay, so workflow time is safe here).
    validator: (input) => {
      operatorValidatorOf(OverrideInputSchema)(input);
      const { untilMs } = input as { untilMs: number };
      if (untilMs <= Date.now()) refuseInput(`invalid input at untilMs: ${new Date(untilMs).toISOString()} has passed (the ledger's time is ${new Date(Date.now()).toISOString()})`);
    },
  });
  /** A change computed over limits that no longer stand is refused (compare-and-set), by its
   * validator on arrival and again by its handler: two changes validated in the same workflow task
   * would both pass the first check. */
  const refuseIfChanged = ({ ifLimits }: Pick<SetLimitsInput, 'ifLimits'>) => {
    const changed = ifLimits && changedSinceRead(LimitsSchema.parse(ifLimits), limits);
    if (changed) {
      throw ApplicationFailure.create({
        type: 'limits_changed',
        message: `the ledger's limits changed after they were read (${changed}): read them again and apply the change over them`,
        nonRetryable: true,
      });
    }
  };
  const applyLimits = operatorChange((input: SetLimitsInput) => {
    const { ifLimits: _read, ...change } = operatorAliases(input);
    state = recordLimitsChange(state, change, limits, Date.now(), options);
    // Parsed, not taken as sent: limits from a client older than a field get its default.
    const next = LimitsSchema.parse(change.limits);
    if (next.timezone !== limits.timezone && patched(TIMEZONE_KEEPS_WINDOWS_PATCH)) keepWindowsAcrossTimezone(state, Date.now(), next.timezone);
    limits = next;
    return limits;
  });
  setHandler(
    setLimitsUpdate,
    (change) => {
      refuseIfChanged(change);
      return applyLimits(change);
    },
    {
      validator: (input) => {
        operatorValidatorOf(SetLimitsInputSchema)(input);
        refuseIfChanged(input as SetLimitsInput);
      },
    },
  );
  setHandler(
    setExperimentalShareUpdate,
    operatorChange((change) => {
      limits = setExperimentalShare(state, change, limits, Date.now(), options);
      return laneSnapshots(state, Date.now(), limits);
    }),
    // Its input names `reason` and `by` itself (God sends it as it came): no who/why aliases here.
    { validator: validatorOf(SetExperimentalShareInputSchema) },
  );
  setHandler(
    restoreUpdate,
    counted((input) => {
      // The query's whole answer may come as the state (the Temporal CLI recipe): its inner state and limits.
      const { who, why, state: restored, limits: restoredLimits } = operatorAliases(unwrapCarriedLedger(input));
      state = restoreState(state, nullListsAsEmpty(restored) as LedgerState, { who, why }, Date.now(), options, patched(RESTORE_KEEPS_RECORD_PATCH));
      bumpLeaseEpoch(state);
      if (restoredLimits) limits = LimitsSchema.parse(restoredLimits);
      return budgetSnapshot(state, Date.now(), limits);
    }),
    { validator: operatorValidatorOf(RestoreInputSchema) },
  );
  setHandler(
    resetUpdate,
    counted((input) => {
      state = resetState(state, operatorAliases(input), Date.now(), limits, options);
      bumpLeaseEpoch(state);
      return budgetSnapshot(state, Date.now(), limits);
    }),
    { validator: operatorValidatorOf(OperatorInputSchema) },
  );
  setHandler(budgetQuery, () => budgetSnapshot(state, Date.now(), limits));
  setHandler(ledgerStateQuery, () => ({ limits, state, options: parsed.data.options }));

  // Bounded history (invariant 5): hand the state to a fresh run once this one has grown.
  await condition(() => updates >= continueAfter || workflowInfo().continueAsNewSuggested);
  await condition(allHandlersFinished);
  await continueAsNew<typeof budgetLedger>({ limits, state, options: parsed.data.options });
}
