import { initialLedgerState, release, reserve, settle } from '../../src/budget/ledger';
import { handedBackText } from '../../src/budget/ledger-breaker';
import { closeTask } from '../../src/budget/ledger-close';
import { restoreState, resumeState } from '../../src/budget/ledger-recovery';
import { DEFAULT_LEDGER_OPTIONS as OPTIONS, type LedgerState, type ReserveRequest } from '../../src/budget/ledger-types';
import { budgetSnapshot } from '../../src/budget/snapshot';
import { limitsWith } from '../support/limits';
import { granted } from '../support/ledger-results';

/**
 * A recovery (a successor resuming a terminated run, or a restore) charges every outstanding
 * reservation at its worst case; a live caller's later settle, release or lease return corrects
 * that charge to what was spent (ledger-recovered.ts), and a dead caller's charge stands.
 */

const T0 = Date.parse('2024-05-01T10:00:00Z');
const limits = limitsWith({ systemHourlyUsd: 10, perTaskUsd: 1 });
const LEASE = 'lease:w1:1';
const lease = (): ReserveRequest => ({ key: LEASE, taskId: LEASE, agent: 'DatabaseAgent', usd: 0.16, tokens: 1600, leaseTtlMs: 30_000 });
const call = (key: string, over: Partial<ReserveRequest> = {}): ReserveRequest => ({ key, taskId: 't1', agent: 'DatabaseAgent', usd: 0.01, tokens: 100, ...over });
const reservedUsd = (state: LedgerState, nowMs: number) => budgetSnapshot(state, nowMs, limits).scopes.find((s) => s.scope === 'system:day')!.reservedUsd;
const terminated = { runId: 'r1', status: 'TERMINATED' };

/** A worker's lease of 0.16 with one call granted from it booked (0.01, in flight), and a task's
 * own call reserved (0.02, in flight): then the run ends and a successor resumes it at T0 + 5 s. */
function resumedWithLiveCallers(options = OPTIONS) {
  const state = initialLedgerState(T0, limits);
  granted(reserve(state, lease(), T0, limits, options).result);
  granted(reserve(state, call('t1:run:1:1:booked', { lease: LEASE }), T0 + 1_000, limits, options).result);
  granted(reserve(state, call('t2:run:1:1:own', { taskId: 't2', usd: 0.02, tokens: 200 }), T0 + 2_000, limits, options).result);
  const { result } = resumeState(state, terminated, T0 + 5_000, options);
  // The lease's 0.15 left, the booked call's 0.01 and the task's 0.02: all charged, nothing held.
  expect(result.usd).toBeCloseTo(0.18, 9);
  expect(state.day.system.usd).toBeCloseTo(0.18, 9);
  expect(reservedUsd(state, T0 + 5_000)).toBe(0);
  return state;
}

