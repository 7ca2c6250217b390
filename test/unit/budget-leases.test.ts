import { initialLedgerState, release, reserve, settle } from '../../src/budget/ledger';
import { closeTask } from '../../src/budget/ledger-close';
import { bumpLeaseEpoch, leasingStatus } from '../../src/budget/ledger-lease';
import { resetState, restoreState, resumeState } from '../../src/budget/ledger-recovery';
import { DEFAULT_LEDGER_OPTIONS, type LeaseTerms, type ReserveRequest } from '../../src/budget/ledger-types';
import { budgetSnapshot } from '../../src/budget/snapshot';
import { LEASE_FRESH_MS, LEASE_RETRY_MS, LEASE_TASK_SHARE, LeaseBook, type LeaseCall } from '../../src/budget/gate-leases';
import { limitsWith } from '../support/limits';
import { denied, granted } from '../support/ledger-results';

/** Leases: the ledger's side (pure state machine) and the worker's book (pure, injected clock). */

const T0 = Date.parse('2024-05-01T10:00:00Z');
const lease = (over: Partial<ReserveRequest> = {}): ReserveRequest => ({ key: 'lease:w1:1', taskId: 'lease:w1:1', agent: 'DatabaseAgent', usd: 0.16, tokens: 1600, leaseTtlMs: 30_000, ...over });
let seq = 0;
const call = (over: Partial<ReserveRequest> = {}): ReserveRequest => ({ key: `wf:run:3:1:${++seq}`, taskId: 't1', agent: 'DatabaseAgent', usd: 0.01, tokens: 100, ...over });
const systemDay = (state: Parameters<typeof budgetSnapshot>[0], limits: Parameters<typeof budgetSnapshot>[2]) =>
  budgetSnapshot(state, T0 + 1, limits).scopes.find((s) => s.scope === 'system:day')!;

