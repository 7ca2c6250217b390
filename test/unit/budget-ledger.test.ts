import type { Limits } from '../../src/budget/limits';
import { initialLedgerState, release, reserve, settle } from '../../src/budget/ledger';
import { DEFAULT_LEDGER_OPTIONS, type LedgerState, type ReserveRequest } from '../../src/budget/ledger-types';
import { budgetSnapshot } from '../../src/budget/snapshot';
import { limitsWith } from '../support/limits';
import { denied, granted } from '../support/ledger-results';

const at = (iso: string) => Date.parse(iso);
const T0 = at('2024-05-01T10:00:00Z');
const MIN = 60_000;


let seq = 0;
const request = (over: Partial<ReserveRequest> = {}): ReserveRequest => ({ key: `k${++seq}`, taskId: 't1', agent: 'DatabaseAgent', usd: 0.3, tokens: 100, ...over });

const scopeOf = (state: LedgerState, nowMs: number, limits: Limits, scope: string) =>
  budgetSnapshot(state, nowMs, limits).scopes.find((s) => s.scope === scope);

describe('budget ledger: reserve, settle, release', () => {
  it('denies exactly at the task limit: three reservations of $0.30 fit $1.00, the fourth does not', () => {
    const limits = limitsWith({ perTaskUsd: 1 });
    let state = initialLedgerState(T0, limits);
    for (let i = 0; i < 3; i++) granted(({ state } = reserve(state, request(), T0, limits)).result);
    const fourth = denied(reserve(state, request(), T0, limits).result);
    expect(fourth.type).toBe('budget_exceeded');
    expect(fourth.scope).toBe('task:t1');
    expect(fourth.limitUsd).toBe(1);
    expect(fourth.spentUsd).toBeCloseTo(0.9, 12);
    expect(fourth.requestedUsd).toBe(0.3);
    expect(fourth.message).toMatch(/task:t1 has spent \$0\.900000 of its limit \$1\.000000/);
    // Spending up to the limit is allowed; a millionth of a dollar past it is not.
    granted(reserve(state, request({ usd: 0.1 }), T0, limits).result);
    denied(reserve(state, request({ usd: 0.000001 }), T0, limits).result);
    // Another task is not affected; there, four of $0.25 reach $1.00 exactly, which is allowed.
    for (let i = 0; i < 4; i++) granted(reserve(state, request({ taskId: 't3', usd: 0.25 }), T0, limits).result);
    expect(denied(reserve(state, request({ taskId: 't3', usd: 0.25 }), T0, limits).result).spentUsd).toBe(1);
    granted(reserve(state, request({ taskId: 't2' }), T0, limits).result);
  });

  it('says so when one call is more than the whole limit, and not when the task has merely spent its limit', () => {
    const limits = limitsWith({ perTaskUsd: 1, perTaskTokens: 1000 });
    const state = initialLedgerState(T0, limits);
    const tooDear = denied(reserve(state, request({ usd: 1.2 }), T0, limits).result);
    expect(tooDear.message).toMatch(/task:t1 has spent \$0\.000000 of its limit \$1\.000000; the request needs \$1\.200000 more \(one call held at its worst case is more than the whole limit/);
    const tooLong = denied(reserve(state, request({ usd: 0.01, tokens: 1500 }), T0, limits).result);
    expect(tooLong.message).toMatch(/task:t1:tokens has spent 0 tokens of its limit 1000 tokens; the request needs 1500 tokens more \(one call held/);
    granted(reserve(state, request({ usd: 0.9 }), T0, limits).result);
    const full = denied(reserve(state, request({ usd: 0.2 }), T0, limits).result);
    expect(full.message).toMatch(/the request needs \$0\.200000 more$/);
  });

  it('settles a reservation to the actual cost, freeing the difference', () => {
    const limits = limitsWith({ perTaskUsd: 1 });
    const state = initialLedgerState(T0, limits);
    const first = granted(reserve(state, request(), T0, limits).result);
    granted(reserve(state, request(), T0, limits).result);
    granted(reserve(state, request(), T0, limits).result);
    const done = settle(state, first, { usd: 0.05, tokens: 40 }, T0 + 1000, limits).result;
    expect(done).toEqual({ reservationId: first, applied: true, status: 'settled', alerts: [] });
    expect(scopeOf(state, T0 + 1000, limits, 'task:t1')).toMatchObject({ settledUsd: 0.05, reservedUsd: 0.6, settledTokens: 40, reservedTokens: 200 });
    expect(scopeOf(state, T0 + 1000, limits, 'system:hour')).toMatchObject({ settledUsd: 0.05, reservedUsd: 0.6 });
    expect(scopeOf(state, T0 + 1000, limits, 'agent:DatabaseAgent:day')).toMatchObject({ settledUsd: 0.05, reservedUsd: 0.6 });
    // 0.05 + 0.6 + 0.3 = 0.95 fits; another 0.3 does not.
    granted(reserve(state, request(), T0 + 2000, limits).result);
    expect(denied(reserve(state, request(), T0 + 2000, limits).result).spentUsd).toBeCloseTo(0.95, 12);
  });

  it('releases a reservation, so its amount is free again', () => {
    const limits = limitsWith({ perTaskUsd: 1 });
    const state = initialLedgerState(T0, limits);
    const ids = [1, 2, 3].map(() => granted(reserve(state, request(), T0, limits).result));
    denied(reserve(state, request(), T0, limits).result);
    expect(release(state, ids[1], T0, limits).result).toMatchObject({ applied: true, status: 'released' });
    granted(reserve(state, request(), T0, limits).result);
    expect(scopeOf(state, T0, limits, 'task:t1')?.settledUsd).toBe(0);
    expect(scopeOf(state, T0, limits, 'task:t1')?.reservedUsd).toBeCloseTo(0.9, 12);
  });

  it('is idempotent: a repeated key returns the same reservation, a repeated settle or release changes nothing', () => {
    const limits = limitsWith({ perTaskUsd: 1 });
    const state = initialLedgerState(T0, limits);
    const key = 'wf-1:run-1:5:1:0';
    const first = reserve(state, request({ key }), T0, limits).result;
    const again = reserve(state, request({ key }), T0 + 10, limits).result;
    expect(first).toMatchObject({ granted: true, reservationId: key, status: 'reserved', replayed: false });
    expect(again).toMatchObject({ granted: true, reservationId: key, status: 'reserved', replayed: true });
    expect(scopeOf(state, T0, limits, 'task:t1')?.reservedUsd).toBe(0.3);

    expect(settle(state, key, { usd: 0.2, tokens: 90 }, T0 + 20, limits).result.applied).toBe(true);
    expect(settle(state, key, { usd: 0.2, tokens: 90 }, T0 + 30, limits).result).toMatchObject({ applied: false, status: 'settled' });
    expect(release(state, key, T0 + 40, limits).result).toMatchObject({ applied: false, status: 'settled' });
    expect(scopeOf(state, T0 + 40, limits, 'task:t1')).toMatchObject({ settledUsd: 0.2, reservedUsd: 0, settledTokens: 90 });
    // A reserve retried after its call settled answers with that, and reserves nothing.
    expect(reserve(state, request({ key }), T0 + 50, limits).result).toMatchObject({ granted: true, status: 'settled', replayed: true });
    expect(scopeOf(state, T0 + 50, limits, 'task:t1')?.reservedUsd).toBe(0);

    const other = granted(reserve(state, request(), T0, limits).result);
    expect(release(state, other, T0, limits).result.applied).toBe(true);
    expect(release(state, other, T0, limits).result).toMatchObject({ applied: false, status: 'released' });
    expect(settle(state, 'never-reserved', { usd: 1, tokens: 1 }, T0, limits).result).toMatchObject({ applied: false, status: 'unknown' });
  });

  it('limits a task by tokens too (worst case while reserved)', () => {
    const limits = limitsWith({ perTaskTokens: 1000 });
    const state = initialLedgerState(T0, limits);
    const id = granted(reserve(state, request({ tokens: 600 }), T0, limits).result);
    const denial = denied(reserve(state, request({ tokens: 600 }), T0, limits).result);
    expect(denial).toMatchObject({ type: 'budget_exceeded', scope: 'task:t1:tokens', unit: 'tokens', limit: 1000, spent: 600 });
    settle(state, id, { usd: 0.01, tokens: 250 }, T0, limits);
    granted(reserve(state, request({ tokens: 600 }), T0, limits).result);
  });

  it('resets hourly spend when the hour rolls over and daily spend when the day does', () => {
    const limits = limitsWith({ perAgentHourlyUsd: 0.5, perAgentDailyUsd: 1 });
    const state = initialLedgerState(T0, limits);
    const spend = (nowMs: number, usd: number) => settle(state, granted(reserve(state, request({ usd }), nowMs, limits).result), { usd, tokens: 10 }, nowMs, limits);

    spend(at('2024-05-01T10:10:00Z'), 0.5);
    const hourly = denied(reserve(state, request({ usd: 0.1 }), at('2024-05-01T10:59:59.999Z'), limits).result);
    // When room comes for sure: the hour's end (a task with no other specialist left waits for it).
    expect(hourly).toMatchObject({ type: 'agent_budget_exhausted', scope: 'agent:DatabaseAgent:hour', limitUsd: 0.5, spentUsd: 0.5, retryAtMs: at('2024-05-01T11:00:00Z') });
    spend(at('2024-05-01T11:00:00Z'), 0.5); // a new hour
    expect(scopeOf(state, at('2024-05-01T11:00:00Z'), limits, 'agent:DatabaseAgent:hour')?.settledUsd).toBe(0.5);
    expect(scopeOf(state, at('2024-05-01T11:00:00Z'), limits, 'agent:DatabaseAgent:day')?.settledUsd).toBe(1);

    const daily = denied(reserve(state, request({ usd: 0.1 }), at('2024-05-01T12:30:00Z'), limits).result);
    expect(daily).toMatchObject({ type: 'agent_budget_exhausted', scope: 'agent:DatabaseAgent:day', limitUsd: 1, spentUsd: 1, retryAtMs: at('2024-05-02T00:00:00Z') });
    // A call larger than the whole limit never fits: no time to wait for.
    expect(denied(reserve(state, request({ usd: 0.6 }), at('2024-05-01T12:30:00Z'), limits).result)).toMatchObject({ scope: 'agent:DatabaseAgent:hour', retryAtMs: undefined });
    denied(reserve(state, request({ usd: 0.1 }), at('2024-05-01T23:59:59Z'), limits).result);
    granted(reserve(state, request({ usd: 0.1 }), at('2024-05-02T00:00:00Z'), limits).result);
    expect(state.day.key).toBe('2024-05-02');
    expect(state.hour.key).toBe('2024-05-02T00+00:00');
  });

  it('rolls windows over in the configured zone, not in UTC', () => {
    const limits = limitsWith({ perAgentDailyUsd: 0.3, timezone: 'America/New_York' });
    const state = initialLedgerState(at('2024-05-01T20:00:00Z'), limits);
    settle(state, granted(reserve(state, request(), at('2024-05-01T20:00:00Z'), limits).result), { usd: 0.3, tokens: 1 }, at('2024-05-01T20:00:00Z'), limits);
    // 02:00 UTC on the 2nd is still the 1st in New York (EDT): the day's budget is spent.
    expect(denied(reserve(state, request(), at('2024-05-02T02:00:00Z'), limits).result).scope).toBe('agent:DatabaseAgent:day');
    granted(reserve(state, request(), at('2024-05-02T04:00:00Z'), limits).result);
  });

  it('counts a reservation made before the hour rolled over against the new hour until it settles', () => {
    const limits = limitsWith({ perAgentHourlyUsd: 0.5 });
    const state = initialLedgerState(T0, limits);
    const id = granted(reserve(state, request({ usd: 0.4 }), at('2024-05-01T10:59:00Z'), limits).result);
    expect(denied(reserve(state, request({ usd: 0.2 }), at('2024-05-01T11:00:30Z'), limits).result).spentUsd).toBe(0.4);
    settle(state, id, { usd: 0.1, tokens: 5 }, at('2024-05-01T11:01:00Z'), limits);
    // The actual cost is charged where it was spent: the new hour.
    expect(scopeOf(state, at('2024-05-01T11:01:00Z'), limits, 'agent:DatabaseAgent:hour')).toMatchObject({ settledUsd: 0.1, reservedUsd: 0 });
    granted(reserve(state, request({ usd: 0.4 }), at('2024-05-01T11:02:00Z'), limits).result);
  });

  it('exhausts one agent only; the others (and the same task with another agent) continue', () => {
    const limits = limitsWith({ perAgentHourlyUsd: 0.5 });
    const state = initialLedgerState(T0, limits);
    settle(state, granted(reserve(state, request({ usd: 0.5 }), T0, limits).result), { usd: 0.5, tokens: 1 }, T0, limits);
    const first = denied(reserve(state, request({ taskId: 't2' }), T0, limits).result);
    expect(first.type).toBe('agent_budget_exhausted');
    expect(first.alerts).toEqual([expect.objectContaining({ kind: 'agent_budget_exhausted', scope: 'agent:DatabaseAgent:hour', limit: 0.5, spent: 0.5, at: T0 })]);
    // One alert per scope and window, however many calls are denied.
    expect(denied(reserve(state, request({ taskId: 't3' }), T0 + 1, limits).result).alerts).toEqual([]);
    granted(reserve(state, request({ agent: 'ResearchAgent' }), T0, limits).result);
    granted(reserve(state, request({ taskId: 't2', agent: 'CodeReviewAgent' }), T0, limits).result);
    expect(state.breaker.open).toBe(false);
    expect(state.alerts.map((a) => a.kind)).toEqual(['agent_budget_exhausted']);
  });

  it('charges an abandoned reservation at its worst case when it expires, and alerts', () => {
    const limits = limitsWith();
    const options = { ...DEFAULT_LEDGER_OPTIONS, reservationTtlMs: 15 * MIN };
    const state = initialLedgerState(T0, limits);
    const id = granted(reserve(state, request({ usd: 0.25, tokens: 700 }), T0, limits, options).result);
    const later = reserve(state, request({ taskId: 't2', usd: 0.01 }), T0 + 15 * MIN, limits, options).result;
    expect(later.alerts).toEqual([expect.objectContaining({ kind: 'reservation_expired', scope: 'task:t1', spent: 0.25 })]);
    expect(scopeOf(state, T0 + 15 * MIN, limits, 'task:t1')).toMatchObject({ settledUsd: 0.25, settledTokens: 700, reservedUsd: 0 });
    // The caller settling late changes nothing: the worst case was already charged. Within the
    // finished-id retention the ledger still says why; after it, the id is simply unknown.
    expect(settle(state, id, { usd: 0.01, tokens: 10 }, T0 + 15 * MIN + 1000, limits, options).result).toMatchObject({ applied: false, status: 'expired' });
    expect(settle(state, id, { usd: 0.01, tokens: 10 }, T0 + 16 * MIN, limits, options).result).toMatchObject({ applied: false, status: 'unknown' });
    expect(scopeOf(state, T0 + 16 * MIN, limits, 'system:day')).toMatchObject({ settledUsd: 0.25, reservedUsd: 0.01 });
  });

  it("holds the per-task limit from the task's own books after it has forgotten an idle task", () => {
    const limits = limitsWith({ perTaskUsd: 1, perTaskTokens: 1000 });
    const state = initialLedgerState(T0, limits);
    const id = granted(reserve(state, request({ usd: 0.8, tokens: 100 }), T0, limits).result);
    settle(state, id, { usd: 0.8, tokens: 100 }, T0, limits);
    // An hour waiting: the ledger forgets the task (its state must stay small)…
    const later = T0 + 60 * MIN;
    granted(reserve(state, request({ taskId: 'other', usd: 0.01 }), later, limits).result);
    expect(state.tasks.t1).toBeUndefined();
    // …but the task says what it has spent, and the limit still holds: $0.80 + $0.30 > $1.
    const stop = denied(reserve(state, request({ usd: 0.3, tokens: 10, taskSpent: { usd: 0.8, tokens: 100 } }), later + 1, limits).result);
    expect(stop).toMatchObject({ type: 'budget_exceeded', scope: 'task:t1', spentUsd: 0.8 });
    const tokens = denied(reserve(state, request({ usd: 0.01, tokens: 950, taskSpent: { usd: 0.8, tokens: 100 } }), later + 2, limits).result);
    expect(tokens).toMatchObject({ type: 'budget_exceeded', unit: 'tokens', spent: 100 });
    // A claim below what the ledger remembers does not lower it.
    const fresh = granted(reserve(state, request({ taskId: 't9', usd: 0.6, tokens: 10 }), later + 3, limits).result);
    settle(state, fresh, { usd: 0.6, tokens: 10 }, later + 3, limits);
    expect(denied(reserve(state, request({ taskId: 't9', usd: 0.5, tokens: 10, taskSpent: { usd: 0, tokens: 0 } }), later + 4, limits).result).spentUsd).toBeCloseTo(0.6, 12);
  });

  it('stays bounded: forgets idle tasks and old finished ids, keeps busy tasks', () => {
    const limits = limitsWith();
    const options = { ...DEFAULT_LEDGER_OPTIONS, taskIdleMs: 60 * MIN, finishedRetentionMs: 10 * MIN, reservationTtlMs: 24 * 60 * MIN };
    const state = initialLedgerState(T0, limits);
    for (let i = 0; i < 500; i++) {
      const id = granted(reserve(state, request({ taskId: `t${i}`, usd: 0.001 }), T0 + i * 100, limits, options).result);
      settle(state, id, { usd: 0.001, tokens: 1 }, T0 + i * 100, limits, options);
    }
    granted(reserve(state, request({ taskId: 'busy', key: 'busy-1', usd: 0.001 }), T0, limits, options).result);
    expect(Object.keys(state.tasks)).toHaveLength(501);
    expect(Object.keys(state.finished)).toHaveLength(500);

    const later = T0 + 2 * 60 * MIN;
    granted(reserve(state, request({ taskId: 'fresh', usd: 0.001 }), later, limits, options).result);
    expect(Object.keys(state.tasks).sort()).toEqual(['busy', 'fresh']);
    expect(Object.keys(state.finished)).toHaveLength(0);
    expect(JSON.stringify(state).length).toBeLessThan(3000);
  });
});
