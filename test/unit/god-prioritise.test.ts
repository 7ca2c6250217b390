import { admit, noQueuedTaskCanStart, overdueShortOfRoom, PRIORITY_WEIGHT, samePlan, valueDensity, type AdmitInput } from '../../src/god/prioritise';
import type { GoalState, InFlightTask } from '../../src/god/types';
import { queued, T0 } from '../support/god-fixtures';

function input(overrides: Partial<AdmitInput>): AdmitInput {
  return { queue: [], headroom: { main: 1, experimental: 1 }, goals: [], budgetUsd: 1, inFlight: [], breakerOpen: false, ...overrides };
}

const goal = (id: string, budgetShare: number, spentTodayUsd = 0, value = 5): GoalState => ({
  id, objective: 'Keep the runbooks current', value, cadenceMinutes: 60, budgetShare, lane: 'main', tasksPerRun: 2, addedAtMs: T0, lastGeneratedAtMs: 0, generated: 0, spentTodayUsd,
});

describe('value density', () => {
  it('weights priority 1/2/4/8', () => {
    expect(PRIORITY_WEIGHT).toEqual({ low: 1, normal: 2, high: 4, critical: 8 });
  });

  it.each([
    ['normal, no goal, 80 % at $0.01', { priority: 'normal', expectedSuccess: 0.8, expectedCostUsd: 0.01 }, 160],
    ['critical beats normal fourfold', { priority: 'critical', expectedSuccess: 0.8, expectedCostUsd: 0.01 }, 640],
    ['a goal of value 10 doubles it', { priority: 'normal', goalValue: 10, expectedSuccess: 0.8, expectedCostUsd: 0.01 }, 320],
    ['a goal of value 1 divides it by 5', { priority: 'normal', goalValue: 1, expectedSuccess: 0.8, expectedCostUsd: 0.01 }, 32],
    ['half the success, half the density', { priority: 'normal', expectedSuccess: 0.4, expectedCostUsd: 0.01 }, 80],
    ['twice the cost, half the density', { priority: 'normal', expectedSuccess: 0.8, expectedCostUsd: 0.02 }, 80],
    ['a free task is dense, not infinite', { priority: 'low', expectedSuccess: 1, expectedCostUsd: 0 }, 1e6],
  ] as const)('%s', (_name, args, expected) => {
    expect(valueDensity(args)).toBeCloseTo(expected, 6);
  });
});

