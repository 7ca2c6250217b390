import { initialLedgerState, release, reserve, settle } from '../../src/budget/ledger';
import { laneLimitUsd } from '../../src/budget/lanes';
import { DEFAULT_LEDGER_OPTIONS, type LedgerState, type ReserveRequest, type ReserveResult } from '../../src/budget/ledger-types';
import { parseLimits, type Limits } from '../../src/budget';
import { SetExperimentalShareInputSchema, ReserveInputSchema, validatorOf } from '../../src/budget/messages';
import { setExperimentalShare, setOverride } from '../../src/budget/operator';
import { budgetSnapshot } from '../../src/budget/snapshot';
import { budgetWaitFrom } from '../../src/budget/waiting';
import { limitsWith } from '../support/limits';
import { denied, granted } from '../support/ledger-results';

/**
 * The day's two lanes, driven by an injected clock: each lane is its share of system:day, the
 * experimental lane never borrows from main nor main from experimental, a full lane makes its
 * tasks wait (lane_budget_full) without opening the breaker, and the share moves at runtime.
 */

const at = (iso: string) => Date.parse(iso);
const T0 = at('2024-05-01T10:00:00Z');
const SEC = 1000;
const MIN = 60 * SEC;

let seq = 0;
const ask = (state: LedgerState, limits: Limits, nowMs: number, taskId: string, usd: number, over: Partial<ReserveRequest> = {}): ReserveResult =>
  reserve(state, { key: `k${++seq}`, taskId, agent: `agent-${taskId}`, usd, tokens: 10, ...over }, nowMs, limits).result;
const exp = { lane: 'experimental' as const };

/** $10 a day: experimental $1.50, main $8.50 at the default share; nothing else binds. */
const tenDollarDay = (over: Parameters<typeof limitsWith>[0] = {}) => limitsWith({ systemDailyUsd: 10, ...over });

const lanesOf = (state: LedgerState, nowMs: number, limits: Limits) => budgetSnapshot(state, nowMs, limits).lanes!;

