import type { Client } from '@temporalio/client';
import {
  activityCallKeys,
  budgetAlertSink,
  createBudgetGate,
  LEDGER_UPDATES_IN_FLIGHT,
  createBudgetedLlmClient,
  defaultLimits,
  type BudgetGate,
  type GateStats,
  type GateTiming,
  type Limits,
} from '../src/budget';
import type { Alerter } from '../src/alerts/alerter';
import type { LlmClient } from '../src/llm/types';
import { fmtMs, fmtNum, type Section } from './report';
import { round } from './stats';

/**
 * The worker's LLM calls go through the budget ledger exactly as src/workers/deps.ts wires them
 * (createBudgetGate, ensureLedger, createBudgetedLlmClient with activityCallKeys), with limits so
 * generous nothing is denied: the benchmark prices the reservation round trip, not a denial.
 * The ledger has an id of its own per run, so a run against a real server (TEMPORAL_ADDRESS)
 * never touches that server's pantheon-budget-ledger.
 */

const PLENTY = 1_000_000;

export const BENCH_LIMITS: Limits = {
  ...defaultLimits(),
  perTaskTokens: 1_000_000_000,
  perTaskUsd: PLENTY,
  perAgentHourlyUsd: PLENTY,
  perAgentDailyUsd: PLENTY,
  systemHourlyUsd: PLENTY,
  systemDailyUsd: PLENTY,
  circuitBreaker: { ...defaultLimits().circuitBreaker, maxCallsPerTaskPerMinute: PLENTY },
};

/** What one phase's gate saw: gate.stats(), and exact totals (stats keep a bounded window). */
export interface BudgetPhase {
  stats: GateStats;
  totalMs: Record<GateTiming['op'], number>;
  /** What callers waited for (settles and releases of answered calls go in the background), the
   * tasks' bill closes included. */
  waitedMs: number;
  /** The tasks' bill closes: each a ledger round trip its task waits for at its end. */
  closes: { count: number; totalMs: number };
  /** Round trips by outcome (denied and error must stay 0). */
  outcomes: Record<GateTiming['outcome'], number>;
}

export interface BenchBudget {
  /** Task bills (closeTask) through the current phase's gate. */
  bills: Pick<BudgetGate, 'closeTask'>;
  /** The ledger God's runway activities read (the worker registers them; the bench runs no God). */
  ledger: Pick<BudgetGate, 'snapshot' | 'setExperimentalShare'>;
  ledgerId: string;
  /** The queue the ledger workflow runs on (apart from the tasks, as in a worker). */
  taskQueue: string;
  /** The worker's LLM client: reserve → the inner call → settle. */
  llm: LlmClient;
  /**
   * A fresh gate on the same ledger for the next phase, as a restarted worker would build one,
   * so the measured phase's gate.stats() hold no warm-up round trips.
   */
  newPhase(): Promise<void>;
  phase(): BudgetPhase;
  /** Settles or releases that could not reach the ledger (expected: none). */
  ledgerErrors: string[];
  snapshot: BudgetGate['snapshot'];
}

