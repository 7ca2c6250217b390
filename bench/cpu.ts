/**
 * The CPU each measured phase used: this process (the worker's main and workflow threads, the
 * budget ledger's worker, the in-process offline provider and the client) and the Temporal dev
 * server the bench started (its process group, read from /proc: Linux only; not for a server
 * named by TEMPORAL_ADDRESS, which may be on another machine).
 *
 * Why: overhead is measured as time, but on two shared cores time is mostly waiting for a core.
 * What each phase burns per task shows where that comes from: the pipeline's ledger updates, for
 * one, are off every task's path yet each is a workflow task for the server and the worker.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { fmtNum, type Section } from './report';
import { round } from './stats';

export interface CpuMark {
  atMs: number;
  processMs: number;
  /** Undefined when the server is not ours or /proc cannot be read. */
  serverMs?: number;
}

export interface PhaseCpu {
  tasks: number;
  wallMs: number;
  processMsPerTask: number;
  serverMsPerTask?: number;
  /** Cores kept busy on average (process + server CPU ÷ wall time). */
  coresBusy?: number;
}

let clockTicks: number | undefined;
/** Kernel clock ticks per second (/proc's unit for CPU time); 100 on every common Linux. */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** User + system CPU of every process in the process group `pgid`, in ms; undefined without /proc. */
export function groupCpuMs(pgid: number): number | undefined {
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return undefined;
  }
  let ticks = 0;
  let found = false;
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // ended between the listing and the read
    }
    // The command name may hold spaces and parentheses: the fields after its last ')' are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) !== pgid) continue; // field 5, pgrp
    found = true;
    ticks += Number(fields[11]) + Number(fields[12]); // fields 14 and 15, utime and stime
  }
  return found ? (ticks * 1000) / ticksPerSecond() : undefined;
}

/** Where the CPU counters stand now. `serverPgid`: the dev server's process group (it is spawned detached, as its leader). */
export function cpuMark(serverPgid?: number): CpuMark {
  const { user, system } = process.cpuUsage();
  const serverMs = serverPgid === undefined ? undefined : groupCpuMs(serverPgid);
  return { atMs: performance.now(), processMs: (user + system) / 1000, ...(serverMs !== undefined && { serverMs }) };
}

export function phaseCpu(from: CpuMark, to: CpuMark, tasks: number): PhaseCpu {
  const wallMs = to.atMs - from.atMs;
  const processMs = to.processMs - from.processMs;
  const serverMs = from.serverMs !== undefined && to.serverMs !== undefined ? to.serverMs - from.serverMs : undefined;
  return {
    tasks,
    wallMs: round(wallMs, 0),
    processMsPerTask: round(processMs / tasks, 1),
    ...(serverMs !== undefined && { serverMsPerTask: round(serverMs / tasks, 1), coresBusy: round((processMs + serverMs) / wallMs, 2) }),
  };
}

export interface CpuPhases {
  pipeline: PhaseCpu;
  lowerBound: PhaseCpu;
  bare: PhaseCpu;
}

/** The CPU section: per task, this process and the server, for each measured phase. */
export function cpuSection(phases: CpuPhases, context: { ledgerUpdatesPerTask: number; workflowTasksPerTask: { pipeline: number; bare: number } }): Section {
  const row = (label: string, p: PhaseCpu) => [
    label,
    fmtNum(p.processMsPerTask, 1),
    p.serverMsPerTask === undefined ? '-' : fmtNum(p.serverMsPerTask, 1),
    p.serverMsPerTask === undefined ? '-' : fmtNum(p.processMsPerTask + p.serverMsPerTask, 1),
    p.coresBusy === undefined ? '-' : fmtNum(p.coresBusy, 2),
  ];
  const { pipeline, bare } = context.workflowTasksPerTask;
  const notes = [
    'this process: the worker (main and workflow threads), the budget ledger\'s worker, the offline provider and the client; the server: the dev server this bench started',
    `workflow tasks per task: pipeline ${fmtNum(pipeline, 1)} of its own + ${fmtNum(context.ledgerUpdatesPerTask, 1)} on the ledger (one per ledger update, off the task's path), bare ${fmtNum(bare, 1)}`,
  ];
  if (phases.pipeline.serverMsPerTask === undefined) notes.push('server CPU not measured: the server was not started by this bench, or /proc is not readable here');
  return {
    key: 'cpu',
    title: 'CPU per task (measured phases)',
    columns: ['phase', 'this process ms', 'server ms', 'total ms', 'cores busy'],
    rows: [row('pipeline', phases.pipeline), row('plain loop', phases.lowerBound), row('bare Temporal', phases.bare)],
    notes,
    data: { ...phases, ledgerUpdatesPerTask: round(context.ledgerUpdatesPerTask, 2), workflowTasksPerTask: context.workflowTasksPerTask },
  };
}
