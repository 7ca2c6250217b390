/**
 * Routing benchmark (issue 8): several hundred tasks of a mixed workload through the real God and
 * agentTask workflows, in a world the offline provider simulates (bench/routing/mix.ts: each
 * specialist's success rate per task kind; cost from its model's price), twice on one dev server:
 *
 *   learned — God routes with the learned policy (src/routing/policy): Thompson sampling with a
 *             cost penalty, kinds and evidence from memory, rewrites, canaries, rollbacks;
 *   static  — God routes as before the policy: keyword rules, then the classifier.
 *
 * Midway (at --regression-at of the tasks finished) the best specialist for database work starts
 * failing. Prints per phase: success rate, cost per success, the share of exploit picks after
 * task 200 that chose the kind's best arm, how long the failing specialist kept its traffic, and
 * the policy's versions, promotions and rollbacks.
 *
 *   npm run bench:routing                       (300 tasks, concurrency 10, regression at 60 %)
 *   npm run bench:routing -- --tasks 120 --concurrency 8 [--seed 7] [--json]
 *
 * The learned phase runs first, so the static phase's outcomes are not in memory when the learned
 * policy reads it (the static phase does not read memory to route).
 */
import { setMaxListeners } from 'node:events';
import os from 'node:os';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { updateRetryingUnaccepted } from '../src/client/update-retry';
import { defaultPayloadConverter, WorkflowNotFoundError } from '@temporalio/common';
import { godDecisionsQuery, godStatusQuery, routingHistoryQuery, routingPolicyQuery, submitTaskUpdate } from '../src/workflows/god-api';
import { successMean } from '../src/routing/policy/arm-stats';
import { PICKED_AT_START } from '../src/god/routing';
import type { TaskOutcome } from '../src/workflows/task-state';
import { closedResult } from '../src/tasks/closed-outcome';
import { installQuietRuntime, startBenchEnvironment, type BenchEnvironment, type Progress } from './environment';
import { baseScenario, regressedScenario, REGRESSION, routingMix, type MixTask } from './routing/mix';
import { bestArm, LOSES_TRAFFIC_WITHIN, meanCostBySpecialist, phaseFigures, startsWhileRunning, type PhaseFigures, type RoutedTask } from './routing/measure';
import { didYouMean } from '../src/client/parse-args';

interface Options {
  tasks: number;
  concurrency: number;
  seed: number;
  regressionAt: number;
  exploitFrom: number;
  json: boolean;
}

const USAGE = `usage: npm run bench:routing -- [--tasks N] [--concurrency C] [--seed S] [--regression-at F] [--exploit-from K] [--json]
  --tasks N           tasks per phase (default 300)
  --concurrency C     tasks God keeps in flight (default 10)
  --seed S            task mix and scenario seed (default 7)
  --regression-at F   inject the regression when this share of the tasks has finished (default 0.6)
  --exploit-from K    count exploit picks from the K-th task on (default 200, or half of N when N ≤ 200)
  --json              print one JSON object`;

class UsageError extends Error {}

const VALUED = ['--tasks', '--concurrency', '--seed', '--exploit-from', '--regression-at'];

export function parseRoutingArgs(argv: readonly string[]): Options | undefined {
  const o: Partial<Options> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return undefined;
    if (arg === '--json') {
      o.json = true;
      continue;
    }
    // Before taking a value: a misspelt switch (`--jsno`) was told it "needs a value".
    if (!VALUED.includes(arg)) throw new UsageError(`unknown option "${arg}"${didYouMean(arg, [...VALUED, '--json', '--help'])}`);
    const value = argv[++i];
    if (value === undefined) throw new UsageError(`${arg}: needs a value`);
    const num = Number(value);
    const whole = (min: number) => {
      if (!Number.isInteger(num) || num < min) throw new UsageError(`${arg}: must be a whole number of at least ${min}, got "${value}"`);
      return num;
    };
    switch (arg) {
      case '--tasks':
        o.tasks = whole(8);
        break;
      case '--concurrency':
        o.concurrency = whole(1);
        break;
      case '--seed':
        o.seed = whole(0);
        break;
      case '--exploit-from':
        o.exploitFrom = whole(0);
        break;
      case '--regression-at':
        if (!(num > 0 && num < 1)) throw new UsageError(`--regression-at: must be a share between 0 and 1, got "${value}"`);
        o.regressionAt = num;
        break;
      default:
        throw new UsageError(`unknown option "${arg}"${didYouMean(arg, [...VALUED, '--json', '--help'])}`);
    }
  }
  const tasks = o.tasks ?? 300;
  return { tasks, concurrency: o.concurrency ?? 10, seed: o.seed ?? 7, regressionAt: o.regressionAt ?? 0.6, exploitFrom: o.exploitFrom ?? (tasks > 200 ? 200 : Math.floor(tasks / 2)), json: o.json ?? false };
}

