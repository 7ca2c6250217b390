import type { Lane } from './lanes';
import { EPSILON_USD } from './ledger-breaker';
import type { LeaseTerms, LeasingStatus, Spend } from './ledger-types';

/**
 * Leases, the worker's side: the book of leases one gate holds, and the local decision whether a
 * call may be granted from one without asking the ledger (see ledger-lease.ts for the ledger's
 * side). No I/O; the clock is injected so tests drive it.
 *
 * A call is granted locally only when all of these hold, else it reserves as usual (where every
 * denial, wait, alert and breaker trip happens):
 * - the ledger confirmed within {@link LEASE_FRESH_MS} that leases stand (breaker closed, nobody
 *   waiting, no operator change since the lease was granted);
 * - the lease is within its first half (the ledger charges it at its end) and still holds the
 *   call's worst case;
 * - the task's own books (ChatRequest.taskSpent) plus its calls this gate has in flight leave the
 *   call within {@link LEASE_TASK_SHARE} of the per-task limits (the ledger may know spend the
 *   task's books miss, such as a killed attempt's calls: a task near its limit goes the exact way);
 * - spawn depth within max_spawn_depth, and the task's calls this minute one short of the
 *   runaway bound.
 */

/** How long a lease holds in the ledger; its holder uses it for the first half only. */
export const LEASE_TTL_MS = 30_000;
/** A lease is asked for this many times the worst case of the call that wanted it. */
export const LEASE_CALLS = 16;
/** Leases are used only this long after the ledger last said they stand (its answers confirm
 * them): an operator's breaker or limits change reaches lease grants within this. Under load
 * answers come every few tens of milliseconds; a worker that calls seldom asks the ledger per call.
 * Not longer: a task whose call outlasts this asks the ledger for its next one, so a breaker opened
 * meanwhile stops it (2 s was tried: calls in waves a second apart were leased, but such a task's
 * next call went through an open breaker). */
export const LEASE_FRESH_MS = 500;
/** The share of a task's limits its calls may reach through leases; past it, each call asks the ledger. */
export const LEASE_TASK_SHARE = 0.5;
/** After the ledger refused a lease for an agent and lane, how long before asking again. */
export const LEASE_RETRY_MS = 5_000;

const MINUTE = 60_000;

export interface HeldLease {
  id: string;
  agent: string;
  lane: Lane;
  /** What is left to grant from. */
  usd: number;
  tokens: number;
  /** What it was granted with (a top-up is asked for below half of it). */
  size: Spend;
  /** Local clock: it is used for new calls until then (half its time in the ledger). */
  useUntil: number;
  terms: LeaseTerms;
  /** Reports of calls granted from it that the ledger has not answered yet: it is returned only after them. */
  pending: Set<Promise<unknown>>;
  /** A report was lost: never returned (the ledger charges it at its end, failing closed). */
  lost: boolean;
  /** The ledger answered with another epoch since it was granted (an operator's change): it grants
   * nothing more, even should the epoch read the same again later; it is still handed back. */
  retired?: true;
}

/** What the book needs of a call. */
export interface LeaseCall {
  key: string;
  taskId: string;
  agent: string;
  lane: Lane;
  usd: number;
  tokens: number;
  spawnDepth?: number;
  taskSpent?: Spend;
}

export class LeaseBook {
  private readonly leases = new Map<string, HeldLease[]>();
  private status: LeasingStatus | undefined;
  private confirmedAt = -Infinity;
  private readonly refusedAt = new Map<string, number>();
  private readonly taking = new Set<string>();
  /** Calls granted by this gate (either way) whose end the ledger has not acknowledged: their worst case, by id. */
  private readonly open = new Map<string, { taskId: string } & Spend>();
  /** Times of calls granted by this gate in the last minute, by task. */
  private readonly calls = new Map<string, number[]>();
  private callsSweptAt = -Infinity;

