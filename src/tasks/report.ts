import { z } from 'zod';
import { lazySchema } from './lazy-schema';
import type { TaskFinished } from '../god/types';
import type { TerminalStatus } from '../workflows/task-state';

/**
 * The outcome report a task (or a chain) sends its `reportTo` workflow when it ends: the numbers
 * a receiver's statistics need, the first reason, and the start of the result. Never the
 * transcript: a report is small enough to sit in the receiver's history and state.
 */

export const REPORT_REASON_CHARS = 500;
export const REPORT_SUMMARY_CHARS = 1500;

/**
 * `text` cut to at most `max` characters, at a word boundary when one is near the end, with an
 * ellipsis to show the cut. Text that fits is returned unchanged (trimmed).
 *
 * @example trimText('alpha beta gamma', 12) // 'alpha beta…'
 */
export function trimText(text: string, max: number): string {
  const clean = text.trim();
  if (clean.length <= max) return clean;
  const cut = clean.slice(0, Math.max(0, max - 1));
  const space = cut.search(/\s\S*$/);
  // Back off to the last word boundary only when it loses little: a long token is cut mid-word.
  const body = space >= cut.length * 0.8 ? cut.slice(0, space) : cut;
  return `${body.trimEnd()}…`;
}

/** What a finished task or chain knows of itself, the source of its report. */
export interface EndedTask {
  taskId: string;
  status: TerminalStatus;
  costUsd: number;
  tokens: number;
  specialist?: string;
  reasons: readonly string[];
  result?: string;
}

/** The `taskFinished` report for an ended task; `durationMs` is workflow time since its start. */
export function finishedReport(ended: EndedTask, durationMs: number): TaskFinished {
  const report: TaskFinished = {
    taskId: ended.taskId,
    status: ended.status,
    costUsd: Math.max(0, ended.costUsd),
    tokens: Math.max(0, ended.tokens),
    durationMs: Math.max(0, Math.round(durationMs)),
    reason: trimText(ended.reasons[0] ?? '', REPORT_REASON_CHARS),
  };
  if (ended.specialist) report.specialist = ended.specialist.slice(0, 80);
  if (ended.result?.trim()) report.summary = trimText(ended.result, REPORT_SUMMARY_CHARS);
  return report;
}

const ReportToSchema = lazySchema('tasks/report.ReportToSchema', () =>
  z.string().min(1).max(200)
);
const WithReportTo = lazySchema('tasks/report.WithReportTo', () =>
  z.object({ reportTo: ReportToSchema })
);
const WithNestedReportTo = lazySchema('tasks/report.WithNestedReportTo', () => z.object({ task: WithReportTo }));

/**
 * The `reportTo` of raw workflow input, read even when the rest of the input is invalid (so a
 * task rejected for bad input still reports). Also looks inside `task` (a chain's input).
 */
export function reportToOf(input: unknown): string | undefined {
  const direct = WithReportTo.safeParse(input);
  if (direct.success) return direct.data.reportTo;
  const nested = WithNestedReportTo.safeParse(input);
  return nested.success ? nested.data.task.reportTo : undefined;
}
