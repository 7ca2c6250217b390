import type { BareRun } from './bare/phase';
import type { BareStep } from './bare/plan';
import { fmtMs, fmtNum, summaryJson, summaryRow, SUMMARY_COLUMNS, type Section } from './report';
import { mean, round, summarize } from './stats';
import type { Timeline } from './timeline';

/**
 * The pipeline against the engine: the bare Temporal phase, where each side's overhead goes
 * (from the histories' server timestamps), and issue 11's three targets next to what was measured.
 */

/** Issue 11: targets hold at this setting. */
export const TARGET_SETTING = { latencyMs: 1000, tasks: 100, concurrency: 20 } as const;
export const EFFICIENCY_TARGET = 0.9;
export const OVERHEAD_RATIO_TARGET = 1.3;

/** One measured task of either phase, with its history's timeline. */
export interface TaskTrace {
  wallMs: number;
  /** Provider time (pipeline) or the waits standing in for it (bare). */
  providerMs: number;
  /** Provider time per activity execution, in the order the activities ran. */
  providerMsByActivity: number[];
  timeline: Timeline;
}

/** Per task, ms: where the overhead (wall - provider time) went. The parts sum to the overhead. */
interface Breakdown {
  client: number;
  workflowTasks: number;
  queued: number;
  insideActivities: number;
  total: number;
}

function breakdownOf(t: TaskTrace): Breakdown {
  const { timeline } = t;
  const queued = timeline.activities.reduce((s, a) => s + a.queuedMs, 0);
  const running = timeline.activities.reduce((s, a) => s + a.runMs, 0);
  return {
    client: t.wallMs - timeline.executionMs,
    workflowTasks: timeline.outsideActivitiesMs,
    queued,
    insideActivities: running - t.providerMs,
    total: t.wallMs - t.providerMs,
  };
}

const meanOf = (traces: TaskTrace[], pick: (b: Breakdown) => number) => mean(traces.map((t) => pick(breakdownOf(t))));

/** Mean time inside each activity type beyond its provider time. */
function insideByType(traces: TaskTrace[]): Map<string, number> {
  const sums = new Map<string, { ms: number; n: number }>();
  for (const t of traces) {
    t.timeline.activities.forEach((a, i) => {
      const s = sums.get(a.type) ?? { ms: 0, n: 0 };
      s.ms += a.runMs - (t.providerMsByActivity[i] ?? 0);
      s.n += 1;
      sums.set(a.type, s);
    });
  }
  return new Map([...sums].map(([type, s]) => [type, s.ms / s.n]));
}

export function bareSection(run: BareRun, plans: BareStep[][]): Section {
  const n = run.samples.length;
  const latency = summarize(run.samples.map((s) => s.ms));
  const waits = summarize(run.samples.map((s) => s.waitMs));
  const overhead = summarize(run.samples.map((s) => s.ms - s.waitMs));
  const throughput = (n / run.wallMs) * 1000;
  const shapes = new Map<string, number>();
  for (const plan of plans) {
    const shape = plan.map((s) => (s.waitsMs.length ? `${s.activity}(${s.waitsMs.length} waits)` : s.activity)).join(' → ');
    shapes.set(shape, (shapes.get(shape) ?? 0) + 1);
  }
  return {
    key: 'bare',
    title: 'Bare Temporal: per task the same activity executions, each only waiting what the pipeline\'s waited on the provider',
    columns: ['per task, ms', ...SUMMARY_COLUMNS.slice(1)],
    rows: [
      summaryRow('task latency', latency),
      summaryRow('waits (= pipeline provider time)', waits),
      summaryRow('orchestration overhead', overhead),
      ['throughput', `${fmtNum(throughput)} tasks/s (${n} tasks in ${fmtNum(run.wallMs / 1000)} s)`],
      ...[...shapes].map(([shape, count]): string[] => [`activities (${count} task${count === 1 ? '' : 's'})`, shape]),
    ],
    notes: [
      `workflow bareTask (bench/bare/workflows.ts): no search attributes, queries or state; bundled apart in ${fmtMs(run.bundleMs)} ms`,
      `its own in-process worker (default options, like the pipeline's) on ${run.taskQueue}, same server, same concurrency`,
      'an activity that made k LLM calls sleeps k x latency (k timers); the others return at once',
    ],
    data: {
      throughputTasksPerSec: round(throughput, 2),
      wallMs: round(run.wallMs),
      latencyMs: summaryJson(latency),
      waitMs: summaryJson(waits),
      overheadMs: summaryJson(overhead),
      activityShapes: Object.fromEntries(shapes),
      bundleMs: round(run.bundleMs),
    },
  };
}

