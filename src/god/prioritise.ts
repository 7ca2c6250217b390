import type { Lane, Task } from '../tasks/task-input';
import { usd } from './pacing';
import type { DecisionKind, GoalState, InFlightTask, QueuedTask } from './types';

/**
 * The runway's order: which decided tasks start now. Tasks go by value density (what a dollar
 * buys), each within its lane's headroom and its goal's share of the day; the rest wait, each
 * with the reason it waits. A task that has waited too long holds its lane (see `admit`), so
 * cheap tasks cannot starve a dear one forever. Pure.
 *
 * @example
 *   const { start, waiting } = admit({ queue, headroom, goals, budgetUsd, inFlight, breakerOpen: false });
 */

export const PRIORITY_WEIGHT: Record<Task['priority'], number> = { low: 1, normal: 2, high: 4, critical: 8 };

/** A goal's value when the task has none (the middle of 1–10). */
export const NEUTRAL_VALUE = 5;
const MIN_COST = 1e-6;
/** God's `holdAfterMinutes` when its config has none (carried from before the setting). */
export const DEFAULT_HOLD_AFTER_MINUTES = 120;
/** Float noise allowed when a cost exactly fills the room (0.07 + 0.05 + 0.04 > 0.16 in binary). */
const EPSILON = 1e-9;

/** Priority weight × goal value (relative to 5) × expected success ÷ expected cost. */
export function valueDensity(args: { priority: Task['priority']; goalValue?: number; expectedSuccess: number; expectedCostUsd: number }): number {
  const weight = PRIORITY_WEIGHT[args.priority] ?? PRIORITY_WEIGHT.normal;
  return (weight * ((args.goalValue ?? NEUTRAL_VALUE) / NEUTRAL_VALUE) * args.expectedSuccess) / Math.max(args.expectedCostUsd, MIN_COST);
}

/** Decisions that start a workflow once admitted; the others never wait for runway. */
const RUNNABLE: ReadonlySet<DecisionKind> = new Set<DecisionKind>(['route', 'chain', 'spawn']);

export interface AdmitInput {
  queue: readonly QueuedTask[];
  /** What each lane may commit now (pacing.laneHeadroom: in-flight costs already taken off). */
  headroom: Record<Lane, number>;
  goals: readonly GoalState[];
  /** The day's whole budget: goals' shares are of this. */
  budgetUsd: number;
  inFlight: readonly InFlightTask[];
  /** The pause reason, when an operator paused God. */
  paused?: string;
  breakerOpen: boolean;
  /** Each lane's whole day (its budget, nothing spent): a task dearer than that can never start
   * on the lane as the limits stand, and its reason says so (absent: the runway wait alone). */
  laneDayBudget?: Record<Lane, number>;
  /** Why each lane's headroom is what it is (pacing.headroomNotes), added to runway reasons. */
  notes?: Partial<Record<Lane, string>>;
  /** Holds (absent: none, as before them): a task queued this long goes first, and if its lane
   * cannot take it now, the lane's room is kept for it. */
  holds?: {
    nowMs: number;
    afterMs: number;
    /** What each lane can still commit today, unpaced (pacing.laneDayLeft): a task that needs more
     * cannot start today however long it waits, so it holds nothing. */
    dayLeft: Record<Lane, number>;
    /** Goals that have started no task today (absent: none pass, as before passes): the first
     * task of each that fits its lane's room now starts past the lane's hold. */
    unstartedGoals?: readonly string[];
    /** A task its goal's share of the day cannot take now holds nothing (absent: it held the lane
     * all the same, and every task behind it waited for a start its goal would refuse). */
    onlyFundable?: boolean;
  };
}

/** The hold rules of an admission (see `admit`). */
export type AdmitHolds = NonNullable<AdmitInput['holds']>;

export interface Admission {
  /** Task ids to start, in admission order (densest first). */
  start: string[];
  /** Task id → why it waits, for every candidate not started. */
  waiting: Record<string, string>;
  /** Task id → value density, for every candidate. */
  density: Record<string, number>;
  /** Lane → the task it is held for, when one is. */
  held: Partial<Record<Lane, string>>;
  /** Task ids that wait because their lane has no room for them now. */
  shortOfRoom: string[];
  /** Task ids started past a hold: each its goal's first of the day. */
  passedHold: string[];
}

/**
 * Whether holds would matter to this admission: some task queued for `afterMs` or longer waits
 * for its lane's room. (God asks its holds patch only then, so histories without holds keep their shape.)
 */
export function overdueShortOfRoom(queue: readonly QueuedTask[], admission: Admission, holds: { nowMs: number; afterMs: number }): boolean {
  const short = new Set(admission.shortOfRoom);
  return queue.some((q) => short.has(q.taskId) && queuedPast(q, holds));
}

/** Whether two admissions start the same tasks in the same order and hold the same lanes (what God
 * does with them; their waiting reasons may differ). */