describe('lane limits', () => {
  it('gives the experimental lane 15 % of system:day and the main lane the other 85 % by default', () => {
    const limits = tenDollarDay();
    const state = initialLedgerState(T0, limits);
    expect(limits.experimentalShare).toBe(0.15);
    expect(laneLimitUsd('experimental', limits, state, T0)).toBeCloseTo(1.5, 12);
    expect(laneLimitUsd('main', limits, state, T0)).toBeCloseTo(8.5, 12);
    expect(lanesOf(state, T0, limits)).toEqual({
      main: { scope: 'lane:main:day', share: 0.85, limitUsd: 8.5, spentUsd: 0, reservedUsd: 0, leasedUsd: 0 },
      experimental: { scope: 'lane:experimental:day', share: 0.15, limitUsd: 1.5, spentUsd: 0, reservedUsd: 0, leasedUsd: 0 },
    });
  });

  it('holds experimental calls at their lane limit with lane_budget_full, breaker closed, while main calls keep being granted', () => {
    const limits = tenDollarDay();
    const state = initialLedgerState(T0, limits);
    settle(state, granted(ask(state, limits, T0, 'x1', 1.0, exp)), { usd: 1.0, tokens: 10 }, T0, limits);
    granted(ask(state, limits, T0 + SEC, 'x2', 0.4, exp));
    const held = denied(ask(state, limits, T0 + 2 * SEC, 'x3', 0.2, exp));

    expect(held).toMatchObject({ type: 'lane_budget_full', scope: 'lane:experimental:day', limitUsd: 1.5, requestedUsd: 0.2, position: 1, waiting: 1 });
    expect(held.spentUsd).toBeCloseTo(1.4, 12);
    expect(held.message).toMatch(/^lane_budget_full: lane:experimental:day \(15% of system:day\) has \$1\.400000 of its limit \$1\.500000 .*the request needs \$0\.200000/);
    expect(state.breaker.open).toBe(false);
    expect(state.alerts.map((a) => `${a.kind} ${a.scope}`)).toEqual(['lane_budget_full lane:experimental:day']);
    // The system day has $8.60 free, the main lane all of its $8.50: main work goes on.
    granted(ask(state, limits, T0 + 3 * SEC, 'm1', 5));
    // A waiting task is a wait, not a failure (src/budget/waiting.ts).
    expect(budgetWaitFrom(held.type, held.message, { scope: held.scope, position: held.position, waiting: held.waiting })).toMatchObject({ type: 'lane_budget_full', scope: 'lane:experimental:day' });
  });

  it('never lets main borrow from an idle experimental lane, nor experimental from main', () => {
    const limits = tenDollarDay();
    const state = initialLedgerState(T0, limits);
    settle(state, granted(ask(state, limits, T0, 'm1', 8.5)), { usd: 8.5, tokens: 10 }, T0, limits);
    // $1.50 of the day is free, all of it the experimental lane's.
    expect(denied(ask(state, limits, T0 + SEC, 'm2', 0.01))).toMatchObject({ type: 'lane_budget_full', scope: 'lane:main:day', limitUsd: 8.5, spentUsd: 8.5 });
    granted(ask(state, limits, T0 + 2 * SEC, 'x1', 1.5, exp));
    expect(state.breaker.open).toBe(false);

    const other = initialLedgerState(T0, limits);
    settle(other, granted(ask(other, limits, T0, 'x1', 1.5, exp)), { usd: 1.5, tokens: 10 }, T0, limits);
    expect(denied(ask(other, limits, T0 + SEC, 'x2', 0.01, exp))).toMatchObject({ type: 'lane_budget_full', scope: 'lane:experimental:day' });
    expect(budgetSnapshot(other, T0 + SEC, limits).scopes.find((s) => s.scope === 'system:day')).toMatchObject({ settledUsd: 1.5 });
  });

  it('counts reservations against their lane until they settle, and a release gives the room back', () => {
    const limits = tenDollarDay();
    const state = initialLedgerState(T0, limits);
    const held = granted(ask(state, limits, T0, 'x1', 1.2, exp));
    expect(lanesOf(state, T0, limits).experimental).toMatchObject({ spentUsd: 0, reservedUsd: 1.2 });
    expect(lanesOf(state, T0, limits).main).toMatchObject({ spentUsd: 0, reservedUsd: 0 });
    expect(denied(ask(state, limits, T0 + SEC, 'x2', 0.5, exp)).type).toBe('lane_budget_full');
    release(state, held, T0 + 2 * SEC, limits);
    granted(ask(state, limits, T0 + 3 * SEC, 'x2', 0.5, exp));
  });

  it('charges each lane what its calls settled, and an abandoned reservation its worst case in its own lane', () => {
    const limits = tenDollarDay();
    const state = initialLedgerState(T0, limits);
    settle(state, granted(ask(state, limits, T0, 'x1', 0.5, exp)), { usd: 0.3, tokens: 10 }, T0, limits);
    settle(state, granted(ask(state, limits, T0, 'm1', 2)), { usd: 1.25, tokens: 10 }, T0, limits);
    granted(ask(state, limits, T0, 'x2', 0.2, exp));
    // Past the reservation TTL the unsettled call is charged at its worst case.
    const later = T0 + DEFAULT_LEDGER_OPTIONS.reservationTtlMs + MIN;
    const lanes = lanesOf(state, later, limits);
    expect(lanes.experimental.reservedUsd).toBeCloseTo(0.2, 12);
    granted(ask(state, limits, later, 'm2', 0.01));
    const after = lanesOf(state, later, limits);
    expect(after.experimental.spentUsd).toBeCloseTo(0.5, 12);
    expect(after.experimental.reservedUsd).toBe(0);
    expect(after.main.spentUsd).toBeCloseTo(1.25, 12);
  });

  it('refuses, as budget_exceeded, a call dearer than its whole lane: no wait could make room for it', () => {
    const limits = tenDollarDay();
    const state = initialLedgerState(T0, limits);
    expect(denied(ask(state, limits, T0, 'x1', 2, exp))).toMatchObject({ type: 'budget_exceeded', scope: 'lane:experimental:day', limitUsd: 1.5 });
    expect(state.waiters ?? []).toEqual([]);
    expect(state.breaker.open).toBe(false);
  });

  it('starts every lane afresh at the day rollover', () => {
    const limits = tenDollarDay();
    const state = initialLedgerState(T0, limits);
    settle(state, granted(ask(state, limits, T0, 'x1', 1.5, exp)), { usd: 1.5, tokens: 10 }, T0, limits);
    const full = denied(ask(state, limits, T0 + SEC, 'x2', 0.1, exp));
    // Only the rollover makes room: the wait says when.
    expect(full.retryAtMs).toBe(at('2024-05-02T00:00:00Z'));
    granted(ask(state, limits, at('2024-05-02T00:00:00Z'), 'x2', 0.1, exp));
  });
});

