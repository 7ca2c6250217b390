import type { Client } from '@temporalio/client';
import type { z } from 'zod';
import { PantheonError } from '../errors';
import { retriedAttempt } from './call-key';
import type { ChatRequest } from '../llm/types';
import {
  closeBreakerUpdate,
  closeTaskBatchUpdate,
  ledgerBatchUpdate,
  openBreakerUpdate,
  setExperimentalShareUpdate,
  setLimitsUpdate,
  setOverrideUpdate,
  type BudgetLedgerInput,
} from './ledger-defs';
import { Batcher, PairBatcher, Slots } from './batcher';
import { createLeaseClient } from './gate-lease-client';
import { LEASE_FRESH_MS } from './gate-leases';
import { AHEAD_IDLE_MS, AHEAD_SUFFIX, aheadAmount, covers, nextCallKey } from './ahead';
import { worstCaseOf } from './estimate';
import { createLedgerClient } from './ledger-client';
import { LANDING_PATIENCE_MS, untilLanded } from './until-landed';
import { LimitsSchema, type Limits } from './limits';
import type { Alert, BreakerState, Denial, FinishResult, Override, ReserveResult, Spend, TaskTally } from './ledger-types';
import { EPSILON_USD } from './ledger-breaker';
import {
  CloseTaskInputSchema,
  FinishInputSchema,
  MAX_BATCH,
  MAX_SETTLING,
  ReserveInputSchema,
  SetExperimentalShareInputSchema,
  type CloseTaskInput,
  type FinishInput,
  type OperatorInput,
  type OverrideInput,
  type ReserveInput,
  type SetExperimentalShareInput,
} from './messages';
import type { Lane } from './lanes';
import type { TaskBill } from './ledger-close';
import type { BudgetSnapshot, LaneSnapshot } from './snapshot';
import { TimingStats, type GateOp, type GateTiming, type OpStats } from './timing';
import { recordBreaker, recordLedgerRoundTrip } from '../metrics/record';

/**
 * The budget gate: how activities talk to the one ledger. Any number of worker processes on any
 * number of machines each hold one; they all meet in the ledger workflow, which serialises them.
 */

export interface BudgetGateOptions {
  client: Client;
  /** The queue whose workers run the ledger workflow (the task queue: its workers register it). */
  taskQueue: string;
  /** Used only when this gate starts the ledger; a running ledger keeps its own (see setLimits). */
  limits: Limits;
  /** Defaults to BUDGET_LEDGER_ID; tests use their own. */
  ledgerId?: string;
  ledgerOptions?: BudgetLedgerInput['options'];
  /** Ledger updates this process keeps in flight (default LEDGER_UPDATES_IN_FLIGHT); requests
   * arriving meanwhile are batched. The server admits 10 per workflow across all processes by
   * default (beyond that it refuses and the client backs off for seconds), so keep processes ×
   * maxInFlight ≤ 10. */
  maxInFlight?: number;
  /** Every alert a call raised (breaker trips, exhausted scopes), for logging and the webhook. */
  onAlert?: (alert: Alert) => void;
  /** Every ledger round trip (queueing included), for benchmarks and metrics. */
  onTiming?: (timing: GateTiming) => void;
  /** Reserve a specialist loop's next call while the current one runs (see ahead.ts). Off by
   * default: it took the reserve off the loop's path in `npm run bench` but slowed the whole
   * pipeline (every activity, not only the loop's) for reasons not yet understood. */
  reserveAhead?: boolean;
  /** Grant calls from leases this gate holds, without a round trip per call (gate-leases.ts,
   * ledger-lease.ts). Off by default here; workers turn it on (PANTHEON_BUDGET_LEASES). */
  leases?: boolean;
  /** How long the ledger holds a lease unless returned (default 30 s; the holder uses the first half). */
  leaseTtlMs?: number;
  /** How long closing a task's bill waits for settles other processes sent and the ledger has
   * not seen yet (default 3000 ms), before it charges what is still reserved at its worst case. */
  closeGraceMs?: number;
  /** How long a settle nobody waits for may wait for a reserve to share a ledger update with
   * (default SETTLE_LINGER_MS; 0: every settle leaves at once). */
  settleLingerMs?: number;
  /** How long a settle, release or lease booking the server did not answer is sent again
   * (default LANDING_PATIENCE_MS; until-landed.ts). */
  landingPatienceMs?: number;
  /** Each such request sent again (a log line: the server or the ledger does not answer). */
  onResend?: (err: unknown, attempt: number) => void;
}

