import { createPrng, type Prng } from '../../src/llm/offline/prng';
import { dayOf, rollDay, type Day } from '../../src/god/day';
import { decide } from '../../src/god/decide';
import { addGoal, goalsDue, markGenerated, rememberFingerprint, taskFingerprint } from '../../src/god/goals';
import { inFlightByLane, laneDayLeft, laneHeadroom, pacedAllowance, type LedgerRunwayLike } from '../../src/god/pacing';
import { admit, goalCommittedUsd, noQueuedTaskCanStart, overdueShortOfRoom, queuedTasksThatCannotStart } from '../../src/god/prioritise';
import { compactState } from '../../src/god/state';
import { recordOutcome } from '../../src/god/stats';
import type { Assessment, GodState, QueuedTask, TaskFinished } from '../../src/god/types';
import { LANES, type Lane, type Task } from '../../src/tasks/task-input';
import { DAY, freshState, godConfig, task, T0 } from '../support/god-fixtures';

/**
 * Three simulated days of God's pure decisions against a fake ledger, on an injected clock: goals
 * generate, tasks are submitted, decided, admitted by value density within paced lane headroom,
 * spend their (random, seeded) cost over their run, finish, and the day rolls. Both lanes always
 * have more work than budget. What must hold: daily spend within budget, the experimental lane
 * near 15 % of it, pacing (no more than 60 % by noon with a 10 % burst), nothing lost or started
 * twice, and the carried state small.
 */

const BUDGET = 2;
const SHARE = 0.15;
const TICK = 5 * 60_000;
const ZONE = 'UTC';
const config = godConfig({ pacing: 'even', pacingBurst: 0.1 });
/** A kind's typical cost: estimates run above it, real runs a little below. */
const KINDS: Record<string, number> = { research: 0.012, database: 0.02, docs: 0.006 };
/** With `survey`, a third goal whose one kind of task costs a fifth of the experimental lane's
 * day, against the other experimental goal's cheap tasks that take the lane's room as fast as
 * pacing frees it. */
const SURVEY_USD = 0.06;
/** With `dear`, half the main goal's tasks cost 60 % of the main lane's day each (a long
 * chain), and a lesser main goal of cheap tasks stands beside it. */
const DEAR_USD = 0.6 * BUDGET * (1 - SHARE);
const HOLD_AFTER_MS = 2 * 3_600_000;


interface Running {
  taskId: string;
  lane: Lane;
  actualUsd: number;
  startMs: number;
  endMs: number;
  accruedUsd: number;
  ok: boolean;
}

interface DayBook {
  day: Day;
  spent: Record<Lane, number>;
  atNoon?: number;
  started: Record<Lane, number>;
  generatedStarted: Record<string, number>;
}

/** With `capped`, the lesser main goal has a share of 30 % and a third of its tasks cost 18 % of
 * the day: one of them in flight or finished takes most of the share, and another cannot start. */
const CAPPED_USD = 0.18 * BUDGET;

