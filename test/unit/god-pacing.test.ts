import { clockTime, headroomNotes, laneHeadroom, pacedAllowance, runwayView, usd, type LedgerRunwayLike } from '../../src/god/pacing';
import type { InFlightTask } from '../../src/god/types';
import { godConfig, HOUR, T0 } from '../support/god-fixtures';

const END = T0 + 24 * HOUR;

function runway(o: { spent?: [number, number]; reserved?: [number, number]; budget?: number } = {}): LedgerRunwayLike {
  const budget = o.budget ?? 1;
  const [ms, es] = o.spent ?? [0, 0];
  const [mr, er] = o.reserved ?? [0, 0];
  return {
    dayKey: '2024-05-01',
    dayStartMs: T0,
    dayEndMs: END,
    timezone: 'UTC',
    budgetUsd: budget,
    spentUsd: ms + es,
    reservedUsd: mr + er,
    breakerOpen: false,
    lanes: {
      main: { share: 0.85, budgetUsd: budget * 0.85, spentUsd: ms, reservedUsd: mr },
      experimental: { share: 0.15, budgetUsd: budget * 0.15, spentUsd: es, reservedUsd: er },
    },
    asOfMs: T0,
  };
}

describe('pacedAllowance', () => {
  it.each([
    ['midnight: only the burst', 0, 'even', 0.1, 0.1],
    ['06:00 with 10 % burst', 6, 'even', 0.1, 0.35],
    ['noon with 10 % burst', 12, 'even', 0.1, 0.6],
    ['noon without burst', 12, 'even', 0, 0.5],
    ['23:00: capped at the whole budget', 23, 'even', 0.1, 1],
    ['before the day began', -2, 'even', 0.1, 0.1],
    ['after the day ended', 30, 'even', 0, 1],
    ['no pacing at midnight', 0, 'none', 0.1, 1],
  ] as const)('%s', (_name, hour, pacing, burst, fraction) => {
    expect(pacedAllowance({ budgetUsd: 2, dayStartMs: T0, dayEndMs: END, nowMs: T0 + hour * HOUR, pacing, burst })).toBeCloseTo(2 * fraction, 10);
  });
});

describe('laneHeadroom', () => {
  const config = godConfig({ pacing: 'even', pacingBurst: 0.1 });

  it('is each lane’s share of the paced allowance at noon when nothing is spent', () => {
    const h = laneHeadroom(runway(), { main: 0, experimental: 0 }, config, T0 + 12 * HOUR);
    expect(h.main).toBeCloseTo(0.85 * 0.6, 10);
    expect(h.experimental).toBeCloseTo(0.15 * 0.6, 10);
  });

  it('takes spent, reserved and in-flight expected cost off, per lane', () => {
    const h = laneHeadroom(runway({ spent: [0.2, 0.01], reserved: [0.05, 0.01] }), { main: 0.1, experimental: 0.02 }, config, T0 + 12 * HOUR);
    expect(h.main).toBeCloseTo(0.51 - 0.25 - 0.1, 10);
    expect(h.experimental).toBeCloseTo(0.09 - 0.02 - 0.02, 10);
  });

  it('is bounded by the lane’s remaining budget when pacing would allow more', () => {
    const h = laneHeadroom(runway({ spent: [0.8, 0] }), { main: 0, experimental: 0 }, godConfig({ pacing: 'none' }), T0 + HOUR);
    expect(h.main).toBeCloseTo(0.05, 10);
    expect(h.experimental).toBeCloseTo(0.15, 10);
  });

  it('never goes negative and never lends one lane’s room to the other', () => {
    const h = laneHeadroom(runway({ spent: [0.1, 0.2] }), { main: 0, experimental: 0.05 }, config, T0 + HOUR);
    expect(h.experimental).toBe(0);
    expect(h.main).toBeCloseTo(0.85 * (1 / 24 + 0.1) - 0.1, 10);
  });
});

