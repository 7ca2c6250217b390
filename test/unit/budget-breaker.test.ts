import { initialLedgerState, release, reserve, settle } from '../../src/budget/ledger';
import { DEFAULT_LEDGER_OPTIONS, type ReserveRequest } from '../../src/budget/ledger-types';
import { closeBreaker, openBreaker, setOverride } from '../../src/budget/operator';
import { budgetSnapshot } from '../../src/budget/snapshot';
import { limitsWith } from '../support/limits';
import { denied, granted } from '../support/ledger-results';

const at = (iso: string) => Date.parse(iso);
const T0 = at('2024-05-01T10:00:00Z');
const SEC = 1000;


let seq = 0;
const request = (over: Partial<ReserveRequest> = {}): ReserveRequest => ({ key: `k${++seq}`, taskId: `t${seq}`, agent: 'ResearchAgent', usd: 0.3, tokens: 100, ...over });
const operator = { who: 'alice@ops', why: 'INC-42: finish the migration batch' };

describe('circuit breaker', () => {
  it('stays closed when a reservation does not fit: that call is denied and its task waits, nothing else stops', () => {
    // The held-out run: 12 % of the cap settled, one call reserving half the cap, then another.
    const limits = limitsWith({ systemHourlyUsd: 1 });
    const state = initialLedgerState(T0, limits);
    settle(state, granted(reserve(state, request({ taskId: 'first', usd: 0.2 }), T0, limits).result), { usd: 0.12, tokens: 100 }, T0, limits);
    granted(reserve(state, request({ taskId: 'big', usd: 0.5 }), T0 + SEC, limits).result);
    const wait = denied(reserve(state, request({ taskId: 'second', usd: 0.5 }), T0 + 2 * SEC, limits).result);
    expect(wait).toMatchObject({ type: 'system_budget_full', scope: 'system:hour', limitUsd: 1, requestedUsd: 0.5, position: 1, waiting: 1 });
    expect(wait.spentUsd).toBeCloseTo(0.62, 12);
    expect(wait.retryAtMs).toBeUndefined();
    expect(wait.message).toMatch(/waiting: position 1 of 1/);
    expect(state.breaker.open).toBe(false);
    expect(state.alerts.map((a) => a.kind)).toEqual(['system_budget_full']);
    // Calls that fit still go through (from a task older than the waiter): the world did not stop.
    granted(reserve(state, request({ taskId: 'first', usd: 0.0001 }), T0 + 3 * SEC, limits).result);
  });

  it('opens when SETTLED spend reaches the system hour limit, until the hour ends; the next hour starts closed', () => {
    const limits = limitsWith({ systemHourlyUsd: 1 });
    const state = initialLedgerState(T0, limits);
    const ids = [0.5, 0.5].map((usd) => granted(reserve(state, request({ usd }), T0, limits).result));
    // Fully reserved is not spent: no trip.
    denied(reserve(state, request({ usd: 0.01 }), T0 + SEC, limits).result);
    expect(state.breaker.open).toBe(false);
    settle(state, ids[0], { usd: 0.5, tokens: 100 }, T0 + 2 * SEC, limits);
    settle(state, ids[1], { usd: 0.5, tokens: 100 }, T0 + 2 * SEC, limits);
    const trip = denied(reserve(state, request({ usd: 0.0001 }), T0 + 3 * SEC, limits).result);
    expect(trip).toMatchObject({ type: 'breaker_open', scope: 'system:hour', unit: 'usd', limit: 1, spent: 1, limitUsd: 1, retryAtMs: at('2024-05-01T11:00:00Z') });
    expect(trip.alerts).toEqual([expect.objectContaining({ kind: 'breaker_open', reason: 'system_limit', scope: 'system:hour', limit: 1, spent: 1, at: T0 + 3 * SEC })]);
    expect(trip.alerts[0].message).toMatch(/\$1\.000000 settled of limit \$1\.000000/);
    // Open means open, and no second alert.
    expect(denied(reserve(state, request({ usd: 0.0001 }), T0 + 4 * SEC, limits).result)).toMatchObject({ type: 'breaker_open', alerts: [] });
    expect(budgetSnapshot(state, T0 + 4 * SEC, limits).breaker).toMatchObject({ open: true, reason: 'system_limit', untilMs: at('2024-05-01T11:00:00Z') });

    granted(reserve(state, request(), at('2024-05-01T11:00:00Z'), limits).result);
    expect(state.breaker.open).toBe(false);
    expect(state.audit.at(-1)).toMatchObject({ action: 'autoClose', who: 'ledger', at: at('2024-05-01T11:00:00Z') });
  });

  it('opens on the system day limit (settled) until local midnight', () => {
    // No experimental lane: the main lane is the whole system day, so the day's own limit binds.
    const limits = limitsWith({ systemDailyUsd: 2, experimentalShare: 0, timezone: 'America/New_York' });
    const state = initialLedgerState(T0, limits);
    settle(state, granted(reserve(state, request({ usd: 2 }), T0, limits).result), { usd: 2, tokens: 1 }, T0, limits);
    const trip = denied(reserve(state, request({ usd: 0.2 }), T0, limits).result);
    // 10:00 UTC is 06:00 EDT; the New York day ends at 04:00 UTC.
    expect(trip).toMatchObject({ type: 'breaker_open', scope: 'system:day', limitUsd: 2, spentUsd: 2, retryAtMs: at('2024-05-02T04:00:00Z') });
    denied(reserve(state, request({ usd: 0.01 }), at('2024-05-02T03:59:59Z'), limits).result);
    granted(reserve(state, request({ usd: 0.01 }), at('2024-05-02T04:00:00Z'), limits).result);
  });

  it('opens until the day ends when one settle takes both windows over, and an operator who closes it is not overruled at the hour', () => {
    const limits = limitsWith({ systemHourlyUsd: 1, systemDailyUsd: 2, experimentalShare: 0 });
    const state = initialLedgerState(T0, limits);
    settle(state, granted(reserve(state, request({ usd: 0.01 }), T0, limits).result), { usd: 3.44, tokens: 1 }, T0 + SEC, limits);
    const trip = denied(reserve(state, request({ usd: 0.01 }), T0 + 2 * SEC, limits).result);
    expect(trip).toMatchObject({ type: 'breaker_open', scope: 'system:day', limitUsd: 2, spentUsd: 3.44, retryAtMs: at('2024-05-02T00:00:00Z') });
    // The settle tripped it: one alert, the day's.
    const opened = state.alerts.filter((a) => a.kind === 'breaker_open');
    expect(opened).toEqual([expect.objectContaining({ reason: 'system_limit', scope: 'system:day', limit: 2, spent: 3.44 })]);
    expect(opened[0].message).toMatch(/system:day \(\$3\.440000 settled of limit \$2\.000000; system:hour too: \$3\.440000 settled of limit \$1\.000000\); every reservation is denied until 2024-05-02T00:00:00\.000Z/);
    // The hour rolls over; the day is still 172 % spent: the breaker stays open.
    expect(denied(reserve(state, request({ usd: 0.01 }), at('2024-05-01T11:00:00Z'), limits).result)).toMatchObject({ type: 'breaker_open', scope: 'system:day' });
    expect(state.trippedWindows).toEqual(['system:hour@2024-05-01T10+00:00', 'system:day@2024-05-01']);

    // Closed by an operator in the first hour: neither window trips it again.
    const closed = initialLedgerState(T0, limits);
    settle(closed, granted(reserve(closed, request({ usd: 0.01 }), T0, limits).result), { usd: 3.44, tokens: 1 }, T0 + SEC, limits);
    denied(reserve(closed, request({ usd: 0.01 }), T0 + 2 * SEC, limits).result);
    closeBreaker(closed, operator, T0 + 3 * SEC);
    expect(denied(reserve(closed, request({ usd: 0.01 }), T0 + 4 * SEC, limits).result)).toMatchObject({ type: 'system_budget_full', scope: 'system:day' });
    expect(denied(reserve(closed, request({ usd: 0.01 }), at('2024-05-01T11:00:00Z'), limits).result)).toMatchObject({ type: 'system_budget_full', scope: 'system:day' });
    expect(closed.breaker.open).toBe(false);
  });

  it('opens for a runaway task (more calls granted than allowed within a sliding minute) and stops that task', () => {
    const limits = limitsWith({ circuitBreaker: { maxCallsPerTaskPerMinute: 5 } });
    const state = initialLedgerState(T0, limits);
    // Calls 15 s apart never put more than 4 into one minute.
    for (let i = 0; i < 12; i++) granted(reserve(state, request({ taskId: 'steady', usd: 0.001 }), T0 + i * 15 * SEC, limits).result);
    const start = T0 + 200 * SEC;
    for (let i = 0; i < 5; i++) granted(reserve(state, request({ taskId: 'loop', usd: 0.001 }), start + i * SEC, limits).result);
    const stop = denied(reserve(state, request({ taskId: 'loop', usd: 0.001 }), start + 5 * SEC, limits).result);
    // The runaway ends (budget_exceeded is not waited out); everyone else waits for the breaker.
    expect(stop).toMatchObject({ type: 'budget_exceeded', scope: 'task:loop', unit: 'calls_per_minute', limit: 5, spent: 6 });
    expect(stop.message).toMatch(/task:loop asked for its call 6 within a minute, past max_calls_per_task_per_minute 5: a runaway loop, stopped \(the circuit breaker is open until 2024-05-01T11:00:00\.000Z/);
    expect(stop.alerts).toEqual([
      expect.objectContaining({ kind: 'breaker_open', reason: 'runaway_calls', scope: 'task:loop' }),
      expect.objectContaining({ kind: 'budget_exceeded', scope: 'task:loop', unit: 'calls_per_minute' }),
    ]);
    expect(state.breaker).toMatchObject({ open: true, reason: 'runaway_calls', untilMs: at('2024-05-01T11:00:00Z') });
    expect(denied(reserve(state, request({ taskId: 'steady', usd: 0.001 }), start + 6 * SEC, limits).result).type).toBe('breaker_open');
  });

  it("counts a runaway's minute of calls once: closed by an operator within that minute, the breaker is not opened again by its calls still on their way", () => {
    const limits = limitsWith({ circuitBreaker: { maxCallsPerTaskPerMinute: 5 } });
    const state = initialLedgerState(T0, limits);
    for (let i = 0; i < 5; i++) granted(reserve(state, request({ taskId: 'loop', usd: 0.001 }), T0 + i * SEC, limits).result);
    expect(denied(reserve(state, request({ taskId: 'loop', usd: 0.001 }), T0 + 5 * SEC, limits).result).type).toBe('budget_exceeded');
    closeBreaker(state, operator, T0 + 10 * SEC);
    // Its failure record's embedding, say: 15 s after the trip, well within the minute.
    granted(reserve(state, request({ taskId: 'loop', usd: 0.001 }), T0 + 20 * SEC, limits).result);
    granted(reserve(state, request({ taskId: 'other', usd: 0.001 }), T0 + 21 * SEC, limits).result);
    expect(state.breaker.open).toBe(false);
  });

  it('leaves a runaway task waiting out the breaker in a ledger run from before runaways were stopped (its replay)', () => {
    const limits = limitsWith({ circuitBreaker: { maxCallsPerTaskPerMinute: 5 } });
    const options = { ...DEFAULT_LEDGER_OPTIONS, runawayStopsTask: false };
    const state = initialLedgerState(T0, limits);
    for (let i = 0; i < 5; i++) granted(reserve(state, request({ taskId: 'loop', usd: 0.001 }), T0 + i * SEC, limits, options).result);
    const trip = denied(reserve(state, request({ taskId: 'loop', usd: 0.001 }), T0 + 5 * SEC, limits, options).result);
    expect(trip).toMatchObject({ type: 'breaker_open', scope: 'task:loop', unit: 'calls_per_minute', limit: 5, spent: 6 });
    expect(trip.alerts).toEqual([expect.objectContaining({ kind: 'breaker_open', reason: 'runaway_calls' })]);
  });

  it('counts only granted calls toward runaway detection: a task asking while it waits is no runaway', () => {
    const limits = limitsWith({ systemHourlyUsd: 1, circuitBreaker: { maxCallsPerTaskPerMinute: 5 } });
    const state = initialLedgerState(T0, limits);
    const held = granted(reserve(state, request({ taskId: 'holder', usd: 1 }), T0, limits).result);
    for (let i = 1; i <= 30; i++) expect(denied(reserve(state, request({ taskId: 'poller', usd: 0.01 }), T0 + i * SEC, limits).result).type).toBe('system_budget_full');
    release(state, held, T0 + 31 * SEC, limits);
    // Within the same minute as its 30 denials: five grants are within the bound, the sixth is not.
    for (let i = 0; i < 5; i++) granted(reserve(state, request({ taskId: 'poller', usd: 0.01 }), T0 + (32 + i) * SEC, limits).result);
    expect(state.breaker.open).toBe(false);
    const trip = denied(reserve(state, request({ taskId: 'poller', usd: 0.01 }), T0 + 40 * SEC, limits).result);
    expect(trip).toMatchObject({ type: 'budget_exceeded', scope: 'task:poller', unit: 'calls_per_minute', limit: 5, spent: 6 });
    expect(state.breaker).toMatchObject({ open: true, reason: 'runaway_calls' });
  });

  it('stops a task spawned deeper than allowed at its first call, without stopping anyone else', () => {
    const limits = limitsWith({ circuitBreaker: { maxSpawnDepth: 3 } });
    const state = initialLedgerState(T0, limits);
    granted(reserve(state, request({ spawnDepth: 3 }), T0, limits).result);
    const stop = denied(reserve(state, request({ taskId: 'deep', spawnDepth: 4 }), T0, limits).result);
    expect(stop).toMatchObject({ type: 'budget_exceeded', scope: 'task:deep', unit: 'spawn_depth', limit: 3, spent: 4 });
    expect(stop.message).toMatch(/depth 4, past max_spawn_depth 3/);
    expect(stop.alerts).toEqual([expect.objectContaining({ kind: 'budget_exceeded', scope: 'task:deep', unit: 'spawn_depth' })]);
    expect(state.breaker.open).toBe(false);
    granted(reserve(state, request(), T0, limits).result);
  });

  it('is off when disabled: the system limit still holds call by call, and nothing opens it', () => {
    const limits = limitsWith({ systemHourlyUsd: 1, circuitBreaker: { enabled: false, maxCallsPerTaskPerMinute: 2, maxSpawnDepth: 0 } });
    const state = initialLedgerState(T0, limits);
    const ids = [1, 2, 3].map(() => granted(reserve(state, request({ taskId: 'same', spawnDepth: 5 }), T0, limits).result));
    expect(denied(reserve(state, request(), T0, limits).result)).toMatchObject({ type: 'system_budget_full', scope: 'system:hour' });
    for (const id of ids) settle(state, id, { usd: 0.3, tokens: 1 }, T0, limits);
    granted(reserve(state, request({ usd: 0.1 }), T0, limits).result);
    denied(reserve(state, request({ usd: 0.1 }), T0, limits).result);
    expect(state.breaker.open).toBe(false);
  });
});

describe('operator actions', () => {
  /**
   * The hour's settled spend reaches its limit and opens the breaker, an operator closes it, then a
   * hundred other tasks are each stopped at their own limit: a budget_exceeded alert apiece, far
   * more than the alert log keeps.
   */
  function closedThenAlertStorm(options = DEFAULT_LEDGER_OPTIONS) {
    const limits = limitsWith({ systemHourlyUsd: 1 });
    const state = initialLedgerState(T0, limits);
    settle(state, granted(reserve(state, request({ usd: 0.9 }), T0, limits, options).result), { usd: 1, tokens: 1 }, T0, limits, options);
    expect(denied(reserve(state, request(), T0, limits, options).result).type).toBe('breaker_open');
    closeBreaker(state, operator, T0 + SEC);
    for (let i = 0; i < 100; i++) reserve(state, request({ taskId: `over-${i}`, usd: 0.01, taskSpent: { usd: limits.perTaskUsd, tokens: 0 } }), T0 + 2 * SEC, limits, options);
    return { state, limits };
  }

  it('keeps the breaker closed for the window once an operator closed it, however many alerts come after its own (even where they push its alert out)', () => {
    // A run from before fleet alerts were kept lets the tasks' alerts push the trip's out of the log.
    const options = { ...DEFAULT_LEDGER_OPTIONS, keepsFleetAlerts: false };
    const { state, limits } = closedThenAlertStorm(options);
    // The trip's alert has left the log (and no second one came).
    expect(state.alerts.filter((a) => a.kind === 'breaker_open')).toEqual([]);
    // The next update (any task's) finds the hour's spend still at its limit: the trip is remembered, not repeated.
    expect(denied(reserve(state, request({ usd: 0.05 }), T0 + 3 * SEC, limits, options).result)).toMatchObject({ type: 'system_budget_full', scope: 'system:hour' });
    expect(state.breaker.open).toBe(false);
    // The next hour starts afresh: the remembered trip was that hour's only.
    granted(reserve(state, request({ usd: 0.05 }), at('2024-05-01T11:00:00Z'), limits, options).result);
    expect(state.breaker.open).toBe(false);
  });

  it("keeps the trip's alert through the tasks' alert storm, and the breaker closed for the window once an operator closed it", () => {
    const { state, limits } = closedThenAlertStorm();
    expect(state.alerts.filter((a) => a.kind === 'breaker_open')).toEqual([expect.objectContaining({ reason: 'system_limit', scope: 'system:hour' })]);
    expect(state.alerts).toHaveLength(DEFAULT_LEDGER_OPTIONS.maxAlerts);
    expect(denied(reserve(state, request({ usd: 0.05 }), T0 + 3 * SEC, limits).result)).toMatchObject({ type: 'system_budget_full', scope: 'system:hour' });
    expect(state.breaker.open).toBe(false);
  });

  it('re-opened the breaker an operator had closed once its alert left the log, in a ledger run from before trips were remembered (its replay)', () => {
    // A run from before trips were remembered is from before they needed new spend too.
    const options = { ...DEFAULT_LEDGER_OPTIONS, remembersTrips: false, tripsOnNewSpendOnly: false, keepsFleetAlerts: false };
    const { state, limits } = closedThenAlertStorm(options);
    expect(state.breaker).toMatchObject({ open: true, reason: 'system_limit' });
    expect(denied(reserve(state, request({ usd: 0.05 }), T0 + 3 * SEC, limits, options).result).type).toBe('breaker_open');
  });

  it('closes the breaker with an audit entry; it stays closed for the window, and the limit still holds call by call', () => {
    const limits = limitsWith({ systemHourlyUsd: 1 });
    const state = initialLedgerState(T0, limits);
    settle(state, granted(reserve(state, request({ usd: 0.9 }), T0, limits).result), { usd: 1, tokens: 1 }, T0, limits);
    expect(denied(reserve(state, request(), T0, limits).result).type).toBe('breaker_open');
    closeBreaker(state, operator, T0 + SEC);
    expect(state.audit.at(-1)).toEqual({ at: T0 + SEC, ...operator, action: 'closeBreaker', details: { wasOpen: true, reason: 'system_limit', scope: 'system:hour' } });
    // Not re-opened by the spend it already tripped on (the operator decided); nothing fits either.
    expect(denied(reserve(state, request({ usd: 0.05 }), T0 + 2 * SEC, limits).result)).toMatchObject({ type: 'system_budget_full', scope: 'system:hour' });
    expect(state.breaker.open).toBe(false);
    setOverride(state, { ...operator, scope: 'system:hour', limitUsd: 2, untilMs: T0 + 60 * SEC }, T0 + 3 * SEC);
    granted(reserve(state, request({ usd: 0.05 }), T0 + 3 * SEC, limits).result);
  });

  it('raises a limit for a while with an override, then the configured limit applies again', () => {
    const limits = limitsWith({ systemHourlyUsd: 1, perAgentHourlyUsd: 0.5 });
    const state = initialLedgerState(T0, limits);
    for (const agent of ['Generalist', 'DatabaseAgent']) {
      settle(state, granted(reserve(state, request({ usd: 0.45, agent }), T0, limits).result), { usd: 0.45, tokens: 1 }, T0, limits);
    }
    expect(denied(reserve(state, request({ taskId: 'waiter' }), T0, limits).result).type).toBe('system_budget_full');
    setOverride(state, { ...operator, scope: 'system:hour', limitUsd: 2, untilMs: T0 + 10 * 60 * SEC }, T0 + SEC);
    setOverride(state, { ...operator, scope: 'agent:ResearchAgent:hour', limitUsd: 2, untilMs: T0 + 10 * 60 * SEC }, T0 + SEC);
    closeBreaker(state, operator, T0 + SEC);
    expect(budgetSnapshot(state, T0 + SEC, limits).scopes.find((s) => s.scope === 'system:hour')?.limitUsd).toBe(2);
    // The waiting task asks again and goes first; then the raised limit serves others.
    granted(reserve(state, request({ taskId: 'waiter' }), T0 + 2 * SEC, limits).result);
    granted(reserve(state, request({ usd: 0.5 }), T0 + 2 * SEC, limits).result);
    expect(denied(reserve(state, request({ usd: 0.5 }), T0 + 3 * SEC, limits).result)).toMatchObject({ scope: 'system:hour', limitUsd: 2 });
    expect(state.audit.map((a) => a.action)).toEqual(['setOverride', 'setOverride', 'closeBreaker']);
    expect(state.audit[0]).toMatchObject({ who: 'alice@ops', why: operator.why, details: { scope: 'system:hour', limitUsd: 2 } });

    // After they lapse the configured limits apply again (and the spend is still there).
    const later = T0 + 11 * 60 * SEC;
    closeBreaker(state, operator, later);
    expect(denied(reserve(state, request({ usd: 0.01 }), later, limits).result)).toMatchObject({ type: 'agent_budget_exhausted', limitUsd: 0.5 });
    expect(denied(reserve(state, request({ usd: 0.01, agent: 'Fresh' }), later, limits).result)).toMatchObject({ type: 'system_budget_full', scope: 'system:hour', limitUsd: 1 });
  });

  it('opens the breaker by hand: everything is denied until an operator closes it', () => {
    const limits = limitsWith();
    const state = initialLedgerState(T0, limits);
    openBreaker(state, { who: 'bob', why: 'provider incident' }, T0);
    const denial = denied(reserve(state, request({ usd: 0.0001 }), T0 + 3 * 3_600_000, limits).result);
    expect(denial).toMatchObject({ type: 'breaker_open', scope: 'operator', unit: 'operator' });
    // Who opened it and why, not an operator's "spend" of 0 of limit 0.
    expect(denial.message).toBe('breaker_open: the circuit breaker is open (opened by bob: "provider incident"; only an operator closes it (pantheon budget close))');
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

  it("keeps the fleet's alerts when tasks' own alerts overflow the log: a breaker trip outlives a flood of tasks stopped at their limit", () => {
    const limits = limitsWith({ systemHourlyUsd: 1, perTaskUsd: 0.1 });
    const state = initialLedgerState(T0, limits);
    const id = granted(reserve(state, request({ usd: 0.05 }), T0, limits).result);
    settle(state, id, { usd: 1, tokens: 100 }, T0 + SEC, limits);
    denied(reserve(state, request({ usd: 0.0001 }), T0 + 2 * SEC, limits).result);
    const trip = state.alerts.find((a) => a.kind === 'breaker_open');
    expect(trip).toMatchObject({ reason: 'system_limit', scope: 'system:hour' });
    // The next hour: eighty tasks each ask for more than their own limit.
    const nextHour = T0 + 3_600_000;
    for (let i = 0; i < 80; i++) denied(reserve(state, request({ taskId: `over${i}`, usd: 0.2 }), nextHour + i, limits).result);
    expect(state.alerts).toHaveLength(DEFAULT_LEDGER_OPTIONS.maxAlerts);
    expect(state.alerts).toContainEqual(trip);
    // One task's alerts go oldest first; the newest are kept, in order.
    const tasks = state.alerts.filter((a) => a.kind === 'budget_exceeded').map((a) => a.scope);
    expect(tasks).toEqual(Array.from({ length: tasks.length }, (_, k) => `task:over${80 - tasks.length + k}`));
    expect(budgetSnapshot(state, nextHour + 100, limits).alerts).toContainEqual(trip);
  });

  it('drops the oldest alerts whatever they are in a ledger run that began before fleet alerts were kept (its replay decides as it did)', () => {
    const limits = limitsWith({ systemHourlyUsd: 1, perTaskUsd: 0.1 });
    const legacy = { ...DEFAULT_LEDGER_OPTIONS, keepsFleetAlerts: false };
    const state = initialLedgerState(T0, limits);
    const id = granted(reserve(state, request({ usd: 0.05 }), T0, limits, legacy).result);
    settle(state, id, { usd: 1, tokens: 100 }, T0 + SEC, limits, legacy);
    denied(reserve(state, request({ usd: 0.0001 }), T0 + 2 * SEC, limits, legacy).result);
    expect(state.alerts.map((a) => a.kind)).toContain('breaker_open');
    for (let i = 0; i < 80; i++) denied(reserve(state, request({ taskId: `over${i}`, usd: 0.2 }), T0 + 3_600_000 + i, limits, legacy).result);
    expect(state.alerts.map((a) => a.kind)).not.toContain('breaker_open');
  });
});