export async function startBenchBudget(options: { client: Client; taskQueue: string; ledgerId: string; inner: LlmClient; alerter: Alerter }): Promise<BenchBudget> {
  const { client, taskQueue, ledgerId, inner, alerter } = options;
  let totals: BudgetPhase['totalMs'];
  let waited = 0;
  let closes: BudgetPhase['closes'];
  let outcomes: BudgetPhase['outcomes'];
  const reset = () => {
    totals = { reserve: 0, settle: 0, release: 0 };
    waited = 0;
    closes = { count: 0, totalMs: 0 };
    outcomes = { granted: 0, denied: 0, applied: 0, noop: 0, error: 0 };
  };
  const onTiming = (t: GateTiming) => {
    totals[t.op] += t.ms;
    if (!t.background) waited += t.ms;
    outcomes[t.outcome]++;
  };
  const build = async () => {
    // BENCH_RESERVE_AHEAD=1 reserves a specialist loop's next call while the current one runs (off by default, see gate.ts).
    const reserveAhead = process.env.BENCH_RESERVE_AHEAD === '1';
    // Leases as a worker takes them (PANTHEON_BUDGET_LEASES, on by default; off measures every call reserving).
    const leases = process.env.PANTHEON_BUDGET_LEASES !== 'off';
    const gate = createBudgetGate({ client, taskQueue, limits: BENCH_LIMITS, ledgerId, onAlert: budgetAlertSink(alerter), onTiming, reserveAhead, leases });
    await gate.ensureLedger();
    return gate;
  };
  reset();
  let current = await build();

  // The budgeted client calls the gate per call; this one hands each call to the current phase's gate.
  const phased: BudgetGate = {
    ledgerId,
    ensureLedger: () => current.ensureLedger(),
    reserve: (...args) => current.reserve(...args),
    reserveAmount: (input) => current.reserveAmount(input),
    settle: (...args) => current.settle(...args),
    release: (id) => current.release(id),
    flush: () => current.flush(),
    snapshot: () => current.snapshot(),
    stats: () => current.stats(),
    closeBreaker: (action) => current.closeBreaker(action),
    openBreaker: (action) => current.openBreaker(action),
    setOverride: (request) => current.setOverride(request),
    setLimits: (action) => current.setLimits(action),
    setExperimentalShare: (change) => current.setExperimentalShare(change),
    closeTask: async (taskId, books) => {
      const started = performance.now();
      try {
        return await current.closeTask(taskId, books);
      } finally {
        const ms = performance.now() - started;
        closes.count += 1;
        closes.totalMs += ms;
        waited += ms;
      }
    },
  };
  const ledgerErrors: string[] = [];
  const llm = createBudgetedLlmClient(inner, phased, activityCallKeys(), {
    onLedgerError: (err, reservation, op) => ledgerErrors.push(`${op} ${reservation.id}: ${(err as Error).message ?? String(err)}`),
  });

  return {
    ledgerId,
    taskQueue,
    llm,
    bills: phased,
    ledger: phased,
    async newPhase() {
      await current.flush();
      current = await build();
      reset();
    },
    phase: () => ({ stats: current.stats(), totalMs: { ...totals }, waitedMs: waited, closes: { ...closes }, outcomes: { ...outcomes } }),
    ledgerErrors,
    snapshot: () => current.snapshot(),
  };
}

/** Issue 11's target for the ledger's share of the pipeline's orchestration overhead. */
export const LEDGER_SHARE_TARGET = 0.1;

/** Mean time a task waited for the ledger: its calls' reserves (not those granted from a lease),
 * the settles and releases a caller waits for (those of failed calls; an answered call's settle
 * goes in the background), and the close of its bill at its end. */
export function ledgerMsPerTask(phase: BudgetPhase, tasks: number): number {
  return phase.waitedMs / tasks;
}

