import { randomUUID } from 'node:crypto';
import { LEASE_CALLS, LeaseBook, scopeOf, type HeldLease } from './gate-leases';
import type { Lane } from './lanes';
import type { Alert, FinishResult, LeasingStatus, ReserveResult, Spend } from './ledger-types';
import type { FinishInput, ReserveInput } from './messages';

/**
 * The gate's leases on the wire (gate-leases.ts decides, ledger-lease.ts books): takes leases
 * where calls want them, grants calls from them and books each in the background, and hands
 * leases back once they can no longer grant. The gate hands it its batched ledger requests.
 */

/** How long a flush waits for leases to be handed back: with no ledger worker left to answer, a
 * lease not handed back is charged at its end (failing closed). */
export const LEASE_RETURN_WAIT_MS = 5000;

export interface LeaseClientDeps {
  /** The gate's batched requests (already checked against the ledger's schemas). */
  reserve(input: ReserveInput): Promise<ReserveResult>;
  finish(input: FinishInput): Promise<FinishResult>;
  report(alerts: Alert[]): void;
  ttlMs?: number;
  /** The clock leases are timed by (default performance.now); tests drive it. */
  now?: () => number;
}

export interface LeaseClient {
  /** The call granted from a lease (its booking sent in the background), or false: reserve as usual. */
  grant(input: ReserveInput): boolean;
  /** Whether the call would be granted from a lease once an answer from the ledger confirms leases stand. */
  grantableWhenConfirmed(input: ReserveInput): boolean;
  /** Settles once the ledger answered the lease asked for the call's agent and lane; undefined when none is asked. */
  leaseAnswer(input: ReserveInput): Promise<void> | undefined;
  /** A ledger answer to an update sent at `sentAt`. */
  confirm(status: LeasingStatus, sentAt: number): void;
  /** A call this gate granted the usual way: counted for its task's local checks. */
  granted(input: ReserveInput): void;
  /** A call's end is about to be sent: waits for its booking if it was granted from a lease. */
  booked(id: string): Promise<unknown>;
  /** The call's end was answered. */
  ended(id: string): void;
  forget(taskId: string): void;
  /** Hands every lease back; waits for that, at most LEASE_RETURN_WAIT_MS. */
  flush(): Promise<void>;
  stats(): { leased: number; leasesTaken: number };
}

export function createLeaseClient(deps: LeaseClientDeps): LeaseClient {
  const now = deps.now ?? (() => performance.now());
  const book = new LeaseBook(deps.ttlMs, now);
  /** Bookings of calls granted from leases that the ledger has not answered yet, by call key. */
  const bookings = new Map<string, Promise<unknown>>();
  const returning = new Set<Promise<unknown>>();
  /** Lease requests the ledger has not answered yet, by agent and lane: calls may wait for them. */
  const asked = new Map<string, Promise<void>>();
  const holder = randomUUID().slice(0, 8);
  let seq = 0;
  let leased = 0;
  let leasesTaken = 0;

  /** Tells the ledger, off the call's path, which lease a call was granted from. */
  function sendBooking(input: ReserveInput, lease: HeldLease): void {
    const sent = deps.reserve({ ...input, lease: lease.id }).then(
      (r) => {
        deps.report(r.alerts);
        if (!r.granted) lease.lost = true;
      },
      () => {
        // Not booked: the lease must not be handed back (its end charges it in full instead).
        lease.lost = true;
      },
    );
    lease.pending.add(sent);
    const done = sent.finally(() => {
      lease.pending.delete(sent);
      if (bookings.get(input.key) === done) bookings.delete(input.key);
    });
    bookings.set(input.key, done);
  }

  /** Hands leases that can no longer grant back (after their bookings), and asks for one where none is left. */
  function tend(want?: { agent: string; lane: Lane; worst: Spend }): void {
    for (const lease of book.spent(want?.worst.usd)) handBack(lease);
    if (want && book.wantsLease(want.agent, want.lane)) take(want.agent, want.lane, want.worst);
  }

  function handBack(lease: HeldLease): void {
    const done = Promise.allSettled([...lease.pending])
      .then(() => (lease.lost ? undefined : deps.finish({ op: 'release', reservationId: lease.id })))
      .then((r) => r && deps.report(r.alerts))
      .catch(() => undefined)
      .finally(() => returning.delete(done));
    returning.add(done);
  }

  /**
   * Hands the lease back once its half is over, whether or not a call comes by then. A timer can
   * run a few ms before the clock says its delay has passed (Node measures timers from the time it
   * cached when the event loop's turn began, late on a busy loop): a lease not over yet is looked
   * at again, or it would stay unreturned until the next call for its agent, if any came, and be
   * charged in full at its end.
   */
  function handBackWhenOver(lease: HeldLease): void {
    setTimeout(
      () => {
        tend();
        if (book.holds(lease)) handBackWhenOver(lease);
      },
      Math.max(0, lease.useUntil - now()) + 1,
    ).unref?.();
  }

  function take(agent: string, lane: Lane, worst: Spend): void {
    if (worst.usd <= 0 && worst.tokens <= 0) return;
    const id = `lease:${holder}:${++seq}`;
    const size = { usd: worst.usd * LEASE_CALLS, tokens: worst.tokens * LEASE_CALLS };
    book.asking(agent, lane);
    const sentAt = now();
    const answered = deps.reserve({ key: id, taskId: id, agent, ...size, leaseTtlMs: book.ttlMs, ...(lane === 'main' ? {} : { lane }) }).then(
      (r) => {
        deps.report(r.alerts);
        const lease = book.answered(agent, lane, sentAt, r.granted && r.lease ? { id, size, terms: r.lease } : undefined);
        if (!lease) return;
        leasesTaken++;
        handBackWhenOver(lease);
      },
      () => void book.answered(agent, lane, sentAt),
    );
    const scope = scopeOf(agent, lane);
    const done = answered.finally(() => asked.get(scope) === done && asked.delete(scope));
    asked.set(scope, done);
  }

  return {
    grant(input) {
      const lane: Lane = input.lane ?? 'main';
      const lease = book.grant({ ...input, lane });
      if (lease) {
        sendBooking(input, lease);
        book.granted(input.key, input.taskId, input);
        leased++;
      }
      tend({ agent: input.agent, lane, worst: input });
      return lease !== undefined;
    },
    leaseAnswer: (input) => asked.get(scopeOf(input.agent, input.lane ?? 'main')),
    grantableWhenConfirmed: (input) => book.grantableWhenConfirmed({ ...input, lane: input.lane ?? 'main' }),
    confirm: (status, sentAt) => book.confirm(status, sentAt),
    granted: (input) => book.granted(input.key, input.taskId, input),
    booked: async (id) => bookings.get(id),
    ended: (id) => book.ended(id),
    forget: (taskId) => book.forget(taskId),
    async flush() {
      for (const lease of book.all()) handBack(lease);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([Promise.allSettled([...returning]), new Promise((resolve) => (timer = setTimeout(resolve, LEASE_RETURN_WAIT_MS)))]);
      clearTimeout(timer);
    },
    stats: () => ({ leased, leasesTaken }),
  };
}
