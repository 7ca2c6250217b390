import { LOSES_TRAFFIC_WITHIN } from './measure';
import { KINDS, REGRESSION, scenarioRate, type Kind } from './mix';
import type { ChangeRules } from '../../src/routing/policy/arm-stats';
import { decide, observe, seedBook, type PolicyDecision } from '../../src/routing/policy/book';
import { recordedArms } from '../../src/routing/policy/choose';
import { uniform, type RandomState } from '../../src/routing/policy/random';

/**
 * bench:routing's scenario as a closed loop around the pure policy, no Temporal: hundreds of seeded
 * runs in seconds, to weigh a change to how the policy reads failures before the real bench's few
 * runs. Tasks of the four kinds in rotation start on `concurrency` slots; each is decided when it
 * starts (as God picks at start) with the kind's specialist, the arms with a record and the
 * Generalist on trial until it has one, memory's evidence (7 random past outcomes of the kind) and
 * the runs in flight past 2.5 × their arm's mean duration; its outcome comes back when it ends
 * (a failure loops to 6 iterations, a success takes 1 – 3). At `regressionAt` of the tasks
 * finished, REGRESSION's specialist starts failing its kind. The world's draws come from their own
 * stream, never the policy's.
 */

/** Relative price per token of each specialist's model (mix.ts). */
const PRICE: Record<string, number> = { Generalist: 1, DatabaseAgent: 2.7, ResearchAgent: 6.7, CodeReviewAgent: 20 };
const SPECIALIST: Record<Kind, string> = { database: 'DatabaseAgent', research: 'ResearchAgent', review: 'CodeReviewAgent', general: 'Generalist' };
const USD_PER_ITERATION = 0.0001;

export interface SimOptions {
  seed: number;
  tasks?: number;
  concurrency?: number;
  /** Share of tasks finished when the regression starts; none when absent. */
  regressionAt?: number;
  /** Sideline good arms on an improbably losing run (and keep the records' latest outcomes for it). */
  sideline: boolean;
  /** Judge failure runs against the record before them too (arm-stats.ts ChangeRules recordBeforeRun). */
  recordBeforeRun?: boolean;
}

export interface SimRun {
  /** Among the tasks started after the regression, the position of the failing specialist's last exploit pick for its kind (null: none). */
  lastChosenAfterTasks: number | null;
  successRate: number;
  costPerSuccessUsd: number;
}

interface Flight {
  kind: Kind;
  decision: PolicyDecision;
  startedAt: number;
  endsAt: number;
  success: boolean;
  costUsd: number;
}

export function simulateRouting(o: SimOptions): SimRun {
  const tasks = o.tasks ?? 300;
  const concurrency = o.concurrency ?? 10;
  const world: RandomState = { s: (o.seed * 7919 + 1) >>> 0 };
  const rules: ChangeRules = { recovers: true, ...(o.sideline && { recentRuns: true }), ...(o.recordBeforeRun && { recordBeforeRun: true }) };
  let book = seedBook({ rules: {}, nowMs: 0, seed: o.seed, explorationShare: 0.1 });
  const past: Record<Kind, { arm: string; success: boolean }[]> = { database: [], research: [], review: [], general: [] };
  const flights: Flight[] = [];
  const pickedAfter: { kind: Kind; arm: string; explored: boolean }[] = [];
  let now = 0;
  let started = 0;
  let finished = 0;
  let regressed = false;
  let successes = 0;
  let costUsd = 0;

  const start = () => {
    const kind = KINDS[started % KINDS.length];
    const arms = [SPECIALIST[kind]];
    for (const arm of recordedArms(book.active, kind)) if (!arms.includes(arm)) arms.push(arm);
    const trial = arms.includes('Generalist') ? [] : ['Generalist'];
    arms.push(...trial);
    const evidence: Record<string, { successes: number; failures: number }> = {};
    const remembered = past[kind];
    for (let i = 0; i < Math.min(7, remembered.length); i++) {
      const r = remembered[Math.floor(uniform(world) * remembered.length)];
      const e = (evidence[r.arm] ??= { successes: 0, failures: 0 });
      if (r.success) e.successes++;
      else e.failures++;
    }
    const overdue: Record<string, number> = {};
    for (const f of flights) {
      const s = f.kind === kind ? book.active.arms[kind]?.[f.decision.choice.arm] : undefined;
      if (s && s.n >= 3 && (now - f.startedAt) * 1000 > 2.5 * s.durationMeanMs) overdue[f.decision.choice.arm] = (overdue[f.decision.choice.arm] ?? 0) + 1;
    }
    const estimatedCostUsd = Object.fromEntries(arms.map((a) => [a, PRICE[a] * 3 * USD_PER_ITERATION]));
    const decided = decide(book, { kind, arms, estimatedCostUsd, value: 1, evidence, overdue, quarantine: true, probe: true, ...(o.sideline && { sideline: true }), ...(trial.length > 0 && { trial }) });
    book = decided.book;
    const arm = decided.decision.choice.arm;
    const success = uniform(world) < scenarioRate(kind, arm, regressed);
    const iterations = success ? 1 + Math.floor(uniform(world) * 3) : 6;
    flights.push({ kind, decision: decided.decision, startedAt: now, endsAt: now + iterations * (0.8 + 0.4 * uniform(world)), success, costUsd: iterations * USD_PER_ITERATION * PRICE[arm] });
    if (regressed) pickedAfter.push({ kind, arm, explored: decided.decision.choice.mode === 'explore' });
    started++;
  };

  while (finished < tasks) {
    while (flights.length < concurrency && started < tasks) start();
    flights.sort((a, b) => a.endsAt - b.endsAt);
    const f = flights.shift()!;
    now = f.endsAt;
    successes += f.success ? 1 : 0;
    costUsd += f.costUsd;
    book = observe(book, { kind: f.kind, decision: f.decision, success: f.success, costUsd: f.costUsd, durationMs: (f.endsAt - f.startedAt) * 1000, value: 1, words: [] }, Math.round(now * 1000), rules);
    past[f.kind].push({ arm: f.decision.choice.arm, success: f.success });
    finished++;
    if (!regressed && o.regressionAt !== undefined && finished >= Math.round(tasks * o.regressionAt)) regressed = true;
  }
  let last: number | null = null;
  pickedAfter.forEach((t, i) => {
    if (t.kind === REGRESSION.kind && t.arm === REGRESSION.specialist && !t.explored) last = i + 1;
  });
  return { lastChosenAfterTasks: last, successRate: successes / tasks, costPerSuccessUsd: costUsd / Math.max(1, successes) };
}

export interface SimSummary {
  runs: number;
  /** Runs whose failing specialist lost its exploit picks within `within` tasks. */
  lostWithin: number;
  meanSuccessRate: number;
  meanCostPerSuccessUsd: number;
}

/** `runs` seeded runs (seeds 1 … runs). */
export function summarise(runs: number, options: Omit<SimOptions, 'seed'>, within = LOSES_TRAFFIC_WITHIN): SimSummary {
  let lostWithin = 0;
  let success = 0;
  let cost = 0;
  for (let seed = 1; seed <= runs; seed++) {
    const r = simulateRouting({ ...options, seed });
    if (r.lastChosenAfterTasks === null || r.lastChosenAfterTasks <= within) lostWithin++;
    success += r.successRate;
    cost += r.costPerSuccessUsd;
  }
  return { runs, lostWithin, meanSuccessRate: success / runs, meanCostPerSuccessUsd: cost / runs };
}
