import { cancelledByOperator, deniedByBudget, EWMA_ALPHA, expectationOf, fallbacksOf, recordFallback, recordOutcome, statsKey } from '../../src/god/stats';
import type { KindStats, TaskFinished } from '../../src/god/types';

function finished(status: TaskFinished['status'], costUsd: number, durationMs = 1000): TaskFinished {
  return { taskId: 't', status, costUsd, tokens: 100, durationMs, reason: status };
}

function run(outcomes: Array<[TaskFinished['status'], number]>, kind = 'database', specialist = 'DatabaseAgent'): Record<string, KindStats> {
  let stats: Record<string, KindStats> = {};
  for (const [status, cost] of outcomes) stats = recordOutcome(stats, { kind, specialist, finished: finished(status, cost, cost * 100_000) });
  return stats;
}

describe('God statistics', () => {
  it('keys by kind and specialist', () => {
    expect(statsKey('database', 'DatabaseAgent')).toBe('database|DatabaseAgent');
  });

  it('counts runs and successes; only completed is a success', () => {
    const s = run([['completed', 0.01], ['dead_lettered', 0.02], ['budget_exceeded', 0.03], ['completed', 0.01], ['cancelled', 0]])['database|DatabaseAgent'];
    expect(s.runs).toBe(5);
    expect(s.successes).toBe(2);
  });

  it('keeps exponentially weighted means: the first run sets them, later runs move them by 0.3', () => {
    const s = run([['completed', 0.01], ['completed', 0.02]])['database|DatabaseAgent'];
    expect(s.meanCostUsd).toBeCloseTo(EWMA_ALPHA * 0.02 + (1 - EWMA_ALPHA) * 0.01, 12);
    expect(s.meanDurationMs).toBeCloseTo(EWMA_ALPHA * 2000 + (1 - EWMA_ALPHA) * 1000, 6);
  });

  it('leaves its input untouched', () => {
    const before = run([['completed', 0.01]]);
    const copy = JSON.parse(JSON.stringify(before));
    recordOutcome(before, { kind: 'database', specialist: 'DatabaseAgent', finished: finished('completed', 1) });
    recordFallback(before, 'database', 'DatabaseAgent');
    expect(before).toEqual(copy);
  });

  it('counts fallbacks per kind across specialists, keeping other fields', () => {
    let stats = run([['completed', 0.01]], 'database', 'Generalist');
    stats = recordFallback(stats, 'database', 'Generalist');
    stats = recordFallback(stats, 'database', 'Generalist');
    stats = recordFallback(stats, 'database', 'OtherAgent');
    stats = recordFallback(stats, 'research', 'Generalist');
    expect(stats['database|Generalist']).toMatchObject({ runs: 1, fallbacks: 2 });
    expect(fallbacksOf(stats, 'database')).toBe(3);
    expect(fallbacksOf(stats, 'data')).toBe(0);
  });

  describe('expectations', () => {
    it.each([
      ['no history: the prior 70 % and the estimate', [], 0.7, 0.05],
      ['one success: (1 + 1.4) / 3', [['completed', 0.01]], 2.4 / 3, 0.05],
      ['two failures: 1.4 / 4', [['dead_lettered', 0.01], ['dead_lettered', 0.01]], 1.4 / 4, 0.05],
      ['three runs at $0.01: halfway from the estimate to the mean', [['completed', 0.01], ['completed', 0.01], ['completed', 0.01]], 4.4 / 5, 0.03],
      ['nine runs at $0.01: three quarters toward the mean', Array(9).fill(['completed', 0.01]), 10.4 / 11, 0.75 * 0.01 + 0.25 * 0.05],
    ] as Array<[string, Array<[TaskFinished['status'], number]>, number, number]>)('%s', (_name, outcomes, success, cost) => {
      const e = expectationOf(run(outcomes), 'database', 'DatabaseAgent', 0.05);
      expect(e.success).toBeCloseTo(success, 10);
      expect(e.costUsd).toBeCloseTo(cost, 10);
      expect(e.runs).toBe(outcomes.length);
    });

    it('reports the mean duration only when there is history', () => {
      expect(expectationOf({}, 'database', 'DatabaseAgent', 0.01).durationMs).toBe(0);
      expect(expectationOf(run([['completed', 0.01]]), 'database', 'DatabaseAgent', 0.01).durationMs).toBe(1000);
    });

    it('does not mix up specialists or kinds', () => {
      const stats = run([['dead_lettered', 0.5], ['dead_lettered', 0.5], ['dead_lettered', 0.5]]);
      expect(expectationOf(stats, 'database', 'Generalist', 0.01)).toEqual({ success: 0.7, costUsd: 0.01, durationMs: 0, runs: 0 });
      expect(expectationOf(stats, 'research', 'DatabaseAgent', 0.01).success).toBe(0.7);
    });
  });
});

describe('cancelledByOperator', () => {
  const end = (status: TaskFinished['status'], reason: string) => ({ status, reason });
  it('is an operator\'s cancel of a task or a chain, not the sweeper\'s, a poison task\'s or an end found without a result', () => {
    expect(cancelledByOperator(end('cancelled', 'cancelled by request'))).toBe(true);
    expect(cancelledByOperator(end('cancelled', 'cancelled by request at step 2 (DatabaseAgent)'))).toBe(true);
    expect(cancelledByOperator(end('cancelled', 'cancelled as stale: running 12 min this run'))).toBe(false);
    expect(cancelledByOperator(end('cancelled', 'stale: requeued 3 times without finishing (no heartbeat)'))).toBe(false);
    expect(cancelledByOperator(end('cancelled', 'the workflow terminated without reporting a result'))).toBe(false);
    expect(cancelledByOperator(end('dead_lettered', 'cancelled by request'))).toBe(false);
  });
});

describe('deniedByBudget', () => {
  const end = (status: TaskFinished['status'], reason: string) => ({ status, reason });
  it('is a dead letter whose last failure was a budget denial, as the task words it, and no other end', () => {
    expect(deniedByBudget(end('dead_lettered', 'Generalist, DatabaseAgent, CodeReviewAgent failed; last: agent_budget_exhausted: agent:CodeReviewAgent:hour has spent $0.06 of its limit $0.06'))).toBe(true);
    expect(deniedByBudget(end('dead_lettered', 'DatabaseAgent failed; last: system_budget_full: system:day has $0.00 of its limit $20.00 left'))).toBe(true);
    // A specialist that failed after its retries is judged, as is a task stopped by its own budget.
    expect(deniedByBudget(end('dead_lettered', 'DatabaseAgent, Generalist failed after their retries; last: provider_unavailable: openai gpt-4.1-mini: 500'))).toBe(false);
    expect(deniedByBudget(end('budget_exceeded', 'budget_exceeded: task:t1:tokens has spent 12823 tokens of its limit 14000'))).toBe(false);
    expect(deniedByBudget(end('completed', 'DatabaseAgent finished in 3 iterations; last: agent_budget_exhausted'))).toBe(false);
  });
});
