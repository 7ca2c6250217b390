import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { lazySchema } from '../tasks/lazy-schema';
import { LANES } from '../tasks/task-input';
import { LimitsSchema, shareSchema } from './limits';
import type { LedgerState } from './ledger-types';
import { OVERRIDABLE_SCOPE } from './scopes';

/**
 * The ledger's update inputs. The workflow's update validators parse them, so a malformed
 * request is rejected before it enters history; the gate's types come from here too.
 */

const id = (max: number) => z.string().min(1).max(max);
const usd = lazySchema('budget/messages.usd', () =>
  z.number().finite().nonnegative()
);
const tokens = lazySchema('budget/messages.tokens', () =>
  z.number().int().nonnegative()
);

/** The most settling ids one reserve names (a task has one call in flight at a time; a few more after retries). */
export const MAX_SETTLING = 32;

export const ReserveInputSchema = lazySchema('budget/messages.ReserveInputSchema', () =>
  z
    .object({
      key: id(300),
      taskId: id(200),
      agent: id(100),
      usd,
      tokens,
      spawnDepth: z.number().int().nonnegative().optional(),
      /** The caller's lineage: in the ledger's history with the request (the update's input), so
       * spend can be traced to a root task; the ledger itself acts on `spawnDepth` only. */
      rootTaskId: id(200).optional(),
      parentTaskId: id(200).optional(),
      taskSpent: z.object({ usd, tokens }).strict().optional(),
      /** The lane that pays for the call (the task's); absent: main. */
      lane: z.enum(LANES).optional(),
      /** Reservations of this task whose calls ended and whose settle or release the caller has
       * sent but not yet seen answered (settles travel off the call's path). `taskSpent` already
       * counts what they cost, so the per-task check does not count their worst case a second time. */
      settling: z.array(id(300)).max(MAX_SETTLING).optional(),
      /** A reservation made ahead of the call that will use it (the next iteration of a
       * specialist's loop): granted only with ample room everywhere, else refused quietly. */
      ahead: z.literal(true).optional(),
      /** Asks for a lease (ledger-lease.ts): held this long unless returned. `key` and `taskId` are its id. */
      leaseTtlMs: z.number().int().min(1000).max(600_000).optional(),
      /** The caller granted this call under its lease of this id; the ledger books it without checks. */
      lease: id(300).optional(),
    })
    .strict()
    .refine((r) => !(r.lease !== undefined && (r.leaseTtlMs !== undefined || r.ahead)), { message: 'a call under a lease is neither a lease nor reserved ahead', path: ['lease'] })
);

export const SettleInputSchema = lazySchema('budget/messages.SettleInputSchema', () =>
  z
    .object({
      reservationId: id(300),
      usd,
      tokens,
      /** The amount is the worst case held, charged because the call got no answer saying what it
       * cost (a timeout, a reset, an abort...): counted apart in the task's scope, so a denial at
       * the task's limit says how much of its spend is such charges (unanswered-text.ts). */
      unanswered: z.literal(true).optional(),
    })
    .strict()
);

export const ReleaseInputSchema = lazySchema('budget/messages.ReleaseInputSchema', () =>
  z.object({ reservationId: id(300) }).strict()
);

/** The most requests one batched update carries (a batch stays far below payload limits). */
export const MAX_BATCH = 100;

export const ReserveBatchSchema = lazySchema('budget/messages.ReserveBatchSchema', () =>
  z.array(ReserveInputSchema).min(1).max(MAX_BATCH)
);

/** Settles and releases travel together: both end a reservation. */
export const FinishInputSchema = lazySchema('budget/messages.FinishInputSchema', () =>
  z.discriminatedUnion('op', [
    SettleInputSchema.extend({ op: z.literal('settle') }),
    ReleaseInputSchema.extend({ op: z.literal('release') }),
  ])
);
export const FinishBatchSchema = lazySchema('budget/messages.FinishBatchSchema', () =>
  z.array(FinishInputSchema).min(1).max(MAX_BATCH)
);

/** Settles and releases, then closes of ended tasks' bills, then reserves, in one update: ended
 * calls hand their room back before the new ones ask for it, a task's settles reach the ledger
 * before its close, and a settle or a close nobody waits for rides on whatever update goes next. */
export const LedgerBatchSchema = lazySchema('budget/messages.LedgerBatchSchema', () =>
  z
    .object({
      finishes: z.array(FinishInputSchema).max(MAX_BATCH),
      reserves: z.array(ReserveInputSchema).max(MAX_BATCH),
      closes: z.array(CloseTaskInputSchema).max(MAX_BATCH).optional(),
    })
    .strict()
    .refine((b) => b.finishes.length + b.reserves.length + (b.closes?.length ?? 0) > 0, 'a batch carries at least one request')
);