export function samePlan(a: Admission, b: Admission): boolean {
  const held = (x: Admission) => JSON.stringify(Object.entries(x.held).sort(([l], [r]) => l.localeCompare(r)));
  return a.start.length === b.start.length && a.start.every((id, i) => b.start[i] === id) && held(a) === held(b);
}

/** Whether a task has been queued `afterMs` or longer at `nowMs`. */
function queuedPast(q: QueuedTask, holds: { nowMs: number; afterMs: number }): boolean {
  return holds.nowMs - q.submittedAtMs >= holds.afterMs;
}

/**
 * Greedy by value density (ties: older first, then task id): a task starts if its expected cost
 * fits its lane's headroom and its goal's share of the day (spent today plus what its tasks in
 * flight and admitted now are expected to cost). A task that does not fit does not block cheaper
 * ones behind it, with one exception, the hold: with `holds`, tasks queued for `afterMs` or
 * longer go first, oldest first, and the first of them that its lane cannot take now (but could
 * today) holds the lane: every task after it in that lane waits for it. Without the hold, a
 * paced lane's room is taken by cheap tasks as fast as it accrues and a dear task (a chain) never
 * starts; its goal's backlog then stops the goal generating, and the goal starves all day.
 * A hold has one exception of its own: a goal that has started nothing today (`unstartedGoals`)
 * may start one task past it, if that fits the lane's room now. A task worth half a lane's day
 * holds the lane for half a day, and a second one can follow it; without the pass, another goal
 * of that lane then starts nothing all day. The holder waits at most one task per goal per day.
 * Nothing starts while God is paused or the breaker is open.
 *
 * Candidates are tasks with status 'queued' and a route, chain or spawn decision.
 */
export function admit(input: AdmitInput): Admission {
  const goals = new Map(input.goals.map((g) => [g.id, g]));
  const candidates = input.queue.filter((q) => q.status === 'queued' && q.decision && RUNNABLE.has(q.decision.kind));
  const density: Record<string, number> = {};
  for (const q of candidates) {
    density[q.taskId] = valueDensity({
      priority: q.task.priority,
      goalValue: q.goalId ? goals.get(q.goalId)?.value : undefined,
      expectedSuccess: q.decision!.expectedSuccess,
      expectedCostUsd: q.decision!.expectedCostUsd,
    });
  }
  const waiting: Record<string, string> = {};
  const held: Partial<Record<Lane, string>> = {};
  const shortOfRoom: string[] = [];
  const passedHold: string[] = [];

  const stop = stopReason(input);
  if (stop) {
    for (const q of candidates) waiting[q.taskId] = stop;
    return { start: [], waiting, density, held, shortOfRoom, passedHold };
  }

  const holds = input.holds;
  const overdue = (q: QueuedTask) => holds !== undefined && queuedPast(q, holds);
  const byId = (a: QueuedTask, b: QueuedTask) => (a.taskId < b.taskId ? -1 : a.taskId > b.taskId ? 1 : 0);
  const order = candidates.slice().sort((a, b) => {
    const oa = overdue(a);
    if (oa !== overdue(b)) return oa ? -1 : 1;
    if (oa) return a.submittedAtMs - b.submittedAtMs || byId(a, b);
    return density[b.taskId] - density[a.taskId] || a.submittedAtMs - b.submittedAtMs || byId(a, b);
  });
  const room = { ...input.headroom };
  const goalUsed = new Map<string, number>();
  for (const g of input.goals) goalUsed.set(g.id, goalCommittedUsd(g, input.inFlight));

  const unstarted = new Set(holds?.unstartedGoals ?? []);
  const holderGoal: Partial<Record<Lane, string | undefined>> = {};
  const goalCanTake = (q: QueuedTask, cost: number): boolean => {
    const goal = q.goalId ? goals.get(q.goalId) : undefined;
    return !goal || goalShareTakes(goal, goalUsed.get(goal.id) ?? 0, cost, input.budgetUsd);
  };
  const start: string[] = [];
  for (const q of order) {
    const d = q.decision!;
    const cost = d.expectedCostUsd;
    const lane = d.lane;
    const holder = held[lane];
    const behind = `waiting behind ${holder}: queued over ${minutes(holds?.afterMs ?? 0)}, it holds the ${lane} lane's room until it fits`;
    const passes = holder !== undefined && q.goalId !== undefined && unstarted.has(q.goalId) && q.goalId !== holderGoal[lane];
    if (holder !== undefined && !passes) {
      waiting[q.taskId] = behind;
      continue;
    }
    if (cost > (room[lane] ?? 0) + EPSILON) {
      const note = input.notes?.[lane];
      if (holder !== undefined) {
        waiting[q.taskId] = `${behind}; as its goal's first task today it may pass the hold once the room fits it`;
        continue;
      }
      const wholeDay = input.laneDayBudget?.[lane];
      shortOfRoom.push(q.taskId);
      if (wholeDay !== undefined && cost > wholeDay + EPSILON) {
        // Not a wait: no runway ever comes (it holds nothing either: it cannot fit the day left).
        waiting[q.taskId] = `cannot start on the ${lane} lane: needs ~${usd(cost)}, more than the lane's whole day (${usd(wholeDay)}); it stays queued until the limits (system_daily_usd, the lane's share) are raised`;
        continue;
      }
      waiting[q.taskId] = `waiting for runway: needs ~${usd(cost)}, ${lane} lane can commit ${usd(room[lane] ?? 0)} now${note ? ` (${note})` : ''}`;
      if (holds && overdue(q) && cost <= holds.dayLeft[lane] + EPSILON) {
        if (holds.onlyFundable && !goalCanTake(q, cost)) {
          waiting[q.taskId] += `; its goal's share of the day cannot take it now, so it holds nothing`;
          continue;
        }
        holderGoal[lane] = q.goalId;
        held[lane] = q.taskId;
        waiting[q.taskId] += `; queued ${minutes(holds.nowMs - q.submittedAtMs)}, so the lane keeps its room for it`;
      }
      continue;
    }
    const goal = q.goalId ? goals.get(q.goalId) : undefined;
    if (goal) {
      const used = goalUsed.get(goal.id) ?? 0;
      if (!goalCanTake(q, cost)) {
        waiting[q.taskId] = `waiting for goal budget: goal "${goal.id}" may spend ${Math.round(goal.budgetShare * 100)}% of today's ${usd(input.budgetUsd)} (${usd(goal.budgetShare * input.budgetUsd)}); ${usd(used)} spent or in flight, needs ~${usd(cost)}`;
        continue;
      }
      goalUsed.set(goal.id, used + cost);
    }
    room[lane] = (room[lane] ?? 0) - cost;
    start.push(q.taskId);
    if (q.goalId !== undefined) unstarted.delete(q.goalId);
    if (passes) passedHold.push(q.taskId);
  }
  return { start, waiting, density, held, shortOfRoom, passedHold };
}