/** The section: round trips per operation, and their share of a task's orchestration overhead. */
export function budgetSection(input: {
  phase: BudgetPhase;
  ledgerId: string;
  ledgerQueue: string;
  tasks: number;
  llmCalls: number;
  meanOverheadMs: number;
  outstanding: number;
}): Section {
  const { phase, ledgerId, ledgerQueue, tasks, llmCalls, meanOverheadMs, outstanding } = input;
  const { reserve, settle, release, ledgerUpdates, leased, leasesTaken } = phase.stats;
  const ledgerMs = ledgerMsPerTask(phase, tasks);
  const share = ledgerMs / meanOverheadMs;
  const roundTrips = reserve.count + settle.count + release.count;
  const windowed = Math.max(reserve.count, settle.count) > 1000;
  const op = (label: string, s: GateStats['reserve']) => [label, String(s.count), fmtMs(s.meanMs), fmtMs(s.p50Ms), fmtMs(s.p95Ms), fmtMs(s.maxMs)];
  const json = (s: GateStats['reserve']) => ({ count: s.count, meanMs: round(s.meanMs, 2), p50Ms: round(s.p50Ms, 2), p95Ms: round(s.p95Ms, 2), maxMs: round(s.maxMs, 2) });
  return {
    key: 'budgetLedger',
    title: 'Budget ledger: reserve (or a lease) → LLM call → settle around every call (the pipeline above; the lower bound has none)',
    columns: ['per round trip, ms', 'count', 'mean', 'p50', 'p95', 'max'],
    rows: [
      op('reserve', reserve),
      op('settle', settle),
      ...(release.count ? [op('release', release)] : []),
      ['bill closes', `${phase.closes.count}, ${fmtMs(phase.closes.totalMs / Math.max(1, phase.closes.count))} ms mean (each task waits for its own at its end)`],
      ['ledger time per task', `${fmtMs(ledgerMs)} ms mean waited (the reserves of ${fmtNum(llmCalls / tasks)} calls per task not granted from a lease, and the bill's close; settles go in the background)`],
      ['share of orchestration overhead', `${fmtNum(share * 100, 1)} % (${fmtMs(ledgerMs)} ms of ${fmtMs(meanOverheadMs)} ms mean overhead per task; target ≤ ${LEDGER_SHARE_TARGET * 100} %)`],
      ['calls granted from leases', `${leased} of ${reserve.count} (no round trip; booked in the background), from ${leasesTaken} lease(s) (PANTHEON_BUDGET_LEASES=off: none)`],
      ['ledger updates', `${ledgerUpdates} for ${roundTrips} round trips (${fmtNum(roundTrips / Math.max(1, ledgerUpdates))} per update; requests queued behind the ${LEDGER_UPDATES_IN_FLIGHT} in flight share one)`],
      ['denied / errors / outstanding', `${phase.outcomes.denied} / ${phase.outcomes.error} / ${outstanding} (limits generous: nothing is denied)`],
    ],
    notes: [
      `from gate.stats() of a gate built after the warm-up (the measured tasks only); ledger ${ledgerId} on queue ${ledgerQueue}`,
      `a round trip is queueing in the gate's batcher (${LEDGER_UPDATES_IN_FLIGHT} update(s) in flight) + the ledger update; a settle's is its delivery, which no caller waits for`,
      `p50/p95 are nearest-rank (the gate's own stats)${windowed ? '; over the last 1000 samples per operation' : ''}; the per-task time sums every round trip`,
    ],
    data: {
      ledgerId,
      ledgerQueue,
      reserve: json(reserve),
      settle: json(settle),
      release: json(release),
      closes: { count: phase.closes.count, meanMs: round(phase.closes.totalMs / Math.max(1, phase.closes.count), 2) },
      ledgerUpdates,
      leased,
      leasesTaken,
      ledgerMsPerTask: round(ledgerMs, 2),
      meanOverheadMsPerTask: round(meanOverheadMs, 1),
      shareOfOverhead: round(share, 4),
      denied: phase.outcomes.denied,
      errors: phase.outcomes.error,
      outstandingReservations: outstanding,
    },
  };
}

/**
 * The section in a `--no-ledger` run: the pipeline's calls skipped the ledger, so there is nothing
 * to time; what the ledger costs end to end is this run's overhead against a normal run's.
 */
export function unbudgetedSection(input: { tasks: number; llmCalls: number; meanOverheadMs: number }): Section {
  return {
    key: 'budgetLedger',
    title: 'Budget ledger: off (--no-ledger), the pipeline\'s LLM calls were not reserved or settled',
    rows: [
      ['LLM calls not budgeted', `${input.llmCalls} (${fmtNum(input.llmCalls / input.tasks)} per task)`],
      ['mean overhead per task', `${fmtMs(input.meanOverheadMs)} ms: a normal run's minus this is what the ledger costs end to end (its round trips and its CPU beside the tasks)`],
    ],
    notes: ['a diagnostic: run it beside normal runs on the same machine; no ledger figure here is comparable with the targets'],
    data: { off: true, llmCalls: input.llmCalls, meanOverheadMsPerTask: round(input.meanOverheadMs, 1) },
  };
}
