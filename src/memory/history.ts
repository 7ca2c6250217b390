/**
 * Task history read from memory (`pantheon history`): the store keeps every task's record for as
 * long as it exists, long after the Temporal namespace's retention has dropped the workflow. Pure.
 *
 * @example
 *   const records = await store.list({ since: sinceTime('7d', Date.now()) });
 *   historyStats(latestPerTask(records), 'specialist', roster.fallback.name);
 */
import { PantheonError } from '../errors';
import { kindOfSpecialist } from '../routing/kinds';
import type { MemoryRecord } from './types';
import { realCalendarDate } from '../tasks/calendar-date';

export const HISTORY_GROUPINGS = ['specialist', 'kind'] as const;
export type HistoryGrouping = (typeof HISTORY_GROUPINGS)[number];

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/**
 * The instant `--since` names: a span back from now (`30m`, `12h`, `7d`, `2w`) or an ISO date.
 *
 * @example sinceTime('7d', Date.parse('2026-12-08T00:00:00Z')) // '2026-12-01T00:00:00.000Z'
 */
export function sinceTime(text: string, nowMs: number): string {
  const span = /^(\d{1,6})([mhdw])$/.exec(text.trim());
  if (span) return new Date(nowMs - Number(span[1]) * UNIT_MS[span[2]]).toISOString();
  if (/^\d{4}-\d{2}-\d{2}/.test(text) && !Number.isNaN(Date.parse(text)) && realCalendarDate(text)) return new Date(text).toISOString();
  throw PantheonError.of('invalid_input', `--since: expected a span such as 12h, 7d or 2w, or an ISO date, got "${text}"`, { details: { field: '--since' } });
}

/**
 * One record per task: a task reset after a failure and then completed has a failure and an
 * outcome record; its history is how it ended, so the success wins, else the newest record.
 */
export function latestPerTask(records: MemoryRecord[]): MemoryRecord[] {
  const byTask = new Map<string, MemoryRecord>();
  for (const r of records) {
    const seen = byTask.get(r.taskId);
    const better = !seen || (r.success && !seen.success) || (r.success === seen.success && r.createdAt > seen.createdAt);
    if (better) byTask.set(r.taskId, r);
  }
  return [...byTask.values()];
}

export interface HistoryRow {
  /** The specialist's name or the kind. */
  key: string;
  tasks: number;
  successes: number;
  /** successes / tasks, in [0, 1]. */
  successRate: number;
  costUsd: number;
  /** All the group's cost (failures included) over its successes: what one success costs. Undefined without a success. */
  costPerSuccessUsd?: number;
  /** Median over the tasks whose duration is recorded; undefined when none is. */
  medianDurationMs?: number;
  /** How many tasks the median is over (older records hold no duration). */
  timed: number;
}

/** The kind of a record: as written, else read off its specialist as God does (src/routing/kinds.ts). */
export function kindOfRecord(record: MemoryRecord, fallbackName?: string): string {
  return record.kind ?? kindOfSpecialist(record.specialist, fallbackName);
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Success rate, cost per success and median duration per specialist or kind; most tasks first. */
export function historyStats(records: MemoryRecord[], by: HistoryGrouping, fallbackName?: string): HistoryRow[] {
  const groups = new Map<string, MemoryRecord[]>();
  for (const r of records) {
    const key = by === 'kind' ? kindOfRecord(r, fallbackName) : r.specialist;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.entries()]
    .map(([key, rs]) => {
      const successes = rs.filter((r) => r.success).length;
      const costUsd = rs.reduce((sum, r) => sum + r.costUsd, 0);
      const durations = rs.flatMap((r) => (r.durationMs === undefined ? [] : [r.durationMs]));
      return {
        key,
        tasks: rs.length,
        successes,
        successRate: successes / rs.length,
        costUsd,
        ...(successes > 0 && { costPerSuccessUsd: costUsd / successes }),
        ...(durations.length > 0 && { medianDurationMs: median(durations) }),
        timed: durations.length,
      };
    })
    .sort((a, b) => b.tasks - a.tasks || a.key.localeCompare(b.key));
}

/** A duration as an operator reads it: 850 ms, 41.2 s, 12.5 min, 3.1 h. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return '-';
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}
