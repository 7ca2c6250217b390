import type { Lane } from '../tasks/task-input';
import type { UnansweredCharges } from './unanswered-text';

/**
 * The budget ledger's state and messages. Everything here is plain JSON: the state is carried
 * through continue-as-new and answered by the `budget` query.
 */

export interface Spend {
  usd: number;
  tokens: number;
}

/** A worst-case amount held for one call until it is settled or released. */
export interface Reservation {
  /** The caller's idempotency key; it is also the reservation id. */
  id: string;
  taskId: string;
  agent: string;
  usd: number;
  tokens: number;
  atMs: number;
  /** The lane that pays for the call; absent: main (and every reservation from before the lanes). */
  lane?: Lane;
  /** Set on a lease only (ledger-lease.ts): room a worker holds for calls it grants itself, until
   * then. Its id is also its taskId (it belongs to no task); an unreturned lease is charged then. */
  untilMs?: number;
}

/** What happened to a reservation that is no longer outstanding (kept a while for idempotency). */
export interface Finished {
  status: 'settled' | 'released' | 'expired';
  atMs: number;
  /** A lease charged at its end (ledger-lease.ts): what it still held and the windows charged, so
   * its holder's return arriving late (the ledger stalled past the lease's end) hands it back. */
  lease?: ExpiredLease;
}

export interface ExpiredLease extends Spend {
  agent: string;
  lane?: 'experimental';
  /** The keys of the hour and day windows it was charged to (a window since rolled over keeps it). */
  hour: string;
  day: string;
}

/**
 * An outstanding reservation a recovery (a successor resuming an ended run, or a restore) charged at
 * its worst case while its caller may still be alive (ledger-recovered.ts): the caller's settle, or
 * a lease's return, corrects the charge to what was spent, at most handing back what was charged.
 * A caller that died never answers, and the charge stands.
 */
export interface RecoveredCharge extends ExpiredLease {
  taskId: string;
  /** A worker's lease: only its return (a release) hands the charge back. */
  lease?: true;
  /** Forgotten then (ledger-advance.ts prune): an answer later than that leaves the charge standing. */
  untilMs: number;
}

/** Settled spend of one calendar window (local hour or day), system-wide and per agent. */
export interface Window {
  key: string;
  system: Spend;
  agents: Record<string, Spend>;
  /** Day window only: settled spend of experimental-lane calls. The main lane's is the rest of
   * `system`, so a window carried from before the lanes counts all its spend as main. */
  experimental?: Spend;
  /** Day window only: what unreturned leases were charged (their holders died); in `system` too,
   * in no task's bill. */
  leasesExpired?: Spend;
  /** Day window only: what was charged to tasks after their bills closed (a stalled worker's late
   * booking, an abandoned activity's call); in `system` and the task's scope too, but in no cost a
   * task reported. */
  chargedAfterClose?: Spend;
}

/** One task's lifetime spend and its recent reserve requests (for the runaway detector). */
export interface TaskScope {
  usd: number;
  tokens: number;
  lastMs: number;
  /** Times of granted reservations in the last minute, oldest first (denials do not count). */
  calls: number[];
  /** The order in which the ledger first saw the task: its place in the admission queue (older
   * tasks go first). Absent in state carried from before the queue; set on the task's next call. */
  seq?: number;
  /** The run of the task's workflow its latest call came from (read from the call's key). */
  run?: string;
  /** When the bill this scope was reopened from was closed (ledger-closed.ts): what is charged to
   * the scope since is missing from the cost the task reported. Absent for a task never closed. */
  billClosedAtMs?: number;
  /** The part of `usd` and `tokens` charged at worst case for calls that got no answer saying
   * what they cost (unanswered-text.ts), and how many: a denial at the task's limit names it.
   * Absent while there is none. */
  unanswered?: UnansweredCharges;
}

/** A bill the ledger closed a moment ago (ledger-closed.ts): answered again to a repeated close. */
export interface ClosedBill {
  usd: number;
  tokens: number;
  atMs: number;
  /** The run of the task's workflow that made the task's last call, if its keys named one. */
  run?: string;
}

