import { initialLedgerState, reserve, settle } from '../../src/budget/ledger';
import { closeTask } from '../../src/budget/ledger-close';
import { runOfKey } from '../../src/budget/ledger-closed';
import { DEFAULT_LEDGER_OPTIONS, type LedgerOptions, type ReserveRequest } from '../../src/budget/ledger-types';
import { limitsWith } from '../support/limits';
import { denied, granted } from '../support/ledger-results';

/**
 * A close applied whose answer was lost (the worker killed between the close and its activity's
 * completion) is asked again by the retried activity: the ledger answers the bill it closed, not
 * an empty one, so what only the ledger charged (a call that died in flight) stays in the task's
 * bill. A call the same run makes after its close adds to that bill.
 */

const T0 = Date.parse('2024-05-01T10:00:00Z');
const MIN = 60_000;
const limits = limitsWith({ perTaskUsd: 1 });
let seq = 0;
/** A call of run `run` of workflow `taskId`, keyed as call-key.ts keys it. */
const call = (over: Partial<ReserveRequest> & { run?: string } = {}): ReserveRequest => {
  const { run = 'run-1', ...rest } = over;
  const taskId = rest.taskId ?? 't1';
  return { key: `${taskId}:${run}:runSpecialist:1:${++seq}`, taskId, agent: 'DatabaseAgent', usd: 0.3, tokens: 100, ...rest };
};

/** A task whose one call was answered ($0.10) and whose second died in flight (held at $0.30 worst case). */
function taskWithDeadCall(options: LedgerOptions = DEFAULT_LEDGER_OPTIONS) {
  const state = initialLedgerState(T0, limits);
  const done = granted(reserve(state, call(), T0, limits, options).result);
  settle(state, done, { usd: 0.1, tokens: 20 }, T0, limits, options);
  granted(reserve(state, call(), T0, limits, options).result);
  return state;
}

