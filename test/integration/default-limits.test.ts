import { loadLimits } from '../../src/budget';
import { limitsFilePath } from '../../src/budget/load-limits';
import { startTask } from '../../src/client/submit-task';
import { closedResult } from '../../src/tasks/closed-outcome';
import { TaskInputSchema } from '../../src/tasks/task-input';
import type { TaskOutcome } from '../../src/workflows/task-state';
import { startHarness, type Harness } from '../support/harness';
import { maybeRecordHistory } from '../support/history';

/**
 * The shipped defaults fit together: a task with default settings (40 iterations, compression
 * every 10) that needs 12 iterations completes within the repository's limits.yaml, and one that
 * needs 31 on a provider answering at once is not taken for a runaway loop.
 */

let h: Harness;
const limits = loadLimits(limitsFilePath({}));

beforeAll(async () => {
  h = await startHarness('default-limits', { limits });
});

afterAll(async () => {
  await h?.stop();
});

describe('default limits', () => {
  it('let a 12-iteration task with default settings complete, compressing once on the way', async () => {
    const tables = ['users', 'orders', 'order_items', 'invoices', 'payments', 'refunds', 'carts', 'coupons', 'shipments', 'returns', 'reviews'];
    const objective = ['Migrate these Postgres tables to the new tenant-aware schema:', ...tables.map((t) => `- ${t}`)].join('\n');
    const task = TaskInputSchema.parse({ objective, constraints: ['no downtime for the checkout flow'] });
    expect(task).toMatchObject({ maxIterations: 40, compressEvery: 10 });
    const taskId = `default-limits-${Date.now()}`;
    const outcome = (await (await startTask(h.client, h.taskQueue, task, taskId)).result()) as TaskOutcome;
    expect(outcome.reasons).toEqual([expect.stringMatching(/finished in 12 iterations/)]);
    expect(outcome.status).toBe('completed');
    expect(outcome.compressions).toHaveLength(1);
    expect(outcome.tokens).toBeLessThanOrEqual(limits.perTaskTokens);
    expect(outcome.costUsd).toBeLessThanOrEqual(limits.perTaskUsd);
    // Its history: compression and the closing bill (the ledger's view of every call it paid for).
    expect(outcome.bill).toMatchObject({ known: true });
    expect(outcome.costUsd).toBeCloseTo(outcome.bill!.usd, 12);
    await maybeRecordHistory(taskId, 'completed-task-with-bill');
    console.info(`12-iteration task under the default limits: ${outcome.tokens} tokens of ${limits.perTaskTokens}, $${outcome.costUsd.toFixed(6)} of $${limits.perTaskUsd}`);
  });

  it('let a 31-iteration task with default settings complete on a provider answering at once: more than 30 calls in a minute is no runaway', async () => {
    const tables = Array.from({ length: 30 }, (_, i) => `- ledger_part_${i}`);
    const task = TaskInputSchema.parse({ objective: ['Migrate these Postgres tables to the new tenant-aware schema:', ...tables].join('\n') });
    const taskId = `default-limits-long-${Date.now()}`;
    const outcome = (await closedResult(await startTask(h.client, h.taskQueue, task, taskId))) as TaskOutcome;
    expect(outcome.reasons).toEqual([expect.stringMatching(/finished in 31 iterations/)]);
    expect(outcome.status).toBe('completed');
    // The bound this once was (30): its calls came faster than that, by the provider's own log.
    const times = h.provider.calls().filter((c) => c.task === taskId).map((c) => Date.parse(c.at));
    expect(times.length).toBeGreaterThan(30);
    expect(times.slice(30).some((t, i) => t - times[i] < 60_000)).toBe(true);
    expect((await h.gate.snapshot()).breaker.open).toBe(false);
  });
});
