import { startTask } from '../../src/client/submit-task';
import { TaskInputSchema, type TaskInput } from '../../src/tasks/task-input';
import { addConstraintUpdate, addGoalUpdate, godConstraintsQuery, godDecisionsQuery, removeConstraintUpdate, removeGoalUpdate, submitTaskUpdate } from '../../src/workflows/god-api';
import type { TaskOutcome } from '../../src/workflows/task-state';
import { startHarness, testAddress, type Harness } from '../support/harness';
import { runCli } from '../support/cli';
import { maybeRecordHistory, scheduledActivities } from '../support/history';
import { eventually } from '../support/eventually';
import { startTestGod } from '../support/god';
import { billed } from '../support/billed';

/**
 * Standing constraints end to end: God holds them, the validate activity reads them (and
 * registers a task's own), the second stage judges what the rules cannot.
 */

let h: Harness;
let godId: string;
let taskQueue: string;

beforeAll(async () => {
  h = await startHarness('constraints');
  godId = h.godId;
  taskQueue = h.taskQueue;
  await startTestGod(h.client, { id: godId, taskQueue });
});

afterAll(async () => {
  await h.client.workflow.getHandle(godId).terminate('test over').catch(() => undefined);
  await h?.stop();
});

let n = 0;
async function run(input: TaskInput, name: string): Promise<TaskOutcome> {
  const handle = await startTask(h.client, h.taskQueue, TaskInputSchema.parse(input), `${name}-${Date.now()}-${++n}`);
  return handle.result();
}
const god = () => h.client.workflow.getHandle(godId);
const validatorCalls = (taskId: string) => h.provider.calls().filter((c) => c.task === taskId && c.purpose === 'validator');