function simulate(opts: { survey?: boolean; dear?: boolean; capped?: boolean; holds?: boolean; passes?: boolean; stuckBacklogGenerates?: boolean; dropsDeadBacklog?: boolean; seed?: number; measureBytes?: boolean } = {}) {
  const holdsOn = opts.holds !== false;
  const passesOn = opts.passes !== false;
  const seed = opts.seed ?? 7;
  const random = createPrng(seed);
  const pick = <T>(xs: readonly T[], draw: Prng = random) => xs[Math.floor(draw() * xs.length)];
  // Each task draws its kind, estimate, cost and duration from its own stream: which tasks God
  // starts, and when, then changes no other task's draws.
  const draws = new Map<string, Prng>();
  let state: GodState = freshState({ experimentalShare: SHARE });
  // With dear tasks, the main goal may fund one (its share is the whole day): they hold the lane.
  state = addGoal(state, { id: 'ops', objective: 'Keep the operational runbooks current', value: 8, cadenceMinutes: 60, budgetShare: opts.dear ? 1 : 0.3, lane: 'main', tasksPerRun: 3 }, T0);
  state = addGoal(state, { id: 'explore', objective: 'Explore cheaper ways to answer research questions', value: 5, cadenceMinutes: 30, budgetShare: 0.5, lane: 'experimental', tasksPerRun: 5 }, T0);
  if (opts.survey) state = addGoal(state, { id: 'survey', objective: 'Survey the vendors of every tool we run', value: 5, cadenceMinutes: 120, budgetShare: 0.5, lane: 'experimental', tasksPerRun: 1 }, T0);
  if (opts.dear) state = addGoal(state, { id: 'vendors', objective: 'Compare the vendors of our observability tools', value: 3, cadenceMinutes: 180, budgetShare: opts.capped ? 0.3 : 1, lane: 'main', tasksPerRun: 2 }, T0);
  const kindCost = (kind: string) => (kind === 'survey' ? SURVEY_USD : kind === 'dear' ? DEAR_USD : kind === 'capped' ? CAPPED_USD : KINDS[kind]);

  const books: DayBook[] = [];
  const newBook = (day: Day): DayBook => ({ day, spent: { main: 0, experimental: 0 }, started: { main: 0, experimental: 0 }, generatedStarted: {} });
  let book = newBook(dayOf(T0, ZONE));
  books.push(book);
  const running = new Map<string, Running>();
  const assessments = new Map<string, Assessment>();
  const entered = new Set<string>();
  const started = new Set<string>();
  const finished = new Set<string>();
  const dropped = new Set<string>();
  const violations: string[] = [];
  let maxBytes = 0;
  let cut = 0;
  let seq = 0;

  const enqueue = (t: Task, source: QueuedTask['source'], goalId?: string) => {
    const taskId = `t${++seq}`;
    const draw = createPrng(seed * 1_000_003 + seq);
    draws.set(taskId, draw);
    const kind =
      goalId === 'survey' ? 'survey'
      : opts.dear && goalId === 'ops' && draw() < 0.5 ? 'dear'
      : opts.capped && goalId === 'vendors' && draw() < 1 / 3 ? 'capped'
      : pick(Object.keys(KINDS), draw);
    assessments.set(taskId, {
      ok: true, reasons: [], kind, specialist: `${kind}-agent`, confidence: 0.9, method: 'rules', ranked: [], irreversible: [],
      estimatedCostUsd: kindCost(kind) * (1 + 0.4 * draw()),
    });
    state = { ...state, queue: [...state.queue, { taskId, task: t, status: 'assessing', submittedAtMs: now, source, lane: t.lane, ...(goalId && { goalId }) }] };
    entered.add(taskId);
  };

  let held: Partial<Record<Lane, string>> = {};
  let now = T0;
  for (; now <= T0 + 3 * DAY; now += TICK) {
    // The ledger: running tasks spend their cost evenly over their run, into the day it is spent
    // on; like the real ledger, it cuts a task off when its lane is spent.
    for (const r of running.values()) {
      const target = r.actualUsd * Math.min(1, (now - r.startMs) / (r.endMs - r.startMs));
      const room = BUDGET * (r.lane === 'main' ? 1 - SHARE : SHARE) - book.spent[r.lane];
      const delta = Math.min(target - r.accruedUsd, Math.max(0, room));
      if (delta < target - r.accruedUsd) {
        cut += 1;
        r.ok = false;
        r.endMs = now;
      }
      book.spent[r.lane] += delta;
      r.accruedUsd += delta;
    }

    const today = dayOf(now, ZONE);
    if (today.key !== book.day.key) {
      book = newBook(today);
      books.push(book);
    }
    const minute = (now - today.startMs) / 60_000;
    if (minute === 12 * 60) book.atNoon = book.spent.main + book.spent.experimental;

    const runway: LedgerRunwayLike = {
      dayKey: today.key, dayStartMs: today.startMs, dayEndMs: today.endMs, timezone: ZONE, breakerOpen: false, asOfMs: now,
      budgetUsd: BUDGET, spentUsd: book.spent.main + book.spent.experimental, reservedUsd: 0,
      lanes: {
        main: { share: 1 - SHARE, budgetUsd: BUDGET * (1 - SHARE), spentUsd: book.spent.main, reservedUsd: 0 },
        experimental: { share: SHARE, budgetUsd: BUDGET * SHARE, spentUsd: book.spent.experimental, reservedUsd: 0 },
      },
    };

    // God's tick, in the order god.ts takes it.
    if (runway.dayKey !== state.day.key) {
      const rolled = rollDay(state, today);
      state = rolled.state;
      for (const d of rolled.dropped) {
        if (d.source !== 'generated') violations.push(`dropped submitted task ${d.taskId}`);
        dropped.add(d.taskId);
      }
    }
    for (const r of [...running.values()]) {
      if (now < r.endMs) continue;
      running.delete(r.taskId);
      const flight = state.inFlight.find((t) => t.taskId === r.taskId)!;
      if (finished.has(r.taskId)) violations.push(`finished twice: ${r.taskId}`);
      finished.add(r.taskId);
      const end: TaskFinished = { taskId: r.taskId, status: r.ok ? 'completed' : 'budget_exceeded', costUsd: r.accruedUsd, tokens: 1000, durationMs: r.endMs - r.startMs, reason: 'done' };
      state = {
        ...state,
        inFlight: state.inFlight.filter((t) => t.taskId !== r.taskId),
        stats: recordOutcome(state.stats, { kind: flight.kind, specialist: flight.specialist, finished: end }),
        goals: state.goals.map((g) => (g.id === flight.goalId ? { ...g, spentTodayUsd: g.spentTodayUsd + end.costUsd } : g)),
      };
    }
    for (const goal of goalsDue(state.goals, now, runway.budgetUsd)) {
      // As god.ts: a goal that has started nothing today and whose backlog is full drops its
      // generated tasks that cannot start today, then generates.
      if (opts.dropsDeadBacklog !== false && !goal.startedToday && state.queue.filter((q) => q.goalId === goal.id).length >= goal.tasksPerRun * 2) {
        const dead = new Set(
          queuedTasksThatCannotStart(goal, { queue: state.queue, inFlight: state.inFlight, budgetUsd: BUDGET, dayLeft: laneDayLeft(runway, inFlightByLane(state.inFlight)) })
            .filter((q) => q.source === 'generated')
            .map((q) => q.taskId),
        );
        for (const id of dead) dropped.add(id);
        state = { ...state, queue: state.queue.filter((q) => !dead.has(q.taskId)) };
      }
      // As god.ts: a goal that has started nothing today generates during a hold if it has nothing
      // queued, or none that can start now.
      const stuck = () =>
        goalCommittedUsd(goal, state.inFlight) < goal.budgetShare * BUDGET &&
        noQueuedTaskCanStart(goal, { queue: state.queue, inFlight: state.inFlight, budgetUsd: BUDGET, dayLeft: laneDayLeft(runway, inFlightByLane(state.inFlight)) });
      const backlogAllows = !state.queue.some((q) => q.goalId === goal.id) || (opts.stuckBacklogGenerates !== false && stuck());
      const firstOfDay = passesOn && !goal.startedToday && backlogAllows;
      if (held[goal.lane] !== undefined && !firstOfDay) continue;
      state = markGenerated(state, goal.id, goal.tasksPerRun, now);
      const backlog = state.queue.filter((q) => q.goalId === goal.id).length;
      if (backlog >= goal.tasksPerRun * 2) continue;
      for (let i = 0; i < goal.tasksPerRun; i++) {
        const objective = `${goal.objective}: step ${seq + 1} of the plan`;
        const fp = taskFingerprint(objective);
        if (state.fingerprints.includes(fp)) continue;
        state = rememberFingerprint(state, fp);
        enqueue(task(objective, { lane: goal.lane, goalId: goal.id, priority: 'normal' }), 'generated', goal.id);
      }
    }
    while (state.queue.filter((q) => q.source === 'submitted').length < 20) {
      enqueue(task(`Answer customer question number ${seq + 1} about invoices`, { priority: pick(['low', 'normal', 'normal', 'high', 'critical'] as const) }), 'submitted');
    }
    state = {
      ...state,
      queue: state.queue.map((q) => {
        if (q.status !== 'assessing') return q;
        const assessment = assessments.get(q.taskId)!;
        const { decision, review } = decide({ ...q, assessment }, { stats: state.stats, specialists: [], config, remainingUsd: Infinity, nowMs: now, spawnedToday: 0 });
        if (review) violations.push(`unexpected review for ${q.taskId}: ${review.join('; ')}`);
        return { ...q, assessment, decision, status: 'queued' };
      }),
    };

    const flying = inFlightByLane(state.inFlight);
    // As god.ts: holds only when a task queued past holdAfter waits for room, and only for a task its goal can fund.
    const admitInput = { queue: state.queue, headroom: laneHeadroom(runway, flying, config, now), goals: state.goals, budgetUsd: BUDGET, inFlight: state.inFlight, breakerOpen: false };
    let plan = admit(admitInput);
    const holds = { nowMs: now, afterMs: HOLD_AFTER_MS, dayLeft: laneDayLeft(runway, flying), onlyFundable: true };
    if (holdsOn && overdueShortOfRoom(state.queue, plan, holds)) {
      plan = admit({ ...admitInput, holds });
      const unstartedGoals = state.goals.filter((g) => !g.startedToday).map((g) => g.id);
      if (passesOn && Object.keys(plan.held).length > 0 && unstartedGoals.length > 0) {
        const passing = admit({ ...admitInput, holds: { ...holds, unstartedGoals } });
        if (passing.passedHold.length > 0) plan = passing;
      }
    }
    held = plan.held;
    for (const taskId of plan.start) {
      const item = state.queue.find((q) => q.taskId === taskId)!;
      const d = item.decision!;
      if (started.has(taskId)) violations.push(`started twice: ${taskId}`);
      started.add(taskId);
      const draw = draws.get(taskId)!;
      running.set(taskId, { taskId, lane: d.lane, actualUsd: kindCost(item.assessment!.kind) * (0.7 + 0.3 * draw()), startMs: now, endMs: now + (5 + Math.floor(draw() * 36)) * 60_000, accruedUsd: 0, ok: true });
      state = {
        ...state,
        queue: state.queue.filter((q) => q.taskId !== taskId),
        inFlight: [...state.inFlight, { taskId, workflowType: 'agentTask', kind: item.assessment!.kind, specialist: d.specialist!, lane: d.lane, ...(item.goalId && { goalId: item.goalId }), expectedCostUsd: d.expectedCostUsd, startedAtMs: now }],
        goals: state.goals.map((g) => (g.id === item.goalId ? { ...g, startedToday: (g.startedToday ?? 0) + 1 } : g)),
      };
      book.started[d.lane] += 1;
      if (item.goalId) book.generatedStarted[item.goalId] = (book.generatedStarted[item.goalId] ?? 0) + 1;
    }
    // God's own promise, checked whenever it admitted into a lane: what the lane has used plus what
    // its tasks in flight are expected to cost stays within the lane's budget and paced allowance.
    const after = inFlightByLane(state.inFlight);
    for (const lane of LANES) {
      if (!plan.start.some((id) => running.get(id)?.lane === lane)) continue;
      const l = runway.lanes[lane];
      const limit = Math.min(l.budgetUsd, pacedAllowance({ budgetUsd: l.budgetUsd, dayStartMs: today.startMs, dayEndMs: today.endMs, nowMs: now, pacing: config.pacing, burst: config.pacingBurst }));
      if (l.spentUsd + after[lane] > limit + 1e-9) violations.push(`${today.key} ${minute} min: ${lane} committed ${l.spentUsd + after[lane]} over ${limit}`);
    }
    state = compactState(state, config, now);
    // What continue-as-new would carry, counted by Node (not God's own counter); only where a test reads it.
    if (opts.measureBytes) maxBytes = Math.max(maxBytes, Buffer.byteLength(JSON.stringify(state)));
  }

  const queued = new Set(state.queue.map((q) => q.taskId));
  const lost = [...entered].filter((id) => !started.has(id) && !queued.has(id) && !dropped.has(id));
  return { books, violations, lost, started, finished, running, dropped, maxBytes, cut };
}

