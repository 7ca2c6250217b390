import { initialLedgerState, release, reserve, settle } from '../../src/budget/ledger';
import { DEFAULT_LEDGER_OPTIONS, type LedgerState, type ReserveRequest, type ReserveResult } from '../../src/budget/ledger-types';
import type { Limits } from '../../src/budget/limits';
import { budgetSnapshot } from '../../src/budget/snapshot';
import { setOverride } from '../../src/budget/operator';
import { renderBudget } from '../../src/client/budget-view';
import { budgetWaitLines } from '../../src/client/god-view';
import { limitsWith } from '../support/limits';
import { denied, granted } from '../support/ledger-results';

/**
 * The admission queue, driven by an injected clock: waiting tasks are admitted oldest first as
 * settlements free room, a waiter that stops asking leaves, and nothing here opens the breaker.
 */

const at = (iso: string) => Date.parse(iso);
const T0 = at('2024-05-01T10:00:00Z');
const SEC = 1000;

let seq = 0;
const ask = (state: LedgerState, limits: Limits, nowMs: number, taskId: string, usd: number, over: Partial<ReserveRequest> = {}): ReserveResult =>
  reserve(state, { key: `k${++seq}`, taskId, agent: 'DatabaseAgent', usd, tokens: 10, ...over }, nowMs, limits).result;

/** Each task makes a first small call at its own second, which fixes its age (its place in line). */
function tasksSeen(state: LedgerState, limits: Limits, names: string[]): void {
  names.forEach((name, i) => settle(state, granted(ask(state, limits, T0 + i * SEC, name, 0.001)), { usd: 0, tokens: 0 }, T0 + i * SEC, limits));
}

