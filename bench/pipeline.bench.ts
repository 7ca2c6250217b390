/**
 * Pipeline benchmark: N tasks through the full agentTask workflow (validate → route →
 * run-specialist → store-memory) at concurrency C against an offline provider with a fixed
 * latency, compared with the lower bound of making the same LLM calls in a plain loop, and with
 * bare Temporal: a workflow running the same activity executions per task that only wait as long
 * as the pipeline's waited on the provider (bench/bare/). Prints issue 11's targets next to the
 * measured efficiency, overhead ratio and ledger share.
 *
 *   npm run bench                      (the targets' setting: 100 tasks, concurrency 20, 1000 ms)
 *   npm run bench -- --tasks 30 --concurrency 5 --latency 50 [--json]
 *
 * Self-contained: starts an in-memory dev server (unless TEMPORAL_ADDRESS is set), an offline
 * provider, a temp SQLite memory store, a budget ledger of its own (every LLM call of the pipeline
 * reserves and settles through it, as in a worker) and an in-process worker, and tears all of them down.
 * Exit 0 on success; 1 with the reason on stderr (and `{"ok": false, ...}` with --json) otherwise.
 */
import { setMaxListeners } from 'node:events';
import os from 'node:os';
import { createConfiguredLlmClient } from '../src/llm/providers';
import { parseArgs, USAGE, UsageError, type BenchOptions } from './args';
import { createSdkMetricsProbe, sdkMetricsSection, type PhaseMetrics, type SdkMetricsProbe } from './sdk-metrics';
import { runBare, type BareRun } from './bare/phase';
import { cpuMark, cpuSection, phaseCpu, type CpuMark, type CpuPhases } from './cpu';
import { barePlan, type BareStep } from './bare/plan';
import { budgetSection, LEDGER_SHARE_TARGET, ledgerMsPerTask, unbudgetedSection, type BudgetPhase } from './budget';
import { bareSection, breakdownSection, targetsSection, type TaskTrace } from './engine';
import { fetchTimelines } from './histories';
import { installQuietRuntime, startBenchEnvironment, type BenchEnvironment, type Progress } from './environment';
import { BenchFailure, callsByTask, checkTasks, runLowerBound, runPipeline, type LowerBoundSample, type PhaseResult, type PipelineSample } from './phases';
import { fmtMs, fmtNum, renderJson, renderText, summaryJson, summaryRow, SUMMARY_COLUMNS, type Report, type Section } from './report';
import { mean, round, summarize } from './stats';
import { benchTasks } from './tasks';
import { onStopSignals } from '../src/runtime/stop-signals';

/** What a section builder can use: the live environment and everything measured so far. */
export interface MeasureContext {
  env: BenchEnvironment;
  options: BenchOptions;
  runId: string;
  signal: AbortSignal;
  progress: Progress;
  pipeline: PhaseResult<PipelineSample>;
  lowerBound: PhaseResult<LowerBoundSample>;
  /** Per measured task: its LLM calls, provider time and orchestration overhead. */
  accounting: TaskAccounting[];
  /** The budget gate's round trips during the measured pipeline (not the warm-up). */
  budget: BudgetPhase;
  /** The pipeline's tasks' bare twins, run after the lower bound. */
  bare: BareRun;
  barePlans: BareStep[][];
  pipelineTraces: TaskTrace[];
  bareTraces: TaskTrace[];
  /** CPU per task of each measured phase (this process and, when ours, the server). */
  cpu: CpuPhases;
}

/**
 * Extra measurements, each adding one section after the comparison (and one key to --json), run
 * while the environment is still up. E.g. a budget ledger's reservation round-trip:
 *   async (ctx) => ({ key: 'budgetLedger', title: 'Budget ledger reservation round-trip', columns: SUMMARY_COLUMNS, rows: [...], data: {...} })
 */
const EXTRA_SECTIONS: Array<(ctx: MeasureContext) => Promise<Section>> = [
  async ({ env, accounting, budget }) =>
    (env.ledger ? budgetSection : unbudgetedSection)({
      phase: budget,
      ledgerId: env.budget.ledgerId,
      ledgerQueue: env.budget.taskQueue,
      tasks: accounting.length,
      llmCalls: accounting.reduce((s, a) => s + a.calls, 0),
      meanOverheadMs: mean(accounting.map((a) => a.overheadMs)),
      outstanding: (await env.budget.snapshot()).outstanding.count,
    }),
];