/** Per whole day, how many generated tasks of `goal` started. */
const startsByDay = (sim: ReturnType<typeof simulate>, goal: string) => sim.books.slice(0, 3).map((b) => ({ day: b.day.key, started: b.generatedStarted[goal] ?? 0 }));

/** Both main goals start work every whole day, within the main lane's budget, nothing lost. */
function expectMainGoalsStartDaily(sim: ReturnType<typeof simulate>, seed: number): void {
  for (const goal of ['ops', 'vendors']) {
    for (const d of startsByDay(sim, goal)) expect({ seed, goal, ...d, started: d.started > 0 }).toEqual({ seed, goal, day: d.day, started: true });
  }
  for (const b of sim.books.slice(0, 3)) expect(b.spent.main).toBeLessThanOrEqual(BUDGET * (1 - SHARE) + 1e-9);
  expect(sim.violations).toEqual([]);
  expect(sim.lost).toEqual([]);
}

describe('three simulated days of God’s runway', () => {
  const sim = simulate({ measureBytes: true });
  // The last book is the first tick of day four; judge the three whole days.
  const days = sim.books.slice(0, 3);

  it('runs three whole days', () => {
    expect(days.map((b) => b.day.key)).toEqual(['2024-05-01', '2024-05-02', '2024-05-03']);
  });

  it('keeps God’s own commitments within each lane’s budget and paced allowance whenever it admits', () => {
    expect(sim.violations).toEqual([]);
  });

  it('never spends more than the day’s budget, in total or in a lane, without the ledger having to cut a task off', () => {
    expect(sim.cut).toBe(0);
    for (const b of days) {
      expect(b.spent.main + b.spent.experimental).toBeLessThanOrEqual(BUDGET + 1e-9);
      expect(b.spent.main).toBeLessThanOrEqual(BUDGET * (1 - SHARE) + 1e-9);
      expect(b.spent.experimental).toBeLessThanOrEqual(BUDGET * SHARE + 1e-9);
    }
  });

  it('uses most of each lane’s budget: both lanes really are saturated', () => {
    for (const b of days) {
      expect(b.spent.main / (BUDGET * (1 - SHARE))).toBeGreaterThan(0.85);
      expect(b.spent.experimental / (BUDGET * SHARE)).toBeGreaterThan(0.85);
    }
  });

  it('gives the experimental lane 15 ± 3 % of each day’s spend', () => {
    for (const b of days) {
      const share = b.spent.experimental / (b.spent.main + b.spent.experimental);
      expect(share).toBeGreaterThanOrEqual(0.12);
      expect(share).toBeLessThanOrEqual(0.18);
    }
  });

  it('paces: by noon no more than 60 % of the day’s budget is spent (10 % burst)', () => {
    for (const b of days) {
      expect(b.atNoon).toBeDefined();
      expect(b.atNoon!).toBeLessThanOrEqual(0.6 * BUDGET + 1e-9);
      // ...and it does spend through the morning rather than hoarding.
      expect(b.atNoon!).toBeGreaterThan(0.35 * BUDGET);
    }
  });

  it('starts tasks of every goal every day', () => {
    for (const b of days) {
      expect(b.generatedStarted.ops).toBeGreaterThan(0);
      expect(b.generatedStarted.explore).toBeGreaterThan(0);
    }
  });

  it('loses no task and starts none twice', () => {
    expect(sim.lost).toEqual([]);
    for (const id of sim.finished) expect(sim.started.has(id)).toBe(true);
    expect(sim.finished.size + sim.running.size).toBe(sim.started.size);
    expect(sim.dropped.size).toBeGreaterThan(0);
  });

  it('keeps the carried state under 256 KB throughout', () => {
    expect(sim.maxBytes).toBeGreaterThan(0); // it was measured
    expect(sim.maxBytes).toBeLessThan(256 * 1024);
  });
});

