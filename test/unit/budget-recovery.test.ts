import { limitsDrift } from '../../src/budget/limits-patch';
import { initialLedgerState, reserve, settle } from '../../src/budget/ledger';
import { chargeOutstanding, lostState, resetState, restoreState, resumeState } from '../../src/budget/ledger-recovery';
import { DEFAULT_LEDGER_OPTIONS as OPTIONS } from '../../src/budget/ledger-types';
import { LedgerStateSchema } from '../../src/budget/messages';
import { budgetSnapshot } from '../../src/budget/snapshot';
import { limitsWith } from '../support/limits';

const T0 = Date.parse('2024-05-01T10:00:00Z');
const limits = limitsWith({ systemHourlyUsd: 5 });
const hourOf = (state: ReturnType<typeof initialLedgerState>, nowMs = T0) => budgetSnapshot(state, nowMs, limits).scopes.find((s) => s.scope === 'system:hour')!;

/** $0.20 settled and $0.30 still held by a call in flight. */
function busyLedger() {
  const state = initialLedgerState(T0, limits);
  reserve(state, { key: 'done', taskId: 't1', agent: 'A', usd: 0.4, tokens: 100 }, T0, limits);
  settle(state, 'done', { usd: 0.2, tokens: 50 }, T0, limits);
  reserve(state, { key: 'flying', taskId: 't2', agent: 'B', usd: 0.3, tokens: 80 }, T0, limits);
  return state;
}

describe('budget ledger recovery (pure)', () => {
  it('charges every outstanding reservation at its worst case, so a late settle changes nothing', () => {
    const state = busyLedger();
    expect(chargeOutstanding(state, T0 + 1000)).toEqual({ count: 1, usd: 0.3 });
    expect(hourOf(state)).toMatchObject({ reservedUsd: 0 });
    expect(hourOf(state).settledUsd).toBeCloseTo(0.5, 12);
    expect(settle(state, 'flying', { usd: 0.01, tokens: 1 }, T0 + 2000, limits).result).toMatchObject({ applied: false, status: 'expired' });
    expect(hourOf(state).settledUsd).toBeCloseTo(0.5, 12);
  });

  it('a resumed state keeps spend, breaker and overrides and records the recovery with an alert', () => {
    const state = busyLedger();
    state.breaker = { open: true, reason: 'operator', scope: 'operator', sinceMs: T0 };
    state.overrides.push({ scope: 'system:day', limitUsd: 9, untilMs: T0 + 3_600_000, who: 'a', why: 'b', atMs: T0 });
    const { state: next, alert } = resumeState(state, { runId: 'r1', status: 'TERMINATED' }, T0 + 5000, OPTIONS);
    expect(next.breaker).toMatchObject({ open: true, reason: 'operator' });
    expect(next.overrides).toHaveLength(1);
    expect(hourOf(next).settledUsd).toBeCloseTo(0.5, 12);
    expect(alert).toMatchObject({ kind: 'ledger_recovered', window: 'r1' });
    expect(next.audit.at(-1)).toMatchObject({ action: 'recover', details: { fromRunId: 'r1', count: 1 } });
  });

  it('a lost state refuses every reservation, and neither a window rollover nor time closes it', () => {
    const { state, alert } = lostState(T0, limits, { runId: 'r9', status: 'FAILED' }, 'query failed', OPTIONS);
    expect(alert).toMatchObject({ kind: 'ledger_lost' });
    const later = T0 + 2 * 3_600_000;
    const result = reserve(state, { key: 'k', taskId: 't', agent: 'A', usd: 0.01, tokens: 1 }, later, limits).result;
    expect(result).toMatchObject({ granted: false, type: 'breaker_open' });
    expect(state.breaker).toMatchObject({ open: true, reason: 'ledger_lost' });
  });

  it('reset starts the books over but keeps the audit and alerts; restore takes over an exported state', () => {
    const lost = lostState(T0, limits, undefined, 'gone', OPTIONS).state;
    const reset = resetState(lost, { who: 'bob', why: 'nothing to restore' }, T0 + 1, limits, OPTIONS);
    expect(reset.breaker.open).toBe(false);
    expect(reset.alerts.map((a) => a.kind)).toEqual(['ledger_lost']);
    expect(reset.audit.map((a) => a.action)).toEqual(['recover', 'reset']);

    const exported = JSON.parse(JSON.stringify(busyLedger()));
    expect(LedgerStateSchema.safeParse(exported).success).toBe(true);
    // (Each function takes over the state it is given, as the one holder does.)
    const lostAgain = lostState(T0, limits, undefined, 'gone', OPTIONS).state;
    const restored = restoreState(lostAgain, exported, { who: 'bob', why: 'from backup' }, T0 + 2, OPTIONS);
    expect(restored.breaker.open).toBe(false);
    expect(hourOf(restored).settledUsd).toBeCloseTo(0.5, 12);
    expect(restored.audit.map((a) => a.action)).toEqual(['recover', 'restore']);
  });

  it('refuses a restored state whose amounts are not numbers, naming the field', () => {
    const bad = JSON.parse(JSON.stringify(busyLedger()));
    bad.hour.system.usd = 'lots';
    const parsed = LedgerStateSchema.safeParse(bad);
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues[0].path.join('.')).toBe('hour.system.usd');
  });

  it('refuses a restored state whose closed bills are malformed, naming the field (the ledger adds and prunes them)', () => {
    const bad = JSON.parse(JSON.stringify(busyLedger()));
    bad.closed = { t9: null };
    const parsed = LedgerStateSchema.safeParse(bad);
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues[0].path.join('.')).toBe('closed.t9');
    bad.closed = { t9: { usd: 0.1, tokens: 5, atMs: T0, run: 'run-1' } };
    expect(LedgerStateSchema.safeParse(bad).success).toBe(true);
  });

  it('names every limit where limits.yaml and the ledger differ, by its key in the file', () => {
    expect(limitsDrift(limits, limits)).toEqual([]);
    const drift = limitsDrift(limits, { ...limits, systemDailyUsd: 7, circuitBreaker: { ...limits.circuitBreaker, maxSpawnDepth: 1 } });
    expect(drift).toEqual([expect.stringMatching(/^system_daily_usd: 100 .* 7 /), expect.stringMatching(/^circuit_breaker\.max_spawn_depth: 3 .* 1 /)]);
  });
});
