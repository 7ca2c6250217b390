import { initialLedgerState, reserve, settle } from '../../src/budget/ledger';
import { DEFAULT_LEDGER_OPTIONS, type Denial, type ReserveRequest, type ReserveResult } from '../../src/budget/ledger-types';
import { closeBreaker, openBreaker, setOverride } from '../../src/budget/operator';
import { budgetSnapshot } from '../../src/budget/snapshot';
import { limitsWith } from '../support/limits';

const at = (iso: string) => Date.parse(iso);
const T0 = at('2024-05-01T10:00:00Z');
const SEC = 1000;


let seq = 0;
const request = (over: Partial<ReserveRequest> = {}): ReserveRequest => ({ key: `k${++seq}`, taskId: `t${seq}`, agent: 'ResearchAgent', usd: 0.3, tokens: 100, ...over });
const denied = (r: ReserveResult): Denial => {
  if (r.granted) throw new Error('expected a denial');
  return r;
};
const granted = (r: ReserveResult): string => {
  if (!r.granted) throw new Error(`expected a grant, got ${r.message}`);
  return r.reservationId;
};
const operator = { who: 'alice@ops', why: 'INC-42: finish the migration batch' };

describe('circuit breaker', () => {
  it('opens when the system hour limit would be crossed, denies every reserve, and closes when the hour rolls over', () => {
    const limits = limitsWith({ systemHourlyUsd: 1 });
    const state = initialLedgerState(T0, limits);
    const held = [1, 2, 3].map(() => granted(reserve(state, request(), T0, limits).result));
    const trip = denied(reserve(state, request(), T0 + SEC, limits).result);
    expect(trip).toMatchObject({ type: 'breaker_open', scope: 'system:hour', unit: 'usd', limit: 1, limitUsd: 1, retryAtMs: at('2024-05-01T11:00:00Z') });
    expect(trip.spentUsd).toBeCloseTo(0.9, 12);
    expect(trip.alerts).toEqual([expect.objectContaining({ kind: 'breaker_open', reason: 'system_limit', scope: 'system:hour', limit: 1, at: T0 + SEC })]);
    expect(trip.alerts[0].spent).toBeCloseTo(0.9, 12);

    // Open means open: even a call that would fit is denied, and no second alert is raised.
    const tiny = denied(reserve(state, request({ usd: 0.0001 }), T0 + 2 * SEC, limits).result);
    expect(tiny).toMatchObject({ type: 'breaker_open', scope: 'system:hour', alerts: [] });
    expect(budgetSnapshot(state, T0 + 2 * SEC, limits).breaker).toMatchObject({ open: true, reason: 'system_limit', untilMs: at('2024-05-01T11:00:00Z') });
    // (Outstanding reservations would count in the next hour too; these calls finish now.)
    for (const id of held) settle(state, id, { usd: 0.3, tokens: 100 }, T0 + 3 * SEC, limits);

    granted(reserve(state, request(), at('2024-05-01T11:00:00Z'), limits).result);
    expect(state.breaker.open).toBe(false);
    expect(state.audit.at(-1)).toMatchObject({ action: 'autoClose', who: 'ledger', at: at('2024-05-01T11:00:00Z') });
  });

  it('opens on the system day limit until local midnight', () => {
    const limits = limitsWith({ systemDailyUsd: 2, timezone: 'America/New_York' });
    const state = initialLedgerState(T0, limits);
    settle(state, granted(reserve(state, request({ usd: 1.9 }), T0, limits).result), { usd: 1.9, tokens: 1 }, T0, limits);
    const trip = denied(reserve(state, request({ usd: 0.2 }), T0, limits).result);
    // 10:00 UTC is 06:00 EDT; the New York day ends at 04:00 UTC.
    expect(trip).toMatchObject({ type: 'breaker_open', scope: 'system:day', limitUsd: 2, spentUsd: 1.9, retryAtMs: at('2024-05-02T04:00:00Z') });
    denied(reserve(state, request({ usd: 0.01 }), at('2024-05-02T03:59:59Z'), limits).result);
    granted(reserve(state, request({ usd: 0.01 }), at('2024-05-02T04:00:00Z'), limits).result);
  });

  it('opens for a runaway task: more reservations than allowed within a sliding minute', () => {
    const limits = limitsWith({ circuitBreaker: { maxCallsPerTaskPerMinute: 5 } });
    const state = initialLedgerState(T0, limits);
    // Calls 15 s apart never put more than 4 into one minute.
    for (let i = 0; i < 12; i++) granted(reserve(state, request({ taskId: 'steady', usd: 0.001 }), T0 + i * 15 * SEC, limits).result);
    const start = T0 + 200 * SEC;
    for (let i = 0; i < 5; i++) granted(reserve(state, request({ taskId: 'loop', usd: 0.001 }), start + i * SEC, limits).result);
    const trip = denied(reserve(state, request({ taskId: 'loop', usd: 0.001 }), start + 5 * SEC, limits).result);
    expect(trip).toMatchObject({ type: 'breaker_open', scope: 'task:loop', unit: 'calls_per_minute', limit: 5, spent: 6 });
    expect(trip.alerts[0]).toMatchObject({ kind: 'breaker_open', reason: 'runaway_calls', scope: 'task:loop' });
    expect(denied(reserve(state, request({ taskId: 'steady', usd: 0.001 }), start + 6 * SEC, limits).result).type).toBe('breaker_open');
  });

  it('opens for a call from a task spawned deeper than allowed', () => {
    const limits = limitsWith({ circuitBreaker: { maxSpawnDepth: 3 } });
    const state = initialLedgerState(T0, limits);
    granted(reserve(state, request({ spawnDepth: 3 }), T0, limits).result);
    const trip = denied(reserve(state, request({ taskId: 'deep', spawnDepth: 4 }), T0, limits).result);
    expect(trip).toMatchObject({ type: 'breaker_open', scope: 'task:deep', unit: 'spawn_depth', limit: 3, spent: 4 });
    expect(trip.alerts[0].reason).toBe('spawn_depth');
    expect(denied(reserve(state, request(), T0, limits).result).type).toBe('breaker_open');
  });

  it('is off when disabled: the system limit still denies the crossing call, but only that call', () => {
    const limits = limitsWith({ systemHourlyUsd: 1, circuitBreaker: { enabled: false, maxCallsPerTaskPerMinute: 2, maxSpawnDepth: 0 } });
    const state = initialLedgerState(T0, limits);
    for (let i = 0; i < 3; i++) granted(reserve(state, request({ taskId: 'same', spawnDepth: 5 }), T0, limits).result);
    expect(denied(reserve(state, request(), T0, limits).result)).toMatchObject({ type: 'budget_exceeded', scope: 'system:hour' });
    granted(reserve(state, request({ usd: 0.1 }), T0, limits).result);
    expect(state.breaker.open).toBe(false);
  });
});