describe('ledger: charges a recovery made for live callers', () => {
  it("hands a live worker's lease back when it returns it, and corrects its calls to what they cost: the day holds what was spent", () => {
    const state = resumedWithLiveCallers();
    // The worker granted one more call from the lease before it heard the successor: booked on top.
    granted(reserve(state, call('t1:run:1:1:after', { lease: LEASE }), T0 + 5_500, limits).result);
    expect(settle(state, 't1:run:1:1:booked', { usd: 0.004, tokens: 40 }, T0 + 6_000, limits).result).toMatchObject({ applied: true, status: 'settled' });
    settle(state, 't1:run:1:1:after', { usd: 0.005, tokens: 50 }, T0 + 6_100, limits);
    settle(state, 't2:run:1:1:own', { usd: 0.007, tokens: 70 }, T0 + 6_200, limits);
    expect(release(state, LEASE, T0 + 7_000, limits).result).toMatchObject({ applied: true, status: 'released' });

    expect(state.day.system.usd).toBeCloseTo(0.004 + 0.005 + 0.007, 9);
    expect(state.hour.system.usd).toBeCloseTo(0.016, 9);
    expect(state.day.agents.DatabaseAgent.usd).toBeCloseTo(0.016, 9);
    expect(state.day.leasesExpired?.usd).toBeCloseTo(0, 9);
    expect(state.tasks.t1.usd).toBeCloseTo(0.009, 9);
    expect(state.tasks.t2).toMatchObject({ tokens: 70 });
    expect(state.tasks.t2.usd).toBeCloseTo(0.007, 9);
    expect(state.audit.at(-1)).toMatchObject({ who: 'ledger', action: 'refundLease', details: { lease: LEASE, recovered: true } });
    expect(state.recovered).toBeUndefined();

    // Idempotent: answered again, nothing more comes back.
    expect(release(state, LEASE, T0 + 8_000, limits).result).toMatchObject({ applied: false, status: 'released' });
    expect(settle(state, 't2:run:1:1:own', { usd: 0, tokens: 0 }, T0 + 8_000, limits).result).toMatchObject({ applied: false, status: 'settled' });
    expect(state.day.system.usd).toBeCloseTo(0.016, 9);
  });

  it('keeps the full charge of a lease whose worker died (never returned) and of a call whose caller died (never settled)', () => {
    const state = resumedWithLiveCallers();
    // Nobody answers. Past the reservation TTL the marks are forgotten: a return that late changes nothing.
    const later = T0 + OPTIONS.reservationTtlMs + 60_000;
    reserve(state, call('t3:run:1:1:x', { taskId: 't3' }), later, limits);
    expect(state.recovered).toBeUndefined();
    expect(release(state, LEASE, later + 1, limits).result).toMatchObject({ applied: false });
    expect(settle(state, 't2:run:1:1:own', { usd: 0.001, tokens: 1 }, later + 1, limits).result).toMatchObject({ applied: false });
    expect(state.day.system.usd).toBeCloseTo(0.18, 9);
    expect(state.day.leasesExpired?.usd).toBeCloseTo(0.15, 9);
  });

  it('hands back at most what was charged: a release all of it, a settle above the worst case charges the rest on top and alerts', () => {
    const state = resumedWithLiveCallers();
    // The booked call is proved unbilled: its 0.01 goes back entirely, no more.
    release(state, 't1:run:1:1:booked', T0 + 6_000, limits);
    expect(state.day.system.usd).toBeCloseTo(0.17, 9);
    const over = settle(state, 't2:run:1:1:own', { usd: 0.03, tokens: 300 }, T0 + 6_100, limits).result;
    expect(over.alerts.map((a) => a.kind)).toContain('reservation_exceeded');
    expect(state.tasks.t2.usd).toBeCloseTo(0.03, 9);
    expect(state.day.system.usd).toBeCloseTo(0.18, 9);
  });

  it("leaves the charge of a task whose bill closed before its settle came: the bill reported it", () => {
    const state = resumedWithLiveCallers();
    expect(closeTask(state, 't2', T0 + 6_000, limits, OPTIONS).result.usd).toBeCloseTo(0.02, 9);
    expect(settle(state, 't2:run:1:1:own', { usd: 0.007, tokens: 70 }, T0 + 6_100, limits).result).toMatchObject({ applied: false, status: 'expired' });
    expect(state.day.system.usd).toBeCloseTo(0.18, 9);
  });

  it('changes nothing for a run from before (the option off): the late settle and return are no-ops', () => {
    const legacy = { ...OPTIONS, correctsRecoveredCharges: false };
    const state = resumedWithLiveCallers(legacy);
    expect(state.recovered).toBeUndefined();
    expect(settle(state, 't2:run:1:1:own', { usd: 0.007, tokens: 70 }, T0 + 6_000, limits, legacy).result).toMatchObject({ applied: false, status: 'expired' });
    expect(release(state, LEASE, T0 + 6_000, limits, legacy).result).toMatchObject({ applied: false });
    expect(state.day.system.usd).toBeCloseTo(0.18, 9);
  });

  it("a restore hands a live lease back only what the live books still held of it, and nothing for one they no longer hold", () => {
    const current = initialLedgerState(T0, limits);
    granted(reserve(current, lease(), T0, limits).result);
    granted(reserve(current, lease().key === LEASE ? { ...lease(), key: 'lease:w2:1', taskId: 'lease:w2:1' } : lease(), T0, limits).result);
    // Exported now: both leases hold 0.16.
    const exported = JSON.parse(JSON.stringify(current)) as LedgerState;
    // Then w1 books a call of 0.06 from its lease (it now holds 0.10), and w2 returns its lease.
    granted(reserve(current, call('t1:run:1:1:between', { usd: 0.06, tokens: 600, lease: LEASE }), T0 + 1_000, limits).result);
    release(current, 'lease:w2:1', T0 + 1_500, limits);
    const next = restoreState(current, exported, { who: 'op', why: 'the export' }, T0 + 2_000, OPTIONS);
    // The restored books charge both leases in full: 0.32.
    expect(next.day.system.usd).toBeCloseTo(0.32, 9);
    expect(release(next, LEASE, T0 + 3_000, limits).result).toMatchObject({ applied: true });
    expect(release(next, 'lease:w2:1', T0 + 3_000, limits).result).toMatchObject({ applied: false });
    // w1's 0.10 came back; 0.06 stays charged for the call booked between the export and the
    // restore (its reservation went with the books the restore replaced); w2's lease stays charged.
    expect(next.day.system.usd).toBeCloseTo(0.22, 9);
  });
});