/** A task waiting for room in the system windows: one entry of the admission queue. */
export interface Waiter {
  taskId: string;
  /** The task's {@link TaskScope.seq}: the queue's order. */
  seq: number;
  /** What its last denied request needed. */
  usd: number;
  tokens: number;
  /** When it started waiting, and when it last asked (it leaves the queue when it stops asking). */
  sinceMs: number;
  lastMs: number;
  /** The lane its request is paid from (absent: main). */
  lane?: Lane;
}

/** `ledger_lost`: the ledger's last state could not be read; only restore or reset closes it. */
export type BreakerReason = 'system_limit' | 'runaway_calls' | 'spawn_depth' | 'operator' | 'ledger_lost';

/** What a limit counts. */
export type Unit = 'usd' | 'tokens' | 'calls_per_minute' | 'spawn_depth' | 'operator';

/** A limit that was hit: what it counts, the limit, and the spend (or count) when it was hit. */
export interface Measure {
  unit: Unit;
  limit: number;
  spent: number;
}

export interface BreakerState {
  open: boolean;
  reason?: BreakerReason;
  /** The scope whose limit tripped it, e.g. `system:day` or `task:t-9` (runaway), or `operator`. */
  scope?: string;
  measure?: Measure;
  /** USD limit and spend of the tripped scope (of the task, for runaway trips). */
  limitUsd?: number;
  spentUsd?: number;
  sinceMs?: number;
  /** When it closes by itself (the tripped window's end); absent: only an operator closes it. */
  untilMs?: number;
  /** Who opened it and why, when an operator did (absent from breakers opened before 2026-12-06). */
  openedBy?: { who: string; why: string };
}

/** A temporarily raised (or lowered) USD limit for one scope, set by an operator. */
export interface Override {
  scope: string;
  limitUsd: number;
  untilMs: number;
  who: string;
  why: string;
  atMs: number;
}

/** system_budget_full / lane_budget_full: a system window or a lane could not afford a call and tasks are waiting (once per window). */
export type AlertKind =
  | 'breaker_open'
  | 'budget_exceeded'
  | 'agent_budget_exhausted'
  | 'reservation_expired'
  | 'system_budget_full'
  | 'lane_budget_full'
  | 'ledger_recovered'
  | 'ledger_lost'
  | 'reservation_exceeded'
  | 'charged_after_close';

export interface Alert extends Measure {
  seq: number;
  kind: AlertKind;
  /** What tripped, e.g. `system:hour`, `agent:ResearchAgent:day`, `task:t-1`. */
  scope: string;
  /** Why the breaker opened (breaker_open only). */
  reason?: BreakerReason;
  at: number;
  /** The window the alert belongs to: one alert per kind, scope and window. */
  window: string;
  message: string;
}

export interface AuditEntry {
  at: number;
  who: string;
  why: string;
  action: 'closeBreaker' | 'openBreaker' | 'setOverride' | 'setLimits' | 'setExperimentalShare' | 'autoClose' | 'recover' | 'restore' | 'reset' | 'refundLease';
  details: Record<string, unknown>;
}

