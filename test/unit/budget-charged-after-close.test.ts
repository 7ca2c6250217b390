import { initialLedgerState, reserve, settle } from '../../src/budget/ledger';
import { closeTask } from '../../src/budget/ledger-close';
import { DEFAULT_LEDGER_OPTIONS, type ReserveRequest } from '../../src/budget/ledger-types';
import { budgetSnapshot } from '../../src/budget/snapshot';
import { renderBudget } from '../../src/client/budget-view';
import { limitsWith } from '../support/limits';
import { granted } from '../support/ledger-results';

/**
 * A call that reaches the ledger after its task's bill closed (a stalled worker's booking of a call
 * it granted under a lease, an abandoned activity still calling): the task has reported its cost
 * already, so what the call costs is in the windows but in no task's report. The ledger says so:
 * a `charged_after_close` alert naming the task, and the day's `chargedAfterClose` counts it, so
 * the tasks' reported costs plus it (plus unreturned leases) reconcile with the settled spend.
 */

const T0 = Date.parse('2024-05-01T10:00:00Z');
const limits = limitsWith({ perTaskUsd: 1, systemHourlyUsd: 10 });
const options = DEFAULT_LEDGER_OPTIONS;
let seq = 0;
/** A call of run `run` of workflow `taskId`, keyed as call-key.ts keys it. */
const call = (over: Partial<ReserveRequest> & { run?: string } = {}): ReserveRequest => {
  const { run = 'run-1', ...rest } = over;
  const taskId = rest.taskId ?? 't1';
  return { key: `${taskId}:${run}:runSpecialist:1:${++seq}`, taskId, agent: 'DatabaseAgent', usd: 0.02, tokens: 100, ...rest };
};
const leaseRequest: ReserveRequest = { key: 'lease:w1:1', taskId: 'lease:w1:1', agent: 'DatabaseAgent', usd: 0.2, tokens: 20_000, leaseTtlMs: 30_000 };

/** A task that made one call ($0.10) and closed its bill at T0 + 1 s; a worker holds a lease. */
function closedTask() {
  const state = initialLedgerState(T0, limits);
  granted(reserve(state, leaseRequest, T0, limits, options).result);
  const id = granted(reserve(state, call(), T0, limits, options).result);
  settle(state, id, { usd: 0.1, tokens: 50 }, T0, limits, options);
  const bill = closeTask(state, 't1', T0 + 1000, limits, options).result;
  expect(bill).toMatchObject({ known: true, usd: 0.1, tokens: 50 });
  return state;
}

const lateAlerts = (state: ReturnType<typeof closedTask>) => state.alerts.filter((a) => a.kind === 'charged_after_close');

describe('ledger: calls charged after their task\'s bill closed', () => {
  it('alerts, naming the task, when a booking under a lease arrives after the close, and counts its cost in the day\'s chargedAfterClose', () => {
    const state = closedTask();
    const late = reserve(state, call({ lease: leaseRequest.key }), T0 + 5000, limits, options).result;
    const id = granted(late);
    expect(late.alerts.map((a) => [a.kind, a.scope])).toEqual([['charged_after_close', 'task:t1']]);
    expect(late.alerts[0].message).toMatch(/after the task's bill closed .*\$0\.100000.*missing from the cost the task reported/);
    expect(late.alerts[0]).toMatchObject({ unit: 'usd', limit: 0.1, spent: 0.1 + 0.02 });
    settle(state, id, { usd: 0.015, tokens: 40 }, T0 + 5000, limits, options);
    expect(state.day.chargedAfterClose).toEqual({ usd: 0.015, tokens: 40 });
    // The windows hold it as they hold every call; the reported bill (0.1) plus the late charge is the settled spend.
    expect(state.day.system.usd).toBeCloseTo(0.1 + 0.015, 9);
  });

  it('alerts once per closed bill but counts every late charge, and shows the day\'s total in the status view', () => {
    const state = closedTask();
    const first = granted(reserve(state, call({ lease: leaseRequest.key }), T0 + 5000, limits, options).result);
    const second = reserve(state, call(), T0 + 6000, limits, options).result;
    expect(second.alerts.filter((a) => a.kind === 'charged_after_close')).toEqual([]);
    settle(state, first, { usd: 0.01, tokens: 10 }, T0 + 7000, limits, options);
    settle(state, granted(second), { usd: 0.02, tokens: 20 }, T0 + 7000, limits, options);
    expect(lateAlerts(state)).toHaveLength(1);
    expect(state.day.chargedAfterClose?.usd).toBeCloseTo(0.03, 9);
    expect(state.day.chargedAfterClose?.tokens).toBe(30);
    const snapshot = budgetSnapshot(state, T0 + 8000, limits);
    expect(snapshot.chargedAfterCloseToday?.usd).toBeCloseTo(0.03, 9);
    const text = renderBudget(snapshot, { ledgerId: 'l', address: 'a', namespace: 'n', nowMs: T0 + 8000 });
    expect(text).toMatch(/charged today after tasks' bills closed .*: \$0\.03/);
  });

  it('counts a late call that never settles at the worst case its expiry charges', () => {
    const state = closedTask();
    granted(reserve(state, call({ usd: 0.04 }), T0 + 5000, limits, options).result);
    // An update long after the reservation's TTL charges it at its worst case.
    reserve(state, call({ taskId: 'other' }), T0 + 60 * 60_000, limits, options);
    expect(state.day.chargedAfterClose?.usd).toBeCloseTo(0.04, 9);
  });

  it('raises nothing for another run of the same id (a reset) or a task never closed', () => {
    const state = closedTask();
    const reset = reserve(state, call({ run: 'run-2' }), T0 + 5000, limits, options).result;
    granted(reset);
    const fresh = reserve(state, call({ taskId: 't2' }), T0 + 5000, limits, options).result;
    granted(fresh);
    expect([...reset.alerts, ...fresh.alerts]).toEqual([]);
    expect(lateAlerts(state)).toEqual([]);
    expect(state.day.chargedAfterClose).toBeUndefined();
    expect(budgetSnapshot(state, T0 + 6000, limits).chargedAfterCloseToday).toBeUndefined();
  });
});
