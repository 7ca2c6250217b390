import { admit, type AdmitInput } from '../../src/god/prioritise';
import { capAtTaskLimit } from '../../src/god/task-limit';
import { queued } from '../support/god-fixtures';

function input(overrides: Partial<AdmitInput>): AdmitInput {
  return { queue: [], headroom: { main: 1, experimental: 1 }, goals: [], budgetUsd: 1, inFlight: [], breakerOpen: false, ...overrides };
}

describe('estimates capped at the per-task limit', () => {
  it('caps a decision priced above per_task_usd at the limit, naming the cap in its reason, and leaves the rest alone', () => {
    const queue = [queued('warehouse-backfill', { cost: 0.044 }), queued('cheap', { cost: 0.005 }), queued('assessing', { decided: false, status: 'assessing' })];
    const { queue: next, capped } = capAtTaskLimit(queue, 0.02);
    expect(capped).toEqual(['warehouse-backfill']);
    expect(next[0].decision).toMatchObject({ expectedCostUsd: 0.02, reason: expect.stringMatching(/estimate ~\$0\.044 capped at the per-task limit \$0\.020$/) });
    expect(next[1]).toBe(queue[1]);
    expect(next[2]).toBe(queue[2]);
  });

  it('lets a task priced above its lane whole day start once capped at a per-task limit the lane can pay', () => {
    // The repro: main lane's whole day $0.0425, the task estimated at $0.044, per_task_usd $0.02.
    const queue = [queued('warehouse-backfill', { cost: 0.044 })];
    const laneDayBudget = { main: 0.0425, experimental: 0.0075 };
    expect(admit(input({ queue, headroom: { main: 0.0425, experimental: 0.0075 }, laneDayBudget })).start).toEqual([]);
    const { queue: next } = capAtTaskLimit(queue, 0.02);
    expect(admit(input({ queue: next, headroom: { main: 0.0425, experimental: 0.0075 }, laneDayBudget })).start).toEqual(['warehouse-backfill']);
  });
});

describe('a task dearer than its lane whole day', () => {
  it('is told it cannot start on the lane, not that it waits for runway, and does not block cheaper tasks', () => {
    const queue = [queued('review-retry-helper', { cost: 0.014, lane: 'experimental', success: 0.99 }), queued('small', { cost: 0.001, lane: 'experimental', success: 0.1 })];
    const result = admit(input({ queue, headroom: { main: 0.04, experimental: 0.002 }, laneDayBudget: { main: 0.0425, experimental: 0.0075 } }));
    expect(result.waiting['review-retry-helper']).toBe(
      "cannot start on the experimental lane: needs ~$0.014, more than the lane's whole day ($0.0075); it stays queued until the limits (system_daily_usd, the lane's share) are raised",
    );
    expect(result.start).toEqual(['small']);
  });

  it('a task that fits its lane whole day still waits for runway as before', () => {
    const queue = [queued('t', { cost: 0.005, lane: 'experimental' })];
    const result = admit(input({ queue, headroom: { main: 0.04, experimental: 0.002 }, laneDayBudget: { main: 0.0425, experimental: 0.0075 } }));
    expect(result.waiting.t).toMatch(/^waiting for runway: needs ~\$0\.0050, experimental lane can commit \$0\.0020 now$/);
  });
});