describe('admission queue', () => {
  it('admits waiting tasks oldest first as settlements free room, whoever asks first', () => {
    const limits = limitsWith({ systemHourlyUsd: 1 });
    const state = initialLedgerState(T0, limits);
    tasksSeen(state, limits, ['a', 'b', 'c', 'd']);
    const t = T0 + 10 * SEC;
    const a = granted(ask(state, limits, t, 'a', 0.4));
    granted(ask(state, limits, t, 'b', 0.4));
    expect(denied(ask(state, limits, t + SEC, 'd', 0.4))).toMatchObject({ type: 'system_budget_full', position: 1, waiting: 1 });
    // c is older than d: it goes ahead of d in line.
    expect(denied(ask(state, limits, t + 2 * SEC, 'c', 0.4))).toMatchObject({ type: 'system_budget_full', position: 1, waiting: 2 });
    expect(state.waiters?.map((w) => w.taskId)).toEqual(['c', 'd']);

    // a's call cost 0.1 of the 0.4 held: 0.5 free. d asks first, but that room is c's.
    settle(state, a, { usd: 0.1, tokens: 10 }, t + 3 * SEC, limits);
    const held = denied(ask(state, limits, t + 4 * SEC, 'd', 0.4));
    expect(held).toMatchObject({ scope: 'system:hour', position: 2, waiting: 2 });
    expect(held.spentUsd).toBeCloseTo(0.9, 12);
    granted(ask(state, limits, t + 5 * SEC, 'c', 0.4));
    expect(denied(ask(state, limits, t + 6 * SEC, 'd', 0.4))).toMatchObject({ position: 1, waiting: 1 });
    expect(state.breaker.open).toBe(false);
  });

  it('shows the queue to operators: the budget snapshot and `pantheon budget` list the waiters, oldest first', () => {
    const limits = limitsWith({ systemHourlyUsd: 1 });
    const state = initialLedgerState(T0, limits);
    tasksSeen(state, limits, ['a', 'b', 'c']);
    granted(ask(state, limits, T0 + 10 * SEC, 'a', 0.9));
    denied(ask(state, limits, T0 + 11 * SEC, 'c', 0.3));
    denied(ask(state, limits, T0 + 12 * SEC, 'b', 0.2));
    const snapshot = budgetSnapshot(state, T0 + 72 * SEC, limits);
    expect(snapshot.waiting).toEqual({ count: 2, next: [expect.objectContaining({ taskId: 'b', usd: 0.2 }), expect.objectContaining({ taskId: 'c', usd: 0.3 })] });
    const text = renderBudget(snapshot, { ledgerId: 'l', address: 'a', namespace: 'n', nowMs: T0 + 72 * SEC }).split('\n');
    expect(text).toEqual(
      expect.arrayContaining([
        'waiting for room in the system windows: 2 task(s), in the order they are admitted (the oldest task first, however long each has waited)',
        '  1. b needs $0.2000, waiting since 2024-05-01T10:00:12.000Z (1m ago)',
        '  2. c needs $0.3000, waiting since 2024-05-01T10:00:11.000Z (1m ago)',
      ]),
    );
  });

  it("shows the queue in `pantheon god status` too, with the system window that is full: God's runway is the day's", () => {
    const limits = limitsWith({ systemHourlyUsd: 1 });
    const state = initialLedgerState(T0, limits);
    tasksSeen(state, limits, ['a', 'b', 'c']);
    settle(state, granted(ask(state, limits, T0 + 10 * SEC, 'a', 0.9)), { usd: 0.7, tokens: 10 }, T0 + 11 * SEC, limits);
    granted(ask(state, limits, T0 + 12 * SEC, 'a', 0.2));
    expect(budgetWaitLines(budgetSnapshot(state, T0 + 13 * SEC, limits))).toEqual([]);
    denied(ask(state, limits, T0 + 14 * SEC, 'c', 0.3));
    denied(ask(state, limits, T0 + 15 * SEC, 'b', 0.2));
    expect(budgetWaitLines(budgetSnapshot(state, T0 + 16 * SEC, limits))).toEqual([
      '  waiting    2 task(s) wait for room in system:hour ($0.7000 settled + $0.2000 reserved of $1.00), in order (pantheon budget)',
    ]);
    expect(budgetWaitLines(undefined)).toEqual([]);
  });

  it('keeps a task in progress ahead of younger tasks across its calls', () => {
    const limits = limitsWith({ systemHourlyUsd: 1 });
    const state = initialLedgerState(T0, limits);
    tasksSeen(state, limits, ['old', 'young']);
    const t = T0 + 10 * SEC;
    const first = granted(ask(state, limits, t, 'old', 0.6));
    // The younger task queues behind nothing yet, and waits for room.
    expect(denied(ask(state, limits, t, 'young', 0.6))).toMatchObject({ position: 1 });
    settle(state, first, { usd: 0.2, tokens: 10 }, t + SEC, limits);
    // The old task's next call comes after the young one started waiting, yet it goes first.
    granted(ask(state, limits, t + 2 * SEC, 'old', 0.6));
    const next = denied(ask(state, limits, t + 3 * SEC, 'young', 0.6));
    expect(next).toMatchObject({ position: 1, waiting: 1 });
    // Settling calls will make room for it: no need to wait for the rollover.
    expect(next.retryAtMs).toBeUndefined();
  });

  it('does not hold the line for a waiter that only the rollover can serve', () => {
    const limits = limitsWith({ systemHourlyUsd: 1 });
    const state = initialLedgerState(T0, limits);
    tasksSeen(state, limits, ['big', 'small']);
    settle(state, granted(ask(state, limits, T0 + 5 * SEC, 'big', 0.7)), { usd: 0.7, tokens: 10 }, T0 + 5 * SEC, limits);
    const wait = denied(ask(state, limits, T0 + 6 * SEC, 'big', 0.4));
    expect(wait).toMatchObject({ position: 1, retryAtMs: at('2024-05-01T11:00:00Z') });
    expect(wait.message).toMatch(/until the window rolls over at 2024-05-01T11:00:00.000Z/);
    // 0.3 is left in this hour and nobody else can use it later: the younger task may.
    settle(state, granted(ask(state, limits, T0 + 7 * SEC, 'small', 0.2)), { usd: 0.2, tokens: 10 }, T0 + 8 * SEC, limits);
    // The big one keeps asking, once a minute (a waiter that stops asking leaves the line).
    const rollover = at('2024-05-01T11:00:00Z');
    for (let t = T0 + 60 * SEC; t < rollover; t += 60 * SEC) expect(denied(ask(state, limits, t, 'big', 0.4)).position).toBe(1);
    // At the rollover the big one is first in line again.
    expect(denied(ask(state, limits, rollover, 'small', 0.7))).toMatchObject({ position: 2 });
    granted(ask(state, limits, rollover + SEC, 'big', 0.4));
  });

  it('lets a waiter that stops asking leave after the TTL, so a dead task never blocks the line', () => {
    const limits = limitsWith({ systemHourlyUsd: 1 });
    const state = initialLedgerState(T0, limits);
    tasksSeen(state, limits, ['dead', 'alive']);
    const t = T0 + 10 * SEC;
    const held = granted(ask(state, limits, t, 'alive', 0.9));
    denied(ask(state, limits, t, 'dead', 0.5));
    settle(state, held, { usd: 0.1, tokens: 10 }, t + SEC, limits);
    // The dead task's claim on the freed room holds while it could still come back...
    expect(denied(ask(state, limits, t + 2 * SEC, 'alive', 0.5))).toMatchObject({ position: 2 });
    const ttl = DEFAULT_LEDGER_OPTIONS.waiterTtlMs;
    expect(denied(ask(state, limits, t + ttl - SEC, 'alive', 0.5)).position).toBe(2);
    // ...and lapses a TTL after it last asked.
    granted(ask(state, limits, t + ttl + SEC, 'alive', 0.5));
    expect(state.waiters).toEqual([]);
  });

  it('releases a task from the queue when it is granted, stopped or sent elsewhere', () => {
    const limits = limitsWith({ systemHourlyUsd: 1, perTaskUsd: 0.5 });
    const state = initialLedgerState(T0, limits);
    tasksSeen(state, limits, ['holder', 'w']);
    const holder = granted(ask(state, limits, T0 + 5 * SEC, 'holder', 0.45));
    granted(ask(state, limits, T0 + 5 * SEC, 'x', 0.45));
    denied(ask(state, limits, T0 + 6 * SEC, 'w', 0.3));
    expect(state.waiters?.map((x) => x.taskId)).toEqual(['w']);
    // w asks beyond its own limit: it stops, and leaves the line for good.
    expect(denied(ask(state, limits, T0 + 7 * SEC, 'w', 0.6))).toMatchObject({ type: 'budget_exceeded', scope: 'task:w' });
    expect(state.waiters).toEqual([]);
    release(state, holder, T0 + 8 * SEC, limits);
    granted(ask(state, limits, T0 + 9 * SEC, 'y', 0.3));
  });

  it('ends a call dearer than the whole system window at once: waiting would be for nothing', () => {
    const limits = limitsWith({ systemHourlyUsd: 1 });
    const state = initialLedgerState(T0, limits);
    const denial = denied(ask(state, limits, T0, 't', 1.5));
    expect(denial).toMatchObject({ type: 'budget_exceeded', scope: 'system:hour', limit: 1 });
    expect(state.waiters ?? []).toEqual([]);
  });

  it('keeps the queue bounded: the youngest beyond it wait without a place', () => {
    const limits = limitsWith({ systemHourlyUsd: 1 });
    const state = initialLedgerState(T0, limits);
    const max = DEFAULT_LEDGER_OPTIONS.maxWaiters;
    granted(ask(state, limits, T0, 'holder', 1));
    for (let i = 0; i < max + 20; i++) denied(ask(state, limits, T0 + (i + 1) * 10, `w${String(i).padStart(4, '0')}`, 0.1));
    expect(state.waiters).toHaveLength(max);
    expect(state.waiters?.at(-1)?.taskId).toBe(`w${String(max - 1).padStart(4, '0')}`);
    expect(denied(ask(state, limits, T0 + 100 * SEC, `w${String(max + 5).padStart(4, '0')}`, 0.1)).position).toBe(max + 1);
  });

  it('admits waiters oldest first at the rollover without opening the breaker (no thundering herd)', () => {
    const limits = limitsWith({ systemHourlyUsd: 1, circuitBreaker: { maxCallsPerTaskPerMinute: 5 } });
    const state = initialLedgerState(T0, limits);
    const names = Array.from({ length: 20 }, (_, i) => `t${String(i).padStart(2, '0')}`);
    tasksSeen(state, limits, names);
    // The hour is spent (not quite to its limit, so nothing trips) and every task waits.
    settle(state, granted(ask(state, limits, T0 + 30 * SEC, 't00', 0.9)), { usd: 0.9, tokens: 10 }, T0 + 30 * SEC, limits);
    // Waiting tasks poll every 5 s for the rest of the hour: denials, never a runaway.
    for (let t = T0 + 40 * SEC; t < at('2024-05-01T11:00:00Z'); t += 5 * SEC) {
      for (const name of names) expect(denied(ask(state, limits, t, name, 0.3)).type).toBe('system_budget_full');
    }
    // At the rollover the youngest happen to ask first: they are held for the oldest.
    const rollover = at('2024-05-01T11:00:00Z');
    for (const name of [...names].reverse().slice(0, 17)) expect(denied(ask(state, limits, rollover, name, 0.3)).type).toBe('system_budget_full');
    for (const name of names.slice(0, 3)) granted(ask(state, limits, rollover + SEC, name, 0.3));
    expect(denied(ask(state, limits, rollover + 2 * SEC, 't03', 0.3)).position).toBe(1);
    expect(state.breaker.open).toBe(false);
    expect(state.alerts.filter((a) => a.kind === 'breaker_open')).toEqual([]);
  });
});

