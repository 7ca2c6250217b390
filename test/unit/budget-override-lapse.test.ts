import { initialLedgerState, reserve, settle } from '../../src/budget/ledger';
import { DEFAULT_LEDGER_OPTIONS, type LedgerOptions, type ReserveRequest } from '../../src/budget/ledger-types';
import { setOverride } from '../../src/budget/operator';
import { limitsWith } from '../support/limits';
import { denied, granted } from '../support/ledger-results';

/**
 * An operator's override lets spend past the base limit; when it lapses, that spend is over the
 * base limit without anything new having been spent. The breaker is for real trouble: tasks then
 * wait for room (system_budget_full), the breaker stays closed.
 */

const T0 = Date.parse('2024-05-01T10:00:00Z');
const MIN = 60_000;
let seq = 0;
const request = (over: Partial<ReserveRequest> = {}): ReserveRequest => ({ key: `k${++seq}`, taskId: `t${seq}`, agent: 'DatabaseAgent', usd: 0.002, tokens: 10, ...over });

function spentUnderOverride(options: LedgerOptions) {
  const limits = limitsWith({ systemHourlyUsd: 0.006 });
  const state = initialLedgerState(T0, limits);
  setOverride(state, { who: 'alice', why: 'let some more through', scope: 'system:hour', limitUsd: 0.012, untilMs: T0 + 15 * MIN }, T0, options);
  // $0.011 settled under the $0.012 override: over the base $0.006, under the limit in force.
  for (let i = 0; i < 5; i += 1) settle(state, granted(reserve(state, request(), T0 + i * MIN, limits, options).result), { usd: 0.0022, tokens: 10 }, T0 + i * MIN, limits, options);
  expect(state.hour.system.usd).toBeCloseTo(0.011, 10);
  expect(state.breaker.open).toBe(false);
  return { limits, state };
}

describe('an override that lapses over spend it allowed', () => {
  it('leaves the breaker closed: the next call waits for room (system_budget_full), no trip and no alert', () => {
    const options = DEFAULT_LEDGER_OPTIONS;
    const { limits, state } = spentUnderOverride(options);
    const after = denied(reserve(state, request(), T0 + 16 * MIN, limits, options).result);
    expect(after.type).toBe('system_budget_full');
    expect(state.breaker.open).toBe(false);
    expect(state.alerts.filter((a) => a.kind === 'breaker_open')).toEqual([]);
  });

  it('still opens the breaker when spend grows past the limit now in force (an abandoned reservation charged)', () => {
    const options = { ...DEFAULT_LEDGER_OPTIONS, reservationTtlMs: 10 * MIN };
    const { limits, state } = spentUnderOverride(options);
    // Granted under the override, never settled: charged in full when it expires after the lapse.
    granted(reserve(state, request({ usd: 0.0009 }), T0 + 14 * MIN, limits, options).result);
    reserve(state, request(), T0 + 26 * MIN, limits, options);
    expect(state.breaker).toMatchObject({ open: true, reason: 'system_limit', scope: 'system:hour' });
  });

  it('tripped as soon as it lapsed in a ledger run from before (tripsOnNewSpendOnly off, as such a run replays)', () => {
    const options = { ...DEFAULT_LEDGER_OPTIONS, tripsOnNewSpendOnly: false };
    const { limits, state } = spentUnderOverride(options);
    reserve(state, request(), T0 + 16 * MIN, limits, options);
    expect(state.breaker).toMatchObject({ open: true, reason: 'system_limit' });
  });
});