describe('a goal of dear tasks beside a goal of cheap ones in the same lane', () => {
  const days = (holds: boolean) => simulate({ survey: true, holds }).books.slice(0, 3);

  it('without holds, the dear tasks never start: the cheap ones take the lane\'s room as pacing frees it', () => {
    expect(days(false).map((b) => b.generatedStarted.survey ?? 0)).toEqual([0, 0, 0]);
  });

  it('with holds (a task queued 2 h keeps its lane\'s room), every goal starts work every day, within the lane\'s budget', () => {
    const sim = simulate({ survey: true, holds: true });
    for (const b of sim.books.slice(0, 3)) {
      for (const goal of ['ops', 'explore', 'survey']) expect({ day: b.day.key, goal, started: (b.generatedStarted[goal] ?? 0) > 0 }).toEqual({ day: b.day.key, goal, started: true });
      expect(b.spent.experimental).toBeLessThanOrEqual(BUDGET * SHARE + 1e-9);
    }
    expect(sim.violations).toEqual([]);
    expect(sim.lost).toEqual([]);
  });
});

describe('a goal that sometimes needs half its lane\'s day beside a lesser goal in the same lane', () => {
  // Ten seeds: which days a dear task holds the lane, and for how long, is the draws' doing.
  const SEEDS = Array.from({ length: 10 }, (_, i) => i + 1);

  it('with holds alone, the lesser goal starts nothing on some days: a dear task held the lane all day', () => {
    const starved = SEEDS.flatMap((seed) => startsByDay(simulate({ dear: true, passes: false, seed }), 'vendors').filter((d) => d.started === 0).map((d) => `seed ${seed} ${d.day}`));
    expect(starved.length).toBeGreaterThan(0);
  });

  it('with each goal\'s first task of the day passing a hold, every goal starts work every day, within the lane\'s budget and pacing', () => {
    for (const seed of SEEDS) {
      const sim = simulate({ dear: true, seed });
      expectMainGoalsStartDaily(sim, seed);
    }
  });
});

