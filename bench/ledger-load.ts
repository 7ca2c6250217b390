import type { Limits } from '../src/budget/limits';
import { initialLedgerState, reserve, settle } from '../src/budget/ledger';
import { closeTask } from '../src/budget/ledger-close';
import { DEFAULT_LEDGER_OPTIONS, type LedgerOptions, type LedgerState } from '../src/budget/ledger-types';

/**
 * Drives the pure ledger state machine with a simulated clock at a sustained call rate, the way
 * the ledger workflow would run it, and measures the state it carries through continue-as-new.
 * Used by the state-size test and `npm run bench`.
 */

export interface LoadOptions {
  limits: Limits;
  options?: LedgerOptions;
  callsPerSecond: number;
  hours: number;
  /** How long a call takes between its reserve and its settle. */
  callMs?: number;
  /** Calls each task makes before it ends (a new task takes its place). */
  callsPerTask?: number;
  agents?: number;
  /** How often the carried size is measured (simulated ms). */
  sampleEveryMs?: number;
  startMs?: number;
}

export interface LoadResult {
  calls: number;
  denied: number;
  peakBytes: number;
  peakAtHour: number;
  finalBytes: number;
  peak: { reservations: number; finished: number; tasks: number; closed: number; alerts: number; audit: number };
}

const uuid = (n: number) => {
  const hex = n.toString(16).padStart(12, '0');
  return `0194a2b3-c4d5-7e6f-8a9b-${hex}`;
};

/** The JSON size of what continue-as-new would carry: the state (limits and options are small). */
export function carriedBytes(state: LedgerState): number {
  return Buffer.byteLength(JSON.stringify(state));
}

export function simulateLedgerLoad(load: LoadOptions): LoadResult {
  const { limits, callsPerSecond, hours } = load;
  const options = load.options ?? DEFAULT_LEDGER_OPTIONS;
  const callMs = load.callMs ?? 1000;
  const callsPerTask = load.callsPerTask ?? 12;
  const agents = load.agents ?? 6;
  const sampleEveryMs = load.sampleEveryMs ?? 10_000;
  const t0 = load.startMs ?? Date.parse('2026-01-05T00:00:00Z');
  const endMs = t0 + hours * 3_600_000;
  const stepMs = 1000 / callsPerSecond;

  const state = initialLedgerState(t0, limits);
  // Calls in flight, settled in order of their end (every call takes the same time).
  // A task's close (its workflow ending) follows its last call's settle.
  const inFlight: Array<{ key: string; endMs: number; usd: number; tokens: number; closes?: string }> = [];
  let head = 0;
  let calls = 0;
  let denied = 0;
  let taskSeq = 0;
  const concurrency = Math.max(1, Math.ceil((callsPerSecond * callMs) / 1000));
  // Each lane is one task making its calls one after another, like a specialist's iterations.
  const lanes = Array.from({ length: concurrency }, () => ({ task: `task-${uuid(++taskSeq)}`, run: uuid(taskSeq), made: 0 }));
  const result: LoadResult = { calls: 0, denied: 0, peakBytes: 0, peakAtHour: 0, finalBytes: 0, peak: { reservations: 0, finished: 0, tasks: 0, closed: 0, alerts: 0, audit: 0 } };
  let nextSample = t0;
  let lane = 0;

  for (let now = t0; now < endMs; now += stepMs) {
    const nowMs = Math.floor(now);
    while (head < inFlight.length && inFlight[head].endMs <= nowMs) {
      const call = inFlight[head++];
      if (call.closes) {
        closeTask(state, call.closes, call.endMs, limits, options);
        continue;
      }
      // Real usage is below the worst case held: about half of it.
      settle(state, call.key, { usd: call.usd / 2, tokens: Math.floor(call.tokens / 2) }, call.endMs, limits, options);
    }
    if (head > 10_000) {
      inFlight.splice(0, head);
      head = 0;
    }
    const l = lanes[lane];
    lane = (lane + 1) % lanes.length;
    const agent = `Agent${calls % agents}`;
    const key = `${l.task}:${l.run}:3:1:${l.made}`;
    const usd = 0.0004 + (calls % 7) * 0.0001;
    const tokens = 500 + (calls % 5) * 40;
    const r = reserve(state, { key, taskId: l.task, agent, usd, tokens, spawnDepth: 0 }, nowMs, limits, options).result;
    calls++;
    if (r.granted) inFlight.push({ key, endMs: nowMs + callMs, usd, tokens });
    else denied++;
    if (++l.made >= callsPerTask) {
      inFlight.push({ key: '', endMs: nowMs + callMs, usd: 0, tokens: 0, closes: l.task });
      Object.assign(l, { task: `task-${uuid(++taskSeq)}`, run: uuid(taskSeq), made: 0 });
    }

    if (nowMs >= nextSample) {
      nextSample += sampleEveryMs;
      const bytes = carriedBytes(state);
      if (bytes > result.peakBytes) {
        result.peakBytes = bytes;
        result.peakAtHour = (nowMs - t0) / 3_600_000;
        result.peak = {
          reservations: Object.keys(state.reservations).length,
          finished: Object.keys(state.finished).length,
          tasks: Object.keys(state.tasks).length,
          closed: Object.keys(state.closed ?? {}).length,
          alerts: state.alerts.length,
          audit: state.audit.length,
        };
      }
    }
  }
  return { ...result, calls, denied, finalBytes: carriedBytes(state) };
}