type Mode = 'learned' | 'static';

interface PhaseRun {
  mode: Mode;
  tasks: RoutedTask[];
  /** Refused by God before they started (pre-flight validation): not routed, left out. */
  notStarted: number;
  regressionInjectedAfter: number;
  wallMs: number;
  policy?: {
    active: number;
    versions: number;
    audit: Array<{ kind: string; version: number; detail: string; afterTasks?: number }>;
    /** The active version's record at the end, per kind and arm: runs (decayed), success mean, mean cost and duration. */
    arms: Record<string, Record<string, { n: number; success: number; costUsd: number; durationMs: number; changed?: true }>>;
  };
  /** Why God still chose the regressed specialist for its kind after the regression (its route decisions). */
  regressedPicks?: Array<{ order: number; mode?: string; completed: boolean; why: string; reportedAfterStarts?: number }>;
  /** God's reason for each task it routed (the decisions seen while the phase ran), by task id. */
  routeDetails: ReadonlyMap<string, string>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Submits one task to God; false when God's queue is full for now (it says so, naming its bound):
 * the next round tries again. Any other refusal fails the run with God's own reason.
 */
async function submitToGod(god: WorkflowHandle, taskId: string, task: MixTask['input']): Promise<boolean> {
  try {
    // Refused before God accepted it (a God workflow task failed under load): asked again.
    await updateRetryingUnaccepted(() => god.executeUpdate(submitTaskUpdate, { args: [{ taskId, task }] }));
    return true;
  } catch (err) {
    const reason = err instanceof WorkflowUpdateFailedError && err.cause ? err.cause.message : `${String(err)}${err instanceof Error && err.cause ? ` (${String(err.cause)})` : ''}`;
    if (/queue is full|queue holds/.test(reason)) return false;
    throw new Error(`God refused ${taskId}: ${reason}`);
  }
}

/**
 * A query of God, asked again a few times: on 2 loaded cores God's workflow can be evicted from
 * the worker's cache and replay for several seconds, and a query in that window times out.
 */
async function askGod<T>(ask: () => Promise<T>, attempts = 6): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await ask();
    } catch (err) {
      if (i >= attempts) throw err;
      await sleep(2000);
    }
  }
}

/** Tasks God is done with: finished, or refused before they started (rejected, dropped). */
async function doneCount(god: WorkflowHandle): Promise<number> {
  const { counters, awaitingReview } = await askGod(() => god.query(godStatusQuery));
  // Nothing here should need a person: a review would stall the phase for a day.
  if (awaitingReview > 0) throw new Error(`${awaitingReview} task(s) wait for review in ${god.workflowId}; the mix must hold no irreversible or dear task`);
  return counters.finished + counters.rejected + counters.dropped;
}

/** The task's input as it was started (God's decision rides on it: `routing.mode`). */
async function startedInput(env: BenchEnvironment, taskId: string): Promise<{ specialist?: string; routing?: { mode?: string; policyVersion?: number } } | undefined> {
  const history = await env.client.workflow.getHandle(taskId).fetchHistory();
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  return payload ? defaultPayloadConverter.fromPayload(payload) : undefined;
}