describe('ledger: leases', () => {
  it('grants a lease with ample room, with the terms its holder checks calls against, and holds it in every shared scope', () => {
    const limits = limitsWith({ perTaskUsd: 0.5, perTaskTokens: 9000, systemHourlyUsd: 10 });
    const state = initialLedgerState(T0, limits);
    const result = reserve(state, lease(), T0, limits).result;
    granted(result);
    expect(result.granted && result.lease).toEqual<LeaseTerms>({
      untilMs: T0 + 30_000,
      epoch: 0,
      perTaskUsd: 0.5,
      perTaskTokens: 9000,
      maxSpawnDepth: limits.circuitBreaker.maxSpawnDepth,
      maxCallsPerTaskPerMinute: limits.circuitBreaker.maxCallsPerTaskPerMinute,
    });
    const snap = budgetSnapshot(state, T0 + 1, limits);
    expect(snap.leases).toMatchObject({ count: 1, usd: 0.16 });
    expect(snap.outstanding.count).toBe(0);
    expect(systemDay(state, limits).reservedUsd).toBeCloseTo(0.16, 9);
    expect(snap.scopes.find((s) => s.scope === 'agent:DatabaseAgent:hour')!.reservedUsd).toBeCloseTo(0.16, 9);
    // It belongs to no task.
    expect(Object.keys(state.tasks)).toEqual([]);
  });

  it('takes the lowest task override as the per-task limit, so an override never lets more through a lease', () => {
    const limits = limitsWith({ perTaskUsd: 0.5 });
    const state = initialLedgerState(T0, limits);
    state.overrides.push({ scope: 'task:slow', limitUsd: 0.2, untilMs: T0 + 60_000, who: 'op', why: 'test', atMs: T0 });
    const result = reserve(state, lease(), T0, limits).result;
    expect(result.granted && result.lease?.perTaskUsd).toBe(0.2);
  });

  it('refuses quietly (no alert, no queue place) when a shared scope would keep less than half free, the breaker is open, or tasks wait', () => {
    const limits = limitsWith({ systemHourlyUsd: 0.3 });
    const state = initialLedgerState(T0, limits);
    const refused = denied(reserve(state, lease(), T0, limits).result);
    expect(refused.message).toMatch(/no lease: system:hour has less than 50 % of its limit free/);
    expect(refused.alerts).toEqual([]);
    expect(state.alerts).toEqual([]);
    expect(state.waiters ?? []).toEqual([]);
    const roomy = limitsWith({ systemHourlyUsd: 10 });
    state.breaker = { open: true, reason: 'operator', scope: 'operator' };
    expect(denied(reserve(state, lease({ key: 'lease:w1:2', taskId: 'lease:w1:2' }), T0, roomy).result).message).toMatch(/breaker is open or tasks wait/);
    state.breaker = { open: false };
    state.waiters = [{ taskId: 'x', seq: 1, usd: 1, tokens: 1, sinceMs: T0, lastMs: T0 }];
    expect(denied(reserve(state, lease({ key: 'lease:w1:3', taskId: 'lease:w1:3' }), T0, roomy).result).message).toMatch(/breaker is open or tasks wait/);
  });

  it('books a call granted under a lease without checks: its worst case moves from the lease to the task, and settles into its bill', () => {
    // A task limit the call breaks: the worker decided, the ledger books what happened.
    const limits = limitsWith({ perTaskUsd: 0.005, systemHourlyUsd: 10 });
    const state = initialLedgerState(T0, limits);
    granted(reserve(state, lease(), T0, limits).result);
    const id = granted(reserve(state, call({ lease: 'lease:w1:1' }), T0 + 10, limits).result);
    expect(state.reservations['lease:w1:1'].usd).toBeCloseTo(0.15, 9);
    expect(state.reservations[id]).toMatchObject({ taskId: 't1', usd: 0.01 });
    expect(state.tasks.t1.calls).toEqual([T0 + 10]);
    // Held in all: the system's books never count less than is held.
    expect(systemDay(state, limits).reservedUsd).toBeCloseTo(0.16, 9);
    settle(state, id, { usd: 0.004, tokens: 40 }, T0 + 20, limits);
    expect(closeTask(state, 't1', T0 + 30, limits, DEFAULT_LEDGER_OPTIONS).result).toMatchObject({ usd: 0.004, tokens: 40, known: true, chargedOutstanding: 0 });
  });

  it('books a call whose lease is gone on top (failing closed), and a replayed booking once', () => {
    const limits = limitsWith({ systemHourlyUsd: 10 });
    const state = initialLedgerState(T0, limits);
    const booking = call({ lease: 'lease:gone:9' });
    granted(reserve(state, booking, T0, limits).result);
    const again = reserve(state, booking, T0 + 5, limits).result;
    expect(again.granted && again.replayed).toBe(true);
    expect(systemDay(state, limits).reservedUsd).toBeCloseTo(0.01, 9);
  });

  it('hands a returned lease\'s rest back, and touches no task', () => {
    const limits = limitsWith({ systemHourlyUsd: 10 });
    const state = initialLedgerState(T0, limits);
    granted(reserve(state, lease(), T0, limits).result);
    expect(release(state, 'lease:w1:1', T0 + 100, limits).result).toMatchObject({ applied: true, status: 'released' });
    expect(systemDay(state, limits)).toMatchObject({ reservedUsd: 0, settledUsd: 0 });
    expect(Object.keys(state.tasks)).toEqual([]);
  });

  it('charges an unreturned lease in full at its end: system and agent spend, counted apart, in no task\'s bill, with an alert', () => {
    const limits = limitsWith({ systemHourlyUsd: 10 });
    const state = initialLedgerState(T0, limits);
    granted(reserve(state, lease(), T0, limits).result);
    // Before its end (even past the prune cadence) it is held, not charged.
    granted(reserve(state, call({ taskId: 'other' }), T0 + 20_000, limits).result);
    expect(state.reservations['lease:w1:1']).toBeDefined();
    const later = reserve(state, call({ taskId: 'other' }), T0 + 31_000, limits).result;
    expect(state.reservations['lease:w1:1']).toBeUndefined();
    expect(later.alerts.map((a) => [a.kind, a.scope])).toContainEqual(['reservation_expired', 'lease:w1:1']);
    expect(later.alerts.find((a) => a.scope === 'lease:w1:1')!.message).toMatch(/not returned by its end/);
    expect(state.day.system.usd).toBeCloseTo(0.16, 9);
    expect(state.day.agents.DatabaseAgent.usd).toBeCloseTo(0.16, 9);
    expect(state.day.leasesExpired).toEqual({ usd: 0.16, tokens: 1600 });
    expect(budgetSnapshot(state, T0 + 31_001, limits).leases?.expiredToday.usd).toBeCloseTo(0.16, 9);
    expect(state.tasks['lease:w1:1']).toBeUndefined();
  });

  describe('a lease whose holder returns it after its end charged it (the ledger stalled past its second half)', () => {
    const limits = limitsWith({ systemHourlyUsd: 10 });
    /** A lease of 0.16, one call booked under it (0.01), its end charged at T0 + 31 s. */
    function expiredWithOneBooking(options = DEFAULT_LEDGER_OPTIONS) {
      const state = initialLedgerState(T0, limits);
      granted(reserve(state, lease(), T0, limits, options).result);
      granted(reserve(state, call({ key: 'wf:run:3:1:booked', lease: 'lease:w1:1' }), T0 + 1_000, limits, options).result);
      settle(state, 'wf:run:3:1:booked', { usd: 0.004, tokens: 40 }, T0 + 2_000, limits, options);
      reserve(state, call({ taskId: 'other', usd: 0.02 }), T0 + 31_000, limits, options);
      expect(state.reservations['lease:w1:1']).toBeUndefined();
      // What its end charged: the 0.15 it still held.
      expect(state.day.leasesExpired?.usd).toBeCloseTo(0.15, 9);
      return state;
    }

    it('hands back what its end charged, from every window it was charged to, and audits it', () => {
      const state = expiredWithOneBooking();
      const answer = release(state, 'lease:w1:1', T0 + 32_000, limits).result;
      expect(answer).toMatchObject({ applied: true, status: 'released' });
      // Left: the booked call's settle (0.004) and the other task's call held (0.02).
      expect(state.day.system.usd).toBeCloseTo(0.004, 9);
      expect(state.hour.system.usd).toBeCloseTo(0.004, 9);
      expect(state.day.agents.DatabaseAgent.usd).toBeCloseTo(0.004, 9);
      expect(state.day.leasesExpired?.usd).toBeCloseTo(0, 9);
      expect(systemDay(state, limits).reservedUsd).toBeCloseTo(0.02, 9);
      expect(state.audit.at(-1)).toMatchObject({ who: 'ledger', action: 'refundLease', details: { lease: 'lease:w1:1', agent: 'DatabaseAgent' } });
      // A repeated return hands back nothing more.
      expect(release(state, 'lease:w1:1', T0 + 32_500, limits).result).toMatchObject({ applied: false, status: 'released' });
      expect(state.day.system.usd).toBeCloseTo(0.004, 9);
    });

    it('keeps a call booked after the end charged (on top) charged: only the end\'s own charge goes back', () => {
      const state = expiredWithOneBooking();
      granted(reserve(state, call({ key: 'wf:run:3:1:late', lease: 'lease:w1:1' }), T0 + 31_500, limits).result);
      release(state, 'lease:w1:1', T0 + 32_000, limits);
      expect(state.day.system.usd).toBeCloseTo(0.004, 9);
      // The late booking still holds its worst case (0.01) besides the other task's call.
      expect(systemDay(state, limits).reservedUsd).toBeCloseTo(0.03, 9);
    });

    it('leaves an hour that has rolled over since alone, and hands back the day', () => {
      // T0 is 10:00 UTC: a lease that ends at 10:59:50, charged then, returned at 11:00:02.
      const state = initialLedgerState(T0, limits);
      const hourEnd = T0 + 60 * 60_000;
      granted(reserve(state, lease(), hourEnd - 40_000, limits).result);
      reserve(state, call({ taskId: 'other', usd: 0.02 }), hourEnd - 5_000, limits);
      expect(state.hour.system.usd).toBeCloseTo(0.16, 9);
      // A call of the new hour, settled before the return comes.
      granted(reserve(state, call({ key: 'wf:run:3:1:new-hour', usd: 0.2 }), hourEnd + 1_000, limits).result);
      settle(state, 'wf:run:3:1:new-hour', { usd: 0.2, tokens: 100 }, hourEnd + 1_500, limits);
      release(state, 'lease:w1:1', hourEnd + 2_000, limits);
      // The new hour never held the lease: nothing is taken from it. The day gives the 0.16 back.
      expect(state.hour.system.usd).toBeCloseTo(0.2, 9);
      expect(state.day.system.usd).toBeCloseTo(0.2, 9);
      expect(state.finished['lease:w1:1']).toMatchObject({ status: 'released' });
    });

    describe('when the end\'s charge is what brought a system window to its limit', () => {
      const tight = limitsWith({ systemHourlyUsd: 0.3, perTaskUsd: 1 });
      /** A lease of 0.1 and a task's settled 0.2 under an hourly 0.3: the lease's end (T0 + 31 s)
       * charges 0.1, which brings the hour to 0.3 and opens the breaker. */
      function trippedByTheEnd(options = DEFAULT_LEDGER_OPTIONS) {
        const state = initialLedgerState(T0, tight);
        granted(reserve(state, lease({ usd: 0.1, tokens: 1000 }), T0, tight, options).result);
        granted(reserve(state, call({ key: 'wf:run:3:1:real', usd: 0.2 }), T0 + 1_000, tight, options).result);
        settle(state, 'wf:run:3:1:real', { usd: 0.2, tokens: 100 }, T0 + 2_000, tight, options);
        expect(state.breaker.open).toBe(false);
        const tripped = reserve(state, call({ taskId: 'other', usd: 0.01 }), T0 + 31_000, tight, options).result;
        expect(tripped.alerts.map((a) => [a.kind, a.scope])).toContainEqual(['breaker_open', 'system:hour']);
        expect(state.breaker).toMatchObject({ open: true, reason: 'system_limit', scope: 'system:hour' });
        return state;
      }

      it('closes the breaker once the return hands the charge back and the window is under its limit again, and audits it', () => {
        const state = trippedByTheEnd();
        release(state, 'lease:w1:1', T0 + 32_000, tight);
        expect(state.hour.system.usd).toBeCloseTo(0.2, 9);
        expect(state.breaker).toEqual({ open: false });
        expect(state.audit.at(-1)).toMatchObject({ who: 'ledger', action: 'autoClose', details: { reason: 'system_limit', scope: 'system:hour' } });
        expect(state.audit.at(-1)!.why).toMatch(/came back: system:hour has \$0\.200000 settled of its \$0\.300000 limit again/);
        // Calls are granted again, and leases with them.
        granted(reserve(state, call({ key: 'wf:run:3:1:after', usd: 0.05 }), T0 + 33_000, tight).result);
        expect(leasingStatus(state).ok).toBe(true);
      });

      it('opens it again, with an alert of its own, when real spend then reaches the limit in the same window', () => {
        const state = trippedByTheEnd();
        release(state, 'lease:w1:1', T0 + 32_000, tight);
        const alertsBefore = state.alerts.filter((a) => a.kind === 'breaker_open').length;
        granted(reserve(state, call({ key: 'wf:run:3:1:more', usd: 0.1 }), T0 + 33_000, tight).result);
        settle(state, 'wf:run:3:1:more', { usd: 0.1, tokens: 100 }, T0 + 34_000, tight);
        const next = reserve(state, call({ taskId: 'other', usd: 0.01 }), T0 + 35_000, tight).result;
        expect(state.breaker).toMatchObject({ open: true, reason: 'system_limit', scope: 'system:hour' });
        expect(next.alerts.map((a) => a.kind)).toContain('breaker_open');
        expect(state.alerts.filter((a) => a.kind === 'breaker_open')).toHaveLength(alertsBefore + 1);
        // Once open for real it is remembered: an operator's close is not overruled in the window.
        state.breaker = { open: false };
        reserve(state, call({ taskId: 'other', usd: 0.01 }), T0 + 36_000, tight);
        expect(state.breaker.open).toBe(false);
      });

      it('leaves it open when the window stays at its limit without the charge (real spend tripped it too)', () => {
        const state = trippedByTheEnd();
        // More real spend lands before the return: 0.2 + 0.1 settled is the limit on its own.
        state.hour.system.usd += 0.1;
        release(state, 'lease:w1:1', T0 + 32_000, tight);
        expect(state.hour.system.usd).toBeCloseTo(0.3, 9);
        expect(state.breaker).toMatchObject({ open: true, reason: 'system_limit' });
      });

      it('leaves it open on a run from before (it replays as it ran), and never closes an operator\'s breaker', () => {
        const legacy = { ...DEFAULT_LEDGER_OPTIONS, refundUndoesTrip: false };
        const old = trippedByTheEnd(legacy);
        release(old, 'lease:w1:1', T0 + 32_000, tight, legacy);
        expect(old.hour.system.usd).toBeCloseTo(0.2, 9);
        expect(old.breaker).toMatchObject({ open: true, reason: 'system_limit' });

        const state = trippedByTheEnd();
        state.breaker = { open: true, reason: 'operator', scope: 'operator' };
        release(state, 'lease:w1:1', T0 + 32_000, tight);
        expect(state.breaker).toMatchObject({ open: true, reason: 'operator' });
      });
    });

    it('hands back nothing once the ledger has forgotten the lease\'s end (a return later than its finished ids are kept)', () => {
      const state = expiredWithOneBooking();
      release(state, 'lease:w1:1', T0 + 31_000 + DEFAULT_LEDGER_OPTIONS.finishedRetentionMs + 5_000, limits);
      expect(state.day.leasesExpired?.usd).toBeCloseTo(0.15, 9);
    });

    it('hands back nothing for a lease a successor ledger charged on a run from before its correction (budget-recovered-charges.test.ts), nor a late return on a run from before', () => {
      const before = { ...DEFAULT_LEDGER_OPTIONS, correctsRecoveredCharges: false };
      const state = initialLedgerState(T0, limits);
      granted(reserve(state, lease(), T0, limits, before).result);
      resumeState(state, { runId: 'r1', status: 'TERMINATED' }, T0 + 5_000, before);
      expect(state.day.system.usd).toBeCloseTo(0.16, 9);
      expect(release(state, 'lease:w1:1', T0 + 6_000, limits, before).result).toMatchObject({ applied: false, status: 'expired' });
      expect(state.day.system.usd).toBeCloseTo(0.16, 9);

      const legacy = { ...DEFAULT_LEDGER_OPTIONS, refundsLateLeaseReturns: false };
      const old = expiredWithOneBooking(legacy);
      expect(release(old, 'lease:w1:1', T0 + 32_000, limits, legacy).result).toMatchObject({ applied: false, status: 'expired' });
      expect(old.day.system.usd).toBeCloseTo(0.154, 9);
    });
  });

  it('says leases stand only while the breaker is closed and nobody waits; an operator change moves the epoch', () => {
    const limits = limitsWith({});
    const state = initialLedgerState(T0, limits);
    expect(leasingStatus(state)).toEqual({ ok: true, epoch: 0 });
    bumpLeaseEpoch(state);
    expect(leasingStatus(state)).toEqual({ ok: true, epoch: 1 });
    state.breaker = { open: true, reason: 'operator' };
    expect(leasingStatus(state).ok).toBe(false);
  });

  it('retires every lease when a call settles above its worst case: a scope the overrun filled denies the next call, not a lease', () => {
    const limits = limitsWith({ perTaskUsd: 10, perAgentHourlyUsd: 1, systemHourlyUsd: 10 });
    const state = initialLedgerState(T0, limits);
    granted(reserve(state, lease(), T0, limits).result);
    const booked = call({ lease: 'lease:w1:1' });
    granted(reserve(state, booked, T0 + 10, limits).result);
    // An ordinary settle within the worst case leaves the leases standing.
    const fine = call({ lease: 'lease:w1:1' });
    granted(reserve(state, fine, T0 + 20, limits).result);
    settle(state, fine.key, { usd: 0.005, tokens: 50 }, T0 + 30, limits);
    expect(leasingStatus(state)).toEqual({ ok: true, epoch: 0 });
    // The provider billed far more than the call's worst case: the agent's hour is now over its limit.
    settle(state, booked.key, { usd: 1.2, tokens: 100 }, T0 + 40, limits);
    expect(leasingStatus(state).epoch).toBe(1);
    expect(denied(reserve(state, call(), T0 + 50, limits).result).type).toBe('agent_budget_exhausted');
    // Before the change (a ledger run whose history began without it) the leases stood.
    const old = initialLedgerState(T0, limits);
    const legacy = { ...DEFAULT_LEDGER_OPTIONS, overrunRetiresLeases: false };
    granted(reserve(old, lease(), T0, limits, legacy).result);
    granted(reserve(old, booked, T0 + 10, limits, legacy).result);
    settle(old, booked.key, { usd: 1.2, tokens: 100 }, T0 + 40, limits, legacy);
    expect(leasingStatus(old).epoch).toBe(0);
  });

  it('never moves the epoch back on a reset or restore, so a lease the new books do not hold is not valid again', () => {
    const limits = limitsWith({ systemHourlyUsd: 10 });
    const state = initialLedgerState(T0, limits);
    bumpLeaseEpoch(state);
    const held = reserve(state, lease(), T0, limits).result;
    expect(held.granted && held.lease?.epoch).toBe(1);
    const operator = { who: 'ops', why: 'test' };
    // As the ledger workflow does: take over, then bump.
    const reset = resetState(state, operator, T0 + 10, limits, DEFAULT_LEDGER_OPTIONS);
    bumpLeaseEpoch(reset);
    expect(reset.reservations).toEqual({});
    expect(leasingStatus(reset).epoch).toBe(2);
    // A restored export from before the lease (epoch 0) does not take the epoch back either.
    const exported = JSON.parse(JSON.stringify(initialLedgerState(T0, limits)));
    const restored = restoreState(reset, exported, operator, T0 + 20, DEFAULT_LEDGER_OPTIONS);
    bumpLeaseEpoch(restored);
    expect(leasingStatus(restored).epoch).toBe(3);
  });

  it('a successor ledger charges its predecessor\'s leases (their holders may have granted calls)', () => {
    const limits = limitsWith({ systemHourlyUsd: 10 });
    const state = initialLedgerState(T0, limits);
    granted(reserve(state, lease(), T0, limits).result);
    resumeState(state, { runId: 'r1', status: 'TERMINATED' }, T0 + 10, DEFAULT_LEDGER_OPTIONS);
    expect(state.day.system.usd).toBeCloseTo(0.16, 9);
    expect(state.reservations).toEqual({});
  });
});