export interface LedgerState {
  version: 1;
  reservations: Record<string, Reservation>;
  finished: Record<string, Finished>;
  hour: Window;
  day: Window;
  tasks: Record<string, TaskScope>;
  breaker: BreakerState;
  overrides: Override[];
  alerts: Alert[];
  audit: AuditEntry[];
  nextAlertSeq: number;
  lastPruneMs: number;
  /** The admission queue, oldest task first (absent in state carried from before it existed). */
  waiters?: Waiter[];
  /** The last {@link TaskScope.seq} given out. */
  lastTaskSeq?: number;
  /** Bumped by every operator change (limits, overrides, breaker, lane share, restore, reset):
   * a lease taken before it is no longer used for new calls (ledger-lease.ts). */
  leaseEpoch?: number;
  /** Bills closed within `closedRetentionMs`, by task (ledger-closed.ts; absent until the first). */
  closed?: Record<string, ClosedBill>;
  /** The system windows (`system:hour@<window key>`) whose settled spend has opened the breaker
   * (ledger-breaker.ts): once per window, however many alerts come after its own. Only the
   * current hour's and day's are kept. */
  trippedWindows?: string[];
  /** The settled-spend trips a hand-back undid (a late lease return, or a live caller answering a
   * recovery's worst-case charge; ledger-breaker.ts undoRefundedTrip): their
   * alerts no longer stand for their window, which may trip again on real spend. Current windows only. */
  undoneTrips?: string[];
  /** Each system window's settled spend when the breaker last looked (ledger-breaker.ts): spend
   * that has not moved since is not new trouble, whatever the limit is now (an override lapsed,
   * a limit lowered). Current windows only. */
  tripChecked?: { hour?: { key: string; usd: number }; day?: { key: string; usd: number } };
  /** Worst-case charges a recovery made that a live caller may still correct, by reservation id
   * (ledger-recovered.ts). Absent while there is none. */
  recovered?: Record<string, RecoveredCharge>;
}

/** Tunables of the ledger's bookkeeping (not limits: these bound its memory). */
export interface LedgerOptions {
  /** An unsettled reservation older than this is charged in full (its caller died mid-call). */
  reservationTtlMs: number;
  /** How long settled/released ids are remembered, so a retried settle or reserve is a no-op. */
  finishedRetentionMs: number;
  /** A task with no activity for this long is forgotten (its per-task spend resets). */
  taskIdleMs: number;
  /** How long a closed bill is remembered for a repeated close, and how many at most (the
   * oldest go first; see capsClosedAtPrune for when the count is enforced). */
  closedRetentionMs: number;
  maxClosedBills: number;
  /** Whether closed bills are remembered at all. The ledger workflow turns it off for a run whose
   * history began before it, so replaying it answers repeated closes as it did then. */
  rememberCloses: boolean;
  /** Whether `maxClosedBills` is enforced at each prune (every few seconds) rather than at every
   * close, which costs a sort of every remembered id (ledger-closed.ts). Off for a run whose
   * history began before it, as it replays. */
  capsClosedAtPrune: boolean;
  maxAlerts: number;
  maxAudit: number;
  /** A waiter that has not asked again for this long leaves the admission queue. */
  waiterTtlMs: number;
  /** The admission queue's length; younger tasks beyond it wait without holding a place. */
  maxWaiters: number;
  /** Whether the lane scopes (lane:main:day, lane:experimental:day) are enforced. The ledger
   * workflow turns them off for a run whose history began before they existed, so replaying it
   * takes the decisions it took then. */
  lanes: boolean;
  /** Whether a settle above its reservation retires every lease (moves the lease epoch): the
   * room leases were granted in is gone, and a full scope must deny the next call, not a worker's
   * lease. Off for a run whose history began before it, as it replays. */
  overrunRetiresLeases: boolean;
  /** Whether a runaway trip also stops the task that tripped it (budget_exceeded) and counts its
   * minute of calls once: otherwise it waits out the breaker and, closed within the minute, trips
   * it again at its next call. Off for a run whose history began before it, as it replays. */
  runawayStopsTask: boolean;
  /** Whether a settled-spend trip is remembered for its window in the state, not only by its alert
   * (which newer alerts push out of the bounded log, after which the next update opened the
   * breaker again, an operator's close overruled). Off for a run whose history began before it. */
  remembersTrips: boolean;
  /** Whether a lease charged at its end is handed back when its holder's return comes after it (the
   * holder returns a lease only once every call granted under it is booked, each on its own). Off
   * for a run whose history began before it, as it replays. */
  refundsLateLeaseReturns: boolean;
  /** Whether such a hand-back also closes the breaker its charge opened, when the window's settled
   * spend is under its limit again. Off for a run whose history began before it, as it replays. */
  refundUndoesTrip: boolean;
  /** Whether the breaker opens on settled spend only when that spend has grown since it last
   * looked: spend made under an override that has since lapsed (or a limit since lowered) leaves
   * tasks waiting for room, not the breaker open for the rest of the window. Off for a run whose
   * history began before it, as it replays. */
  tripsOnNewSpendOnly: boolean;
  /** Whether the outstanding reservations a recovery (resume, restore) charges at their worst case
   * are corrected when their live callers settle them or return them (leases): the charge comes
   * down to what was spent. Off for a run whose history began before it, as it replays. */
  correctsRecoveredCharges: boolean;
  /** Whether the bounded alert log lets one task's alerts go before the fleet's (breaker,
   * recovery, full windows) when it is over `maxAlerts`: the log also decides whether a trip is new
   * (ledger-breaker.ts), so a run whose history began before it keeps dropping the oldest. */
  keepsFleetAlerts: boolean;
}