describe('runwayView', () => {
  const config = godConfig({ pacing: 'even', pacingBurst: 0.1 });
  const flying: InFlightTask[] = [
    { taskId: 'a', workflowType: 'agentTask', kind: 'research', specialist: 'ResearchAgent', lane: 'main', expectedCostUsd: 0.03, startedAtMs: T0 },
    { taskId: 'b', workflowType: 'agentTask', kind: 'research', specialist: 'ResearchAgent', lane: 'experimental', expectedCostUsd: 0.01, startedAtMs: T0 },
  ];

  it('burns spent ÷ hours elapsed and says when the remaining budget runs out if that is today', () => {
    // 6 h in, $0.30 spent: $0.05/h; $0.70 left lasts 14 h → 20:00.
    const v = runwayView(runway({ spent: [0.25, 0.05] }), flying, config, T0 + 6 * HOUR);
    expect(v.burnRateUsdPerHour).toBeCloseTo(0.05, 10);
    expect(v.remainingUsd).toBeCloseTo(0.7, 10);
    expect(v.runsOutAtMs).toBe(T0 + 20 * HOUR);
    expect(v.pacedAllowanceUsd).toBeCloseTo(0.35, 10);
    expect(v.lanes.map((l) => [l.lane, l.share, l.inFlightExpectedUsd])).toEqual([
      ['main', 0.85, 0.03],
      ['experimental', 0.15, 0.01],
    ]);
    expect(v.lanes[0].headroomUsd).toBeCloseTo(0.85 * 0.35 - 0.25 - 0.03, 10);
  });

  it("reads the current hour's pace when it is faster than the day's average: a fleet started at 13:00 does not 'last the day'", () => {
    // $0.10 spent, all of it in the ten minutes since 13:00: the average says $0.0077/h.
    const at = T0 + 13 * HOUR + 10 * 60_000;
    const fresh = { ...runway({ spent: [0.1, 0] }), hourStartMs: T0 + 13 * HOUR, hourSpentUsd: 0.1 };
    const v = runwayView(fresh, [], config, at);
    // Read over at least 15 minutes: $0.40/h; the $0.90 left runs out 2 h 15 min later.
    expect(v.burnRateUsdPerHour).toBeCloseTo(0.4, 10);
    expect(v.runsOutAtMs).toBe(at + 2.25 * HOUR);
    // Without the hour (a ledger from before it was reported), the average, as before.
    expect(runwayView(runway({ spent: [0.1, 0] }), [], config, at).burnRateUsdPerHour).toBeCloseTo(0.1 / (13 + 1 / 6), 10);
    // A quiet hour after a busy morning: the average stands.
    const quiet = { ...runway({ spent: [0.3, 0] }), hourStartMs: T0 + 6 * HOUR, hourSpentUsd: 0 };
    expect(runwayView(quiet, [], config, T0 + 6 * HOUR + 30 * 60_000).burnRateUsdPerHour).toBeCloseTo(0.3 / 6.5, 10);
  });

  it('leaves runsOutAtMs out when the budget outlasts the day, and out with no spend', () => {
    expect(runwayView(runway({ spent: [0.1, 0] }), [], config, T0 + 6 * HOUR).runsOutAtMs).toBeUndefined();
    const idle = runwayView(runway(), [], config, T0 + 6 * HOUR);
    expect(idle.burnRateUsdPerHour).toBe(0);
    expect(idle.runsOutAtMs).toBeUndefined();
  });

  it('says it ran out now when nothing is left', () => {
    expect(runwayView(runway({ spent: [0.85, 0.15] }), [], config, T0 + 10 * HOUR).runsOutAtMs).toBe(T0 + 10 * HOUR);
  });

  it('accepts in-flight expectations already summed per lane', () => {
    expect(runwayView(runway(), { main: 0.2, experimental: 0 }, config, T0).lanes[0].inFlightExpectedUsd).toBe(0.2);
  });
});

describe('reason text', () => {
  it('formats money and clock time for reasons', () => {
    expect([usd(0), usd(0.0042), usd(0.012), usd(1.5), usd(250)]).toEqual(['$0.000', '$0.0042', '$0.012', '$1.50', '$250']);
    expect(clockTime(T0 + 14 * HOUR, 'UTC')).toBe('14:00');
    expect(clockTime(T0 + 14 * HOUR, 'Europe/Berlin')).toBe('16:00');
  });

  it('explains each lane’s headroom: paced allowance by the clock, used, in flight', () => {
    const notes = headroomNotes(runway({ budget: 0.2 / 0.85, spent: [0.046, 0] }), { main: 0.01, experimental: 0 }, godConfig({ pacingBurst: 0 }), T0 + 6 * HOUR);
    expect(notes.main).toBe('paced: $0.050 of $0.200 by 06:00; $0.046 spent or reserved; $0.010 expected in flight');
    expect(notes.experimental).toBe('paced: $0.0088 of $0.035 by 06:00; $0.000 spent or reserved');
  });
});