describe('a goal whose queued tasks cannot start today, while its lane is held', () => {
  // Both main goals capped or dear: on some days every task a goal queued is more than its lane can
  // still take that day, and another goal's overdue task holds the lane all day.

  it('when only a goal with nothing queued generates during a hold, a goal stuck with such tasks starts nothing that day', () => {
    const sim = simulate({ dear: true, capped: true, seed: 13, stuckBacklogGenerates: false, dropsDeadBacklog: false });
    expect(startsByDay(sim, 'ops').filter((d) => d.started === 0).map((d) => d.day)).toEqual(['2024-05-03']);
  });

  it('a goal none of whose queued tasks can start now generates during the hold, and every goal starts work every day', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const sim = simulate({ dear: true, capped: true, seed });
      expectMainGoalsStartDaily(sim, seed);
    }
  });
});

describe('a goal that has started nothing today, whose backlog fills with tasks the day can no longer take', () => {
  // Seed 70: the main goal's backlog fills with dear tasks while older tasks hold the lane; by the
  // time they are overdue the lane's day has less left than any of them costs.

  it('without dropping them, the goal stops generating and starts nothing that day', () => {
    const sim = simulate({ dear: true, seed: 70, dropsDeadBacklog: false });
    expect(startsByDay(sim, 'ops').filter((d) => d.started === 0).map((d) => d.day)).toEqual(['2024-05-03']);
  });

  it('dropping them when it comes due, it generates again and every goal starts work every day', () => {
    for (let seed = 61; seed <= 80; seed++) {
      const sim = simulate({ dear: true, seed });
      expectMainGoalsStartDaily(sim, seed);
    }
  });
});
