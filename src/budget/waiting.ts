/**
 * How a task waits for budget: the pure rules the agentTask workflow follows when the ledger
 * answers "not now" (an open breaker, system windows or the task's lane that cannot afford the
 * call yet; its specialist's own window, when no other specialist is left to take the task). No
 * imports: the workflow sandbox loads this.
 *
 * A waiting task asks again no faster than every 5 s, backs off as its wait goes on, and asks at
 * least every minute (the ledger's queue forgets a waiter silent for 3 minutes), so its history
 * grows by about a dozen events a check. After MAX_BUDGET_WAITS checks (over 3 hours even at the
 * fastest setting, so an hourly window always rolls over first) it ends budget_exceeded.
 */

/** The denials a task waits out instead of failing. */
export const WAIT_TYPES = ['breaker_open', 'system_budget_full', 'lane_budget_full'] as const;
export type WaitType = (typeof WAIT_TYPES)[number];

export function isWaitType(type: unknown): type is WaitType {
  return (WAIT_TYPES as readonly unknown[]).includes(type);
}

/**
 * A specialist's own window spent (its hour or its day): waited out only by a task with no other
 * candidate left to take it (RunSpecialistInput.waitForAgentWindow), and only when the window's
 * end makes room (the ledger's `retryAtMs`; a call larger than the whole limit has none).
 */
export const AGENT_WINDOW_WAIT = 'agent_budget_exhausted';

/** Why a task waits, as the ledger's denial said it. */
export interface BudgetWait {
  type: WaitType | typeof AGENT_WINDOW_WAIT;
  message: string;
  scope?: string;
  /** system_budget_full, lane_budget_full: the task's place in the admission queue (1 = next) and its length. */
  position?: number;
  waiting?: number;
  /** When room comes for sure: the breaker's or the window's end. */
  retryAtMs?: number;
}

/**
 * The denial's details as the gate sends them (JSON from an activity failure: check each field).
 * `agentWindow`: a spent agent window is waited out too, when its end is known.
 */
export function budgetWaitFrom(type: unknown, message: string, details: Record<string, unknown> | undefined, { agentWindow = false }: { agentWindow?: boolean } = {}): BudgetWait | undefined {
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const d = details ?? {};
  const agentWait = agentWindow && type === AGENT_WINDOW_WAIT && num(d.retryAtMs) !== undefined;
  if (!isWaitType(type) && !agentWait) return undefined;
  return {
    type,
    message,
    ...(typeof d.scope === 'string' && { scope: d.scope }),
    ...(num(d.position) !== undefined && { position: num(d.position) }),
    ...(num(d.waiting) !== undefined && { waiting: num(d.waiting) }),
    ...(num(d.retryAtMs) !== undefined && { retryAtMs: num(d.retryAtMs) }),
  };
}

export const MIN_POLL_SECONDS = 5;
/** The longest a waiter sleeps between checks (unless its breakerPollSeconds is longer). */
export const MAX_POLL_MS = 60_000;
/** The interval doubles after this many checks of one wait. */
export const CHECKS_PER_DOUBLING = 10;
/** Checks a task may spend waiting, over its life: bounds its history. */
export const MAX_BUDGET_WAITS = 240;

/**
 * How long to sleep before check number `check` (1-based) of the current wait: breakerPollSeconds
 * (at least 5 s), doubling every 10 checks up to a minute (or breakerPollSeconds if longer), and
 * never past the moment room comes for sure (but never sooner than 5 s either).
 */
export function nextCheckMs(check: number, pollSeconds: number, retryAtMs: number | undefined, nowMs: number): number {
  const base = Math.max(MIN_POLL_SECONDS, pollSeconds) * 1000;
  const backedOff = Math.min(base * 2 ** Math.floor(Math.max(0, check - 1) / CHECKS_PER_DOUBLING), Math.max(base, MAX_POLL_MS));
  if (retryAtMs === undefined) return backedOff;
  return Math.min(backedOff, Math.max(retryAtMs - nowMs, MIN_POLL_SECONDS * 1000));
}

/** One line for the Web UI's details and the task state. */
export function describeWait(wait: BudgetWait, check: number): string {
  const until = wait.retryAtMs === undefined ? '' : ` (room by ${new Date(wait.retryAtMs).toISOString()})`;
  const place = wait.position === undefined ? '' : `position ${wait.position} of ${wait.waiting ?? wait.position} · `;
  return `waiting for budget: ${place}check ${check}${until} · ${wait.message}`;
}
