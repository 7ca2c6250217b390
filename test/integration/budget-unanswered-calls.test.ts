import { startTask } from '../../src/client/submit-task';
import { closedResult } from '../../src/tasks/closed-outcome';
import { TaskInputSchema } from '../../src/tasks/task-input';
import type { TaskOutcome } from '../../src/workflows/task-state';
import { limitsWith } from '../support/limits';
import { startHarness, type Harness } from '../support/harness';
import { billed } from '../support/billed';

/**
 * A provider that never answers: every call is charged its worst case (failing closed: it may
 * have been billed), and the task ends budget_exceeded at its own limit. Its reason must say how
 * much of that spend is such charges, and for how many calls, checked against the offline
 * provider's own call log; a task whose calls were all answered says nothing of the kind. With
 * calls granted from leases and without: the count must hold on both paths.
 */

const DB_TASK = 'Add a unique index on users.email in the Postgres database';
const PER_TASK_USD = 0.02;

let seq = 0;
const id = (name: string) => `unanswered-${name}-${Date.now()}-${++seq}`;

/** `has spent $A of its limit $L ($U of it charged at worst case for N calls that got no answer …)`. */
const UNANSWERED = /has spent \$(\d+\.\d+) of its limit \$(\d+\.\d+) \(\$(\d+\.\d+) of it charged at worst case for (\d+) calls? that got no answer with (?:their|its) cost: the provider may have billed less, or nothing\); the request needs \$\d+\.\d+ more/;

describe.each([false, true])('a task whose provider never answers (leases: %s)', (leases) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(`unanswered-${leases ? 'leased' : 'exact'}`, { leases, llmTimeoutMs: 1000, limits: limitsWith({ perTaskUsd: PER_TASK_USD }) });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('ends budget_exceeded with a reason naming the calls that got no answer and what they were charged: all of its spend', async () => {
    const taskId = id('hang');
    h.provider.addFault({ kind: 'hang', match: { task: taskId, purpose: 'specialist' } });
    const input = TaskInputSchema.parse({ objective: DB_TASK, retry: { runSpecialist: { initialIntervalMs: 100, maximumIntervalMs: 400 } } });
    const outcome = (await closedResult(await startTask(h.client, h.taskQueue, input, taskId))) as TaskOutcome;

    expect(outcome.status).toBe('budget_exceeded');
    const calls = h.provider.calls().filter((c) => c.task === taskId);
    // The provider's own log: it answered none of the task's calls.
    const unanswered = calls.filter((c) => c.status === 0 && c.fault === 'hang');
    expect(unanswered.length).toBeGreaterThan(0);
    expect(unanswered).toEqual(calls);

    const reason = outcome.reasons[0];
    const said = UNANSWERED.exec(reason);
    expect(said).not.toBeNull();
    const [, spent, limit, charged, count] = said!;
    expect(Number(limit)).toBe(PER_TASK_USD);
    expect(Number(count)).toBe(unanswered.length);
    // Nothing was answered, so the whole spend is such charges: the reason's, the bill's and the task's cost.
    expect(charged).toBe(spent);
    expect(Number(charged)).toBeCloseTo(outcome.costUsd, 6);
    expect(outcome.bill!.usd).toBeCloseTo(outcome.costUsd, 12);
    expect(outcome.costUsd).toBeGreaterThan(0);
    // The path under test: calls granted from the worker's leases (settled after their booking), or each reserved exactly.
    if (leases) expect(h.gate.stats().leased).toBeGreaterThan(0);
    else expect(h.gate.stats().leased).toBe(0);
  });

  it('says nothing of unanswered calls when every call of a task stopped at its limit was answered', async () => {
    const taskId = id('answered');
    // A limit this task reaches with answered calls alone (the harness's would let it finish).
    await h.gate.setOverride({ scope: `task:${taskId}`, limitUsd: 0.002, untilMs: Date.now() + 600_000, who: 'budget-unanswered-calls.test', why: 'a task stopped by answered calls' });
    const items = Array.from({ length: 14 }, (_, i) => `- table_${i}`).join('\n');
    const input = TaskInputSchema.parse({ objective: `Migrate these Postgres tables to the new schema:\n${items}` });
    const outcome = (await closedResult(await startTask(h.client, h.taskQueue, input, taskId))) as TaskOutcome;

    expect(outcome.status).toBe('budget_exceeded');
    const calls = h.provider.calls().filter((c) => c.task === taskId);
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((c) => c.status === 200 && c.fault === undefined)).toBe(true);
    expect(outcome.reasons[0]).toMatch(new RegExp(`^budget_exceeded: task:${taskId} has spent \\$\\d+\\.\\d+ of its limit \\$0\\.002000; the request needs`));
    expect(outcome.reasons[0]).not.toMatch(/no answer/);
    expect(outcome.costUsd).toBeCloseTo(billed(calls), 9);
  });
});