  constructor(
    /** How long the ledger holds a lease (its holder uses the first half). */
    readonly ttlMs = LEASE_TTL_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** A ledger answer to an update sent at `sentAt`. */
  confirm(status: LeasingStatus, sentAt: number): void {
    if (sentAt < this.confirmedAt) return;
    this.status = status;
    this.confirmedAt = sentAt;
    for (const held of this.leases.values()) for (const lease of held) if (lease.terms.epoch !== status.epoch) lease.retired = true;
  }

  /** The lease to grant this call from, its amount already taken off; undefined: reserve as usual. */
  grant(call: LeaseCall): HeldLease | undefined {
    if (!this.fresh()) return undefined;
    const lease = this.fitting(call);
    if (!lease) return undefined;
    lease.usd -= call.usd;
    lease.tokens -= call.tokens;
    return lease;
  }

  /**
   * Whether the call would be granted but for the ledger's last word being too old: an answer to
   * an update already in flight would let it through without an exact reserve of its own (calls
   * that come back together after a quiet second find the word stale, and all but the first can
   * wait for the answer the first one's update brings).
   */
  grantableWhenConfirmed(call: LeaseCall): boolean {
    return !this.fresh() && this.fitting(call) !== undefined;
  }

  /** Whether a lease should be asked for now for this agent and lane (none held holds half a lease, none asked for). */
  wantsLease(agent: string, lane: Lane): boolean {
    const scope = scopeOf(agent, lane);
    if (this.taking.has(scope) || this.now() - (this.refusedAt.get(scope) ?? -Infinity) < LEASE_RETRY_MS) return false;
    if (this.status && !this.status.ok) return false;
    // A stale word from the ledger is no reason for another lease: the next answer refreshes it.
    return !this.held(agent, lane).some((l) => l.usd >= l.size.usd / 2 && l.tokens >= l.size.tokens / 2);
  }

  asking(agent: string, lane: Lane): void {
    this.taking.add(scopeOf(agent, lane));
  }

  /** The ledger's answer to a lease request sent at `sentAt`: the lease, or undefined when refused. */
  answered(agent: string, lane: Lane, sentAt: number, granted?: { id: string; size: Spend; terms: LeaseTerms }): HeldLease | undefined {
    const scope = scopeOf(agent, lane);
    this.taking.delete(scope);
    if (!granted) {
      this.refusedAt.set(scope, this.now());
      return undefined;
    }
    const lease: HeldLease = {
      id: granted.id,
      agent,
      lane,
      ...granted.size,
      size: granted.size,
      useUntil: sentAt + this.ttlMs / 2,
      terms: granted.terms,
      pending: new Set(),
      lost: false,
    };
    this.leases.set(scope, [...(this.leases.get(scope) ?? []), lease]);
    return lease;
  }

  /** Leases that can no longer grant (stale, past their half, invalid, or too low to matter), taken out of the book. */
  spent(minUsd = 0): HeldLease[] {
    const done: HeldLease[] = [];
    for (const [scope, held] of this.leases) {
      const keep = held.filter((l) => {
        const over = !this.valid(l) || this.now() >= l.useUntil || (held.length > 1 && l.usd <= minUsd);
        if (over) done.push(l);
        return !over;
      });
      if (keep.length > 0) this.leases.set(scope, keep);
      else this.leases.delete(scope);
    }
    return done;
  }

  /** Whether the lease is still in the book (not yet handed back). */
  holds(lease: HeldLease): boolean {
    return (this.leases.get(scopeOf(lease.agent, lease.lane)) ?? []).includes(lease);
  }

  /** Every lease, taken out of the book (the gate is flushing). */
  all(): HeldLease[] {
    const every = [...this.leases.values()].flat();
    this.leases.clear();
    return every;
  }

  /** A call this gate granted (either way): counted for its task until its end is acknowledged. */
  granted(id: string, taskId: string, worst: Spend): void {
    this.open.set(id, { taskId, ...worst });
    const at = this.now();
    const times = (this.calls.get(taskId) ?? []).filter((t) => t > at - MINUTE);
    times.push(at);
    this.calls.set(taskId, times);
    this.sweepCalls(at);
  }

  /**
   * Forgets tasks whose last call here is over a minute old, once a minute. A task's close forgets
   * its calls only on the worker that closes it; every other worker that made calls for it would
   * keep them as long as it runs.
   */
  private sweepCalls(at: number): void {
    if (at - this.callsSweptAt < MINUTE) return;
    this.callsSweptAt = at;
    for (const [taskId, times] of this.calls) if (times[times.length - 1] <= at - MINUTE) this.calls.delete(taskId);
  }

  /** How many tasks' recent calls the book counts (for its tests: it must stay bounded). */
  trackedTasks(): number {
    return this.calls.size;
  }

  ended(id: string): void {
    const call = this.open.get(id);
    this.open.delete(id);
    if (call && ![...this.open.values()].some((o) => o.taskId === call.taskId)) {
      const times = (this.calls.get(call.taskId) ?? []).filter((t) => t > this.now() - MINUTE);
      if (times.length === 0) this.calls.delete(call.taskId);
      else this.calls.set(call.taskId, times);
    }
  }

  /** A closed task's calls are forgotten. */
  forget(taskId: string): void {
    this.calls.delete(taskId);
  }

  private valid(lease: HeldLease): boolean {
    return this.status !== undefined && this.status.ok && this.status.epoch === lease.terms.epoch && !lease.lost && !lease.retired;
  }

  /** Whether the ledger said leases stand recently enough to grant from them. */
  private fresh(): boolean {
    return this.now() - this.confirmedAt <= LEASE_FRESH_MS;
  }

  /** Leases that may grant once the ledger's word is fresh: valid and within their first half. */
  private held(agent: string, lane: Lane): HeldLease[] {
    const at = this.now();
    return (this.leases.get(scopeOf(agent, lane)) ?? []).filter((l) => this.valid(l) && at < l.useUntil);
  }

  /** The held lease that holds the call, when the task's own checks let it through one. */
  private fitting(call: LeaseCall): HeldLease | undefined {
    const lease = this.held(call.agent, call.lane).find((l) => l.usd + EPSILON_USD >= call.usd && l.tokens >= call.tokens);
    return lease && this.taskAllows(call, lease.terms) ? lease : undefined;
  }

  private taskAllows(call: LeaseCall, terms: LeaseTerms): boolean {
    if (!call.taskSpent) return false;
    if (terms.maxSpawnDepth !== undefined && (call.spawnDepth ?? 0) > terms.maxSpawnDepth) return false;
    const at = this.now();
    const recent = (this.calls.get(call.taskId) ?? []).filter((t) => t > at - MINUTE).length;
    if (terms.maxCallsPerTaskPerMinute !== undefined && recent + 1 >= terms.maxCallsPerTaskPerMinute) return false;
    let usd = call.taskSpent.usd + call.usd;
    let tokens = call.taskSpent.tokens + call.tokens;
    for (const o of this.open.values()) {
      if (o.taskId !== call.taskId) continue;
      usd += o.usd;
      tokens += o.tokens;
    }
    return usd <= terms.perTaskUsd * LEASE_TASK_SHARE && tokens <= terms.perTaskTokens * LEASE_TASK_SHARE;
  }
}

/** The key of one agent and lane's leases. */
export const scopeOf = (agent: string, lane: Lane) => `${agent}|${lane}`;