/** Long enough for a busy worker's next reserve or lease booking to come by (tens of ms at 20
 * tasks in flight), short beside the seconds an LLM call takes: the worst case it holds in the
 * ledger meanwhile is held ~0.1 s longer, and a settle costs no ledger update of its own. */
export const SETTLE_LINGER_MS = 100;

/**
 * One update in flight per process: whatever arrives meanwhile rides in the next one. With four,
 * most requests left alone and the ledger applied ~30 % more updates for the same calls (each a
 * workflow task and history events on the one ledger), for no lower latency: measured with
 * `npm run bench:ledger` and `npm run bench` (README, Budgets and limits). It also lets ten worker
 * processes share the server's 10 in-flight updates per workflow instead of two.
 */
export const LEDGER_UPDATES_IN_FLIGHT = 1;

/** Round trips per operation as callers saw them, and how many ledger updates carried them. */
export interface GateStats extends Record<GateOp, OpStats> {
  ledgerUpdates: number;
  /** Calls granted from a lease (no round trip), of `reserve.count`. */
  leased: number;
  /** Leases the ledger granted this gate. */
  leasesTaken: number;
}

export interface GrantedReservation {
  id: string;
  /** The worst case held. */
  usd: number;
  tokens: number;
  /** True when the key had been reserved before (a retried call): the same reservation. */
  replayed: boolean;
}

export interface BudgetGate {
  readonly ledgerId: string;
  /** Starts the ledger unless it runs (idempotent; every other call does it on first use). */
  ensureLedger(): Promise<void>;
  /** Reserves the worst case of `request` against every scope, its lane's included; throws
   * budget_exceeded, agent_budget_exhausted, breaker_open, system_budget_full or lane_budget_full. */
  reserve(request: ChatRequest, idempotencyKey: string): Promise<GrantedReservation>;
  /** Reserves an amount computed elsewhere (same denials as {@link reserve}). */
  reserveAmount(input: ReserveInput): Promise<GrantedReservation>;
  /**
   * Ends a reservation with what the call cost. The answer comes when the ledger applied it, but
   * a caller need not wait for it: until then this gate names the reservation as settling on
   * its task's next reserve (the ledger does not count it twice against the task's limit), and
   * {@link closeTask} and {@link flush} wait for it. Meanwhile the ledger holds the worst case.
   * `linger`: nobody waits for the answer, so the settle may wait up to `settleLingerMs` to ride
   * in the same ledger update as this process's next reserve (anything that waits for it first
   * sends it at once). `actual.unanswered`: the amount is the worst case held, charged because
   * the call got no answer saying what it cost (the ledger counts such charges apart).
   */
  settle(reservationId: string, actual: Spend & { unanswered?: true }, linger?: boolean): Promise<FinishResult>;
  /** Ends a reservation whose call was proven unbilled; waited for like {@link settle}. */
  release(reservationId: string): Promise<FinishResult>;
  /** Waits until every settle and release this gate was given has reached the ledger (or failed). */
  flush(): Promise<void>;
  snapshot(): Promise<BudgetSnapshot>;
  stats(): GateStats;
  /** Operator commands; each is audited in the ledger with who and why. */
  closeBreaker(action: OperatorInput): Promise<BreakerState>;
  openBreaker(action: OperatorInput): Promise<BreakerState>;
  setOverride(request: OverrideInput): Promise<Override[]>;
  setLimits(action: OperatorInput & { limits: Limits }): Promise<Limits>;
  /** Changes the experimental lane's share of the day at once (audited with `by` and `reason`);
   * answers both lanes as they now stand. An out-of-range share is refused naming the field. */
  setExperimentalShare(change: SetExperimentalShareInput): Promise<Record<Lane, LaneSnapshot>>;
  /**
   * A task has ended: its lifetime bill from the ledger (which then forgets it). With `books` (the
   * task's own count of its spend) the bill may be known without a round trip: when the ledger's
   * answer to this gate's last settle of the task held at least the books and none of its calls
   * still reserved, that answer is the bill, and the close rides to the ledger on the next update
   * ({@link flush} waits for it). `run`: the run of the task's workflow that closes (its id is the
   * task's); a bill the ledger remembers closing for another run is not answered to it.
   */
  closeTask(taskId: string, books?: Spend, run?: string): Promise<TaskBill>;
}