describe('standing constraints', () => {
  let setter: TaskOutcome;

  it('a constraint set by one task rejects a later contradicting task, naming the constraint and the task that set it', async () => {
    setter = await run(
      {
        objective: 'Write a migration plan for the ledger tables of the billing database to schema version 7',
        setsConstraints: [{ text: 'no writes to the billing database', scope: 'billing database', forHours: 24 }],
      },
      'setter',
    );
    expect(setter.status).toBe('completed');
    const held = await god().query(godConstraintsQuery);
    expect(held.map((c) => c.id)).toContain(`${setter.taskId}:c0`);

    const later = await run({ objective: 'Delete the duplicate rows from the billing database invoices table' }, 'contradicts');
    expect(later.status).toBe('rejected');
    expect(later.reasons.join('\n')).toContain(`${setter.taskId}:c0 (set by task ${setter.taskId})`);
    // The rules were sure: no model call.
    expect(validatorCalls(later.taskId)).toHaveLength(0);
    const audit = await god().query(godDecisionsQuery);
    expect(audit.some((d) => d.kind === 'constraint' && d.detail.includes(`${setter.taskId}:c0`))).toBe(true);
  });

  it('God refuses a task that plainly breaks a standing constraint before it starts, naming the constraint', async () => {
    const taskId = `god-contradicts-${Date.now()}`;
    await god().executeUpdate(submitTaskUpdate, { args: [{ task: { objective: 'Update the overdue invoices in the billing database to the new status codes' }, taskId }] });
    const memo = await eventually('God to decide the task', async () => (await h.client.workflow.getHandle(taskId).describe().catch(() => undefined))?.memo?.godDecision as { kind: string; reason: string } | undefined);
    expect(memo.kind).toBe('reject');
    expect(memo.reason).toContain(`${setter.taskId}:c0 (set by task ${setter.taskId})`);
    expect((await h.client.workflow.getHandle(taskId).result()) as TaskOutcome).toMatchObject({ status: 'rejected' });
    // Refused on the rules: no specialist, no validator.
    expect(h.provider.calls().filter((c) => c.task === taskId)).toEqual([]);
  });

  it('a constraint in other words goes to the second stage once, and its verdict is used', async () => {
    const paraphrase = await run({ objective: 'Backfill the missing tax amounts in the payments DB' }, 'paraphrase');
    expect(paraphrase.status).toBe('rejected');
    expect(paraphrase.reasons.join('\n')).toMatch(/second stage/);
    expect(paraphrase.reasons.join('\n')).toContain(`set by task ${setter.taskId}`);
    expect(validatorCalls(paraphrase.taskId)).toHaveLength(1);
    // The validator's call is on the rejected task's books, as the provider counted and billed it.
    const [call] = validatorCalls(paraphrase.taskId);
    expect(paraphrase.tokens).toBe(call.inputTokens + call.outputTokens);
    expect(paraphrase.costUsd).toBeGreaterThan(0);
    expect(paraphrase.costUsd).toBeCloseTo(billed([call]), 12);
    // A rejection that cost a call closes its bill like any other end: the ledger's side agrees.
    expect(paraphrase.bill).toMatchObject({ known: true, chargedOutstanding: 0 });
    expect(paraphrase.bill!.usd).toBeCloseTo(billed([call]), 12);
    expect(await scheduledActivities(h.client, paraphrase.taskId)).toEqual(['validateTask', 'closeTaskBill']);
    await maybeRecordHistory(paraphrase.taskId, 'rejected-task-closes-bill');
  });

  it('a failed second stage falls back to the rules: undecided passes, what the rules reject stays rejected', async () => {
    h.provider.addFault({ kind: 'server_error', match: { purpose: 'validator' } });
    try {
      const undecided = await run({ objective: 'Correct the wrong currency codes in the invoicing tables', maxIterations: 3 }, 'fallback');
      expect(undecided.status).not.toBe('rejected');
      expect(validatorCalls(undecided.taskId).length).toBeGreaterThanOrEqual(1);
      const sure = await run({ objective: 'Fix it as soon as you can please' }, 'sure-vague');
      expect(sure.status).toBe('rejected');
      expect(validatorCalls(sure.taskId)).toHaveLength(0);
    } finally {
      h.provider.clearFaults();
    }
  });

  it('a removed constraint no longer rejects', async () => {
    await god().executeUpdate(removeConstraintUpdate, { args: [{ id: `${setter.taskId}:c0`, reason: 'migration done' }] });
    expect((await god().query(godConstraintsQuery)).map((c) => c.id)).not.toContain(`${setter.taskId}:c0`);
    await new Promise((r) => setTimeout(r, 2_100)); // the activity's constraint cache (2 s)
    const after = await run({ objective: 'Delete the duplicate rows from the billing database invoices table', maxIterations: 3 }, 'after-remove');
    expect({ status: after.status, reasons: after.status === 'rejected' ? after.reasons : [] }).toEqual({ status: expect.not.stringMatching(/^rejected$/), reasons: [] });
  });

  it('an expired constraint no longer rejects', async () => {
    const { constraint } = await god().executeUpdate(addConstraintUpdate, { args: [{ spec: { text: 'no downtime', scope: 'checkout', forHours: 0.0006 } }] });
    // Wait for the expiry (about 2 s) as God sees it; no timing is asserted.
    await eventually('the constraint to expire', async () => ((await god().query(godConstraintsQuery)).some((c) => c.id === constraint.id) ? undefined : true), 20_000);
    await new Promise((r) => setTimeout(r, 2_100)); // the activity's constraint cache (2 s)
    const after = await run({ objective: 'Take the checkout service offline to upgrade its database', maxIterations: 3 }, 'after-expiry');
    expect(after.status).not.toBe('rejected');
  });

  it('pantheon constraints add, list and remove talk to God, audited in its decisions', async () => {
    const env = { TEMPORAL_ADDRESS: testAddress(), PANTHEON_TASK_QUEUE: taskQueue, PANTHEON_GOD_ID: godId };
    const added = await runCli(['constraints', 'add', '--text', 'no new dependencies', '--scope', 'web app', '--until', '2099-01-01', '--id', 'deps-freeze', '--by', 'bob'], env);
    expect(added).toMatchObject({ code: 0, stdout: expect.stringContaining('constraint added: deps-freeze  "no new dependencies"  scope: web app  until 2099-01-01T23:59:59.999Z  set by operator bob') });
    const listed = await runCli(['constraints', 'list'], env);
    expect(listed.stdout).toContain('deps-freeze');
    // The same id with another text: what God holds stands, and the command says so.
    const again = await runCli(['constraints', 'add', '--text', 'no new runtime dependencies', '--id', 'deps-freeze', '--by', 'bob'], env);
    expect(again).toMatchObject({ code: 0, stdout: expect.stringContaining('constraint already held with another text; yours was not applied (remove deps-freeze first to change it): deps-freeze  "no new dependencies"') });
    const removed = await runCli(['constraints', 'remove', 'deps-freeze', '--reason', 'sprint over', '--by', 'bob'], env);
    expect(removed).toMatchObject({ code: 0, stdout: expect.stringContaining('constraint removed: deps-freeze') });
    const missing = await runCli(['constraints', 'remove', 'deps-freeze'], env);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('no constraint "deps-freeze"');
    const audit = (await god().query(godDecisionsQuery)).filter((d) => d.kind === 'constraint').map((d) => d.detail);
    expect(audit).toEqual(expect.arrayContaining([expect.stringContaining('added deps-freeze (set by operator bob)'), expect.stringContaining('removed deps-freeze (set by operator bob) by bob: sprint over')]));
  });

  it('pantheon constraints refuses a bad flag before sending anything, naming the flag the user typed (an empty one too)', async () => {
    const env = { TEMPORAL_ADDRESS: testAddress(), PANTHEON_TASK_QUEUE: taskQueue, PANTHEON_GOD_ID: godId };
    const before = (await god().query(godDecisionsQuery)).length;
    const cases: Array<[string[], RegExp]> = [
      [['add', '--text', 'no new dependencies', '--until', '2026-13-01'], /^error: invalid_input: constraints: --until: /m],
      [['add', '--text', 'no new dependencies', '--for-hours', 'abc'], /^error: invalid_input: constraints: --for-hours: /m],
      [['add', '--text', 'no new dependencies', '--until', '2027-01-01', '--for-hours', '2'], /^error: invalid_input: constraints: --for-hours: give --until or --for-hours, not both$/m],
      [['add', '--text', 'no new dependencies', '--by', ''], /^error: invalid_input: constraints: --by: /m],
      [['add', '--text', 'no new dependencies', '--id', ''], /^error: invalid_input: constraints: --id: /m],
      // Padded: named, as submit --id is, not trimmed into another id.
      [['add', '--text', 'no new dependencies', '--id', ' deps-freeze '], /^error: invalid_input: constraints: --id: " deps-freeze " must not start or end with spaces$/m],
      [['add', '--text', 'no new dependencies', '--scope', ''], /^error: invalid_input: constraints: --scope: /m],
      [['remove', 'deps-freeze', '--reason', ''], /^error: invalid_input: constraints: --reason: /m],
    ];
    for (const [args, message] of cases) {
      const run = await runCli(['constraints', ...args], env);
      expect({ args, code: run.code }).toEqual({ args, code: 1 });
      expect(run.stderr).toMatch(message);
    }
    expect((await god().query(godDecisionsQuery)).length).toBe(before);
  });

  it('a goal\'s constraints are held as standing constraints set by the goal', async () => {
    await god().executeUpdate(addGoalUpdate, { args: [{ id: 'checkout-calm', objective: 'Keep the checkout service healthy this week', cadenceMinutes: 600, constraints: [{ text: 'no downtime', scope: 'checkout', forHours: 1 }] }] });
    await god().executeUpdate(removeGoalUpdate, { args: [{ goalId: 'checkout-calm' }] });
    const held = await god().query(godConstraintsQuery);
    expect(held).toEqual(expect.arrayContaining([expect.objectContaining({ id: 'goal:checkout-calm:c0', setBy: { kind: 'goal', id: 'checkout-calm' } })]));
    await god().executeUpdate(removeConstraintUpdate, { args: [{ id: 'goal:checkout-calm:c0' }] });
  });

  it('constraints survive a worker restart', async () => {
    await god().executeUpdate(addConstraintUpdate, { args: [{ id: 'ops-freeze', spec: { text: 'read-only', scope: 'billing database' }, setBy: { kind: 'operator', id: 'alice' } }] });
    await h.stop();
    h = await startHarness('constraints-restarted', { taskQueue, godId });
    const later = await run({ objective: 'Update the tax rates stored in the billing database to the 2027 values' }, 'after-restart');
    expect(later.status).toBe('rejected');
    expect(later.reasons.join('\n')).toContain('ops-freeze (set by operator alice)');
    await maybeRecordHistory(godId, 'god-constraints');
    await maybeRecordHistory(later.taskId, 'rejected-by-standing-constraint-task');
  });
});
