import { aheadAmount, covers, nextCallKey } from '../../src/budget/ahead';
import { initialLedgerState, reserve } from '../../src/budget/ledger';
import { AHEAD_HEADROOM } from '../../src/budget/ledger-ahead';
import type { ReserveRequest } from '../../src/budget/ledger-types';
import { limitsWith } from '../support/limits';
import { denied, granted } from '../support/ledger-results';

/** Reserve-ahead (off by default, BudgetGateOptions.reserveAhead): the arithmetic and the ledger's quiet refusals. */

const T0 = Date.parse('2024-05-01T10:00:00Z');
let seq = 0;
const call = (over: Partial<ReserveRequest> = {}): ReserveRequest => ({ key: `w:r:3:1:${++seq}`, taskId: 't1', agent: 'DatabaseAgent', usd: 0.01, tokens: 100, ...over });
const ahead = (over: Partial<ReserveRequest> = {}) => call({ usd: 0.02, tokens: 200, ahead: true, ...over });

describe('reserve-ahead arithmetic', () => {
  it('names the next call of the same attempt, and nothing for a key without a call number', () => {
    expect(nextCallKey('wf:run:3:1:4')).toBe('wf:run:3:1:5');
    expect(nextCallKey('a-1')).toBeUndefined();
    expect(nextCallKey('wf:run:x')).toBeUndefined();
  });

  it('holds twice the worst case, and uses it only for a call it covers in both units', () => {
    const held = aheadAmount({ usd: 0.01, tokens: 300 });
    expect(held).toEqual({ usd: 0.02, tokens: 600 });
    expect(covers(held, { usd: 0.019, tokens: 600 })).toBe(true);
    expect(covers(held, { usd: 0.021, tokens: 10 })).toBe(false);
    expect(covers(held, { usd: 0.001, tokens: 601 })).toBe(false);
  });
});

describe('ledger: ahead requests', () => {
  it('grants with ample room, counting it against every scope like any reservation', () => {
    const limits = limitsWith({ perTaskUsd: 1 });
    const state = initialLedgerState(T0, limits);
    granted(reserve(state, call(), T0, limits).result);
    const id = granted(reserve(state, ahead(), T0, limits).result);
    expect(state.reservations[id]).toMatchObject({ taskId: 't1', usd: 0.02, tokens: 200 });
  });

  it(`refuses quietly when a shared scope would keep less than ${AHEAD_HEADROOM * 100} % free: no alert, no queue place`, () => {
    const limits = limitsWith({ perTaskUsd: 1, systemHourlyUsd: 0.05 });
    const state = initialLedgerState(T0, limits);
    granted(reserve(state, call(), T0, limits).result);
    const refused = denied(reserve(state, ahead(), T0, limits).result);
    expect(refused.message).toMatch(/not reserved ahead: system:hour/);
    expect(refused.alerts).toEqual([]);
    expect(state.waiters ?? []).toEqual([]);
    expect(state.alerts).toEqual([]);
    // The same amount as an ordinary call still fits: only the bet on plenty is refused.
    granted(reserve(state, call({ usd: 0.02 }), T0, limits).result);
  });

  it('refuses while the breaker is open, tasks wait, the task has no call, or the task limit or runaway bound is near', () => {
    const limits = limitsWith({ perTaskUsd: 0.025 });
    const state = initialLedgerState(T0, limits);
    expect(denied(reserve(state, ahead(), T0, limits).result).message).toMatch(/no call in flight/);
    granted(reserve(state, call(), T0, limits).result);
    expect(denied(reserve(state, ahead(), T0, limits).result).message).toMatch(/the task limit/);
    state.waiters = [{ taskId: 'other', seq: 9, usd: 1, tokens: 1, sinceMs: T0, lastMs: T0 }];
    expect(denied(reserve(state, ahead({ usd: 0.001 }), T0, limits).result).message).toMatch(/waiting/);
    state.waiters = [];
    state.breaker = { open: true, reason: 'operator', scope: 'operator' };
    expect(denied(reserve(state, ahead({ usd: 0.001 }), T0, limits).result).message).toMatch(/breaker/);
    state.breaker = { open: false };
    const strict = limitsWith({ perTaskUsd: 1, circuitBreaker: { enabled: true, maxCallsPerTaskPerMinute: 2, maxSpawnDepth: 3 } });
    expect(denied(reserve(state, ahead({ usd: 0.001 }), T0, strict).result).message).toMatch(/calls-per-minute/);
  });
});