/**
 * `startedTogether`: how many tasks the phases start at once (the concurrency); traces are in
 * start order, so the first that many are the wave that queues on the worker together.
 */
export function breakdownSection(pipeline: TaskTrace[], bare: TaskTrace[], ledgerMsPerTask: number, startedTogether: number): Section {
  const row = (label: string, pick: (b: Breakdown) => number): string[] => {
    const p = meanOf(pipeline, pick);
    const b = meanOf(bare, pick);
    return [label, fmtMs(p), fmtMs(b), fmtMs(p - b)];
  };
  /** Mean per task of a timeline figure, both sides and their difference. */
  const timelineRow = (format: (x: number) => string) => (label: string, pick: (t: Timeline) => number): string[] => {
    const p = mean(pipeline.map((t) => pick(t.timeline)));
    const b = mean(bare.map((t) => pick(t.timeline)));
    return [label, format(p), format(b), format(p - b)];
  };
  const count = timelineRow((x) => fmtNum(x, 1));
  const ms = timelineRow(fmtMs);
  const perTask = (pick: (t: Timeline) => number) => ({ pipeline: round(mean(pipeline.map((t) => pick(t.timeline)))), bare: round(mean(bare.map((t) => pick(t.timeline)))) });
  /** Mean run time of the 1st, 2nd, … workflow task of a task, both sides (the first creates the workflow). */
  const byPosition = () => {
    const at = (traces: TaskTrace[], i: number) => round(mean(traces.map((t) => t.timeline.workflowTaskRunMsEach[i]).filter((x): x is number => x !== undefined)));
    const n = Math.max(0, ...pipeline.map((t) => t.timeline.workflowTaskRunMsEach.length), ...bare.map((t) => t.timeline.workflowTaskRunMsEach.length));
    return Array.from({ length: n }, (_, i) => ({ pipeline: at(pipeline, i), bare: at(bare, i) }));
  };
  const pInside = insideByType(pipeline);
  const bInside = insideByType(bare);
  const types = [...pInside.keys()];
  // The bare twin runs the same activities under one type name; compare them position by position.
  const bareInsideOf = (type: string) => {
    const positions = pipeline[0]?.timeline.activities.map((a) => a.type) ?? [];
    const i = positions.indexOf(type);
    if (i < 0) return Number.NaN;
    return mean(bare.map((t) => (t.timeline.activities[i]?.runMs ?? Number.NaN) - (t.providerMsByActivity[i] ?? 0)));
  };
  /** Total overhead of the first wave and of the rest, both sides and the ratio of each. */
  const wave = Math.min(startedTogether, pipeline.length, bare.length);
  const overheadOf = (p: TaskTrace[], b: TaskTrace[]) => {
    const pipelineMs = meanOf(p, (x) => x.total);
    const bareMs = meanOf(b, (x) => x.total);
    // Where each side's overhead went in this wave: tasks started together queue on the same threads.
    const parts = (t: TaskTrace[]) => ({
      client: round(meanOf(t, (x) => x.client)),
      workflowTasksQueued: round(mean(t.map((x) => x.timeline.workflowTaskQueuedMs))),
      workflowTasksRun: round(mean(t.map((x) => x.timeline.workflowTaskRunMs))),
      workflowTasksOther: round(meanOf(t, (x) => x.workflowTasks) - mean(t.map((x) => x.timeline.workflowTaskQueuedMs + x.timeline.workflowTaskRunMs))),
      insideActivities: round(meanOf(t, (x) => x.insideActivities)),
    });
    return { tasks: p.length, pipelineMs: round(pipelineMs), bareMs: round(bareMs), ratio: round(pipelineMs / bareMs, 2), pipeline: parts(p), bare: parts(b) };
  };
  const byStart = { startedTogether: wave, first: overheadOf(pipeline.slice(0, wave), bare.slice(0, wave)), rest: overheadOf(pipeline.slice(wave), bare.slice(wave)) };
  const partsOf = (x: ReturnType<typeof overheadOf>['pipeline']) =>
    `${fmtMs(x.workflowTasksQueued)} / ${fmtMs(x.workflowTasksRun)} / ${fmtMs(x.insideActivities)}`;
  const byStartRows = (label: string, x: typeof byStart.first): string[][] =>
    x.tasks
      ? [
          [label, fmtMs(x.pipelineMs), fmtMs(x.bareMs), `${fmtMs(x.pipelineMs - x.bareMs)} (ratio ${fmtNum(x.ratio, 2)})`],
          ['    workflow tasks waiting / running, inside activities', partsOf(x.pipeline), partsOf(x.bare), ''],
        ]
      : [[label, '-', '-', '']];
  const sameShape = pipeline.every((t) => t.timeline.activities.map((a) => a.type).join() === pipeline[0].timeline.activities.map((a) => a.type).join());
  const data = {
    pipeline: Object.fromEntries(Object.entries(avgBreakdown(pipeline)).map(([k, v]) => [k, round(v)])),
    bare: Object.fromEntries(Object.entries(avgBreakdown(bare)).map(([k, v]) => [k, round(v)])),
    pipelineInsideByActivity: Object.fromEntries([...pInside].map(([k, v]) => [k, round(v)])),
    bareInsideMs: round(mean([...bInside.values()])),
    ledgerMsPerTask: round(ledgerMsPerTask),
    historyEventsPerTask: perTask((t) => t.events),
    workflowTaskQueuedMsPerTask: perTask((t) => t.workflowTaskQueuedMs),
    workflowTaskRunMsPerTask: perTask((t) => t.workflowTaskRunMs),
    workflowTasksPerTask: perTask((t) => t.workflowTasks),
    workflowTaskRunMsByPosition: byPosition(),
    searchAttributeUpsertsPerTask: round(mean(pipeline.map((t) => t.timeline.searchAttributeUpserts))),
    activityRetries: pipeline.reduce((s, t) => s + t.timeline.activities.filter((a) => a.attempt > 1).length, 0),
    overheadByStart: byStart,
  };
  return {
    key: 'overheadBreakdown',
    title: 'Where the orchestration overhead goes (mean per task, ms; server timestamps from each history)',
    columns: ['', 'pipeline', 'bare', 'difference'],
    rows: [
      row('client: start RPC + result (wall - execution)', (b) => b.client),
      row('workflow tasks (execution outside activities)', (b) => b.workflowTasks),
      ms('  of which workflow tasks waiting for a poll (scheduled -> started)', (t) => t.workflowTaskQueuedMs),
      ms('  of which workflow tasks on the worker (started -> completed)', (t) => t.workflowTaskRunMs),
      ['    each, in order (pipeline / bare)', data.workflowTaskRunMsByPosition.map((x) => fmtNum(x.pipeline, 0)).join(' / '), data.workflowTaskRunMsByPosition.map((x) => fmtNum(x.bare, 0)).join(' / '), ''],
      row('activity queueing (scheduled -> started)', (b) => b.queued),
      row('inside activities, beyond provider time', (b) => b.insideActivities),
      ...types.map((type): string[] => {
        const p = pInside.get(type)!;
        const b = sameShape ? bareInsideOf(type) : Number.NaN;
        return [`  ${type}`, fmtMs(p), fmtMs(b), fmtMs(p - b)];
      }),
      ['  of which budget ledger round trips', fmtMs(ledgerMsPerTask), fmtMs(0), fmtMs(ledgerMsPerTask)],
      row('total overhead (wall - provider time)', (b) => b.total),
      ...byStartRows(`  the first ${wave} tasks (started together)`, byStart.first),
      ...byStartRows(`  the other ${byStart.rest.tasks} (each started as one ended)`, byStart.rest),
      count('history events', (t) => t.events),
      count('workflow tasks', (t) => t.workflowTasks),
      count('search attribute upserts', (t) => t.searchAttributeUpserts),
      count('activity executions', (t) => t.activities.length),
    ],
    notes: [
      'the four parts add up to the total; client = start RPC + result long-poll + the gap between server and client clocks (same host)',
      'inside activities = activity run time minus its provider time: ledger, SDK/HTTP, prompts, tokenizer, SQLite memory, heartbeats',
      `activity retries in the pipeline: ${data.activityRetries}`,
    ],
    data,
  };
}

