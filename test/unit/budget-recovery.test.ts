import { limitsDrift } from '../../src/budget/limits-patch';
import { initialLedgerState, reserve, settle } from '../../src/budget/ledger';
import { chargeOutstanding, lostState, resetState, restoreState, resumeState } from '../../src/budget/ledger-recovery';
import { DEFAULT_LEDGER_OPTIONS as OPTIONS } from '../../src/budget/ledger-types';
import { LedgerStateSchema } from '../../src/budget/messages';
import { budgetSnapshot } from '../../src/budget/snapshot';
import { openBreaker, setOverride } from '../../src/budget/operator';
import { raiseAlert } from '../../src/budget/ledger-log';
import { breakerLines } from '../../src/client/budget-view';
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

  it('a restore keeps the restored state\'s audit and alerts beside the loss\'s, so who opened the breaker before the loss is still said', () => {
    // Before the loss: an override and an operator's open, and a trip's alert.
    const before = busyLedger();
    setOverride(before, { scope: 'system:day', limitUsd: 9, untilMs: T0 + 3_600_000, who: 'ann', why: 'launch day' }, T0 + 1, OPTIONS);
    openBreaker(before, { who: 'checker', why: 'breaker must survive' }, T0 + 2, OPTIONS);
    raiseAlert(before, { kind: 'system_budget_full', scope: 'system:hour', unit: 'usd', limit: 5, spent: 5, at: T0 + 3, window: 'h1', message: 'full' }, OPTIONS);
    const exported = JSON.parse(JSON.stringify(before));
    // The successor could not read it: locked, its own alert numbered from 0 too.
    const lost = lostState(T0 + 10, limits, { runId: 'r1', status: 'TERMINATED' }, 'query failed', OPTIONS).state;
    const restored = restoreState(lost, exported, { who: 'bob', why: 'from backup' }, T0 + 20, OPTIONS);

    expect(restored.audit.map((a) => [a.action, a.who])).toEqual([
      ['setOverride', 'ann'],
      ['openBreaker', 'checker'],
      ['recover', 'ledger'],
      ['restore', 'bob'],
    ]);
    expect(restored.alerts.map((a) => a.kind)).toEqual(['system_budget_full', 'ledger_lost']);
    // Each alert keeps an id of its own (budget-<seq>): the restored one's seq 0 was the lost ledger's.
    expect(new Set(restored.alerts.map((a) => a.seq)).size).toBe(2);
    expect(restored.nextAlertSeq).toBeGreaterThan(Math.max(...restored.alerts.map((a) => a.seq)));
    expect(breakerLines(restored.breaker, restored.audit, T0 + 30)).toEqual(expect.arrayContaining(['  why      operator: "breaker must survive"', '  who      checker']));

    // A ledger run whose restore came before this (its replay) keeps the current ledger's record alone, as it did.
    const asBefore = restoreState(lostState(T0 + 10, limits, undefined, 'gone', OPTIONS).state, JSON.parse(JSON.stringify(before)), { who: 'bob', why: 'x' }, T0 + 20, OPTIONS, false);
    expect(asBefore.audit.map((a) => a.action)).toEqual(['recover', 'restore']);
    expect(asBefore.alerts.map((a) => a.kind)).toEqual(['ledger_lost']);

    // A state exported from the current run holds part of its record: restored onto it, nothing doubles.
    const again = restoreState(restored, JSON.parse(JSON.stringify(restored)), { who: 'bob', why: 'once more' }, T0 + 40, OPTIONS);
    expect(again.audit.map((a) => a.action)).toEqual(['setOverride', 'openBreaker', 'recover', 'restore', 'restore']);
    expect(again.alerts.map((a) => a.kind)).toEqual(['system_budget_full', 'ledger_lost']);
  });

  it("a restore of a state full of tasks' own alerts keeps the fleet's: the restored trip and the loss both stay listed", () => {
    const before = busyLedger();
    raiseAlert(before, { kind: 'breaker_open', scope: 'system:hour', unit: 'usd', limit: 5, spent: 5, at: T0 + 1, window: 'h1', message: 'tripped' }, OPTIONS);
    for (let i = 0; i < 60; i++) raiseAlert(before, { kind: 'budget_exceeded', scope: `task:t-${i}`, unit: 'usd', limit: 0.1, spent: 0.1, at: T0 + 2 + i, window: 'd1', message: 'over' }, OPTIONS);
    const lost = lostState(T0 + 100, limits, { runId: 'r1', status: 'TERMINATED' }, 'query failed', OPTIONS).state;
    const restored = restoreState(lost, JSON.parse(JSON.stringify(before)), { who: 'bob', why: 'from backup' }, T0 + 200, OPTIONS);
    expect(restored.alerts).toHaveLength(OPTIONS.maxAlerts);
    expect(restored.alerts.map((a) => a.kind)).toEqual(expect.arrayContaining(['breaker_open', 'ledger_lost']));
    // One task's alerts went, oldest first.
    expect(restored.alerts.filter((a) => a.kind === 'budget_exceeded')[0].scope).toBe('task:t-12');
  });

  it('says who opened the breaker from the breaker itself when the audit no longer holds the open', () => {
    const state = busyLedger();
    openBreaker(state, { who: 'checker', why: 'maintenance' }, T0, OPTIONS);
    expect(breakerLines(state.breaker, [], T0 + 1)).toEqual(expect.arrayContaining(['  why      operator: "maintenance"', '  who      checker']));
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
