import { createLeaseClient } from '../../src/budget/gate-lease-client';
import type { FinishResult, ReserveResult } from '../../src/budget/ledger-types';
import type { FinishInput, ReserveInput } from '../../src/budget/messages';

/**
 * A worker hands a lease back once the first half of its life is over, whether or not another
 * call comes: an idle worker's lease left in its book would be charged in full at its end, as if
 * its worker had died (seen in `npm start`: after the demo's burst, DatabaseAgent's lease was
 * charged and alerted as "its worker stopped" while the worker ran on). Node can run a timer a few
 * ms before the clock says its delay has passed, so the hand-back must not depend on the timer
 * firing late enough.
 */

const T0 = 1_000_000;
const TTL_MS = 30_000;

function harness() {
  let clock = T0;
  const released: string[] = [];
  const client = createLeaseClient({
    ttlMs: TTL_MS,
    now: () => clock,
    report: () => undefined,
    async reserve(input: ReserveInput): Promise<ReserveResult> {
      const lease = input.leaseTtlMs === undefined ? {} : { lease: { untilMs: T0 + TTL_MS, epoch: 0, perTaskUsd: 1, perTaskTokens: 1_000_000 } };
      return { granted: true, reservationId: input.key, status: 'reserved', replayed: false, alerts: [], ...lease };
    },
    async finish(input: FinishInput): Promise<FinishResult> {
      if (input.op === 'release') released.push(input.reservationId);
      return { reservationId: input.reservationId, applied: true, status: input.op === 'release' ? 'released' : 'settled', alerts: [] };
    },
  });
  return { client, released, setClock: (ms: number) => (clock = ms) };
}

const call = (n: number): ReserveInput => ({ key: `t1:run:3:1:${n}`, taskId: 't1', agent: 'DatabaseAgent', usd: 0.001, tokens: 100, taskSpent: { usd: 0, tokens: 0 } });

/** Lets the fakes' answers (promises) run. */
async function answered(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

describe('lease client: an idle worker hands its lease back', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('hands the lease back at the end of its half even when its timer runs a few ms early, with no call coming', async () => {
    const { client, released, setClock } = harness();
    client.confirm({ ok: true, epoch: 0 }, T0);
    // The first call finds no lease and asks for one; the next is granted from it.
    expect(client.grant(call(0))).toBe(false);
    await answered();
    expect(client.grant(call(1))).toBe(true);
    await answered();
    expect(client.stats()).toEqual({ leased: 1, leasesTaken: 1 });

    // The timer for the half's end runs while the clock still reads 5 ms before it.
    setClock(T0 + TTL_MS / 2 - 5);
    jest.advanceTimersByTime(TTL_MS / 2 + 1);
    await answered();
    expect(released).toEqual([]);

    // Looked at again once the half is over: handed back, though no call came.
    setClock(T0 + TTL_MS / 2 + 10);
    jest.advanceTimersByTime(10);
    await answered();
    expect(released).toEqual([expect.stringMatching(/^lease:[0-9a-f]{8}:1$/)]);

    // Nothing is handed back twice, and no timer is left behind.
    jest.advanceTimersByTime(TTL_MS);
    await answered();
    expect(released).toHaveLength(1);
    expect(jest.getTimerCount()).toBe(0);
  });
});

describe('lease client: the answer to a lease asked for', () => {
  it('is there to wait for while the ledger has not answered, for that agent and lane only, and gone once answered', async () => {
    let answer: (() => void) | undefined;
    const client = createLeaseClient({
      now: () => T0,
      report: () => undefined,
      reserve: (input: ReserveInput) =>
        new Promise<ReserveResult>((resolve) => {
          const granted: ReserveResult = { granted: true, reservationId: input.key, status: 'reserved', replayed: false, alerts: [] };
          // Bookings are answered at once; the lease when the test says so.
          if (input.leaseTtlMs === undefined) resolve(granted);
          else answer = () => resolve({ ...granted, lease: { untilMs: T0 + TTL_MS, epoch: 0, perTaskUsd: 1, perTaskTokens: 1_000_000 } });
        }),
      finish: async (input: FinishInput): Promise<FinishResult> => ({ reservationId: input.reservationId, applied: true, status: 'released', alerts: [] }),
    });
    expect(client.leaseAnswer(call(0))).toBeUndefined();
    // The first call finds no lease and asks for one.
    expect(client.grant(call(0))).toBe(false);
    const pending = client.leaseAnswer(call(1));
    expect(pending).toBeDefined();
    expect(client.leaseAnswer({ ...call(1), agent: 'ResearchAgent' })).toBeUndefined();
    expect(client.leaseAnswer({ ...call(1), lane: 'experimental' })).toBeUndefined();
    // The answer carries the ledger's word, as the gate's batch answer does.
    client.confirm({ ok: true, epoch: 0 }, T0);
    answer!();
    await pending;
    expect(client.leaseAnswer(call(1))).toBeUndefined();
    expect(client.grant(call(1))).toBe(true);
    await client.flush();
  });
});
