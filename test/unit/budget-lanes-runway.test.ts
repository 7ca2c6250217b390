import { initialLedgerState, reserve, settle } from '../../src/budget/ledger';
import { runwayOf } from '../../src/budget/runway';
import { openBreaker, setExperimentalShare } from '../../src/budget/operator';
import { budgetSnapshot } from '../../src/budget/snapshot';
import { windowEndMs, windowStartMs } from '../../src/budget/windows';
import { laneLines, renderBudget } from '../../src/client/budget-view';
import { limitsWith } from '../support/limits';
import { granted } from '../support/ledger-results';

/**
 * What God reads of the ledger (the runway) and what `pantheon budget` prints of the lanes: both
 * from a snapshot, at the reader's clock.
 */

const at = (iso: string) => Date.parse(iso);
const T0 = at('2024-05-01T10:00:00Z');
const HOUR = 3_600_000;

function spentDay() {
  const limits = limitsWith({ systemDailyUsd: 10 });
  const state = initialLedgerState(T0, limits);
  settle(state, granted(reserve(state, { key: 'x', taskId: 'x1', agent: 'a', usd: 0.5, tokens: 1, lane: 'experimental' }, T0, limits).result), { usd: 0.25, tokens: 1 }, T0, limits);
  settle(state, granted(reserve(state, { key: 'm', taskId: 'm1', agent: 'a', usd: 2, tokens: 1 }, T0, limits).result), { usd: 1.5, tokens: 1 }, T0, limits);
  granted(reserve(state, { key: 'h', taskId: 'm2', agent: 'a', usd: 0.4, tokens: 1 }, T0, limits).result);
  return { limits, state };
}