function minutes(ms: number): string {
  const m = Math.floor(ms / 60_000);
  return m >= 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m} min`;
}

function stopReason(input: AdmitInput): string | undefined {
  const breaker = 'the budget circuit breaker is open (nothing starts until it closes)';
  if (input.paused !== undefined) return `paused: ${input.paused} (nothing starts until resume)${input.breakerOpen ? `; ${breaker}` : ''}`;
  if (input.breakerOpen) return `waiting: ${breaker}`;
  return undefined;
}

/** What a goal has spent today plus what its tasks in flight are expected to cost. */
export function goalCommittedUsd(goal: GoalState, inFlight: readonly InFlightTask[]): number {
  return inFlight.reduce((sum, t) => (t.goalId === goal.id ? sum + t.expectedCostUsd : sum), goal.spentTodayUsd);
}

/** Whether a goal's share of the day takes a task of `costUsd` on top of what it has committed. */
function goalShareTakes(goal: GoalState, committedUsd: number, costUsd: number, budgetUsd: number): boolean {
  return committedUsd + costUsd <= goal.budgetShare * budgetUsd + EPSILON;
}

/** What `noQueuedTaskCanStart` and `queuedTasksThatCannotStart` read. */
export interface GoalBacklogArgs {
  queue: readonly QueuedTask[];
  inFlight: readonly InFlightTask[];
  budgetUsd: number;
  dayLeft: Record<Lane, number>;
}

/**
 * A goal's queued tasks that cannot start today: each is decided, and either its goal's share of
 * the day cannot take it (after what the goal spent today and has in flight) or its lane cannot
 * take it today (`dayLeft`, as `admit`'s holds). A task still being assessed may be cheap, and one
 * awaiting review is not the runway's to judge: neither is listed.
 */
export function queuedTasksThatCannotStart(goal: GoalState, args: GoalBacklogArgs): QueuedTask[] {
  const committed = goalCommittedUsd(goal, args.inFlight);
  return args.queue.filter((q) => {
    const d = q.decision;
    if (q.goalId !== goal.id || q.status !== 'queued' || !d || !RUNNABLE.has(d.kind)) return false;
    return !goalShareTakes(goal, committed, d.expectedCostUsd, args.budgetUsd) || d.expectedCostUsd > (args.dayLeft[d.lane] ?? 0) + EPSILON;
  });
}

/**
 * Whether a goal has tasks queued and none of them can start now (`queuedTasksThatCannotStart`).
 * Such a task neither passes a hold nor holds a lane (`admit`), so it must not stop its goal from
 * making one that can.
 */
export function noQueuedTaskCanStart(goal: GoalState, args: GoalBacklogArgs): boolean {
  const own = args.queue.filter((q) => q.goalId === goal.id).length;
  return own > 0 && queuedTasksThatCannotStart(goal, args).length === own;
}
