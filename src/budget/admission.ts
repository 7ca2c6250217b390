import { EPSILON_USD } from './ledger-breaker';
import type { LedgerOptions, LedgerState, Waiter } from './ledger-types';

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
 */

/** One system window as admission sees it. */
export interface SystemRoom {
  scope: string;
  limitUsd: number;
  settledUsd: number;
  /** Outstanding reservations: they count against every window until they settle. */
  heldUsd: number;
}

export interface Place {
  taskId: string;
  seq: number;
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
       * calls can). */
      onlyAfterRollover: SystemRoom[];
    };

export function isOlder(a: Place, b: Place): boolean {
  return a.seq < b.seq;
}

const fits = (usd: number, free: number[]) => free.every((x) => usd <= x + EPSILON_USD);

/**
 * Admits the request if the system windows afford it after every older waiter's claim, or queues
 * the task and says where it stands.
 */
export function admit(state: LedgerState, me: Place, request: { usd: number; tokens: number }, rooms: SystemRoom[], nowMs: number, options: LedgerOptions): Admission {
  const queue = (state.waiters ??= []);
  // Room now, and room once every outstanding call has settled (at best for nothing).
  const free = rooms.map((r) => r.limitUsd - r.settledUsd - r.heldUsd);
  const freeLater = rooms.map((r) => r.limitUsd - r.settledUsd);
  let blockedBy: Waiter | undefined;
  for (const w of queue) {
    if (!isOlder(w, me)) break;
    if (fits(w.usd, free)) {
      // Set aside for the older waiter, who takes it when it next asks.
      for (let i = 0; i < rooms.length; i++) {
        free[i] -= w.usd;
        freeLater[i] -= w.usd;
      }
    } else if (fits(w.usd, freeLater)) {
      blockedBy = w;
      break;
    }
  }
  if (!blockedBy && fits(request.usd, free)) {
    leaveQueue(state, me.taskId);
    return { admitted: true };
  }

  const previous = queue.find((w) => w.taskId === me.taskId);
  leaveQueue(state, me.taskId);
  const entry: Waiter = { ...me, usd: request.usd, tokens: request.tokens, sinceMs: previous?.sinceMs ?? nowMs, lastMs: nowMs };
  let at = queue.findIndex((w) => !isOlder(w, me));
  if (at < 0) at = queue.length;
  queue.splice(at, 0, entry);
  // Bounded: the youngest beyond the limit wait without a place (and take one when it frees).
  if (queue.length > options.maxWaiters) queue.splice(options.maxWaiters);

  const short = blockedBy?.usd ?? request.usd;
  const binding = rooms.findIndex((_, i) => short > free[i] + EPSILON_USD);
  const room = rooms[Math.max(0, binding)];
  return {
    admitted: false,
    room,
    spentUsd: room.limitUsd - free[Math.max(0, binding)],
    position: at + 1,
    waiting: Math.max(queue.length, at + 1),
    onlyAfterRollover: rooms.filter((_, i) => request.usd > freeLater[i] + EPSILON_USD),
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