/** Who changed the ledger and why (a function: built inside the lazy schemas that use it). */
const operator = () => ({ who: id(100), why: id(500) });

export const OperatorInputSchema = lazySchema('budget/messages.OperatorInputSchema', () =>
  z.object(operator()).strict()
);

export const OverrideInputSchema = lazySchema('budget/messages.OverrideInputSchema', () =>
  z
    .object({
      ...operator(),
      scope: z.string().max(300).regex(OVERRIDABLE_SCOPE, 'must name a scope: system:hour, system:day, agent:<name>:hour|day or task:<id>'),
      limitUsd: usd,
      untilMs: z.number().int().positive(),
    })
    .strict()
);

export const CloseTaskInputSchema = lazySchema('budget/messages.CloseTaskInputSchema', () =>
  z
    .object({
      taskId: id(200),
      /** Close only if none of the task's calls is still reserved; otherwise answer `pending` and
       * change nothing. The gate asks this way first: a settle another worker sent may still be
       * on its way. Absent: charge what is outstanding at its worst case and close. */
      ifSettled: z.boolean().optional(),
    })
    .strict()
);
export const CloseTaskBatchSchema = lazySchema('budget/messages.CloseTaskBatchSchema', () =>
  z.array(CloseTaskInputSchema).min(1).max(MAX_BATCH)
);

export const SetLimitsInputSchema = lazySchema('budget/messages.SetLimitsInputSchema', () =>
  z
    .object({
      ...operator(),
      limits: LimitsSchema,
      /** The ledger's limits the change was computed over (`pantheon budget limits` lays a file
       * over them): applied only if they still stand, else refused as limits_changed, so a change
       * made meanwhile by someone else is never silently undone. Absent: applied as sent. */
      ifLimits: LimitsSchema.optional(),
    })
    .strict()
);

/** The operator's (or God's, on an operator's behalf) change of the experimental lane's share. */
export const SetExperimentalShareInputSchema = lazySchema('budget/messages.SetExperimentalShareInputSchema', () =>
  z.object({ share: shareSchema, reason: id(500), by: id(100) }).strict()
);

const spend = lazySchema('budget/messages.spend', () =>
  z.object({ usd, tokens: z.number().nonnegative() })
);
// Passthrough like the state: a restored window keeps what it counts beside system and agents.
const window = lazySchema('budget/messages.window', () =>
  z
    .object({ key: z.string(), system: spend, agents: z.record(z.string(), spend), experimental: spend.optional(), leasesExpired: spend.optional(), chargedAfterClose: spend.optional() })
    .passthrough()
);

/**
 * A ledger state an operator hands back (`restore`): the shape is checked where it matters for
 * arithmetic (amounts, windows, reservations); bookkeeping lists pass as they are. Later fields
 * pass through, so a state exported by a newer ledger is not refused for them.
 */
export const LedgerStateSchema = lazySchema('budget/messages.LedgerStateSchema', () =>
  z
    .object({
      version: z.literal(1),
      reservations: z.record(
        z.string(),
        z.object({ id: z.string(), taskId: z.string(), agent: z.string(), usd, tokens: z.number().nonnegative(), atMs: z.number() }).passthrough(),
      ),
      finished: z.record(z.string(), z.object({ status: z.enum(['settled', 'released', 'expired']), atMs: z.number() })),
      hour: window,
      day: window,
      tasks: z.record(z.string(), z.object({ usd, tokens: z.number().nonnegative(), lastMs: z.number(), calls: z.array(z.number()) }).passthrough()),
      // Closed bills are added to a task seen again and pruned by age (ledger-closed.ts).
      closed: z.record(z.string(), z.object({ usd, tokens: z.number().nonnegative(), atMs: z.number(), run: z.string().optional() }).passthrough()).optional(),
      breaker: z.object({ open: z.boolean() }).passthrough(),
      overrides: z.array(z.object({ scope: z.string(), limitUsd: usd, untilMs: z.number() }).passthrough()),
      alerts: z.array(z.object({ seq: z.number() }).passthrough()),
      audit: z.array(z.object({ at: z.number() }).passthrough()),
      nextAlertSeq: z.number().int().positive(),
      lastPruneMs: z.number(),
    })
    .passthrough()
);

/** The ledger state's lists (top level, and each task's `calls`). */
const STATE_LISTS = ['overrides', 'alerts', 'audit', 'waiters', 'trippedWindows', 'undoneTrips'] as const;
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A ledger state with its empty lists as lists: the Temporal CLI prints an empty list as `null`, so
 * a state taken from its `ledgerState` query output and handed back to `restore` has nulls where
 * the ledger keeps `[]`. Anything else is returned as it is.
 */