/** Offsets keep warm-up tasks distinct from measured ones (the generator is deterministic). */
const WARMUP_TASK_OFFSET = 100_000;

export interface TaskAccounting {
  calls: number;
  providerMs: number;
  clientLlmMs: number;
  overheadMs: number;
  overheadBeyondClientMs: number;
}

async function measure(env: BenchEnvironment, options: BenchOptions, runId: string, signal: AbortSignal, progress: Progress, probe?: SdkMetricsProbe): Promise<Report> {
  const { tasks: n, concurrency, latencyMs, warmup } = options;
  const warmTasks = checkTasks(env, benchTasks(warmup, WARMUP_TASK_OFFSET));
  const tasks = checkTasks(env, benchTasks(n));
  const warmIds = warmTasks.map((_, i) => `bench-${runId}-warmup-${i + 1}`);
  const ids = tasks.map((_, i) => `bench-${runId}-task-${i + 1}`);

  // 1. Warm-up: not measured.
  if (warmup > 0) {
    progress(`warm-up: ${warmup} task(s) at concurrency ${concurrency}`);
    await runPipeline(env, warmTasks, warmIds, { concurrency, taskTimeoutMs: options.taskTimeoutMs, signal });
  }

  // 2. Pipeline, its budget gate fresh so its stats hold the measured tasks only.
  await env.budget.newPhase();
  env.provider.resetCalls();
  progress(`pipeline: ${n} task(s) at concurrency ${concurrency}, ${latencyMs} ms per LLM call`);
  await probe?.start();
  const pipelineCpuFrom = cpuMark(env.serverPgid);
  const pipeline = await runPipeline(env, tasks, ids, { concurrency, taskTimeoutMs: options.taskTimeoutMs, signal });
  const pipelineCpu = phaseCpu(pipelineCpuFrom, cpuMark(env.serverPgid), n);
  const sdkPhases: Record<string, PhaseMetrics> = {};
  if (probe) sdkPhases.pipeline = await probe.stop();
  const budget = env.budget.phase();

  // 3. Provider time per task, from the provider's own log. The log records arrival times only,
  // not durations, so each call counts the fixed latency (jitter is 0); the worker's recording
  // client adds the client-side duration of each call for a second, tighter overhead figure.
  const pipelineLog = callsByTask(env.provider.calls());
  const accounting = pipeline.samples.map((s): TaskAccounting => {
    const logged = pipelineLog.byTask.get(s.workflowId) ?? [];
    const recorded = env.llm.callsOf(s.workflowId);
    if (logged.length === 0) throw new BenchFailure(`task ${s.workflowId}: the provider logged no LLM calls for it`);
    if (logged.length !== recorded.length) {
      throw new BenchFailure(`task ${s.workflowId}: the provider logged ${logged.length} call(s) but the worker made ${recorded.length}`);
    }
    const providerMs = logged.length * latencyMs;
    const clientLlmMs = recorded.reduce((sum, c) => sum + c.ms, 0);
    return { calls: logged.length, providerMs, clientLlmMs, overheadMs: s.ms - providerMs, overheadBeyondClientMs: s.ms - clientLlmMs };
  });

  // Every call went through the ledger, and the ledger said yes to each.
  const llmCalls = accounting.reduce((s, a) => s + a.calls, 0);
  if (env.ledger && budget.stats.reserve.count !== llmCalls) throw new BenchFailure(`the budget gate saw ${budget.stats.reserve.count} reservation(s) for ${llmCalls} LLM call(s)`);
  if (budget.outcomes.denied || budget.outcomes.error) {
    throw new BenchFailure(`the budget ledger denied ${budget.outcomes.denied} and failed ${budget.outcomes.error} round trip(s) under generous limits`);
  }
  if (env.budget.ledgerErrors.length) throw new BenchFailure(`settles that missed the ledger: ${env.budget.ledgerErrors.length}, first: ${env.budget.ledgerErrors[0]}`);

  // The activities each task actually ran, from its history, and what each waited on the provider:
  // the plan of its bare twin.
  progress('reading the pipeline histories');
  const pipelineHistories = await fetchTimelines(env.client, ids, signal);
  const barePlans = pipeline.samples.map((s, i): BareStep[] => {
    const { timeline } = pipelineHistories[i];
    if (timeline.overlapping) throw new BenchFailure(`task ${s.workflowId}: activities overlapped; the breakdown assumes they run one after another`);
    try {
      return barePlan(
        timeline.activities.map((a) => a.type),
        env.llm.callsOf(s.workflowId).map((c) => c.request.purpose),
        latencyMs,
      );
    } catch (err) {
      throw new BenchFailure(`task ${s.workflowId}: ${(err as Error).message}`);
    }
  });
  const pipelineTraces = pipeline.samples.map((s, i): TaskTrace => ({
    wallMs: s.ms,
    providerMs: accounting[i].providerMs,
    providerMsByActivity: barePlans[i].map((step) => step.waitsMs.reduce((a, b) => a + b, 0)),
    timeline: pipelineHistories[i].timeline,
  }));

  // 4. Lower bound: the same calls through a fresh client built the same way, no Temporal.
  const llm = createConfiguredLlmClient(env.config);
  if (warmup > 0) {
    progress('lower bound warm-up');
    await runLowerBound(
      llm,
      warmIds.map((of, i) => ({ of, taskId: `bench-${runId}-lbwarmup-${i + 1}`, calls: env.llm.callsOf(of) })),
      { concurrency, signal },
    );
  }
  env.provider.resetCalls();
  progress(`lower bound: the same ${accounting.reduce((s, a) => s + a.calls, 0)} LLM calls in a plain loop at concurrency ${concurrency}`);
  const lowerBoundCpuFrom = cpuMark(env.serverPgid);
  const lowerBound = await runLowerBound(
    llm,
    ids.map((of, i) => ({ of, taskId: `bench-${runId}-lb-${i + 1}`, calls: env.llm.callsOf(of) })),
    { concurrency, signal },
  );
  const lowerBoundCpu = phaseCpu(lowerBoundCpuFrom, cpuMark(env.serverPgid), n);
  const lbLog = callsByTask(env.provider.calls());
  for (const s of lowerBound.samples) {
    const logged = lbLog.byTask.get(s.taskId)?.length ?? 0;
    if (logged !== s.calls) throw new BenchFailure(`lower bound for ${s.of}: the provider logged ${logged} call(s), expected ${s.calls}`);
  }
  if (env.alerts.length) throw new BenchFailure(`the activities raised ${env.alerts.length} alert(s), first: ${env.alerts[0].kind}: ${env.alerts[0].message}`);

  // 5. Bare Temporal: each task's twin, same server, same concurrency, its own worker and warm-up.
  const bareIds = ids.map((_, i) => `bench-${runId}-bare-${i + 1}`);
  const bareCpuMarks: Partial<Record<'start' | 'end', CpuMark>> = {};
  await probe?.start();
  const bare = await runBare(env, barePlans, bareIds, {
    concurrency,
    warmup,
    warmupIds: warmIds.map((_, i) => `bench-${runId}-barewarmup-${i + 1}`),
    taskTimeoutMs: options.taskTimeoutMs,
    signal,
    progress,
    onMeasured: (edge) => (bareCpuMarks[edge] = cpuMark(env.serverPgid)),
  });
  if (probe) sdkPhases.bare = await probe.stop();
  const bareHistories = await fetchTimelines(env.client, bareIds, signal);
  const bareTraces = bare.samples.map((s, i): TaskTrace => ({
    wallMs: s.ms,
    providerMs: s.waitMs,
    providerMsByActivity: barePlans[i].map((step) => step.waitsMs.reduce((a, b) => a + b, 0)),
    timeline: bareHistories[i].timeline,
  }));

  if (!bareCpuMarks.start || !bareCpuMarks.end) throw new BenchFailure('the bare phase did not report when its measured tasks ran');
  const cpu: CpuPhases = { pipeline: pipelineCpu, lowerBound: lowerBoundCpu, bare: phaseCpu(bareCpuMarks.start, bareCpuMarks.end, n) };
  const ctx: MeasureContext = { env, options, runId, signal, progress, pipeline, lowerBound, accounting, budget, bare, barePlans, pipelineTraces, bareTraces, cpu };
  const sections = buildSections(ctx, accounting, pipelineLog.unattributed);
  for (const extra of EXTRA_SECTIONS) sections.push(await extra(ctx));
  sections.push(...engineSections(ctx));
  sections.push(
    cpuSection(cpu, {
      ledgerUpdatesPerTask: budget.stats.ledgerUpdates / n,
      workflowTasksPerTask: { pipeline: mean(pipelineTraces.map((t) => t.timeline.workflowTasks)), bare: mean(bareTraces.map((t) => t.timeline.workflowTasks)) },
    }),
  );
  if (probe) sections.push(sdkMetricsSection(sdkPhases));
  return { title: 'Pantheon pipeline benchmark', sections };
}