describe('LeaseBook: granting calls locally', () => {
  const terms: LeaseTerms = { untilMs: 0, epoch: 0, perTaskUsd: 1, perTaskTokens: 10_000, maxSpawnDepth: 3, maxCallsPerTaskPerMinute: 5 };
  let clock = 0;
  const book = () => {
    clock = 1_000;
    const b = new LeaseBook(30_000, () => clock);
    b.asking('A', 'main');
    b.answered('A', 'main', clock, { id: 'lease:1', size: { usd: 0.1, tokens: 1000 }, terms });
    b.confirm({ ok: true, epoch: 0 }, clock);
    return b;
  };
  const c = (over: Partial<LeaseCall> = {}): LeaseCall => ({ key: `k${++seq}`, taskId: 't1', agent: 'A', lane: 'main', usd: 0.02, tokens: 200, taskSpent: { usd: 0, tokens: 0 }, ...over });

  it('grants from the lease until it is short of a call, and wants a new one below half', () => {
    const b = book();
    expect(b.wantsLease('A', 'main')).toBe(false);
    for (let i = 0; i < 5; i++) expect(b.grant(c({ taskId: `t${i}` }))?.id).toBe('lease:1');
    expect(b.grant(c({ taskId: 'late' }))).toBeUndefined();
    expect(b.wantsLease('A', 'main')).toBe(true);
    // Another agent or lane has no lease.
    expect(b.grant(c({ agent: 'B' }))).toBeUndefined();
    expect(b.grant(c({ lane: 'experimental' }))).toBeUndefined();
  });

  it(`grants nothing without a fresh word from the ledger (${LEASE_FRESH_MS} ms), after an operator change, or while leases do not stand`, () => {
    const b = book();
    clock += LEASE_FRESH_MS + 1;
    expect(b.grant(c())).toBeUndefined();
    b.confirm({ ok: true, epoch: 0 }, clock);
    expect(b.grant(c())).toBeDefined();
    b.confirm({ ok: true, epoch: 1 }, clock);
    expect(b.grant(c({ taskId: 't2' }))).toBeUndefined();
    expect(b.spent().map((l) => l.id)).toEqual(['lease:1']);
    const closed = book();
    closed.confirm({ ok: false, epoch: 0 }, clock);
    expect(closed.grant(c())).toBeUndefined();
    expect(closed.wantsLease('A', 'main')).toBe(false);
  });

  it('asks the ledger for the call after a one-second call when no answer came meanwhile (a breaker opened during it must stop it)', () => {
    const b = book();
    expect(b.grant(c())).toBeDefined();
    clock += 1_000;
    expect(b.grant(c())).toBeUndefined();
    // The ledger's answer to that call says leases stand: the lease grants again.
    b.confirm({ ok: true, epoch: 0 }, clock);
    expect(b.grant(c())).toBeDefined();
  });

  it('says which calls only a fresh word from the ledger keeps from a lease, and asks for no second lease while the word is stale', () => {
    const b = book();
    // Fresh: grant() decides; nothing to wait for.
    expect(b.grantableWhenConfirmed(c())).toBe(false);
    clock += LEASE_FRESH_MS + 1;
    expect(b.grant(c())).toBeUndefined();
    expect(b.grantableWhenConfirmed(c())).toBe(true);
    // The lease holds most of its size: staleness is no reason to ask for another.
    expect(b.wantsLease('A', 'main')).toBe(false);
    // Calls a lease would not take even with a fresh word go the exact way at once.
    expect(b.grantableWhenConfirmed(c({ agent: 'B' }))).toBe(false);
    expect(b.grantableWhenConfirmed(c({ usd: 0.5 }))).toBe(false);
    expect(b.grantableWhenConfirmed(c({ taskSpent: { usd: 0.49, tokens: 0 } }))).toBe(false);
    expect(b.grantableWhenConfirmed(c({ spawnDepth: 4 }))).toBe(false);
    // The answer to an update in flight refreshes it: the call is granted.
    b.confirm({ ok: true, epoch: 0 }, clock);
    expect(b.grant(c())?.id).toBe('lease:1');
    // An answer saying leases no longer stand grants nothing, then or after.
    clock += LEASE_FRESH_MS + 1;
    expect(b.grantableWhenConfirmed(c())).toBe(true);
    b.confirm({ ok: false, epoch: 0 }, clock);
    expect(b.grant(c())).toBeUndefined();
    expect(b.grantableWhenConfirmed(c())).toBe(false);
  });

  it('never grants again from a lease once an answer named another epoch, even should the epoch read the same later', () => {
    const b = book();
    b.confirm({ ok: false, epoch: 5 }, clock);
    b.confirm({ ok: true, epoch: 0 }, clock + 1);
    expect(b.grant(c())).toBeUndefined();
    // Still handed back (its rest returns to the ledger).
    expect(b.spent().map((l) => l.id)).toEqual(['lease:1']);
  });

  it('forgets the calls of tasks another worker closed once they are a minute old (the book stays bounded)', () => {
    const b = book();
    // As the gate counts each call it granted, then its end acknowledged.
    for (let i = 0; i < 3; i++) {
      b.granted(`call${i}`, `gone${i}`, { usd: 0.02, tokens: 200 });
      b.ended(`call${i}`);
    }
    // Their bills were closed on another worker (no forget() here).
    expect(b.trackedTasks()).toBe(3);
    clock += 61_000;
    b.granted('call-now', 'now', { usd: 0.02, tokens: 200 });
    expect(b.trackedTasks()).toBe(1);
  });

  it('ignores an answer older than the one it has', () => {
    const b = book();
    b.confirm({ ok: false, epoch: 0 }, clock - 10);
    expect(b.grant(c())).toBeDefined();
  });

  it('stops using a lease at half its time and hands it over for return', () => {
    const b = book();
    clock += 15_000;
    b.confirm({ ok: true, epoch: 0 }, clock);
    expect(b.grant(c())).toBeUndefined();
    expect(b.spent().map((l) => l.id)).toEqual(['lease:1']);
    expect(b.all()).toEqual([]);
  });

  it(`sends a task to the ledger once its own books and its calls in flight would pass ${LEASE_TASK_SHARE * 100} % of a per-task limit, or when it has no books`, () => {
    const b = book();
    expect(b.grant(c({ taskSpent: { usd: 0.47, tokens: 0 } }))).toBeDefined();
    b.granted('k-flight', 't1', { usd: 0.02, tokens: 200 });
    // 0.47 + 0.02 in flight + 0.02 > 0.5
    expect(b.grant(c({ taskSpent: { usd: 0.47, tokens: 0 } }))).toBeUndefined();
    b.ended('k-flight');
    expect(b.grant(c({ taskSpent: { usd: 0.47, tokens: 0 } }))).toBeDefined();
    expect(b.grant(c({ taskSpent: { usd: 0, tokens: 4_900 } }))).toBeUndefined();
    expect(b.grant(c({ taskSpent: undefined }))).toBeUndefined();
  });

  it('sends a call past max_spawn_depth, or one short of the runaway bound, to the ledger', () => {
    const b = book();
    expect(b.grant(c({ spawnDepth: 4 }))).toBeUndefined();
    expect(b.grant(c({ spawnDepth: 3 }))).toBeDefined();
    for (let i = 0; i < 3; i++) b.granted(`g${i}`, 'busy', { usd: 0, tokens: 0 });
    expect(b.grant(c({ taskId: 'busy' }))).toBeDefined();
    b.granted('g3', 'busy', { usd: 0, tokens: 0 });
    // Four granted this minute: the fifth would reach the bound of five, so the ledger decides.
    expect(b.grant(c({ taskId: 'busy' }))).toBeUndefined();
  });

  it(`asks no sooner than ${LEASE_RETRY_MS} ms after a refusal, and not twice at once`, () => {
    clock = 0;
    const b = new LeaseBook(30_000, () => clock);
    expect(b.wantsLease('A', 'main')).toBe(true);
    b.asking('A', 'main');
    expect(b.wantsLease('A', 'main')).toBe(false);
    b.answered('A', 'main', clock);
    clock += LEASE_RETRY_MS - 1;
    expect(b.wantsLease('A', 'main')).toBe(false);
    clock += 1;
    expect(b.wantsLease('A', 'main')).toBe(true);
  });
});