describe('the admission queue across lanes', () => {
  it('lets an older experimental waiter hold up nobody but its own lane', () => {
    const limits = tenDollarDay();
    const state = initialLedgerState(T0, limits);
    // Seen in this order: x-old is the oldest task, then m-young.
    ask(state, limits, T0, 'x-old', 0, exp);
    ask(state, limits, T0 + SEC, 'm-young', 0);
    // A call in flight holds $1 of the experimental lane's $1.50; x-old needs $0.80 once it settles.
    granted(ask(state, limits, T0 + 2 * SEC, 'x-holder', 1, exp));
    expect(denied(ask(state, limits, T0 + 3 * SEC, 'x-old', 0.8, exp))).toMatchObject({ type: 'lane_budget_full', position: 1 });
    // Younger, but of the main lane: the room x-old waits for is not the room it needs.
    granted(ask(state, limits, T0 + 4 * SEC, 'm-young', 3));
    // A younger experimental task would take x-old's room: it waits behind it.
    expect(denied(ask(state, limits, T0 + 5 * SEC, 'x-young', 0.05, exp))).toMatchObject({ type: 'lane_budget_full', scope: 'lane:experimental:day', position: 2 });
    expect(state.waiters?.map((w) => [w.taskId, w.lane])).toEqual([
      ['x-old', 'experimental'],
      ['x-young', 'experimental'],
    ]);
  });

  it('keeps the order within the main lane: an older main waiter goes before a younger main call', () => {
    const limits = tenDollarDay();
    const state = initialLedgerState(T0, limits);
    ask(state, limits, T0, 'm-old', 0);
    ask(state, limits, T0 + SEC, 'm-young', 0);
    const big = granted(ask(state, limits, T0 + 2 * SEC, 'holder', 8));
    expect(denied(ask(state, limits, T0 + 3 * SEC, 'm-old', 1))).toMatchObject({ type: 'lane_budget_full', scope: 'lane:main:day', position: 1 });
    settle(state, big, { usd: 7.4, tokens: 10 }, T0 + 4 * SEC, limits);
    // $1.10 free in main: m-old's $1 is set aside for it, so m-young's $0.50 must wait.
    expect(denied(ask(state, limits, T0 + 5 * SEC, 'm-young', 0.5))).toMatchObject({ type: 'lane_budget_full', position: 2 });
    granted(ask(state, limits, T0 + 6 * SEC, 'm-old', 1));
  });
});

describe('changing the share', () => {
  it('applies a new share mid-day at once: a lane already past its new limit waits for the next day', () => {
    const limits0 = tenDollarDay();
    const state = initialLedgerState(T0, limits0);
    settle(state, granted(ask(state, limits0, T0, 'x1', 1.2, exp)), { usd: 1.2, tokens: 10 }, T0, limits0);

    const lowered = setExperimentalShare(state, { share: 0.1, reason: 'exploration is not paying off', by: 'ops' }, limits0, T0 + MIN);
    expect(lowered.experimentalShare).toBe(0.1);
    expect(state.audit.at(-1)).toEqual({ at: T0 + MIN, who: 'ops', why: 'exploration is not paying off', action: 'setExperimentalShare', details: { from: 0.15, to: 0.1 } });
    const wait = denied(ask(state, lowered, T0 + 2 * MIN, 'x2', 0.01, exp));
    expect(wait).toMatchObject({ type: 'lane_budget_full', limitUsd: 1, retryAtMs: at('2024-05-02T00:00:00Z') });
    // Main got the difference: $9 now, more than the $8.50 it had.
    settle(state, granted(ask(state, lowered, T0 + 3 * MIN, 'm1', 8.8)), { usd: 8, tokens: 10 }, T0 + 3 * MIN, lowered);

    const raised = setExperimentalShare(state, { share: 0.5, reason: 'a research day', by: 'ops' }, lowered, T0 + 4 * MIN);
    expect(lanesOf(state, T0 + 4 * MIN, raised)).toMatchObject({ main: { share: 0.5, limitUsd: 5 }, experimental: { share: 0.5, limitUsd: 5 } });
    // The day has $10 − $1.20 − $8 = $0.80 left: a larger share lends nothing the day does not have.
    expect(denied(ask(state, raised, T0 + 5 * MIN, 'x2', 1, exp))).toMatchObject({ type: 'system_budget_full', scope: 'system:day' });
    granted(ask(state, raised, T0 + 6 * MIN, 'x3', 0.5, exp));
    // Main has spent more than its new half: it waits for tomorrow.
    expect(denied(ask(state, raised, T0 + 7 * MIN, 'm2', 0.01))).toMatchObject({ type: 'lane_budget_full', scope: 'lane:main:day', retryAtMs: at('2024-05-02T00:00:00Z') });
    expect(state.breaker.open).toBe(false);
  });

  it('refuses an out-of-range share naming the field, at the ledger door and in limits.yaml', () => {
    const validate = validatorOf(SetExperimentalShareInputSchema);
    expect(() => validate({ share: 0.6, reason: 'more', by: 'ops' })).toThrow(/^invalid input at share: must be between 0 and 0\.5/);
    expect(() => validate({ share: -0.1, reason: 'less', by: 'ops' })).toThrow(/at share:/);
    expect(() => validate({ share: 0.2, by: 'ops' })).toThrow(/at reason:/);
    expect(() => validate({ share: 0.2, reason: 'why', by: 'ops', extra: 1 })).toThrow(/unrecognized key/i);
    expect(() => validate({ share: 0.2, reason: 'why', by: 'ops' })).not.toThrow();
    expect(() => parseLimits('experimental_share: 0.7\n')).toThrow(/limits\.yaml: experimental_share: must be between 0 and 0\.5/);
    expect(parseLimits('experimental_share: 0.25\n').experimentalShare).toBe(0.25);
    expect(() => validatorOf(ReserveInputSchema)({ key: 'k', taskId: 't', agent: 'a', usd: 0, tokens: 0, lane: 'side' })).toThrow(/at lane:/);
  });
});