describe('when room comes for a task that waits on full system windows', () => {
  const MIN = 60 * SEC;
  const who = { who: 'op', why: 'test' };
  /** Spend settled far above its reservation fills both windows (the breaker, off here, is another test's). */
  function overBoth(limits: Limits): LedgerState {
    const state = initialLedgerState(T0, limits);
    settle(state, granted(ask(state, limits, T0, 'spender', 0.001)), { usd: 0.085, tokens: 10 }, T0 + SEC, limits);
    return state;
  }
  const noBreaker = { circuitBreaker: { enabled: false } };

  it('names the window whose rollover it gives: the day when both are full, the hour said full too', () => {
    const limits = limitsWith({ systemHourlyUsd: 0.02, systemDailyUsd: 0.05, ...noBreaker });
    const wait = denied(ask(overBoth(limits), limits, T0 + 2 * SEC, 'waiter', 0.001));
    expect(wait).toMatchObject({ type: 'system_budget_full', scope: 'system:day', limit: 0.05, limitUsd: 0.05, retryAtMs: at('2024-05-02T00:00:00Z') });
    expect(wait.message).toMatch(/^system_budget_full: system:day has \$0\.085000 of its limit \$0\.050000 /);
    expect(wait.message).toMatch(/until the window rolls over at 2024-05-02T00:00:00.000Z \(system:hour is full too, until the window rolls over at 2024-05-01T11:00:00.000Z\)/);
  });

  it('gives the lapse of overrides that lower the limits when the configured limits afford the call then', () => {
    const limits = limitsWith({ systemHourlyUsd: 5, systemDailyUsd: 20, ...noBreaker });
    const state = overBoth(limits);
    const lapse = T0 + 20 * MIN;
    setOverride(state, { ...who, scope: 'system:hour', limitUsd: 0.003, untilMs: lapse }, T0 + 2 * SEC);
    setOverride(state, { ...who, scope: 'system:day', limitUsd: 0.003, untilMs: lapse }, T0 + 2 * SEC);
    const wait = denied(ask(state, limits, T0 + 3 * SEC, 'waiter', 0.001));
    expect(wait).toMatchObject({ type: 'system_budget_full', scope: 'system:hour', retryAtMs: lapse });
    expect(wait.message).toMatch(/until the override of system:hour \(to \$0\.003000\) lapses at 2024-05-01T10:20:00.000Z \(system:day is full too, until the override of system:day \(to \$0\.003000\) lapses at 2024-05-01T10:20:00.000Z\)/);
    // At the lapse the configured limits apply again, and the call fits.
    granted(ask(state, limits, lapse, 'waiter', 0.001));
  });

  it('gives the rollover of a window still full under its configured limit, whatever override lapses sooner', () => {
    const limits = limitsWith({ systemHourlyUsd: 5, systemDailyUsd: 0.05, ...noBreaker });
    const state = overBoth(limits);
    setOverride(state, { ...who, scope: 'system:hour', limitUsd: 0.003, untilMs: T0 + 20 * MIN }, T0 + 2 * SEC);
    expect(denied(ask(state, limits, T0 + 3 * SEC, 'waiter', 0.001))).toMatchObject({ scope: 'system:day', retryAtMs: at('2024-05-02T00:00:00Z') });
    // An override that RAISES a limit gives no room when it lapses: the rollover does.
    const raised = overBoth(limitsWith({ systemHourlyUsd: 0.02, ...noBreaker }));
    setOverride(raised, { ...who, scope: 'system:hour', limitUsd: 0.05, untilMs: T0 + 20 * MIN }, T0 + 2 * SEC);
    expect(denied(ask(raised, limitsWith({ systemHourlyUsd: 0.02, ...noBreaker }), T0 + 3 * SEC, 'waiter', 0.001))).toMatchObject({ scope: 'system:hour', retryAtMs: at('2024-05-01T11:00:00Z') });
  });
});