/** The pipeline against bare Temporal, and issue 11's targets. */
function engineSections(ctx: MeasureContext): Section[] {
  const { options, pipeline, lowerBound, accounting, budget, bare, pipelineTraces, bareTraces } = ctx;
  const ledgerMs = ledgerMsPerTask(budget, accounting.length);
  const pipelineOverheadMs = mean(accounting.map((a) => a.overheadMs));
  return [
    breakdownSection(pipelineTraces, bareTraces, ledgerMs, options.concurrency),
    targetsSection({
      setting: { latencyMs: options.latencyMs, tasks: options.tasks, concurrency: options.concurrency },
      pipelineThroughput: pipeline.samples.length / pipeline.wallMs,
      plainLoopThroughput: lowerBound.samples.length / lowerBound.wallMs,
      bareThroughput: bare.samples.length / bare.wallMs,
      pipelineOverheadMs,
      bareOverheadMs: mean(bare.samples.map((s) => s.ms - s.waitMs)),
      ledgerShare: ledgerMs / pipelineOverheadMs,
      ledgerShareTarget: LEDGER_SHARE_TARGET,
      judged: ctx.env.ledger,
    }),
  ];
}

function machineData() {
  const cpus = os.cpus();
  return {
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryGiB: round(os.totalmem() / 2 ** 30, 1),
    /** 1/5/15-minute load at report time: the run shares the CPUs with anything else running. */
    loadAverage: os.loadavg().map((l) => round(l, 2)),
    node: process.version,
    temporalSdk: (require('@temporalio/worker/package.json') as { version: string }).version,
  };
}

