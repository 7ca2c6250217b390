import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { findFreePort } from '../src/runtime/free-port';
import { fmtMs, type Section } from './report';
import { round } from './stats';

/**
 * `npm run bench -- --sdk-metrics`: the worker's side of a phase, from the Temporal SDK's own
 * Prometheus metrics (scraped before and after the phase) and Node's event-loop delay. The
 * histories' timestamps say how long a workflow task took from the server's side; these say
 * where: inside the worker (core hands the activation to Node, the workflow thread runs it, the
 * completion goes back) or in the server's answer, and how long each activity ran in the worker.
 */

/** Sums and counts of the SDK's histograms, by metric name and labels; counters by the same key. */
type Scrape = Map<string, number>;

export interface PhaseMetrics {
  /** Per workflow type: workflow tasks handled in this worker process and their mean time there. */
  workflowTasks: Record<string, { count: number; meanMs: number }>;
  /** RespondWorkflowTaskCompleted: the server's answer to a finished workflow task. */
  respondWorkflowTaskMs: { count: number; meanMs: number };
  /** Per activity type: executions and their mean time in the worker (provider waits included). */
  activities: Record<string, { count: number; meanMs: number }>;
  eventLoopDelayMs: { mean: number; p50: number; p99: number; max: number };
}

export interface SdkMetricsProbe {
  /** Temporal Runtime telemetry options: Prometheus on the probe's port. */
  telemetry: { metrics: { prometheus: { bindAddress: string } } };
  start(): Promise<void>;
  stop(): Promise<PhaseMetrics>;
}

async function scrape(url: string): Promise<Scrape> {
  const text = await (await fetch(url)).text();
  const values: Scrape = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#') || line.includes('_bucket{')) continue;
    const space = line.lastIndexOf(' ');
    values.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return values;
}

/** `name_sum{labels}` and `name_count{labels}` deltas of one histogram, grouped by one label. */
function histogramBy(before: Scrape, after: Scrape, name: string, label: string, where: (key: string) => boolean = () => true): Record<string, { count: number; meanMs: number }> {
  const out: Record<string, { count: number; meanMs: number }> = {};
  for (const [key, value] of after) {
    if (!key.startsWith(`${name}_count{`) || !where(key)) continue;
    const count = value - (before.get(key) ?? 0);
    if (count <= 0) continue;
    const sumKey = key.replace(`${name}_count{`, `${name}_sum{`);
    const sum = (after.get(sumKey) ?? 0) - (before.get(sumKey) ?? 0);
    const group = key.match(new RegExp(`${label}="([^"]*)"`))?.[1] ?? '?';
    const prior = out[group] ?? { count: 0, meanMs: 0 };
    const total = prior.count + count;
    out[group] = { count: total, meanMs: round((prior.meanMs * prior.count + sum) / total, 2) };
  }
  return out;
}

export async function createSdkMetricsProbe(): Promise<SdkMetricsProbe> {
  const port = await findFreePort();
  const url = `http://127.0.0.1:${port}/metrics`;
  let before: Scrape | undefined;
  let delay: IntervalHistogram | undefined;
  return {
    telemetry: { metrics: { prometheus: { bindAddress: `127.0.0.1:${port}` } } },
    async start() {
      before = await scrape(url);
      delay = monitorEventLoopDelay({ resolution: 5 });
      delay.enable();
    },
    async stop() {
      delay?.disable();
      const after = await scrape(url);
      const prior = before ?? new Map();
      const respond = histogramBy(prior, after, 'temporal_request_latency', 'operation', (k) => k.includes('operation="RespondWorkflowTaskCompleted"'));
      const ms = (ns: number) => round(ns / 1e6, 1);
      return {
        workflowTasks: histogramBy(prior, after, 'temporal_workflow_task_execution_latency', 'workflow_type'),
        respondWorkflowTaskMs: respond.RespondWorkflowTaskCompleted ?? { count: 0, meanMs: 0 },
        activities: histogramBy(prior, after, 'temporal_activity_execution_latency', 'activity_type'),
        eventLoopDelayMs: delay ? { mean: ms(delay.mean), p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) } : { mean: 0, p50: 0, p99: 0, max: 0 },
      };
    },
  };
}

/** The phases side by side: one row per figure, one column per phase. */
export function sdkMetricsSection(phases: Record<string, PhaseMetrics>): Section {
  const names = Object.keys(phases);
  const cell = (m: { count: number; meanMs: number } | undefined) => (m ? `${fmtMs(m.meanMs)} (${m.count})` : '-');
  const rows: string[][] = [];
  const workflowTypes = [...new Set(names.flatMap((n) => Object.keys(phases[n].workflowTasks)))];
  for (const type of workflowTypes) rows.push([`workflow task in the worker: ${type}`, ...names.map((n) => cell(phases[n].workflowTasks[type]))]);
  rows.push(['RespondWorkflowTaskCompleted', ...names.map((n) => cell(phases[n].respondWorkflowTaskMs))]);
  const activityTypes = [...new Set(names.flatMap((n) => Object.keys(phases[n].activities)))];
  for (const type of activityTypes) rows.push([`activity in the worker: ${type}`, ...names.map((n) => cell(phases[n].activities[type]))]);
  rows.push(['event-loop delay p50 / p99 / max', ...names.map((n) => { const d = phases[n].eventLoopDelayMs; return `${fmtMs(d.p50)} / ${fmtMs(d.p99)} / ${fmtMs(d.max)}`; })]);
  return {
    key: 'sdkMetrics',
    title: "Inside the worker (the Temporal SDK's metrics, ms mean (count); the bare phase includes its warm-up)",
    columns: ['', ...names],
    rows,
    notes: [
      'workflow task in the worker: core hands the activation to Node, the workflow thread runs it, the completion goes back (temporal_workflow_task_execution_latency)',
      'event-loop delay: the main thread (activities, the budget gate, relaying activations), sampled every 5 ms',
    ],
    data: phases,
  };
}
