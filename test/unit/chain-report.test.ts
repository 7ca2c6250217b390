import { TaskFinishedSchema } from '../../src/god/messages';
import { finishedReport, REPORT_REASON_CHARS, REPORT_SUMMARY_CHARS, reportToOf, trimText } from '../../src/tasks/report';

describe('trimText', () => {
  it('returns text that fits unchanged', () => {
    expect(trimText('  short result  ', 50)).toBe('short result');
  });

  it('cuts at a word boundary near the limit and marks the cut', () => {
    expect(trimText('alpha beta gamma', 12)).toBe('alpha beta…');
  });

  it('cuts a long token mid-word rather than losing most of the text', () => {
    const cut = trimText(`a ${'x'.repeat(100)}`, 20);
    expect(cut).toHaveLength(20);
    expect(cut.endsWith('…')).toBe(true);
  });
});

describe('finishedReport', () => {
  const ended = {
    taskId: 't-1',
    status: 'completed' as const,
    costUsd: 0.0123,
    tokens: 4567,
    specialist: 'DatabaseAgent',
    reasons: ['DatabaseAgent finished in 3 iterations', 'second reason'],
    result: `CREATE INDEX ${'x '.repeat(2000)}`,
  };

  it('carries status, totals, duration, specialist, the first reason and the start of the result', () => {
    const report = finishedReport(ended, 1234.4);
    expect(report).toMatchObject({ taskId: 't-1', status: 'completed', costUsd: 0.0123, tokens: 4567, durationMs: 1234, specialist: 'DatabaseAgent', reason: 'DatabaseAgent finished in 3 iterations' });
    expect(report.summary?.startsWith('CREATE INDEX')).toBe(true);
    expect(report.summary!.length).toBeLessThanOrEqual(REPORT_SUMMARY_CHARS);
    // What God's signal handler accepts.
    expect(TaskFinishedSchema.safeParse(report).success).toBe(true);
  });

  it('trims a long reason and omits an absent result and specialist', () => {
    const report = finishedReport({ taskId: 't-2', status: 'dead_lettered', costUsd: 0, tokens: 0, reasons: ['r'.repeat(2000)] }, 10);
    expect(report.reason.length).toBeLessThanOrEqual(REPORT_REASON_CHARS);
    expect(report).not.toHaveProperty('summary');
    expect(report).not.toHaveProperty('specialist');
    expect(TaskFinishedSchema.safeParse(report).success).toBe(true);
  });

  it('reports an empty reason for a task with none', () => {
    expect(finishedReport({ taskId: 't-3', status: 'cancelled', costUsd: 0, tokens: 0, reasons: [] }, 0).reason).toBe('');
  });
});

describe('reportToOf', () => {
  it('reads reportTo from otherwise invalid input', () => {
    expect(reportToOf({ objective: '', priority: 'urgent', reportTo: 'pantheon-god' })).toBe('pantheon-god');
  });

  it('reads a chain input task reportTo', () => {
    expect(reportToOf({ task: { objective: 'x', reportTo: 'pantheon-god' }, plan: [] })).toBe('pantheon-god');
  });

  it('ignores a missing or malformed reportTo', () => {
    expect(reportToOf(undefined)).toBeUndefined();
    expect(reportToOf({ reportTo: 42 })).toBeUndefined();
    expect(reportToOf({ reportTo: '' })).toBeUndefined();
    expect(reportToOf('pantheon-god')).toBeUndefined();
  });
});