async function runPhase(env: BenchEnvironment, mode: Mode, mix: MixTask[], options: Options, runId: string, progress: Progress): Promise<PhaseRun> {
  env.provider.setScenario(baseScenario(options.seed));
  const godId = `bench-routing-${mode}-${runId}`;
  const god = await env.client.workflow.start('god', {
    workflowId: godId,
    taskQueue: env.taskQueue,
    // Routing alone is measured: no spawned specialists, no reviews for unsure routes (the
    // classifier's pick runs), no pacing against the day's budget.
    args: [{ config: { tickSeconds: 1, pacing: 'none', maxInFlight: options.concurrency, taskQueue: env.taskQueue, routing: mode, routingProbes: true, routingSeed: options.seed, lowConfidence: 0, maxLiveSpawned: 0, maxSpawnsPerDay: 0 } }],
  });
  const phaseStarted = performance.now();
  const ids = mix.map((_, i) => `${godId}-t${i}`);
  const regressAfter = Math.round(options.tasks * options.regressionAt);
  let submitted = 0;
  let finished = 0;
  let regressedAtMs: number | undefined;
  let lastReport = 0;
  const routeDetails = new Map<string, string>();
  try {
    while (finished < mix.length) {
      // Keep a little more than God can start queued: God decides in queue order as room frees.
      while (submitted < mix.length && submitted - finished < options.concurrency * 2) {
        if (!(await submitToGod(god, ids[submitted], mix[submitted].input))) break;
        submitted++;
      }
      await sleep(500);
      finished = await doneCount(god);
      // God keeps its last 50 decisions: read them as they come to explain the picks afterwards.
      // The pick that ran is the one made at start (God's `admitted` record says so), else the assessment's.
      for (const d of await askGod(() => god.query(godDecisionsQuery))) {
        if (!d.taskId) continue;
        const atStart = d.kind === 'admitted' ? d.detail.indexOf(PICKED_AT_START) : -1;
        if (atStart >= 0) routeDetails.set(d.taskId, d.detail.slice(atStart));
        else if (d.kind === 'route' && !routeDetails.get(d.taskId)?.startsWith(PICKED_AT_START)) routeDetails.set(d.taskId, d.detail);
      }
      if (regressedAtMs === undefined && finished >= regressAfter) {
        env.provider.setScenario(regressedScenario(options.seed));
        regressedAtMs = Date.now();
        progress(`${mode}: ${finished} finished; regression injected (${REGRESSION.specialist} now fails ${REGRESSION.kind} tasks)`);
      }
      if (finished - lastReport >= 25) {
        lastReport = finished;
        progress(`${mode}: ${finished}/${mix.length} finished`);
      }
    }
    const started: Array<{ task: RoutedTask; startMs: number; closeMs?: number }> = [];
    let notStarted = 0;
    for (const [i, id] of ids.entries()) {
      const handle = env.client.workflow.getHandle(id);
      if (!(await handle.describe().then(() => true, (err: unknown) => (err instanceof WorkflowNotFoundError ? false : Promise.reject(err))))) {
        notStarted++;
        continue;
      }
      const [outcome, description, input] = await Promise.all([closedResult<TaskOutcome>(handle), handle.describe(), startedInput(env, id)]);
      const routing = input?.routing;
      const startMs = description.startTime.getTime();
      const task: RoutedTask = {
        order: i,
        taskId: id,
        kind: mix[i].kind,
        specialist: outcome.specialist ?? '(none)',
        ...(input?.specialist && { routedTo: input.specialist }),
        completed: outcome.status === 'completed',
        costUsd: outcome.costUsd,
        ...(routing?.mode === 'exploit' || routing?.mode === 'explore' ? { mode: routing.mode } : {}),
        ...(routing?.policyVersion !== undefined && { policyVersion: routing.policyVersion }),
        afterRegression: regressedAtMs !== undefined && startMs >= regressedAtMs,
      };
      started.push({ task, startMs, closeMs: description.closeTime?.getTime() });
    }
    // In the order God started them (what the policy had learned by then).
    started.sort((a, b) => a.startMs - b.startMs);
    const tasks = started.map(({ task }, order) => ({ ...task, order }));
    const starts = started.map((s) => s.startMs);
    // How many tasks God started before it heard how each one ended (its close).
    const reportedAfter = (order: number) => {
      const { startMs, closeMs } = started[order];
      return closeMs === undefined ? undefined : startsWhileRunning(starts, startMs, closeMs);
    };
    if (notStarted > 0) progress(`${mode}: ${notStarted} tasks refused before they started (left out of the figures)`);
    const run: PhaseRun = { mode, tasks, notStarted, regressionInjectedAfter: regressAfter, wallMs: performance.now() - phaseStarted, routeDetails };
    const regressed = tasks.filter((t) => t.afterRegression && t.kind === REGRESSION.kind && t.specialist === REGRESSION.specialist);
    if (mode === 'learned') {
      run.regressedPicks = regressed.map((t) => {
        const after = reportedAfter(t.order);
        return { order: t.order, ...(t.mode && { mode: t.mode }), completed: t.completed, why: (t.taskId && routeDetails.get(t.taskId)) ?? '(decision not seen)', ...(after !== undefined && { reportedAfterStarts: after }) };
      });
    }
    if (mode === 'learned') {
      const [history, view] = await Promise.all([askGod(() => god.query(routingHistoryQuery)), askGod(() => god.query(routingPolicyQuery))]);
      const round = (x: number, digits: number) => Number(x.toFixed(digits));
      const arms = Object.fromEntries(
        Object.entries(view.active.arms).map(([kind, byArm]) => [
          kind,
          Object.fromEntries(Object.entries(byArm).map(([arm, s]) => [arm, { n: round(s.n, 1), success: round(successMean(s), 2), costUsd: round(s.costMeanUsd, 5), durationMs: Math.round(s.durationMeanMs), ...(s.changed && { changed: true as const }) }])),
        ]),
      );
      run.policy = { active: history.active, versions: history.versions.length, audit: history.audit.map((a) => ({ kind: a.kind, version: a.version, detail: a.detail })), arms };
    }
    return run;
  } finally {
    await god.terminate('benchmark phase over').catch(() => undefined);
  }
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)} %`;
}

function render(options: Options, phases: Record<Mode, PhaseFigures>, runs: Record<Mode, PhaseRun>, env: BenchEnvironment, missed: ReadonlyArray<{ kind: string; specialist: string }>): string {
  const { learned, static: rules } = phases;
  const saving = 1 - learned.costPerSuccessUsd / rules.costPerSuccessUsd;
  const lines = [
    `routing benchmark: ${options.tasks} tasks per phase, concurrency ${options.concurrency}, seed ${options.seed}; ${env.server.kind} ${env.server.address}; ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}`,
    '',
    '| | static rules | learned policy | target |',
    '|---|---|---|---|',
    `| success rate | ${pct(rules.successRate)} | ${pct(learned.successRate)} | |`,
    `| cost per success | $${rules.costPerSuccessUsd.toFixed(5)} | $${learned.costPerSuccessUsd.toFixed(5)} (${saving >= 0 ? '−' : '+'}${pct(Math.abs(saving))}) | ≥ 20 % below static |`,
    `| exploit picks of the best arm from task ${learned.exploit.fromTask} | — | ${pct(learned.exploit.bestShare)} of ${learned.exploit.picks} | ≥ 80 % |`,
  ];
  for (const [name, f] of [['static rules', rules], ['learned policy', learned]] as const) {
    const r = f.regression;
    if (!r) continue;
    lines.push(
      `| ${name}: ${r.specialist} after it starts failing ${r.kind} tasks | ${r.lastChosenAfterTasks === null ? 'never chosen again' : `last chosen ${r.lastChosenAfterTasks} tasks later`}${r.lastPickAfterTasks !== r.lastChosenAfterTasks && r.lastPickAfterTasks !== null ? ` (last explored ${r.lastPickAfterTasks} later)` : ''}; ${r.picksAfter} of ${r.kindTasksAfter} ${r.kind} tasks; from the ${LOSES_TRAFFIC_WITHIN}th task after on chosen for ${r.chosenLater} of ${r.kindTasksLater}${r.reassignedOnto > 0 ? `; ${r.reassignedOnto} of them reassigned onto it, routed elsewhere (the routing's last pick of it: ${r.lastRoutedAfterTasks ?? 'none'} tasks later)` : ''} | | within ${LOSES_TRAFFIC_WITHIN} tasks |`,
    );
  }
  const heard = (runs.learned.regressedPicks ?? []).flatMap((p) => (p.reportedAfterStarts === undefined ? [] : [p.reportedAfterStarts]));
  if (heard.length > 0) {
    lines.push(`| learned policy: how late God heard how the failing specialist's runs ended | ${heard.join(', ')} tasks started meanwhile (its ${heard.length} runs after the regression, in order) | | |`);
  }
  lines.push('', 'routes (kind → specialist: tasks):');
  for (const [name, f] of [['static', rules], ['learned', learned]] as const) {
    lines.push(`  ${name}: ${Object.entries(f.routes).map(([kind, by]) => `${kind} {${Object.entries(by).map(([s, n]) => `${s} ${n}`).join(', ')}}`).join('; ')}`);
  }
  const policy = runs.learned.policy;
  if (policy) {
    lines.push('', `policy: v${policy.active} active, ${policy.versions} versions; audit:`);
    for (const a of policy.audit) lines.push(`  ${a.kind} v${a.version}: ${a.detail}`);
  }
  if (missed.length > 0) {
    const byPick = new Map<string, number>();
    for (const { kind, specialist } of missed) {
      const pick = `${kind} → ${specialist}`;
      byPick.set(pick, (byPick.get(pick) ?? 0) + 1);
    }
    lines.push('', `exploit picks not of the best arm (--json lists each with God's reason): ${[...byPick].map(([pick, n]) => `${pick} ${n}`).join(', ')}`);
  }
  const arms = runs.learned.policy?.arms;
  if (arms) {
    lines.push('', 'learned arms at the end (kind: arm runs/success/mean cost):');
    for (const [kind, byArm] of Object.entries(arms)) lines.push(`  ${kind}: ${Object.entries(byArm).map(([arm, a]) => `${arm} ${a.n}/${pct(a.success)}/$${a.costUsd.toFixed(5)}${a.changed ? ' (changed)' : ''}`).join(', ')}`);
  }
  lines.push('', `wall time: learned ${(runs.learned.wallMs / 1000).toFixed(0)} s, static ${(runs.static.wallMs / 1000).toFixed(0)} s`);
  return lines.join('\n');
}

