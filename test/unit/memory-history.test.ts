import { PantheonError } from '../../src/errors';
import { formatDuration, historyStats, latestPerTask, sinceTime } from '../../src/memory/history';
import type { MemoryRecord } from '../../src/memory/types';

const rec = (taskId: string, o: Partial<MemoryRecord> = {}): MemoryRecord => ({
  id: `${taskId}:${o.success ? 'outcome' : 'failure'}`, taskId, specialist: 'DatabaseAgent', objective: 'x', approach: 'y', result: 'z',
  success: false, costUsd: 0.01, lessons: [], createdAt: '2026-11-30T10:00:00.000Z', ...o,
});

describe('task history (pure)', () => {
  it('reads --since as a span back from now or an ISO date, and names the flag when it is neither', () => {
    const now = Date.parse('2026-12-08T00:00:00.000Z');
    expect(sinceTime('7d', now)).toBe('2026-12-01T00:00:00.000Z');
    expect(sinceTime('12h', now)).toBe('2026-12-07T12:00:00.000Z');
    expect(sinceTime('2w', now)).toBe('2026-11-24T00:00:00.000Z');
    expect(sinceTime('30m', now)).toBe('2026-12-07T23:30:00.000Z');
    expect(sinceTime('2026-11-01', now)).toBe('2026-11-01T00:00:00.000Z');
    // A day that does not exist is refused, not rolled over to the next month.
    for (const bad of ['7', 'week', '7y', '-1d', '', '2026-02-30', '2026-13-01', '2026-04-31T10:00:00Z']) {
      const err = (() => { try { sinceTime(bad, now); } catch (e) { return e; } })() as PantheonError;
      expect(err).toBeInstanceOf(PantheonError);
      expect(err.message).toMatch(/^--since: /);
    }
  });

  it('keeps one record per task: the success of a task reset after a failure, else the newest', () => {
    const kept = latestPerTask([
      rec('a'),
      rec('a', { success: true, createdAt: '2026-11-30T09:00:00.000Z' }),
      rec('b', { createdAt: '2026-11-30T08:00:00.000Z', result: 'old' }),
      rec('b', { createdAt: '2026-11-30T11:00:00.000Z', result: 'new' }),
    ]);
    expect(kept.map((r) => [r.taskId, r.success, r.result])).toEqual([['a', true, 'z'], ['b', false, 'new']]);
  });

  it('gives success rate, cost per success (failures paid for included) and median duration per specialist or kind', () => {
    const records = [
      rec('1', { success: true, costUsd: 0.03, durationMs: 1_000, kind: 'database' }),
      rec('2', { success: true, costUsd: 0.01, durationMs: 3_000 }),
      rec('3', { costUsd: 0.02, durationMs: 20_000 }),
      rec('4', { specialist: 'ResearchAgent', costUsd: 0.5 }),
      rec('5', { specialist: 'Generalist', success: true, costUsd: 0.1 }),
    ];
    const bySpecialist = historyStats(records, 'specialist');
    expect(bySpecialist[0]).toEqual({ key: 'DatabaseAgent', tasks: 3, successes: 2, successRate: 2 / 3, costUsd: 0.06, costPerSuccessUsd: 0.03, medianDurationMs: 3_000, timed: 3 });
    expect(bySpecialist.find((r) => r.key === 'ResearchAgent')).toEqual({ key: 'ResearchAgent', tasks: 1, successes: 0, successRate: 0, costUsd: 0.5, timed: 0 });
    const byKind = historyStats(records, 'kind', 'Generalist');
    expect(byKind.map((r) => [r.key, r.tasks])).toEqual([['database', 3], ['general', 1], ['research', 1]]);
  });

  it('formats durations for a terminal', () => {
    expect([850, 41_200, 750_000, 11_160_000, undefined].map(formatDuration)).toEqual(['850 ms', '41.2 s', '12.5 min', '3.1 h', '-']);
  });
});