function buildSections(ctx: MeasureContext, accounting: TaskAccounting[], unattributed: number): Section[] {
  const { env, options, pipeline, lowerBound } = ctx;
  const n = pipeline.samples.length;
  const server = env.server;
  const serverText =
    server.kind === 'dev-server'
      ? `temporal dev server (in-memory, headless) at ${server.address}${server.cliVersion ? `, ${server.cliVersion}` : ''}`
      : `TEMPORAL_ADDRESS ${server.address}`;
  const calls = accounting.map((a) => a.calls);
  const callMix = [...new Set(calls)].sort((a, b) => a - b).map((c) => `${calls.filter((x) => x === c).length}×${c}`).join(', ');
  const specialists = [...new Set(pipeline.samples.map((s) => s.specialist ?? '?'))].join(', ');
  const machine = machineData();

  const setup: Section = {
    key: 'setup',
    title: 'Setup',
    rows: [
      ['server', serverText],
      ['namespace / task queue', `${server.namespace} / ${env.taskQueue}`],
      ['tasks (N)', `${n} measured + ${options.warmup} warm-up`],
      ['concurrency (C)', String(options.concurrency)],
      ['LLM latency', `${options.latencyMs} ms per call, no jitter (offline provider)`],
      ['task mix', `${specialists}, routed by rules; LLM calls per task: ${callMix}`],
      ['workflow bundle', `built once in ${fmtMs(env.bundleMs)} ms`],
    ],
    data: {
      server,
      taskQueue: env.taskQueue,
      tasks: n,
      warmup: options.warmup,
      concurrency: options.concurrency,
      latencyMs: options.latencyMs,
      jitterMs: 0,
      specialists: specialists.split(', '),
      callsPerTask: Object.fromEntries([...new Set(calls)].map((c) => [String(c), calls.filter((x) => x === c).length])),
      bundleMs: round(env.bundleMs),
    },
  };

  const machineSection: Section = {
    key: 'machine',
    title: 'Machine',
    rows: [
      ['os', machine.os],
      ['cpus', `${machine.cpus} × ${machine.cpuModel}`],
      ['memory', `${machine.memoryGiB} GiB`],
      ['load average', `${machine.loadAverage.join(' / ')} (1/5/15 min, at report time)`],
      ['node', machine.node],
      ['@temporalio/*', machine.temporalSdk],
    ],
    data: machine,
  };

  const latency = summarize(pipeline.samples.map((s) => s.ms));
  const provider = summarize(accounting.map((a) => a.providerMs));
  const overhead = summarize(accounting.map((a) => a.overheadMs));
  const beyondClient = summarize(accounting.map((a) => a.overheadBeyondClientMs));
  const throughput = (n / pipeline.wallMs) * 1000;
  const totalCalls = calls.reduce((s, c) => s + c, 0);
  const pipelineSection: Section = {
    key: 'pipeline',
    title: 'Pipeline: agentTask on Temporal (validate → route → run-specialist → store-memory)',
    columns: ['per task, ms', ...SUMMARY_COLUMNS.slice(1)],
    rows: [
      summaryRow('task latency', latency),
      summaryRow('provider time (calls × latency)', provider),
      summaryRow('orchestration overhead', overhead),
      summaryRow('  beyond client-measured LLM time', beyondClient),
      ['throughput', `${fmtNum(throughput)} tasks/s (${n} tasks in ${fmtNum(pipeline.wallMs / 1000)} s)`],
      ['LLM calls', `${totalCalls} (${fmtNum(mean(calls))} per task)${unattributed ? `, ${unattributed} without a task id` : ''}`],
      ['overhead share of latency', `${fmtNum((overhead.mean / latency.mean) * 100, 1)} % (mean)`],
    ],
    notes: [
      'overhead = task wall time - (its LLM calls x fixed latency); a task\'s calls are sequential',
      'it covers Temporal round-trips, activity scheduling, SQLite memory recall/write, SDK/HTTP',
      '"beyond client-measured LLM time" subtracts each call\'s client-side duration instead',
      env.ledger
        ? 'both include the budget ledger round trips (reserve before, settle after each call): see below'
        : 'no budget ledger in this run (--no-ledger): the calls were not reserved or settled',
    ],
    data: {
      throughputTasksPerSec: round(throughput, 2),
      wallMs: round(pipeline.wallMs),
      latencyMs: summaryJson(latency),
      providerMs: summaryJson(provider),
      overheadMs: summaryJson(overhead),
      overheadBeyondClientLlmMs: summaryJson(beyondClient),
      llmCalls: totalCalls,
      llmCallsPerTask: round(mean(calls), 2),
      unattributedCalls: unattributed,
    },
  };

  const lbLatency = summarize(lowerBound.samples.map((s) => s.ms));
  const lbOverhead = summarize(lowerBound.samples.map((s) => s.ms - s.calls * options.latencyMs));
  const lbThroughput = (lowerBound.samples.length / lowerBound.wallMs) * 1000;
  const ideal = options.latencyMs > 0 ? (options.concurrency * 1000) / (mean(calls) * options.latencyMs) : Number.POSITIVE_INFINITY;
  const lowerBoundSection: Section = {
    key: 'lowerBound',
    title: 'Lower bound: the same LLM calls in a plain in-process loop (no Temporal, no memory store, no budget ledger)',
    columns: ['per task, ms', ...SUMMARY_COLUMNS.slice(1)],
    rows: [
      summaryRow('task latency', lbLatency),
      summaryRow('overhead (SDK/HTTP/loop)', lbOverhead),
      ['throughput', `${fmtNum(lbThroughput)} tasks/s (${lowerBound.samples.length} tasks in ${fmtNum(lowerBound.wallMs / 1000)} s)`],
      ['latency-only ideal', Number.isFinite(ideal) ? `${fmtNum(ideal)} tasks/s (C / (calls per task × latency))` : 'n/a (latency 0)'],
    ],
    data: {
      throughputTasksPerSec: round(lbThroughput, 2),
      wallMs: round(lowerBound.wallMs),
      latencyMs: summaryJson(lbLatency),
      overheadMs: summaryJson(lbOverhead),
      idealTasksPerSec: Number.isFinite(ideal) ? round(ideal, 2) : null,
    },
  };

  const throughputRatio = throughput / lbThroughput;
  const bareOverhead = mean(ctx.bare.samples.map((s) => s.ms - s.waitMs));
  const bareEfficiency = ctx.bare.samples.length / ctx.bare.wallMs / (lowerBound.samples.length / lowerBound.wallMs);
  const comparison: Section = {
    key: 'comparison',
    title: 'Pipeline vs lower bound and bare Temporal',
    rows: [
      ['efficiency: throughput, pipeline / lower bound', `${fmtNum(throughputRatio, 3)} (${fmtNum(throughputRatio * 100, 1)} % of the lower bound)`],
      ['overhead ratio: pipeline / bare Temporal', `${fmtNum(overhead.mean / bareOverhead, 2)} (${fmtMs(overhead.mean)} ms vs ${fmtMs(bareOverhead)} ms mean per task)`],
      ['bare Temporal throughput / lower bound', `${fmtNum(bareEfficiency, 3)} (the engine alone, on this machine at this load)`],
      ['latency ratio p50 (pipeline / lower bound)', fmtNum(latency.p50 / lbLatency.p50, 3)],
      ['latency ratio p95 (pipeline / lower bound)', fmtNum(latency.p95 / lbLatency.p95, 3)],
      ['mean latency added per task', `${fmtMs(latency.mean - lbLatency.mean)} ms`],
    ],
    data: {
      throughputRatio: round(throughputRatio, 3),
      overheadRatioVsBare: round(overhead.mean / bareOverhead, 2),
      bareThroughputRatio: round(bareEfficiency, 3),
      latencyRatioP50: round(latency.p50 / lbLatency.p50, 3),
      latencyRatioP95: round(latency.p95 / lbLatency.p95, 3),
      meanLatencyAddedMs: round(latency.mean - lbLatency.mean),
    },
  };

  return [setup, machineSection, pipelineSection, lowerBoundSection, bareSection(ctx.bare, ctx.barePlans), comparison];
}