async function main(): Promise<number> {
  let options: Options | undefined;
  try {
    options = parseRoutingArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
  if (!options) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  setMaxListeners(100);
  // Dead-lettered tasks are half of what this bench is about: the SDK's warning for each failed
  // workflow would bury the progress lines.
  installQuietRuntime(undefined, 'ERROR');
  const progress: Progress = (m) => process.stderr.write(`${m}\n`);
  const runId = Date.now().toString(36);
  const env = await startBenchEnvironment({ latencyMs: 0, runId, progress });
  try {
    const mix = routingMix(options.tasks, options.seed);
    const runs = {} as Record<Mode, PhaseRun>;
    for (const mode of ['learned', 'static'] as const) {
      progress(`phase ${mode}: ${options.tasks} tasks`);
      runs[mode] = await Promise.race([runPhase(env, mode, mix, options, runId, progress), env.workerFailure]);
    }
    const meanCost = meanCostBySpecialist([...runs.learned.tasks, ...runs.static.tasks]);
    const phases = { learned: phaseFigures(runs.learned.tasks, meanCost, options.exploitFrom), static: phaseFigures(runs.static.tasks, meanCost, options.exploitFrom) };
    // The exploit picks the share counts as misses, with God's reason: what kept the best arm out.
    const missedPicks = runs.learned.tasks
      .filter((t) => t.order >= options!.exploitFrom && t.mode === 'exploit' && t.specialist !== bestArm(t.kind, t.afterRegression, meanCost))
      .map((t) => ({ order: t.order, kind: t.kind, specialist: t.specialist, completed: t.completed, why: (t.taskId && runs.learned.routeDetails.get(t.taskId)) ?? '(decision not seen)' }));
    if (options.json) process.stdout.write(`${JSON.stringify({ ok: true, options, phases, policy: runs.learned.policy, regressedPicks: runs.learned.regressedPicks, missedPicks, meanCostUsd: Object.fromEntries(meanCost) }, null, 2)}\n`);
    else process.stdout.write(`${render(options, phases, runs, env, missedPicks)}\n`);
    return 0;
  } finally {
    await env.close();
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`bench:routing failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