describe('operator actions', () => {
  it('closes the breaker with an audit entry; a still-crossed limit trips it again', () => {
    const limits = limitsWith({ systemHourlyUsd: 1 });
    const state = initialLedgerState(T0, limits);
    settle(state, granted(reserve(state, request({ usd: 0.9 }), T0, limits).result), { usd: 0.9, tokens: 1 }, T0, limits);
    denied(reserve(state, request(), T0, limits).result);
    closeBreaker(state, operator, T0 + SEC);
    expect(state.audit.at(-1)).toEqual({ at: T0 + SEC, ...operator, action: 'closeBreaker', details: { wasOpen: true, reason: 'system_limit', scope: 'system:hour' } });
    granted(reserve(state, request({ usd: 0.05 }), T0 + 2 * SEC, limits).result);
    expect(denied(reserve(state, request(), T0 + 3 * SEC, limits).result).alerts).toHaveLength(1);
    expect(state.breaker.open).toBe(true);
  });

  it('raises a limit for a while with an override, then the configured limit applies again', () => {
    const limits = limitsWith({ systemHourlyUsd: 1, perAgentHourlyUsd: 0.5 });
    const state = initialLedgerState(T0, limits);
    for (const agent of ['Generalist', 'DatabaseAgent']) {
      settle(state, granted(reserve(state, request({ usd: 0.45, agent }), T0, limits).result), { usd: 0.45, tokens: 1 }, T0, limits);
    }
    denied(reserve(state, request(), T0, limits).result);
    setOverride(state, { ...operator, scope: 'system:hour', limitUsd: 2, untilMs: T0 + 10 * 60 * SEC }, T0 + SEC);
    setOverride(state, { ...operator, scope: 'agent:ResearchAgent:hour', limitUsd: 2, untilMs: T0 + 10 * 60 * SEC }, T0 + SEC);
    closeBreaker(state, operator, T0 + SEC);
    expect(budgetSnapshot(state, T0 + SEC, limits).scopes.find((s) => s.scope === 'system:hour')?.limitUsd).toBe(2);
    granted(reserve(state, request({ usd: 0.5 }), T0 + 2 * SEC, limits).result);
    granted(reserve(state, request({ usd: 0.5 }), T0 + 2 * SEC, limits).result);
    expect(denied(reserve(state, request({ usd: 0.2 }), T0 + 3 * SEC, limits).result)).toMatchObject({ scope: 'system:hour', limitUsd: 2 });
    expect(state.audit.map((a) => a.action)).toEqual(['setOverride', 'setOverride', 'closeBreaker']);
    expect(state.audit[0]).toMatchObject({ who: 'alice@ops', why: operator.why, details: { scope: 'system:hour', limitUsd: 2 } });

    // After they lapse the configured limits apply again (and the spend is still there).
    const later = T0 + 11 * 60 * SEC;
    closeBreaker(state, operator, later);
    expect(denied(reserve(state, request({ usd: 0.01 }), later, limits).result)).toMatchObject({ type: 'agent_budget_exhausted', limitUsd: 0.5 });
    expect(denied(reserve(state, request({ usd: 0.01, agent: 'Fresh' }), later, limits).result)).toMatchObject({ type: 'breaker_open', scope: 'system:hour', limitUsd: 1 });
  });

  it('opens the breaker by hand: everything is denied until an operator closes it', () => {
    const limits = limitsWith();
    const state = initialLedgerState(T0, limits);
    openBreaker(state, { who: 'bob', why: 'provider incident' }, T0);
    const denial = denied(reserve(state, request({ usd: 0.0001 }), T0 + 3 * 3_600_000, limits).result);
    expect(denial).toMatchObject({ type: 'breaker_open', scope: 'operator', unit: 'operator' });
    expect(denial.retryAtMs).toBeUndefined();
    closeBreaker(state, { who: 'bob', why: 'provider recovered' }, T0 + 3 * 3_600_000);
    granted(reserve(state, request(), T0 + 3 * 3_600_000, limits).result);
    expect(state.audit.map((a) => [a.action, a.who, a.why])).toEqual([
      ['openBreaker', 'bob', 'provider incident'],
      ['closeBreaker', 'bob', 'provider recovered'],
    ]);
  });

  it('keeps the audit and alert logs bounded', () => {
    const limits = limitsWith({ perTaskUsd: 0.1 });
    const state = initialLedgerState(T0, limits);
    for (let i = 0; i < 150; i++) closeBreaker(state, { who: `op${i}`, why: 'drill' }, T0 + i);
    expect(state.audit).toHaveLength(DEFAULT_LEDGER_OPTIONS.maxAudit);
    expect(state.audit[0].who).toBe('op50');
    for (let i = 0; i < 80; i++) denied(reserve(state, request({ taskId: `over${i}` }), T0, limits).result);
    expect(state.alerts).toHaveLength(DEFAULT_LEDGER_OPTIONS.maxAlerts);
    expect(state.alerts.at(-1)).toMatchObject({ kind: 'budget_exceeded', scope: 'task:over79', seq: 80 });
  });
});