describe('ledger: closed bills remembered for a repeated close', () => {
  it('answers a repeated close with the bill the first close closed, the dead call\'s worst case included, charging nothing again', () => {
    const state = taskWithDeadCall();
    const first = closeTask(state, 't1', T0 + 1000, limits, DEFAULT_LEDGER_OPTIONS).result;
    expect(first).toMatchObject({ known: true, usd: 0.4, tokens: 120, chargedOutstanding: 1 });
    const systemSpend = state.day.system.usd;
    const again = closeTask(state, 't1', T0 + 40_000, limits, DEFAULT_LEDGER_OPTIONS).result;
    // It names the run whose bill it is (the caller tells a close of another run of the same id from this one, gate.ts).
    expect(again).toMatchObject({ known: true, repeated: true, run: 'run-1', usd: 0.4, tokens: 120, chargedOutstanding: 0 });
    expect(state.day.system.usd).toBe(systemSpend);
    // ifSettled (how the gate asks first) gets the same answer.
    expect(closeTask(state, 't1', T0 + 41_000, limits, DEFAULT_LEDGER_OPTIONS, true).result).toMatchObject({ repeated: true, usd: 0.4 });
  });

  it('answers an empty, unknown bill without the memory (a ledger run from before it), as before', () => {
    const options = { ...DEFAULT_LEDGER_OPTIONS, rememberCloses: false };
    const state = taskWithDeadCall(options);
    closeTask(state, 't1', T0 + 1000, limits, options);
    const again = closeTask(state, 't1', T0 + 40_000, limits, options).result;
    expect(again).toMatchObject({ known: false, usd: 0, tokens: 0 });
    expect(again.repeated).toBeUndefined();
    expect(state.closed).toBeUndefined();
  });

  it('forgets a closed bill after closedRetentionMs', () => {
    const state = taskWithDeadCall();
    closeTask(state, 't1', T0, limits, DEFAULT_LEDGER_OPTIONS);
    reserve(state, call({ taskId: 'other' }), T0 + DEFAULT_LEDGER_OPTIONS.closedRetentionMs - MIN, limits);
    expect(state.closed?.t1).toMatchObject({ usd: 0.4, tokens: 120 });
    // Pruning runs on the ledger's cadence; any update after the retention triggers it.
    reserve(state, call({ taskId: 'other' }), T0 + DEFAULT_LEDGER_OPTIONS.closedRetentionMs + MIN, limits);
    expect(closeTask(state, 't1', T0 + DEFAULT_LEDGER_OPTIONS.closedRetentionMs + MIN, limits, DEFAULT_LEDGER_OPTIONS).result).toMatchObject({ known: false, usd: 0 });
  });

  it('keeps at most maxClosedBills after each prune, forgetting the oldest first', () => {
    const options = { ...DEFAULT_LEDGER_OPTIONS, maxClosedBills: 3 };
    const state = initialLedgerState(T0, limits);
    for (const [i, taskId] of ['10', 'b', 'c', 'd'].entries()) {
      const id = granted(reserve(state, call({ taskId }), T0 + i, limits, options).result);
      settle(state, id, { usd: 0.01, tokens: 1 }, T0 + i, limits, options);
      closeTask(state, taskId, T0 + i, limits, options);
    }
    // Between prunes the closes of the last few seconds are all kept.
    expect(Object.keys(state.closed ?? {}).sort()).toEqual(['10', 'b', 'c', 'd']);
    // Any update once a prune is due (every finishedRetentionMs / 3) enforces the cap.
    reserve(state, call({ taskId: 'other' }), T0 + DEFAULT_LEDGER_OPTIONS.finishedRetentionMs, limits, options);
    // '10' looks like an integer (JavaScript lists it first whatever the order): it is still the oldest.
    expect(Object.keys(state.closed ?? {}).sort()).toEqual(['b', 'c', 'd']);
  });

  it('keeps at most maxClosedBills at every close in a ledger run from before (capsClosedAtPrune off, as such a run replays)', () => {
    const options = { ...DEFAULT_LEDGER_OPTIONS, maxClosedBills: 3, capsClosedAtPrune: false };
    const state = initialLedgerState(T0, limits);
    for (const [i, taskId] of ['10', 'b', 'c', 'd'].entries()) {
      const id = granted(reserve(state, call({ taskId }), T0 + i, limits, options).result);
      settle(state, id, { usd: 0.01, tokens: 1 }, T0 + i, limits, options);
      closeTask(state, taskId, T0 + i, limits, options);
    }
    expect(Object.keys(state.closed ?? {}).sort()).toEqual(['b', 'c', 'd']);
  });

  it('reopens the task with its bill when the same run calls again after its close: the next bill and the per-task limit count both', () => {
    const state = taskWithDeadCall();
    closeTask(state, 't1', T0 + 1000, limits, DEFAULT_LEDGER_OPTIONS);
    // The retried activity makes a call of its own (0.4 already charged, $1 limit: 0.5 fits, 0.7 does not).
    expect(denied(reserve(state, call({ usd: 0.7 }), T0 + 40_000, limits).result).type).toBe('budget_exceeded');
    const id = granted(reserve(state, call({ usd: 0.5 }), T0 + 40_000, limits).result);
    settle(state, id, { usd: 0.05, tokens: 10 }, T0 + 41_000, limits);
    expect(closeTask(state, 't1', T0 + 42_000, limits, DEFAULT_LEDGER_OPTIONS).result).toMatchObject({ known: true, usd: 0.45, tokens: 130 });
    expect(closeTask(state, 't1', T0 + 50_000, limits, DEFAULT_LEDGER_OPTIONS).result).toMatchObject({ repeated: true, usd: 0.45, tokens: 130 });
  });

  it('starts afresh when another run of the same workflow id calls (a reset, an id used again)', () => {
    const state = taskWithDeadCall();
    closeTask(state, 't1', T0 + 1000, limits, DEFAULT_LEDGER_OPTIONS);
    expect(state.closed?.t1).toMatchObject({ run: 'run-1' });
    // $0.90 fits the $1 limit only if the first run's $0.40 is not counted.
    const id = granted(reserve(state, call({ run: 'run-2', usd: 0.9 }), T0 + 40_000, limits).result);
    expect(state.closed?.t1).toBeUndefined();
    settle(state, id, { usd: 0.05, tokens: 10 }, T0 + 41_000, limits);
    const bill = closeTask(state, 't1', T0 + 42_000, limits, DEFAULT_LEDGER_OPTIONS).result;
    expect(bill).toMatchObject({ known: true, usd: 0.05, tokens: 10 });
    expect(bill.repeated).toBeUndefined();
  });

  it('reads the run from a call key and nothing from keys of another shape', () => {
    expect(runOfKey('task-1', 'task-1:9f3c:runSpecialist:2:0')).toBe('9f3c');
    expect(runOfKey('task-1', 'task-10:9f3c:runSpecialist:2:0')).toBeUndefined();
    expect(runOfKey('lease-1', 'lease-1')).toBeUndefined();
    expect(runOfKey('a:b', 'a:b:run:act:1:0')).toBe('run');
  });
});