describe("ledger: a trip the recovery's charge caused, undone by a live caller's answer", () => {
  /** The resumed books of resumedWithLiveCallers (0.18 charged) under an hourly limit of 0.18:
   * the next look opens the breaker on system:hour. */
  const tight = limitsWith({ systemHourlyUsd: 0.18, perTaskUsd: 1 });
  function trippedByTheRecovery() {
    const state = resumedWithLiveCallers();
    const tripped = reserve(state, call('t3:run:1:1:next', { taskId: 't3' }), T0 + 5_200, tight).result;
    expect(tripped.alerts.map((a) => [a.kind, a.scope])).toContainEqual(['breaker_open', 'system:hour']);
    return state;
  }
  const undone = (state: LedgerState) => {
    expect(state.breaker).toEqual({ open: false });
    const entry = state.audit.at(-1)!;
    expect(entry).toMatchObject({ who: 'ledger', action: 'autoClose', details: { reason: 'system_limit', scope: 'system:hour' } });
    return entry.why;
  };

  it('says a live worker returned the lease the recovery charged (it said "a lease charged at its end came back")', () => {
    const state = trippedByTheRecovery();
    release(state, LEASE, T0 + 6_000, tight);
    expect(undone(state)).toBe(
      "lease lease:w1:1, charged at its worst case by the ledger's recovery, came back from its live worker, the charge handed back: system:hour has $0.030000 settled of its $0.180000 limit again, so the trip no longer stands",
    );
  });

  it("says a live caller settled the call the recovery charged, the charge corrected to what it cost", () => {
    const state = trippedByTheRecovery();
    settle(state, 't2:run:1:1:own', { usd: 0.007, tokens: 70 }, T0 + 6_000, tight);
    expect(undone(state)).toBe(
      "call t2:run:1:1:own, charged at its worst case by the ledger's recovery, was settled by its live caller, the charge corrected to what it cost: system:hour has $0.167000 settled of its $0.180000 limit again, so the trip no longer stands",
    );
  });

  it('says a live caller released the call the recovery charged; a lease returned after its end still says so', () => {
    const state = trippedByTheRecovery();
    release(state, 't2:run:1:1:own', T0 + 6_000, tight);
    expect(undone(state)).toMatch(/^call t2:run:1:1:own, charged at its worst case by the ledger's recovery, was released by its live caller \(nothing billed\), the charge handed back: system:hour has \$0\.160000 settled/);
    expect(handedBackText({ by: 'lease_end', id: LEASE })).toBe('lease lease:w1:1, charged at its end, came back');
  });
});