describe('the runway God reads', () => {
  it('answers the day, its budget, spend, holds and both lanes as plain JSON', () => {
    const { limits, state } = spentDay();
    const runway = runwayOf(budgetSnapshot(state, T0, limits), T0 + 60_000);
    expect(JSON.parse(JSON.stringify(runway))).toEqual(runway);
    expect(runway).toMatchObject({
      dayKey: '2024-05-01',
      dayStartMs: at('2024-05-01T00:00:00Z'),
      dayEndMs: at('2024-05-02T00:00:00Z'),
      timezone: 'UTC',
      budgetUsd: 10,
      spentUsd: 1.75,
      reservedUsd: 0.4,
      breakerOpen: false,
      asOfMs: T0 + 60_000,
      // The current hour, for the burn rate's recent pace: all of the day's spend was in it.
      hourStartMs: Math.floor(T0 / 3_600_000) * 3_600_000,
      hourSpentUsd: 1.75,
    });
    // Read in the next hour, before the idle ledger rolled it: that hour has spent nothing yet.
    expect(runwayOf(budgetSnapshot(state, T0, limits), Math.floor(T0 / 3_600_000) * 3_600_000 + 3_600_000 + 60_000).hourSpentUsd).toBe(0);
    expect(runway.lanes.main).toEqual({ share: 0.85, budgetUsd: 8.5, spentUsd: 1.5, reservedUsd: 0.4, leasedUsd: 0 });
    expect(runway.lanes.experimental).toEqual({ share: 0.15, budgetUsd: 1.5, spentUsd: 0.25, reservedUsd: 0, leasedUsd: 0 });
  });

  it("does not count a worker's lease as spend or held: only its calls, booked one by one, are (God planned with its own generation's lease as spent, and started nothing under a tight day)", () => {
    const { limits, state } = spentDay();
    granted(reserve(state, { key: 'lease:w1:1', taskId: 'lease:w1:1', agent: 'a', usd: 0.3, tokens: 1, leaseTtlMs: 30_000 }, T0, limits).result);
    const snapshot = budgetSnapshot(state, T0, limits);
    // The ledger holds the lease in full against its limits; the snapshot says how much of it is leases.
    expect(snapshot.lanes!.main).toMatchObject({ reservedUsd: expect.closeTo(0.7, 10), leasedUsd: expect.closeTo(0.3, 10) });
    const runway = runwayOf(snapshot, T0 + 60_000);
    expect(runway.lanes.main.reservedUsd).toBeCloseTo(0.4, 10);
    expect(runway.lanes.main.leasedUsd).toBeCloseTo(0.3, 10);
    expect(runway.reservedUsd).toBeCloseTo(runway.lanes.main.reservedUsd + runway.lanes.experimental.reservedUsd, 10);
  });

  it('reads a day the idle ledger has not rolled yet as a fresh day, and a breaker past its end as closed', () => {
    const { limits, state } = spentDay();
    state.breaker = { open: true, reason: 'system_limit', scope: 'system:day', sinceMs: T0, untilMs: at('2024-05-02T00:00:00Z') };
    const tomorrow = runwayOf(budgetSnapshot(state, T0, limits), at('2024-05-02T08:00:00Z'));
    expect(tomorrow).toMatchObject({ dayKey: '2024-05-02', spentUsd: 0, reservedUsd: 0.4, breakerOpen: false });
    expect(tomorrow.lanes.main.spentUsd).toBe(0);
    expect(tomorrow.lanes.experimental.spentUsd).toBe(0);
    openBreaker(state, { who: 'ops', why: 'incident' }, T0);
    expect(runwayOf(budgetSnapshot(state, T0, limits), at('2024-05-02T08:00:00Z')).breakerOpen).toBe(true);
  });

  it('follows a share changed at runtime', () => {
    const { limits, state } = spentDay();
    const changed = setExperimentalShare(state, { share: 0.3, reason: 'more exploring', by: 'god' }, limits, T0);
    expect(runwayOf(budgetSnapshot(state, T0, changed), T0).lanes.experimental).toMatchObject({ share: 0.3, budgetUsd: 3 });
  });

  it('reads a ledger older than the lanes as all main', () => {
    const { limits, state } = spentDay();
    const { lanes: _, ...old } = budgetSnapshot(state, T0, limits);
    const runway = runwayOf(old, T0);
    expect(runway.lanes.main).toEqual({ share: 0.85, budgetUsd: 8.5, spentUsd: 1.75, reservedUsd: 0.4, leasedUsd: 0 });
    expect(runway.lanes.experimental).toEqual({ share: 0.15, budgetUsd: 1.5, spentUsd: 0, reservedUsd: 0, leasedUsd: 0 });
  });

  it('knows a 25-hour day: the New York fall-back day starts and ends at its local midnights', () => {
    const noon = at('2024-11-03T17:00:00Z');
    expect(windowStartMs(noon, 'America/New_York', 'day')).toBe(at('2024-11-03T04:00:00Z'));
    expect(windowEndMs(noon, 'America/New_York', 'day')).toBe(at('2024-11-04T05:00:00Z'));
    expect(windowStartMs(at('2024-05-01T10:59:59Z'), 'Asia/Kolkata', 'hour')).toBe(at('2024-05-01T10:30:00Z'));
    expect(windowEndMs(noon, 'America/New_York', 'day') - windowStartMs(noon, 'America/New_York', 'day')).toBe(25 * HOUR);
  });
});

describe('pantheon budget shows the lanes apart', () => {
  it('prints each lane as its own bar with its share, spend, holds and limit', () => {
    const { limits, state } = spentDay();
    expect(laneLines(budgetSnapshot(state, T0, limits))).toEqual([
      'lanes of the day (shares of system:day; neither lane borrows from the other)',
      '  main 85%          [####................]  $1.5000 settled + $0.4000 reserved of $8.50 (22%)  lane:main:day',
      '  experimental 15%  [###.................]  $0.2500 settled + $0.0000 reserved of $1.50 (17%)  lane:experimental:day',
    ]);
  });

  it('lists the lanes in the whole view, and the share change in the audit', () => {
    const { limits, state } = spentDay();
    const changed = setExperimentalShare(state, { share: 0.2, reason: 'a research week', by: 'ops' }, limits, T0);
    const text = renderBudget(budgetSnapshot(state, T0, changed), { ledgerId: 'ledger', address: 'localhost:7233', namespace: 'default' });
    expect(text).toContain('\n  experimental 20%  ');
    expect(text).toContain('setExperimentalShare  by ops: "a research week"  experimental share 15% → 20%');
  });
});