describe('lanes and system:day overrides', () => {
  it('scales both lanes with an operator override of system:day, and back when it lapses', () => {
    const limits = tenDollarDay();
    const state = initialLedgerState(T0, limits);
    setOverride(state, { who: 'ops', why: 'launch day', scope: 'system:day', limitUsd: 40, untilMs: T0 + 30 * MIN }, T0);
    expect(lanesOf(state, T0 + MIN, limits)).toMatchObject({ main: { limitUsd: 34 }, experimental: { limitUsd: 6 } });
    granted(ask(state, limits, T0 + MIN, 'x1', 5, exp));
    expect(lanesOf(state, T0 + 31 * MIN, limits)).toMatchObject({ main: { limitUsd: 8.5 }, experimental: { limitUsd: 1.5 } });
  });
});

describe('ledgers from before the lanes', () => {
  it('loads old state without lane data: its spend and reservations count as main', () => {
    const limits = tenDollarDay();
    const state = initialLedgerState(T0, limits);
    // A carried state as a ledger without lanes wrote it: no lane on reservations, none in the day.
    state.day.system = { usd: 8, tokens: 100 };
    state.reservations.old = { id: 'old', taskId: 't-old', agent: 'a', usd: 0.4, tokens: 10, atMs: T0 };
    expect(lanesOf(state, T0, limits)).toMatchObject({ main: { spentUsd: 8, reservedUsd: 0.4 }, experimental: { spentUsd: 0, reservedUsd: 0 } });
    expect(denied(ask(state, limits, T0 + SEC, 'm1', 0.2)).scope).toBe('lane:main:day');
    granted(ask(state, limits, T0 + SEC, 'x1', 1.5, exp));
  });

  it('enforces no lane in a run that began before them (options.lanes false): its replay decides as it did', () => {
    const limits = tenDollarDay();
    const options = { ...DEFAULT_LEDGER_OPTIONS, lanes: false };
    const state = initialLedgerState(T0, limits);
    const r = reserve(state, { key: 'a', taskId: 'm1', agent: 'a', usd: 9.5, tokens: 10 }, T0, limits, options).result;
    granted(r);
    expect(denied(reserve(state, { key: 'b', taskId: 'm2', agent: 'b', usd: 0.6, tokens: 10 }, T0, limits, options).result)).toMatchObject({ type: 'system_budget_full', scope: 'system:day' });
  });

  it('fills the default share into limits that predate it', () => {
    const { experimentalShare: _, ...old } = tenDollarDay();
    const state = initialLedgerState(T0, old as Limits);
    expect(lanesOf(state, T0, old as Limits).experimental).toMatchObject({ share: 0.15, limitUsd: 1.5 });
  });
});