export const DEFAULT_LEDGER_OPTIONS: LedgerOptions = {
  reservationTtlMs: 15 * 60_000,
  // Long enough for a client's retried update to find its answer; short enough that 50 calls a
  // second keep the carried state small (see test/unit/budget-state-size.test.ts).
  finishedRetentionMs: 15_000,
  // A task's workflow closes its bill when it ends (closeTask), which forgets it at once; this
  // only bounds tasks that never close (terminated). Past it, the task's own books
  // (ReserveRequest.taskSpent) still hold its limits.
  taskIdleMs: 30 * 60_000,
  // A close repeated after a worker was killed comes once its activity timed out (30 s) and was
  // retried; at 50 calls a second ~12 tasks close a second, so the cap is what binds then (~80 s).
  closedRetentionMs: 10 * 60_000,
  maxClosedBills: 1000,
  rememberCloses: true,
  capsClosedAtPrune: true,
  maxAlerts: 50,
  maxAudit: 100,
  waiterTtlMs: 3 * 60_000,
  maxWaiters: 256,
  lanes: true,
  overrunRetiresLeases: true,
  runawayStopsTask: true,
  remembersTrips: true,
  refundsLateLeaseReturns: true,
  refundUndoesTrip: true,
  tripsOnNewSpendOnly: true,
  correctsRecoveredCharges: true,
  keepsFleetAlerts: true,
};

export interface ReserveRequest {
  /** Idempotency key, e.g. `${taskId}:${activityId}:${attempt}:${call}`; becomes the reservation id. */
  key: string;
  taskId: string;
  agent: string;
  usd: number;
  tokens: number;
  /** How deep in a chain of spawned tasks the caller is (0 for a task a user submitted). */
  spawnDepth?: number;
  rootTaskId?: string;
  parentTaskId?: string;
  /** The task's spend before this call as its own workflow counts it (every call it paid for).
   * The per-task limits use the larger of this and what the ledger remembers. */
  taskSpent?: Spend;
  /** The task's lane; absent: main. */
  lane?: Lane;
  /** This task's reservations whose calls ended and whose settle is on its way (counted in
   * `taskSpent` already, so not counted again at their worst case by the per-task check). */
  settling?: string[];
  /** Reserved ahead of its call (see ledger-ahead.ts): refused quietly unless room is ample. */
  ahead?: true;
  /** Asks for a lease of this amount for this long (ledger-lease.ts): refused quietly unless
   * room is ample. `key` and `taskId` are the lease's id. */
  leaseTtlMs?: number;
  /** The call was granted by the worker under this lease: recorded without checks, its amount
   * moved from the lease to the call's reservation. */
  lease?: string;
}

/** system_budget_full: the system windows cannot afford the call now; lane_budget_full: the task's
 * lane cannot (the other lane's room is not lent). Either way the task waits its turn. */
export type DenialType = 'budget_exceeded' | 'agent_budget_exhausted' | 'breaker_open' | 'system_budget_full' | 'lane_budget_full';

export interface Grant {
  granted: true;
  reservationId: string;
  /** `reserved` normally; a replayed key answers with what became of its reservation. */
  status: 'reserved' | Finished['status'];
  replayed: boolean;
  alerts: Alert[];
  /** A granted lease: until when it holds and the limits its holder checks each call against. */
  lease?: LeaseTerms;
}