/** A denial as the taxonomy's typed error; details name the scope, its limit and its spend. */
export function denialError(denial: Denial): PantheonError {
  const { type, scope, unit, limit, spent, limitUsd, spentUsd, requestedUsd, retryAtMs, position, waiting, message } = denial;
  return PantheonError.of(type, message, {
    details: {
      scope,
      limitUsd,
      spentUsd,
      requestedUsd,
      unit,
      limit,
      spent,
      ...(retryAtMs === undefined ? {} : { retryAtMs }),
      ...(position === undefined ? {} : { position, waiting }),
    },
  });
}

/** A reservation asked for ahead of its call, and whether the ledger granted it. */
interface Ahead {
  id: string;
  taskId: string;
  held: Spend;
  granted: Promise<boolean>;
  /** Set when the call before it ended: the ahead reservation is handed back if not taken by then. */
  timer?: ReturnType<typeof setTimeout>;
}

/** A call key without its last part: `${workflowId}:${runId}:${activityId}:${attempt}` (call-key.ts). */
const attemptOf = (key: string) => key.slice(0, Math.max(0, key.lastIndexOf(':')));

const DEFAULT_CLOSE_GRACE_MS = 3000;
/** Tasks whose latest tally this gate keeps (the oldest go first: tasks another process closed). */
const MAX_TALLIES = 10_000;
/** How often a close asks again while another process's settle is on its way. */
const CLOSE_POLL_MS = 100;

/** Settles and releases name an op; a close of a task's bill does not. */
const isFinish = (x: FinishInput | CloseTaskInput): x is FinishInput => 'op' in x;

/** A settle without its `unanswered` mark, for a ledger that does not take it (the charge stands). */
function unmarked(f: FinishInput): FinishInput {
  if (f.op !== 'settle' || f.unanswered === undefined) return f;
  const { unanswered: _, ...rest } = f;
  return rest;
}

/** Checks an input here, so one malformed request fails alone instead of its whole batch. */
function checked<T>(schema: z.ZodType<T>, input: unknown): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw PantheonError.of('invalid_input', `budget request invalid at ${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`);
}

/** Bad limits stop the worker at startup rather than failing the ledger workflow later. */
function checkedLimits(limits: Limits): Limits {
  const parsed = LimitsSchema.safeParse(limits);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const key = issue.path.map(String).join('.');
  throw PantheonError.of('config_invalid', `budget limits: ${key}: ${issue.message}`, { details: { key } });
}