export function nullListsAsEmpty<T>(state: T): T {
  if (!isRecord(state)) return state;
  const out: Record<string, unknown> = { ...state };
  for (const key of STATE_LISTS) if (out[key] === null) out[key] = [];
  if (isRecord(out.tasks)) {
    out.tasks = Object.fromEntries(Object.entries(out.tasks).map(([id, task]) => [id, isRecord(task) && task.calls === null ? { ...task, calls: [] } : task]));
  }
  return out as T;
}

/**
 * A restore whose `state` is the `ledgerState` query's whole answer, as the Temporal CLI prints it
 * (`{limits, state, options?}`): its state is the inner one, and its limits the restore's unless
 * the input gives its own. Anything else is returned as it is.
 */
export function unwrapCarriedLedger<T>(input: T): T {
  if (!isRecord(input) || !isRecord(input.state)) return input;
  const carried = input.state;
  if (!isRecord(carried.state) || !isRecord(carried.limits) || 'version' in carried) return input;
  return { ...input, state: carried.state, limits: input.limits ?? carried.limits } as T;
}

export const RestoreInputSchema = lazySchema('budget/messages.RestoreInputSchema', () =>
  z.preprocess(unwrapCarriedLedger, z.object({ ...operator(), state: z.preprocess(nullListsAsEmpty, LedgerStateSchema), limits: LimitsSchema.optional() }).strict())
);

export type ReserveInput = z.infer<typeof ReserveInputSchema>;
export type SettleInput = z.infer<typeof SettleInputSchema>;
export type ReleaseInput = z.infer<typeof ReleaseInputSchema>;
export type FinishInput = z.infer<typeof FinishInputSchema>;
export type LedgerBatchInput = z.infer<typeof LedgerBatchSchema>;
export type OperatorInput = z.infer<typeof OperatorInputSchema>;
export type OverrideInput = z.infer<typeof OverrideInputSchema>;
export type SetLimitsInput = z.infer<typeof SetLimitsInputSchema>;
export type CloseTaskInput = z.infer<typeof CloseTaskInputSchema>;
export type SetExperimentalShareInput = z.infer<typeof SetExperimentalShareInputSchema>;
/** The state is checked by {@link LedgerStateSchema} at the ledger's door; inside it is the ledger's own type. */
export type RestoreInput = OperatorInput & { state: LedgerState; limits?: z.infer<typeof LimitsSchema> };

/**
 * An operator's input as the Temporal CLI may send it: `reason` for `why` and `by` for `who`, the
 * names `pantheon budget` also takes. Returns the input itself when it uses neither, so a history
 * recorded before replays with the same objects; a name given both ways with different values is
 * left for the validator to refuse (operatorValidatorOf).
 */
export function operatorAliases<T>(input: T): T {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
  const record = input as Record<string, unknown>;
  if (!('reason' in record) && !('by' in record)) return input;
  const out: Record<string, unknown> = { ...record };
  for (const [alias, name] of [['reason', 'why'], ['by', 'who']] as const) {
    if (!(alias in out)) continue;
    if (out[name] === undefined || out[name] === out[alias]) {
      out[name] = out[alias];
      delete out[alias];
    }
  }
  return out as T;
}

/** validatorOf for an operator's change, taking `reason` and `by` (operatorAliases). */
export function operatorValidatorOf<T>(schema: z.ZodType<T>): (input: unknown) => void {
  return (input) => {
    const named = operatorAliases(input) as Record<string, unknown> | null;
    for (const [alias, name] of [['reason', 'why'], ['by', 'who']] as const) {
      if (named && typeof named === 'object' && alias in named) refuseInput(`invalid input at ${alias}: ${name} is given too, with another value: give one of them`);
    }
    validatorOf(schema)(named);
  };
}

/** A validator for Temporal: throws (rejecting the update) with the first issue, by path. */
export function validatorOf<T>(schema: z.ZodType<T>): (input: unknown) => void {
  return (input) => {
    const parsed = schema.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      refuseInput(`invalid input${issue.path.length ? ` at ${issue.path.join('.')}` : ''}: ${issue.message}`);
    }
  };
}

/** An update's refusal, typed as the error module's `invalid_input` and marked final: the
 * Temporal CLI prints its type and "retryable: false" (a plain Error read "type: Error,
 * retryable: true", though sending the same input again cannot help). */
export function refuseInput(message: string): never {
  throw ApplicationFailure.create({ type: 'invalid_input', message, nonRetryable: true });
}