/** What a worker holding a lease checks a call against before granting it itself. */
export interface LeaseTerms {
  /** The ledger's clock; the holder stops using the lease well before (it goes by its own clock). */
  untilMs: number;
  /** The {@link LedgerState.leaseEpoch} it was granted in. */
  epoch: number;
  /** The per-task USD limit, the lowest task override included (so an override never lets more through). */
  perTaskUsd: number;
  perTaskTokens: number;
  /** Absent when the circuit breaker's checks are off. */
  maxSpawnDepth?: number;
  maxCallsPerTaskPerMinute?: number;
}

/** Whether leases may be used for new calls, as of one ledger update: sent with every batch answer. */
export interface LeasingStatus {
  ok: boolean;
  epoch: number;
}

export interface Denial extends Measure {
  granted: false;
  type: DenialType;
  scope: string;
  /** USD limit and spend (settled plus outstanding reservations, before this request) of the
   * denied scope; of the task's USD scope when the denied limit counts something else. */
  limitUsd: number;
  spentUsd: number;
  requestedUsd: number;
  /** When the breaker closes by itself, if it does; for system_budget_full and lane_budget_full,
   * when the window rolls over if only that can make room (absent: settling calls can). */
  retryAtMs?: number;
  /** system_budget_full, lane_budget_full: the task's place in the admission queue (1 = next) and its length. */
  position?: number;
  waiting?: number;
  message: string;
  /** Alerts this request raised (new trips), for the caller to log and post. */
  alerts: Alert[];
}

export type ReserveResult = Grant | Denial;

/** The answer to settle and release. Both are idempotent: a repeat is answered, not applied. */
export interface FinishResult {
  reservationId: string;
  /** True when this call changed the ledger; false for a repeat or an id the ledger does not know. */
  applied: boolean;
  /** What the reservation is now. */
  status: Finished['status'] | 'unknown';
  /** Alerts raised on the way (abandoned reservations charged), for the caller to post. */
  alerts: Alert[];
  /** When it ended a call of a task (the ledger workflow's answer): the task as the ledger holds
   * it right after. The gate keeps the latest, so a task's bill can be known without asking
   * (gate.ts closeTask). Absent in answers of ledgers from before it. */
  task?: TaskTally;
}

/** A task as the ledger holds it: what it has charged the task and how many of its calls are still reserved. */
export interface TaskTally {
  usd: number;
  tokens: number;
  /** The task's reservations still outstanding (calls in flight, or whose callers died). */
  pending: number;
}

/** One lane of the day as the runway reads it: its share, that share in USD, and its spend. */
export interface LaneRunway {
  share: number;
  budgetUsd: number;
  /** Settled today. */
  spentUsd: number;
  /** Held by the lane's calls in flight (reserved one by one, or booked from a lease). */
  reservedUsd: number;
  /** Held by workers' leases besides: room they grant calls from, not counted in `reservedUsd`. */
  leasedUsd?: number;
}

/**
 * The day's budget as the God orchestrator reads it from the ledger (plain JSON, an activity's
 * answer): the day's window, its budget (system:day's limit, an override included), what is
 * spent and held, each lane, and whether the breaker is open.
 */
export interface LedgerRunway {
  /** Calendar day in `timezone`, YYYY-MM-DD, and its bounds (23 or 25 hours on DST days). */
  dayKey: string;
  dayStartMs: number;
  dayEndMs: number;
  timezone: string;
  budgetUsd: number;
  spentUsd: number;
  reservedUsd: number;
  breakerOpen: boolean;
  lanes: Record<Lane, LaneRunway>;
  /** When the runway was read (the reader's clock). */
  asOfMs: number;
  /** The per-task limit (`per_task_usd`): the ledger stops a task there, so none costs more.
   * Absent from runways read before it was reported. */
  perTaskUsd?: number;
  /** The current hour of the system's spend (its window's start, and what has settled in it): the
   * burn rate reads the recent pace from it. Absent from runways read before it was reported. */
  hourStartMs?: number;
  hourSpentUsd?: number;
}