export function createBudgetGate(options: BudgetGateOptions): BudgetGate {
  const { onAlert, onTiming } = options;
  const ledger = createLedgerClient({ ...options, limits: checkedLimits(options.limits) });
  const slots = new Slots(options.maxInFlight ?? LEDGER_UPDATES_IN_FLIGHT);
  const closeGraceMs = options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS;
  const reserveAhead = options.reserveAhead ?? false;
  /** When the latest ledger update left (its answer is as fresh as this for the leases). */
  let lastSentAt = -Infinity;
  /** Settles go marked `unanswered` once the ledger's answers have shown it takes the mark (a
   * ledger worker older than that refuses it, and the batch with it, in a rolling upgrade). Every
   * call is granted after some answer, so its settle finds this known. */
  let unansweredRides = false;
  // Settles and reserves travel together, settles applied first: they hand budget back to the
  // reserves behind them, and a settle nobody waits for costs no update of its own.
  // Closes of ended tasks' bills travel with the settles, applied after them: a close that
  // nobody waits for costs no update of its own either.
  const ops = new PairBatcher<FinishInput | CloseTaskInput, FinishResult | TaskBill, ReserveInput, ReserveResult>(
    async (firsts, reserves) => {
      const sentAt = performance.now();
      lastSentAt = sentAt;
      const finishes = firsts.filter(isFinish).map((f) => (unansweredRides ? f : unmarked(f)));
      const closes = firsts.filter((f): f is CloseTaskInput => !isFinish(f));
      const result = await ledger.update(ledgerBatchUpdate, { finishes, reserves, ...(closes.length > 0 && { closes }) });
      if (result.unansweredSettles) unansweredRides = true;
      if (result.leasing) {
        leases?.confirm(result.leasing, sentAt);
        // Leases stand only while the breaker is closed: said so, it is closed as this worker last heard
        // (calls granted from leases ask nothing else, so the gauge would otherwise wait for an exact reserve).
        if (result.leasing.ok) recordBreaker(false);
      }
      const bills = result.closes ?? [];
      let [f, c] = [0, 0];
      return { first: firsts.map((x) => (isFinish(x) ? result.finishes[f++] : bills[c++])), second: result.reserves };
    },
    slots,
    MAX_BATCH,
    options.settleLingerMs ?? SETTLE_LINGER_MS,
  );
  // What must land is sent again while the server does not answer (an outage of seconds to minutes).
  const landingPatienceMs = options.landingPatienceMs ?? LANDING_PATIENCE_MS;
  const landed = <T>(send: (again: boolean) => Promise<T>): Promise<T> => {
    let again = false;
    return untilLanded(() => send(again), landingPatienceMs, (err, attempt) => {
      again = true;
      options.onResend?.(err, attempt);
    });
  };
  // A first's answer is of its own kind (the send above keeps each in its request's place). Sent
  // again, a settle no longer lingers.
  const submitFinish = (input: FinishInput, linger = false) => landed((again) => ops.submitFirst(input, linger && !again) as Promise<FinishResult>);
  // Leases (gate-lease-client.ts): their requests ride in the same batches as everything else. A
  // booking (a call granted from a lease) must land too: unbooked, the lease is charged in full.
  const submitLeaseReserve = (input: ReserveInput) => ops.submitSecond(checked(ReserveInputSchema, input));
  const leases = options.leases
    ? createLeaseClient({
        reserve: (input) => (input.lease !== undefined ? landed(() => submitLeaseReserve(input)) : submitLeaseReserve(input)),
        finish: (input) => submitFinish(checked(FinishInputSchema, input)),
        report: (a) => report(a),
        ttlMs: options.leaseTtlMs,
      })
    : undefined;
  // Tasks end in bursts (a batch cancelled, a cap reached): closes share the same few slots. They
  // ride in the settles' updates once the ledger has shown it takes them there (its answers
  // carry tasks' tallies): a ledger worker from before would refuse the whole batch.
  const closes = new Batcher<CloseTaskInput, TaskBill>((batch) => ledger.update(closeTaskBatchUpdate, batch), slots, MAX_BATCH);
  let closesRide = false;
  const submitClose = (input: CloseTaskInput, linger = false): Promise<TaskBill> =>
    closesRide ? (ops.submitFirst(input, linger) as Promise<TaskBill>) : closes.submit(input);
  /** Per task, the ledger's tally in its latest answer to a settle or release this gate sent. */
  const tallies = new Map<string, TaskTally>();
  const rememberTally = (taskId: string, tally: TaskTally) => {
    closesRide = true;
    suspect.delete(taskId);
    tallies.delete(taskId);
    tallies.set(taskId, tally);
    if (tallies.size > MAX_TALLIES) tallies.delete(tallies.keys().next().value!);
  };
  /** Tasks this gate has had a call of, and those whose first call here came with spend made
   * elsewhere: until a tally of such a task is heard, its calls ask the ledger (both bounded like
   * the tallies; a task dropped from them asks the ledger once more, the safe side). */
  const seen = new Set<string>();
  const suspect = new Set<string>();
  const remember = (set: Set<string>, taskId: string) => {
    set.add(taskId);
    if (set.size > MAX_TALLIES) set.delete(set.values().next().value!);
  };
  /** A call's request with the task's books raised to the ledger's last tally of it, when that is more. */
  const withTally = <T extends { taskId: string; taskSpent?: { usd: number; tokens: number } }>(raw: T): T => {
    const tally = tallies.get(raw.taskId);
    if (!tally || !raw.taskSpent || (tally.usd <= raw.taskSpent.usd && tally.tokens <= raw.taskSpent.tokens)) return raw;
    return { ...raw, taskSpent: { usd: Math.max(raw.taskSpent.usd, tally.usd), tokens: Math.max(raw.taskSpent.tokens, tally.tokens) } };
  };
  /** Closes sent in the background (their bill was known here); {@link flush} waits for them. */
  const backgroundCloses = new Set<Promise<unknown>>();
  const stats = new TimingStats();
  /** Reservations granted here, by id: their task (settles name only the reservation). */
  const taskOf = new Map<string, string>();
  /** Settles and releases sent and not yet answered, by task, then by reservation id. */
  const settling = new Map<string, Map<string, Promise<unknown>>>();
  /** Tasks whose bill is being closed: their settles leave at once. */
  const closing = new Set<string>();
  const settled = (taskId: string, which: (id: string) => boolean = () => true) =>
    Promise.allSettled([...(settling.get(taskId)?.entries() ?? [])].filter(([id]) => which(id)).map(([, done]) => done));
  /**
   * The task's settles still on their way that the caller's own count already holds: those of
   * calls made earlier by the same activity attempt (their keys share its prefix, and an activity
   * adds each call's cost to the taskSpent of its next). A settle from another attempt or activity
   * is waited for instead (it left when its call ended, so the wait is short or nothing): the
   * caller's count may not hold it yet.
   */
  async function settlingFor(taskId: string, key: string): Promise<string[]> {
    const attempt = attemptOf(key);
    const others = (id: string) => attemptOf(id) !== attempt;
    // Waiting for them sends them at once (the reserve could not carry them: it leaves after).
    // With none to wait for, lingering settles and closes ride in the reserve's own update.
    if ([...(settling.get(taskId)?.keys() ?? [])].some(others)) {
      ops.flush();
      await settled(taskId, others);
    }
    return [...(settling.get(taskId)?.keys() ?? [])].filter((id) => attemptOf(id) === attempt).slice(-MAX_SETTLING);
  }
  const report = (alerts: Alert[]) =>
    alerts.forEach((a) => {
      if (a.kind === 'breaker_open') recordBreaker(true);
      onAlert?.(a);
    });

  function record(timing: GateTiming): void {
    stats.record(timing);
    recordLedgerRoundTrip(timing);
    onTiming?.(timing);
  }

  async function timed<T>(op: GateOp, body: () => Promise<T>, outcomeOf: (r: T) => GateTiming['outcome'], background = false): Promise<T> {
    const t0 = performance.now();
    let outcome: GateTiming['outcome'] = 'error';
    try {
      const result = await body();
      outcome = outcomeOf(result);
      return result;
    } finally {
      record({ op, ms: performance.now() - t0, outcome, ...(background ? { background } : {}) });
    }
  }

  /** Outstanding ahead reservations, by the key of the call they are for. */
  const aheads = new Map<string, Ahead>();
  /** The call key whose ahead reservation waits for the call that holds this reservation id to end. */
  const aheadAfter = new Map<string, string>();

  async function prepared(raw: ReserveInput): Promise<ReserveInput> {
    const pending = raw.settling ?? (typeof raw.taskId === 'string' && typeof raw.key === 'string' ? await settlingFor(raw.taskId, raw.key) : []);
    return checked(ReserveInputSchema, pending.length > 0 ? { ...raw, settling: pending } : raw);
  }

  async function reserveAmount(raw: ReserveInput): Promise<GrantedReservation> {
    return reservePrepared(await prepared(raw));
  }

  async function reservePrepared(input: ReserveInput): Promise<GrantedReservation> {
    const result = await timed('reserve', () => ops.submitSecond(input), (r) => (r.granted ? 'granted' : 'denied'));
    report(result.alerts);
    // What this worker last heard from the ledger: a grant means the breaker let it through.
    if (result.granted || result.type === 'breaker_open') recordBreaker(!result.granted);
    if (!result.granted) throw denialError(result);
    if (result.status !== 'reserved') {
      // Reusing a key whose call already finished would let a second call through unaccounted.
      throw PantheonError.of('invalid_input', `reservation key "${input.key}" was already ${result.status}; each call needs its own key`, {
        details: { key: input.key, status: result.status },
      });
    }
    taskOf.set(result.reservationId, input.taskId);
    leases?.granted(input);
    return { id: result.reservationId, usd: input.usd, tokens: input.tokens, replayed: result.replayed };
  }

  /**
   * Asks, off the call's path, for the reservation of the call after `input` (whose reservation
   * is `heldId`). Counted against the task as if this call cost its worst case: its own
   * reservation is named settling and its worst case added to the task's books, so the ledger
   * counts it once whichever update it sees first.
   */
  function reserveAheadOf(input: ReserveInput, heldId: string): void {
    const next = nextCallKey(input.key);
    if (next === undefined || aheads.has(next)) return;
    const amount = aheadAmount(input);
    const spent = input.taskSpent ?? { usd: 0, tokens: 0 };
    const request = checked(ReserveInputSchema, {
      ...input,
      key: `${next}${AHEAD_SUFFIX}`,
      ...amount,
      taskSpent: { usd: spent.usd + input.usd, tokens: spent.tokens + input.tokens },
      settling: [...(input.settling ?? []), heldId].slice(-MAX_SETTLING),
      ahead: true,
    });
    const granted = ops.submitSecond(request).then(
      (r) => {
        report(r.alerts);
        if (!r.granted || r.status !== 'reserved') return false;
        taskOf.set(r.reservationId, input.taskId);
        return true;
      },
      () => false,
    );
    aheads.set(next, { id: request.key, taskId: input.taskId, held: amount, granted });
    aheadAfter.set(heldId, next);
  }

  /** Hands an unused ahead reservation back (tracked like a settle, so a close waits for it). */
  function dropAhead(key: string): void {
    const ahead = aheads.get(key);
    if (!ahead) return;
    aheads.delete(key);
    clearTimeout(ahead.timer);
    track(
      ahead.taskId,
      ahead.id,
      ahead.granted.then((ok) => (ok ? finish({ op: 'release', reservationId: ahead.id }) : undefined)),
    );
  }

  /** A call's reservation: the one reserved ahead for it if that covers its worst case, else a round trip. */
  async function reserveCall(input: ReserveInput, specialistLoop: boolean): Promise<GrantedReservation> {
    const ahead = aheads.get(input.key);
    let granted: GrantedReservation | undefined;
    if (ahead) {
      aheads.delete(input.key);
      clearTimeout(ahead.timer);
      const t0 = performance.now();
      const ok = await ahead.granted;
      if (ok && covers(ahead.held, input)) {
        granted = { id: ahead.id, usd: input.usd, tokens: input.tokens, replayed: false };
        // The caller's wait for its reservation: usually none, the ledger answered during the previous call.
        record({ op: 'reserve', ms: performance.now() - t0, outcome: 'granted' });
      } else if (ok) {
        track(ahead.taskId, ahead.id, finish({ op: 'release', reservationId: ahead.id }));
      }
    }
    granted ??= await reservePrepared(input);
    if (specialistLoop && reserveAhead) reserveAheadOf(input, granted.id);
    return granted;
  }

  function track(taskId: string, id: string, promise: Promise<unknown>): void {
    const mine = settling.get(taskId) ?? new Map<string, Promise<unknown>>();
    settling.set(taskId, mine);
    const done = promise
      .catch(() => undefined)
      .finally(() => {
        if (mine.get(id) === done) mine.delete(id);
        if (mine.size === 0 && settling.get(taskId) === mine) settling.delete(taskId);
      });
    mine.set(id, done);
  }

  function finish(raw: FinishInput, linger = false): Promise<FinishResult> {
    const input = checked(FinishInputSchema, raw);
    const taskId = taskOf.get(input.reservationId);
    taskOf.delete(input.reservationId);
    // The call that held this reservation ended: the next one takes its ahead reservation at once, or never.
    const next = aheadAfter.get(input.reservationId);
    if (next !== undefined) {
      aheadAfter.delete(input.reservationId);
      const ahead = aheads.get(next);
      if (ahead) {
        ahead.timer = setTimeout(() => dropAhead(next), AHEAD_IDLE_MS);
        ahead.timer.unref?.();
      }
    }
    // A call granted under a lease ends only after its booking: a settle arriving first would find no reservation.
    // A settle that leaves after its booking while its task's bill is being closed must not linger.
    const mayLinger = () => linger && !(taskId !== undefined && closing.has(taskId));
    const sent = timed(input.op, async () => (await leases?.booked(input.reservationId), submitFinish(input, mayLinger())), (r) => (r.applied ? 'applied' : 'noop'), true)
      .then((result) => {
        report(result.alerts);
        if (taskId !== undefined && result.task) rememberTally(taskId, result.task);
        return result;
      })
      .finally(() => leases?.ended(input.reservationId));
    if (taskId !== undefined) track(taskId, input.reservationId, sent);
    return sent;
  }

  /** Closes the bill once the ledger has every settle of the task this process or another sent;
   * past the grace, what is still reserved belongs to a caller that died and is charged. */
  async function closeTask(taskId: string, books?: Spend, run?: string): Promise<TaskBill> {
    for (const [key, ahead] of aheads) if (ahead.taskId === taskId) dropAhead(key);
    leases?.forget(taskId);
    closing.add(taskId);
    try {
      ops.flush();
      await settled(taskId);
    } finally {
      closing.delete(taskId);
    }
    const tally = tallies.get(taskId);
    tallies.delete(taskId);
    seen.delete(taskId);
    suspect.delete(taskId);
    // The ledger's answer to the task's last settle already is the bill when it holds exactly
    // what the task counts and none of its calls is still reserved (a call of another process in
    // flight, or one whose caller died, keeps it open). Books the tally does not cover mean
    // another process settled later calls; a tally above the books holds charges the books miss
    // (calls that failed, charged at their worst case) and may be an old answer from before the
    // task's later calls, settled elsewhere, that it no longer covers: ask, in both cases.
    if (books && tally && tally.pending === 0 && Math.abs(tally.usd - books.usd) <= EPSILON_USD && tally.tokens === books.tokens) {
      // Nobody waits for it: a close that fails only leaves the task in the ledger until it has
      // been idle for taskIdleMs (its bill is already answered, its spend already counted).
      const sent = closeWithGrace(taskId, true).catch(() => undefined);
      backgroundCloses.add(sent);
      void sent.finally(() => backgroundCloses.delete(sent));
      return { taskId, usd: tally.usd, tokens: tally.tokens, known: true, chargedOutstanding: 0, alerts: [] };
    }
    return ofThisRun(await closeWithGrace(taskId), run);
  }

  /**
   * A bill the ledger remembered from a close of another run of the same workflow id is not this
   * run's: the id was used again for a new task that ended before any call of its own reached
   * the ledger (cancelled early, say), which must not report the earlier task's spend. Its own
   * books stand; the earlier bill stays remembered for its own run's repeated close.
   */
  function ofThisRun(bill: TaskBill, run: string | undefined): TaskBill {
    if (!bill.repeated || run === undefined || bill.run === undefined || bill.run === run) return bill;
    return { taskId: bill.taskId, usd: 0, tokens: 0, known: false, chargedOutstanding: 0, alerts: bill.alerts };
  }

  /** Closes the bill in the ledger; past the grace, what is still reserved belongs to a caller
   * that died and is charged. `linger`: nobody waits, it may ride on the next update. */
  async function closeWithGrace(taskId: string, linger = false): Promise<TaskBill> {
    const deadline = performance.now() + closeGraceMs;
    for (;;) {
      const ifSettled = performance.now() < deadline;
      const bill = await submitClose(checked(CloseTaskInputSchema, ifSettled ? { taskId, ifSettled } : { taskId }), linger);
      report(bill.alerts);
      if (!bill.pending) return bill;
      await new Promise((resolve) => setTimeout(resolve, CLOSE_POLL_MS));
    }
  }

  /**
   * A call that finds no lease to grant it only for want of an answer on its way waits for that
   * answer, then tries the lease again, instead of reserving behind it (an exact reserve waits for
   * the update in flight, then for a round trip of its own): the lease asked for its agent (the
   * first calls of a phase, a lease run short), or, when the ledger's last word is stale (calls
   * that come back together after a quiet second), the update in flight, which confirms leases
   * stand or not. Whatever the answer, a call not granted then reserves as usual.
   */
  async function leasedOnceAnswered(raw: ReserveInput): Promise<boolean> {
    const call = withTally(raw);
    const inFlight = ops.answerInFlight();
    // An update sent too long ago would answer with a word already stale.
    const confirming = inFlight && performance.now() - lastSentAt <= LEASE_FRESH_MS && leases!.grantableWhenConfirmed(call) ? inFlight : undefined;
    const answer = leases!.leaseAnswer(call) ?? confirming;
    if (!answer) return false;
    await answer;
    return leases!.grant(withTally(raw));
  }

  return {
    ledgerId: ledger.ledgerId,
    ensureLedger: ledger.ensure,
    reserveAmount,
    async reserve(request, idempotencyKey) {
      if (!request.taskId) {
        throw PantheonError.of('invalid_input', 'an LLM call must name its task (ChatRequest.taskId) to be budgeted', { details: { purpose: request.purpose } });
      }
      const t0 = performance.now();
      const worst = worstCaseOf(request);
      // Calls without a specialist (the router) are attributed to their purpose.
      const agent = request.agent ?? request.purpose;
      const lineage = request.lineage;
      const raw = {
        key: idempotencyKey,
        taskId: request.taskId,
        agent,
        usd: worst.usd,
        tokens: worst.tokens,
        spawnDepth: lineage?.spawnDepth,
        ...(request.taskSpent ? { taskSpent: request.taskSpent } : {}),
        ...(request.lane ? { lane: request.lane } : {}),
        ...(lineage ? { rootTaskId: lineage.rootTaskId, ...(lineage.parentTaskId ? { parentTaskId: lineage.parentTaskId } : {}) } : {}),
      };
      // Checked once, on the way to the ledger (the booking, or the reserve below). A lease holds
      // the task to its books, which miss calls that failed and were charged at their worst case;
      // the ledger's last tally of the task, heard here, has them (raw goes to the ledger as is).
      // With no tally of the task here, the ledger is asked by a retried attempt's calls, and by
      // the calls of a task whose first call here came with spend on its books (its run was handed
      // on from another worker, or its activity runs where the last did not): calls made elsewhere
      // may have been charged at their worst case, which its books miss and this gate cannot know.
      // (A tally heard earlier counts: one from before the task left and came back may be behind.)
      if (!seen.has(raw.taskId)) {
        remember(seen, raw.taskId);
        const spentBefore = !!raw.taskSpent && (raw.taskSpent.usd > 0 || raw.taskSpent.tokens > 0);
        if (spentBefore && !tallies.has(raw.taskId)) remember(suspect, raw.taskId);
      }
      const askLedger = !tallies.has(raw.taskId) && (retriedAttempt(raw.key) || suspect.has(raw.taskId));
      if (!askLedger && leases && (leases.grant(withTally(raw)) || (await leasedOnceAnswered(raw)))) {
        // No round trip of its own: the caller's wait is this call's bookkeeping, at most an answer already on its way.
        taskOf.set(raw.key, raw.taskId);
        record({ op: 'reserve', ms: performance.now() - t0, outcome: 'granted' });
        return { id: raw.key, usd: raw.usd, tokens: raw.tokens, replayed: false };
      }
      const input = await prepared(raw);
      // A specialist's loop calls again right after each answer: its next reservation is asked for meanwhile.
      return reserveCall(input, request.purpose === 'specialist');
    },
    settle: (reservationId, actual, linger) =>
      finish({ op: 'settle', reservationId, usd: actual.usd, tokens: actual.tokens, ...(actual.unanswered && { unanswered: true as const }) }, linger),
    release: (reservationId) => finish({ op: 'release', reservationId }),
    snapshot: ledger.snapshot,
    flush: async () => {
      for (const key of [...aheads.keys()]) dropAhead(key);
      const returned = leases?.flush();
      ops.flush();
      await Promise.allSettled([...settling.values()].flatMap((m) => [...m.values()]));
      await Promise.allSettled([...backgroundCloses]);
      await returned;
    },
    stats: () => ({ reserve: stats.of('reserve'), settle: stats.of('settle'), release: stats.of('release'), ledgerUpdates: ops.sent + closes.sent, ...(leases?.stats() ?? { leased: 0, leasesTaken: 0 }) }),
    closeBreaker: (action) => ledger.update(closeBreakerUpdate, action),
    openBreaker: (action) => ledger.update(openBreakerUpdate, action),
    setOverride: (request) => ledger.update(setOverrideUpdate, request),
    setLimits: (action) => ledger.update(setLimitsUpdate, action),
    // Checked here too, so a bad share is refused without a round trip (the ledger checks again).
    setExperimentalShare: async (change) => ledger.update(setExperimentalShareUpdate, checked(SetExperimentalShareInputSchema, change)),
    closeTask,
  };
}
