import { EPSILON_USD } from './ledger-breaker';
import type { LedgerOptions, LedgerState, Waiter } from './ledger-types';
import { laneOf, type Lane } from './lanes';

/**
 * The admission queue: who gets room in the system windows when it is tight.
 *
 * A call that does not fit the system windows is denied and its task waits (it does not fail, and
 * nothing else stops). Waiting tasks are queued by age (the order in which the ledger first saw
 * each task), so a task in progress keeps its place across its calls and the room goes to finishing tasks, not
 * one call each to every task (a cap that affords ten tasks completes about ten). A waiter holds
 * the line: a younger task's call is denied while an older waiter could use the room that settling
 * calls will free, and the older waiters' requests are set aside before a younger one is measured.
 * A waiter that can only fit after its window rolls over does not hold the line meanwhile (it
 * would waste the rest of the window), but goes first at the rollover, when every waiter returns.
 * A waiter that stops asking (its task ended or died) leaves after `waiterTtlMs`.
 *
 * The day's lanes are rooms too, each drawn on by its own lane's requests only. One queue serves
 * both lanes: an older waiter's claim is set aside in the rooms it draws on, and it holds the
 * line only for requests that need the room it is short of (an experimental task waiting for its
 * lane never holds up the main lane).
 */

/** One system window (or one lane of the day) as admission sees it. */
export interface SystemRoom {
  scope: string;
  limitUsd: number;
  settledUsd: number;
  /** Outstanding reservations: they count against every window until they settle. */
  heldUsd: number;
  /** A lane's room: only that lane's requests draw on it. Absent: every request does. */
  lane?: Lane;
}

export interface Place {
  taskId: string;
  seq: number;
  /** Absent: main. */
  lane?: Lane;
}

export type Admission =
  | { admitted: true }
  | {
      admitted: false;
      /** The window that is short, with what is spent, held or set aside for older waiters. */
      room: SystemRoom;
      spentUsd: number;
      /** 1 = next in line. */
      position: number;
      waiting: number;
      /** The windows whose rollover alone can make room for this request (empty: settling
       * calls can), or the lapse of an override that lowers their limit. */
      onlyAfterRollover: FullRoom[];
    };

/** A window that settling calls cannot make room in for the request. */
export interface FullRoom {
  room: SystemRoom;
  /** Spent, held or set aside for older waiters, as in {@link Admission}. */
  spentUsd: number;
  /** What is left once every outstanding call has settled (at best for nothing): less than the request. */
  freeLaterUsd: number;
}

export function isOlder(a: Place, b: Place): boolean {
  return a.seq < b.seq;
}

/** Whether a request of `who`'s lane draws on the room. */
const drawsOn = (room: SystemRoom, who: { lane?: Lane }) => room.lane === undefined || room.lane === laneOf(who);
/** Fits every room marked in `uses`. */
const fits = (usd: number, free: number[], uses: boolean[]) => free.every((x, i) => !uses[i] || usd <= x + EPSILON_USD);

/**
 * Admits the request if the system windows afford it after every older waiter's claim, or queues
 * the task and says where it stands.
 */
export function admit(state: LedgerState, me: Place, request: { usd: number; tokens: number }, rooms: SystemRoom[], nowMs: number, options: LedgerOptions): Admission {
  const queue = (state.waiters ??= []);
  // Room now, and room once every outstanding call has settled (at best for nothing).
  const free = rooms.map((r) => r.limitUsd - r.settledUsd - r.heldUsd);
  const freeLater = rooms.map((r) => r.limitUsd - r.settledUsd);
  const mine = rooms.map((r) => drawsOn(r, me));
  let blockedBy: { waiter: Waiter; uses: boolean[] } | undefined;
  for (const w of queue) {
    if (!isOlder(w, me)) break;
    const uses = rooms.map((r) => drawsOn(r, w));
    if (fits(w.usd, free, uses)) {
      // Set aside for the older waiter, who takes it when it next asks.
      for (let i = 0; i < rooms.length; i++) {
        if (!uses[i]) continue;
        free[i] -= w.usd;
        freeLater[i] -= w.usd;
      }
    } else if (fits(w.usd, freeLater, uses) && rooms.every((_, i) => !uses[i] || w.usd <= free[i] + EPSILON_USD || mine[i])) {
      // Settling calls will make room for it in rooms this request needs too: it goes first.
      blockedBy = { waiter: w, uses };
      break;
    }
  }
  if (!blockedBy && fits(request.usd, free, mine)) {
    leaveQueue(state, me.taskId);
    return { admitted: true };
  }

  const previous = queue.find((w) => w.taskId === me.taskId);
  leaveQueue(state, me.taskId);
  const { lane, ...place } = me;
  const entry: Waiter = { ...place, usd: request.usd, tokens: request.tokens, sinceMs: previous?.sinceMs ?? nowMs, lastMs: nowMs, ...(laneOf({ lane }) === 'experimental' ? { lane: 'experimental' as const } : {}) };
  let at = queue.findIndex((w) => !isOlder(w, me));
  if (at < 0) at = queue.length;
  queue.splice(at, 0, entry);
  // Bounded: the youngest beyond the limit wait without a place (and take one when it frees).
  if (queue.length > options.maxWaiters) queue.splice(options.maxWaiters);

  const short = blockedBy?.waiter.usd ?? request.usd;
  const uses = blockedBy ? rooms.map((_, i) => mine[i] && blockedBy.uses[i]) : mine;
  const binding = rooms.findIndex((_, i) => uses[i] && short > free[i] + EPSILON_USD);
  const room = rooms[Math.max(0, binding)];
  return {
    admitted: false,
    room,
    spentUsd: room.limitUsd - free[Math.max(0, binding)],
    position: at + 1,
    waiting: Math.max(queue.length, at + 1),
    onlyAfterRollover: rooms.flatMap((r, i) => (mine[i] && request.usd > freeLater[i] + EPSILON_USD ? [{ room: r, spentUsd: r.limitUsd - free[i], freeLaterUsd: freeLater[i] }] : [])),
  };
}

export function leaveQueue(state: LedgerState, taskId: string): void {
  const queue = state.waiters;
  if (!queue) return;
  const i = queue.findIndex((w) => w.taskId === taskId);
  if (i >= 0) queue.splice(i, 1);
}

/** A waiter denied for another reason that will pass (an open breaker) keeps its place. */
export function keepPlace(state: LedgerState, taskId: string, nowMs: number): void {
  const w = state.waiters?.find((x) => x.taskId === taskId);
  if (w) w.lastMs = nowMs;
}

/** Waiters that stopped asking leave the queue: a dead task never blocks the line for long. */
export function expireWaiters(state: LedgerState, nowMs: number, options: LedgerOptions): void {
  if (state.waiters?.some((w) => w.lastMs <= nowMs - options.waiterTtlMs)) {
    state.waiters = state.waiters.filter((w) => w.lastMs > nowMs - options.waiterTtlMs);
  }
}