function avgBreakdown(traces: TaskTrace[]): Breakdown {
  return {
    client: meanOf(traces, (b) => b.client),
    workflowTasks: meanOf(traces, (b) => b.workflowTasks),
    queued: meanOf(traces, (b) => b.queued),
    insideActivities: meanOf(traces, (b) => b.insideActivities),
    total: meanOf(traces, (b) => b.total),
  };
}

export interface TargetInputs {
  setting: { latencyMs: number; tasks: number; concurrency: number };
  pipelineThroughput: number;
  plainLoopThroughput: number;
  bareThroughput: number;
  pipelineOverheadMs: number;
  bareOverheadMs: number;
  ledgerShare: number;
  ledgerShareTarget: number;
  /** False for a diagnostic run (`--no-ledger`): the figures are shown, not held to the targets. */
  judged?: boolean;
}

export function targetsSection(input: TargetInputs): Section {
  const efficiency = input.pipelineThroughput / input.plainLoopThroughput;
  const ratio = input.pipelineOverheadMs / input.bareOverheadMs;
  const bareEfficiency = input.bareThroughput / input.plainLoopThroughput;
  const verdict = (ok: boolean) => (input.judged === false ? 'not judged' : ok ? 'met' : 'MISSED');
  const { setting } = input;
  const atSetting = setting.latencyMs === TARGET_SETTING.latencyMs && setting.tasks === TARGET_SETTING.tasks && setting.concurrency === TARGET_SETTING.concurrency;
  return {
    key: 'targets',
    title: `Targets (issue 11, at ${TARGET_SETTING.latencyMs} ms latency, ${TARGET_SETTING.tasks} tasks, concurrency ${TARGET_SETTING.concurrency})`,
    columns: ['', 'measured', 'target', ''],
    rows: [
      ['efficiency: pipeline throughput / plain-loop throughput', fmtNum(efficiency, 3), `>= ${EFFICIENCY_TARGET}`, verdict(efficiency >= EFFICIENCY_TARGET)],
      ['overhead ratio: pipeline / bare Temporal (mean per task)', fmtNum(ratio, 2), `<= ${OVERHEAD_RATIO_TARGET}`, verdict(ratio <= OVERHEAD_RATIO_TARGET)],
      ['budget ledger share of pipeline overhead', `${fmtNum(input.ledgerShare * 100, 1)} %`, `<= ${input.ledgerShareTarget * 100} %`, verdict(input.ledgerShare <= input.ledgerShareTarget)],
    ],
    notes: [
      'efficiency: the pipeline\'s tasks/s as a fraction of the same LLM calls\' tasks/s in a plain loop (1.0 = no cost)',
      `overhead = task wall time - provider time: pipeline ${fmtMs(input.pipelineOverheadMs)} ms, bare ${fmtMs(input.bareOverheadMs)} ms per task`,
      `for scale: bare Temporal itself reaches ${fmtNum(bareEfficiency, 3)} of the plain loop's throughput here (the engine's ceiling at this load)`,
      ...(input.judged === false ? ['--no-ledger: the pipeline ran without its budget ledger (a diagnostic); the targets are not judged'] : []),
      ...(atSetting
        ? []
        : [`this run: ${setting.latencyMs} ms latency, ${setting.tasks} tasks, concurrency ${setting.concurrency}; not the targets' setting, so for reference only`]),
    ],
    data: {
      atTargetSetting: atSetting,
      efficiency: round(efficiency, 3),
      efficiencyTarget: EFFICIENCY_TARGET,
      bareEfficiency: round(bareEfficiency, 3),
      overheadRatio: round(ratio, 2),
      overheadRatioTarget: OVERHEAD_RATIO_TARGET,
      ledgerShare: round(input.ledgerShare, 4),
      ledgerShareTarget: input.ledgerShareTarget,
      ...(input.judged === false && { judged: false }),
      met: input.judged !== false && efficiency >= EFFICIENCY_TARGET && ratio <= OVERHEAD_RATIO_TARGET && input.ledgerShare <= input.ledgerShareTarget,
    },
  };
}