describe('admit', () => {
  it('budget for 3 of 10 queued tasks runs the 3 of highest value density; the other 7 wait with a reason', () => {
    // Same cost; density differs by priority and expected success, listed in a scrambled order.
    const specs: Array<[string, 'low' | 'normal' | 'high' | 'critical', number]> = [
      ['t0', 'low', 0.9], ['t1', 'critical', 0.5], ['t2', 'normal', 0.9], ['t3', 'high', 0.9], ['t4', 'low', 0.5],
      ['t5', 'critical', 0.9], ['t6', 'normal', 0.5], ['t7', 'high', 0.5], ['t8', 'normal', 0.7], ['t9', 'low', 0.7],
    ];
    const queue = specs.map(([id, priority, success]) => queued(id, { priority, success, cost: 0.01 }));
    const result = admit(input({ queue, headroom: { main: 0.035, experimental: 1 }, notes: { main: 'paced: $0.050 of $0.200 by 14:00; $0.015 spent or reserved' } }));
    // critical .9 = 720, critical .5 = 400, high .9 = 360, then high .5 = 200 ...
    expect(result.start).toEqual(['t5', 't1', 't3']);
    const waiting = Object.keys(result.waiting).sort();
    expect(waiting).toEqual(['t0', 't2', 't4', 't6', 't7', 't8', 't9']);
    expect(result.waiting.t7).toBe('waiting for runway: needs ~$0.010, main lane can commit $0.0050 now (paced: $0.050 of $0.200 by 14:00; $0.015 spent or reserved)');
    expect(result.density.t5).toBeCloseTo(720, 6);
  });

  it('lets a cheaper task behind an unaffordable one start', () => {
    const queue = [queued('big', { priority: 'critical', cost: 0.5 }), queued('small', { priority: 'low', cost: 0.01 })];
    const r = admit(input({ queue, headroom: { main: 0.1, experimental: 0 } }));
    expect(r.start).toEqual(['small']);
    expect(r.waiting.big).toMatch(/^waiting for runway: needs ~\$0\.500, main lane can commit \$0\.090 now$/);
  });

  it('breaks ties by age, then by task id', () => {
    const queue = [queued('b', { submittedAtMs: T0 + 5 }), queued('c', { submittedAtMs: T0 }), queued('a', { submittedAtMs: T0 + 5 })];
    expect(admit(input({ queue })).start).toEqual(['c', 'a', 'b']);
  });

  it('keeps lanes apart: experimental tasks spend only the experimental headroom', () => {
    const queue = [queued('e1', { lane: 'experimental', cost: 0.02, priority: 'critical' }), queued('e2', { lane: 'experimental', cost: 0.02 }), queued('m1', { cost: 0.02 })];
    const r = admit(input({ queue, headroom: { main: 0.5, experimental: 0.03 } }));
    expect(r.start).toEqual(['e1', 'm1']);
    expect(r.waiting.e2).toMatch(/experimental lane can commit \$0\.010 now/);
  });

  it('holds each goal to its share of the day, counting spend and tasks in flight', () => {
    const flying: InFlightTask[] = [{ taskId: 'f', workflowType: 'agentTask', kind: 'k', specialist: 's', lane: 'main', goalId: 'docs', expectedCostUsd: 0.05, startedAtMs: T0 }];
    const queue = [queued('d1', { goalId: 'docs', cost: 0.04 }), queued('d2', { goalId: 'docs', cost: 0.04 }), queued('other', { cost: 0.04 })];
    // docs may take 20 % of $0.80 = $0.16: $0.07 spent + $0.05 flying + $0.04 = $0.16 just fits, another $0.04 does not.
    const r = admit(input({ queue, goals: [goal('docs', 0.2, 0.07)], budgetUsd: 0.8, inFlight: flying }));
    expect(r.start).toEqual(['d1', 'other']);
    expect(r.waiting.d2).toBe('waiting for goal budget: goal "docs" may spend 20% of today\'s $0.800 ($0.160); $0.160 spent or in flight, needs ~$0.040');
  });

  it('counts the goal’s value in the density', () => {
    const queue = [queued('plain', { cost: 0.01 }), queued('valued', { goalId: 'g', cost: 0.01 })];
    const r = admit(input({ queue, goals: [goal('g', 1, 0, 10)], headroom: { main: 0.01, experimental: 0 } }));
    expect(r.start).toEqual(['valued']);
  });

  it('considers only queued tasks with a route, chain or spawn decision', () => {
    const queue = [
      queued('undecided', { decided: false }),
      queued('review', { status: 'awaiting_review' }),
      queued('assessing', { status: 'assessing' }),
      { ...queued('rejected'), decision: { ...queued('x').decision!, kind: 'reject' as const } },
      { ...queued('chain'), decision: { ...queued('x').decision!, kind: 'chain' as const, plan: ['A', 'B'] } },
    ];
    const r = admit(input({ queue }));
    expect(r.start).toEqual(['chain']);
    expect(r.waiting).toEqual({});
  });

  it.each([
    ['paused', { paused: 'maintenance window' }, 'paused: maintenance window (nothing starts until resume)'],
    ['the breaker is open', { breakerOpen: true }, 'waiting: the budget circuit breaker is open (nothing starts until it closes)'],
    ['paused with the breaker open', { paused: 'ops', breakerOpen: true }, 'paused: ops (nothing starts until resume); the budget circuit breaker is open (nothing starts until it closes)'],
  ])('starts nothing while %s, and says so', (_name, extra, reason) => {
    const r = admit(input({ queue: [queued('a'), queued('b')], ...extra }));
    expect(r.start).toEqual([]);
    expect(r.waiting).toEqual({ a: reason, b: reason });
  });

  describe('holds: a task queued past holdAfter', () => {
    const HOUR = 3_600_000;
    const now = T0 + 3 * HOUR;
    const holds = (dayLeft = { main: 1, experimental: 1 }) => ({ nowMs: now, afterMs: 2 * HOUR, dayLeft });
    // A dear chain queued three hours ago, cheap work queued since: denser, and each fits the room.
    const dear = () => queued('dear', { cost: 0.05, submittedAtMs: T0 });
    const cheap = (id: string) => queued(id, { cost: 0.01, submittedAtMs: T0 + 2.5 * HOUR });

    it('keeps its lane\'s room for it: the cheaper, denser tasks behind it wait, and say for whom', () => {
      const queue = [cheap('c1'), dear(), cheap('c2'), queued('x', { cost: 0.01, lane: 'experimental', submittedAtMs: T0 + 2.5 * HOUR })];
      const without = admit(input({ queue, headroom: { main: 0.03, experimental: 0.03 } }));
      // Before holds: the cheap tasks take the room the dear one waits for, every tick.
      expect(without.start).toEqual(['c1', 'c2', 'x']);
      const r = admit(input({ queue, headroom: { main: 0.03, experimental: 0.03 }, holds: holds() }));
      expect(r.start).toEqual(['x']);
      expect(r.held).toEqual({ main: 'dear' });
      expect(r.waiting.dear).toBe('waiting for runway: needs ~$0.050, main lane can commit $0.030 now; queued 3 h 0 min, so the lane keeps its room for it');
      expect(r.waiting.c1).toBe("waiting behind dear: queued over 2 h 0 min, it holds the main lane's room until it fits");
      expect(r.waiting.c2).toBe(r.waiting.c1);
      // Once the room has grown to its cost, it starts first.
      expect(admit(input({ queue, headroom: { main: 0.06, experimental: 0.03 }, holds: holds() })).start).toEqual(['dear', 'c1', 'x']);
    });

    it('keeps it from more urgent tasks too (one that passed would take the room as it accrues, and the held task would starve again)', () => {
      const urgent = queued('urgent', { cost: 0.01, priority: 'critical', submittedAtMs: now - 60_000 });
      const r = admit(input({ queue: [dear(), urgent], headroom: { main: 0.03, experimental: 0 }, holds: holds() }));
      expect(r.start).toEqual([]);
      expect(r.waiting.urgent).toMatch(/^waiting behind dear/);
    });

    it('goes first, oldest first, whatever its density, when it fits', () => {
      const queue = [queued('new', { cost: 0.01, submittedAtMs: now - 60_000 }), queued('old', { cost: 0.04, success: 0.2, submittedAtMs: T0 }), queued('older', { cost: 0.04, success: 0.2, submittedAtMs: T0 - HOUR })];
      expect(admit(input({ queue, headroom: { main: 0.085, experimental: 0 }, holds: holds() })).start).toEqual(['older', 'old']);
      expect(admit(input({ queue, headroom: { main: 0.085, experimental: 0 } })).start).toEqual(['new', 'older']);
    });

    it('holds nothing when it could not start today however long it waited, or when its goal\'s share stops it', () => {
      const queue = [dear(), cheap('c1')];
      const r = admit(input({ queue, headroom: { main: 0.03, experimental: 0.03 }, holds: holds({ main: 0.04, experimental: 1 }) }));
      expect(r.start).toEqual(['c1']);
      expect(r.held).toEqual({});
      expect(r.waiting.dear).not.toMatch(/keeps its room/);
      const capped = [queued('g', { cost: 0.05, goalId: 'docs', submittedAtMs: T0 }), cheap('c1')];
      const byGoal = admit(input({ queue: capped, goals: [goal('docs', 0.1)], budgetUsd: 0.4, holds: holds() }));
      expect(byGoal.start).toEqual(['c1']);
      expect(byGoal.waiting.g).toMatch(/^waiting for goal budget/);
    });

    it('holds nothing for a task its goal\'s share cannot take now, even short of room (with onlyFundable)', () => {
      // The docs goal may spend 10 % of $0.4 today ($0.04) and the task needs $0.05: a start its goal would refuse.
      const queue = [queued('g', { cost: 0.05, goalId: 'docs', submittedAtMs: T0 }), cheap('c1')];
      const args = { queue, goals: [goal('docs', 0.1)], budgetUsd: 0.4, headroom: { main: 0.03, experimental: 0 } };
      const before = admit(input({ ...args, holds: holds() }));
      expect(before.held).toEqual({ main: 'g' });
      expect(before.start).toEqual([]);
      const r = admit(input({ ...args, holds: { ...holds(), onlyFundable: true } }));
      expect(r.held).toEqual({});
      expect(r.start).toEqual(['c1']);
      expect(r.waiting.g).toBe("waiting for runway: needs ~$0.050, main lane can commit $0.030 now; its goal's share of the day cannot take it now, so it holds nothing");
      expect(samePlan(before, r)).toBe(false);
      // A task its goal can fund still holds.
      const funded = admit(input({ ...args, goals: [goal('docs', 0.5)], holds: { ...holds(), onlyFundable: true } }));
      expect(funded.held).toEqual({ main: 'g' });
      expect(samePlan(funded, admit(input({ ...args, goals: [goal('docs', 0.5)], holds: holds() })))).toBe(true);
    });

    describe('a goal that has started nothing today', () => {
      // The dear task is the orders goal's; vendors and docs wait behind it, docs has started a task today.
      const held = () => [
        queued('dear', { cost: 0.05, goalId: 'orders', submittedAtMs: T0 }),
        queued('v1', { cost: 0.01, goalId: 'vendors', submittedAtMs: T0 + 2.5 * HOUR }),
        queued('v2', { cost: 0.01, goalId: 'vendors', submittedAtMs: T0 + 2.5 * HOUR }),
        queued('o2', { cost: 0.01, goalId: 'orders', submittedAtMs: T0 + 2.5 * HOUR }),
        queued('d1', { cost: 0.01, goalId: 'docs', submittedAtMs: T0 + 2.5 * HOUR }),
        cheap('c1'),
      ];
      const goals = [goal('orders', 1), goal('vendors', 1), goal('docs', 1)];

      it('starts its first task past the hold when it fits the room now; the hold stays, and everything else waits behind it', () => {
        const r = admit(input({ queue: held(), goals, headroom: { main: 0.03, experimental: 0 }, holds: { ...holds(), unstartedGoals: ['orders', 'vendors'] } }));
        expect(r.start).toEqual(['v1']);
        expect(r.passedHold).toEqual(['v1']);
        expect(r.held).toEqual({ main: 'dear' });
        // Its second task, the holder's own goal, a goal that started a task today, and a task of no goal all wait.
        for (const id of ['v2', 'o2', 'd1', 'c1']) expect({ id, reason: r.waiting[id] }).toEqual({ id, reason: expect.stringMatching(/^waiting behind dear/) });
        // Without the goals' passes, as before them: nothing starts.
        expect(admit(input({ queue: held(), goals, headroom: { main: 0.03, experimental: 0 }, holds: holds() })).start).toEqual([]);
      });

      it('waits behind the hold, holding nothing itself, when its task does not fit the room', () => {
        const queue = [queued('dear', { cost: 0.05, goalId: 'orders', submittedAtMs: T0 }), queued('v1', { cost: 0.04, goalId: 'vendors', submittedAtMs: T0 })];
        const r = admit(input({ queue, goals, headroom: { main: 0.03, experimental: 0 }, holds: { ...holds(), unstartedGoals: ['vendors'] } }));
        expect(r.start).toEqual([]);
        expect(r.held).toEqual({ main: 'dear' });
        expect(r.waiting.v1).toBe("waiting behind dear: queued over 2 h 0 min, it holds the main lane's room until it fits; as its goal's first task today it may pass the hold once the room fits it");
        expect(r.passedHold).toEqual([]);
      });
    });

    describe('whether none of a goal\'s queued tasks can start now (such a goal generates during a hold)', () => {
      const vendors = goal('vendors', 0.3, 0.05);
      const dayLeft = { main: 0.5, experimental: 0.1 };
      const ask = (queue: ReturnType<typeof queued>[], inFlight: InFlightTask[] = [], left = dayLeft) => noQueuedTaskCanStart(vendors, { queue, inFlight, budgetUsd: 1, dayLeft: left });
      const flight = (cost: number): InFlightTask => ({ taskId: 'f', workflowType: 'taskChain', kind: 'k', specialist: 's', lane: 'main', goalId: 'vendors', expectedCostUsd: cost, startedAtMs: T0 });

      it('is false with nothing queued (that case generates as before)', () => {
        expect(ask([queued('o1', { goalId: 'orders', cost: 0.9 })])).toBe(false);
      });

      it('is true when its share of the day cannot take any of them, after what it spent and has in flight', () => {
        // Share $0.30: $0.05 spent; $0.24 fits, but not beside a $0.10 chain in flight.
        expect(ask([queued('v1', { goalId: 'vendors', cost: 0.24 })])).toBe(false);
        expect(ask([queued('v1', { goalId: 'vendors', cost: 0.24 })], [flight(0.1)])).toBe(true);
        expect(ask([queued('v1', { goalId: 'vendors', cost: 0.24 }), queued('v2', { goalId: 'vendors', cost: 0.3 })], [flight(0.1)])).toBe(true);
      });

      it('is true when its lane cannot take them today, whatever the goal\'s share', () => {
        const rich = goal('vendors', 1);
        expect(noQueuedTaskCanStart(rich, { queue: [queued('v1', { goalId: 'vendors', cost: 0.2 })], inFlight: [], budgetUsd: 1, dayLeft: { main: 0.1, experimental: 1 } })).toBe(true);
        expect(noQueuedTaskCanStart(rich, { queue: [queued('v1', { goalId: 'vendors', cost: 0.2, lane: 'experimental' })], inFlight: [], budgetUsd: 1, dayLeft: { main: 0.1, experimental: 1 } })).toBe(false);
      });

      it('is false when one of them could still start, is being assessed, or awaits review', () => {
        const stuck = queued('v1', { goalId: 'vendors', cost: 0.9 });
        expect(ask([stuck])).toBe(true);
        expect(ask([stuck, queued('v2', { goalId: 'vendors', cost: 0.01 })])).toBe(false);
        expect(ask([stuck, queued('v2', { goalId: 'vendors', status: 'assessing', decided: false })])).toBe(false);
        expect(ask([stuck, queued('v2', { goalId: 'vendors', status: 'awaiting_review', cost: 0.9 })])).toBe(false);
      });

      it('agrees with admit: a task it calls stuck neither passes the hold though it fits the room, nor holds the lane', () => {
        // v1 ($0.30) fits the room ($0.35) but not its goal's share ($0.25 left); dear ($0.40), older, holds the lane.
        const queue = [queued('dear', { cost: 0.4, goalId: 'orders', submittedAtMs: T0 }), queued('v1', { goalId: 'vendors', cost: 0.3, submittedAtMs: T0 + HOUR })];
        const goals = [goal('orders', 1), vendors];
        const rules = { ...holds(), unstartedGoals: ['vendors'], onlyFundable: true };
        expect(ask(queue)).toBe(true);
        const r = admit(input({ queue, goals, headroom: { main: 0.35, experimental: 0 }, holds: rules }));
        expect(r.held).toEqual({ main: 'dear' });
        expect(r.start).toEqual([]);
        expect(r.passedHold).toEqual([]);
        expect(r.waiting.v1).toMatch(/^waiting for goal budget/);
        // Alone and overdue, short of room: it holds nothing.
        const alone = admit(input({ queue: [queue[1]], goals, headroom: { main: 0.2, experimental: 0 }, holds: rules }));
        expect(alone.held).toEqual({});
        expect(alone.waiting.v1).toMatch(/its goal's share of the day cannot take it now, so it holds nothing/);
        // A share that takes it: it passes the hold (what the goal's generation during a hold is for).
        const funded = admit(input({ queue, goals: [goal('orders', 1), goal('vendors', 1)], headroom: { main: 0.35, experimental: 0 }, holds: rules }));
        expect(funded.passedHold).toEqual(['v1']);
      });
    });

    it('is worth asking only when an overdue task waits for room (God asks its patch only then)', () => {
      const short = admit(input({ queue: [dear(), cheap('c1')], headroom: { main: 0.03, experimental: 0 } }));
      expect(short.shortOfRoom).toEqual(['dear']);
      expect(overdueShortOfRoom([dear(), cheap('c1')], short, holds())).toBe(true);
      expect(overdueShortOfRoom([dear(), cheap('c1')], short, { nowMs: T0 + HOUR, afterMs: 2 * HOUR })).toBe(false);
      const roomy = admit(input({ queue: [dear(), cheap('c1')], headroom: { main: 1, experimental: 0 } }));
      expect(overdueShortOfRoom([dear(), cheap('c1')], roomy, holds())).toBe(false);
    });
  });
});