async function main(): Promise<number> {
  let options: BenchOptions | undefined;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`bench: ${err.message}\n${USAGE}\n`);
    return 1;
  }
  if (!options) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const opts = options;
  const progress: Progress = (message) => process.stderr.write(`bench: ${message}\n`);

  const abort = new AbortController();
  // Every task in flight listens for the abort (its deadline, its lower-bound replay): 20 at the default concurrency.
  setMaxListeners(Math.max(10, opts.concurrency * 3), abort.signal);
  // A second signal a second or more later quits at once (the dev server dies with us); npm's
  // relayed copy of a Ctrl-C is not a second one.
  onStopSignals((signal) => {
    progress(`${signal}: stopping and cleaning up (again to quit at once)`);
    abort.abort(new BenchFailure(`interrupted by ${signal}`));
  });

  const probe = opts.sdkMetrics ? await createSdkMetricsProbe() : undefined;
  installQuietRuntime(probe?.telemetry);
  const runId = `${Date.now().toString(36)}-${process.pid}`;
  let env: BenchEnvironment | undefined;
  let report: Report | undefined;
  let failure: unknown;
  try {
    env = await startBenchEnvironment({ latencyMs: opts.latencyMs, runId, progress, ledger: opts.ledger });
    report = await measure(env, opts, runId, abort.signal, progress, probe);
  } catch (err) {
    failure = err;
  }
  if (env) {
    progress('cleaning up');
    try {
      await env.close();
    } catch (err) {
      failure ??= err;
    }
  }

  if (failure !== undefined || !report) {
    const reason = failure instanceof Error ? failure.message : String(failure);
    process.stderr.write(`bench failed: ${reason}\n`);
    if (failure instanceof Error && !(failure instanceof BenchFailure) && failure.stack) process.stderr.write(`${failure.stack}\n`);
    if (opts.json) process.stdout.write(`${JSON.stringify({ ok: false, error: reason })}\n`);
    return 1;
  }
  process.stdout.write(opts.json ? renderJson(report) : renderText(report));
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
