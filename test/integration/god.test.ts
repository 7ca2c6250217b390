import { formatSpend } from '../../src/budget/spend-text';
import { WorkflowFailedError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TaskOutcome } from '../../src/workflows/task-state';
import { stateQuery } from '../../src/workflows/agent-task-api';
import { chainStatsName } from '../../src/god/stats';
import {
  godCarriedStateQuery,
  addGoalUpdate,
  godGoalsQuery,
  godReviewsQuery,
  godRosterQuery,
  pauseUpdate,
  resumeUpdate,
  reviewDecisionUpdate,
  submitTaskUpdate,
} from '../../src/workflows/god-api';
import path from 'node:path';
import { loadRoster } from '../../src/specialists/roster';
import { repoRoot } from '../../src/config/paths';
import { startHarness, type Harness } from '../support/harness';
import { startTask } from '../../src/client/submit-task';
import { TaskInputSchema } from '../../src/tasks/task-input';
import { maybeRecordHistory, scheduledActivities } from '../support/history';
import { eventually } from '../support/eventually';
import { billed } from '../support/billed';
import { godDecisions, godQueue, godStatus, startTestGod } from '../support/god';
import { godUpdate } from '../../src/client/god-client';
import { exitCodeFor } from '../../src/client/exit';

/**
 * The God orchestrator end to end on the real dev server: every decision it takes (route, chain,
 * spawn, review) carried out by real child workflows, the offline provider answering through the
 * real SDKs, and bad input refused by the update validators with the field named.
 */

let h: Harness;
let godId: string;
let god: WorkflowHandle;

beforeAll(async () => {
  godId = `god-e2e-${process.pid}-${Date.now()}`;
  h = await startHarness('god', { godId });
  // A fixed routing seed: with one drawn from the workflow id, God's learned policy explored the
  // fallback on the first route about one run in twenty (routing-policy.test.ts tests the policy).
  // The stream is drawn at assessment and again at start, so the seed fits those two draws.
  god = await startTestGod(h.client, { id: godId, taskQueue: h.taskQueue, config: { routingSeed: 1 } });
});

afterAll(async () => {
  await god?.terminate('test over').catch(() => undefined);
  await h?.stop();
});

const submit = (objective: string, taskId: string, extra: Record<string, unknown> = {}) =>
  god.executeUpdate(submitTaskUpdate, { args: [{ task: { objective, ...extra }, taskId }] });

const outcomeOf = async (taskId: string) => (await h.client.workflow.getHandle(taskId).result()) as TaskOutcome;

const finishedIn = async (taskId: string) =>
  eventually(`God to hear that ${taskId} finished`, async () => {
    const decisions = await godDecisions(god);
    return decisions.find((d) => d.taskId === taskId && d.kind === 'finished');
  });

describe('God orchestrator', () => {
  it('routes a submitted task to the specialist the rules pick, starts it and hears its end', async () => {
    const taskId = `${godId}-route`;
    const accepted = await submit('Add a created_at column with an index to the orders table in Postgres', taskId);
    expect(accepted).toEqual({ taskId, accepted: true, status: 'assessing' });
    const outcome = await eventually('the routed task to end', async () => (await h.client.workflow.getHandle(taskId).describe().catch(() => undefined)) && outcomeOf(taskId));
    expect(outcome.status).toBe('completed');
    expect(outcome.specialist).toBe('DatabaseAgent');
    const finished = await finishedIn(taskId);
    expect(finished.detail).toMatch(/^completed/);
    const decisions = await godDecisions(god);
    expect(decisions.find((d) => d.taskId === taskId && d.kind === 'route')?.detail).toMatch(/DatabaseAgent|rules/);
    // The task's route says how God chose (its rules, their confidence), not "requested, confidence 1".
    const route = (await h.client.workflow.getHandle(taskId).query(stateQuery)).route;
    expect(route).toMatchObject({ method: 'rules', reason: expect.stringMatching(/^God: /) });
    expect(route!.confidence).toBeLessThan(1);
    expect(await h.memory.get(`${taskId}:outcome`)).toMatchObject({ routeMethod: 'rules' });
    // The decision travels with the task: the Web UI shows the child's memo.
    const description = await h.client.workflow.getHandle(taskId).describe();
    expect(description.memo?.godDecision).toMatchObject({ kind: 'route', lane: 'main' });
    // A second submission with the same id changes nothing.
    expect(await submit('Add a created_at column with an index to the orders table in Postgres', taskId)).toMatchObject({ accepted: false });
  });

  it("names the specialist a reassigned task ended on in God's finished decision, not only the one it was routed to", async () => {
    const taskId = `${godId}-reassigned-${Date.now()}`;
    h.provider.addFault({ kind: 'unavailable', match: { task: taskId, agent: 'DatabaseAgent' } });
    const retry = { runSpecialist: { initialIntervalMs: 100, maximumIntervalMs: 400, maximumAttempts: 2 } };
    expect(await submit('Add a created_at column with an index to the orders table in Postgres', taskId, { retry })).toMatchObject({ accepted: true });
    const outcome = await eventually('the reassigned task to end', async () => (await h.client.workflow.getHandle(taskId).describe().catch(() => undefined)) && outcomeOf(taskId));
    expect(outcome.status).toBe('completed');
    expect(outcome.specialistsTried[0]).toBe('DatabaseAgent');
    expect(outcome.specialist).not.toBe('DatabaseAgent');
    const finished = await finishedIn(taskId);
    expect(finished.detail).toMatch(new RegExp(`^completed \\$\\d+\\.\\d+ \\(${outcome.specialist}, reassigned from DatabaseAgent\\): `));
  });

  it('does not run again a task id a closed workflow already had: it is dropped as a duplicate, not paid for twice', async () => {
    const taskId = `${godId}-closed-${Date.now()}`;
    // Run directly to its end (or, as well, by God long enough ago that it left God's finished ids).
    const direct = await startTask(h.client, h.taskQueue, TaskInputSchema.parse({ objective: 'Add a created_at column with an index to the orders table in Postgres' }), taskId);
    expect((await direct.result()).status).toBe('completed');
    const callsBefore = h.provider.calls().filter((c) => c.task === taskId).length;

    expect(await submit('Add a created_at column with an index to the orders table in Postgres', taskId)).toMatchObject({ accepted: true });
    const dropped = await eventually(`God to drop ${taskId}`, async () => (await godDecisions(god)).find((d) => d.taskId === taskId && d.kind === 'drop'));
    expect(dropped.detail).toMatch(/already exists; not started again/);
    const runs: string[] = [];
    for await (const info of h.client.workflow.list({ query: `WorkflowId = '${taskId}'` })) runs.push(info.runId);
    expect(runs).toHaveLength(1);
    expect(h.provider.calls().filter((c) => c.task === taskId)).toHaveLength(callsBefore);
    await maybeRecordHistory(godId, 'god-children-reject-closed-ids');

    // Once dropped, the id stays God's: submitted again, it is told so, not assessed and dropped again.
    expect(await submit('Add a created_at column with an index to the orders table in Postgres', taskId)).toEqual({ taskId, accepted: false, status: 'finished' });
    expect((await godDecisions(god)).filter((d) => d.taskId === taskId && d.kind === 'drop')).toHaveLength(1);
    // Since the 'duplicate-ids-stay-known' patch.
    await maybeRecordHistory(godId, 'god-duplicate-ids-stay-known');
  });

  it('chains research then database work as a taskChain that ends in one terminal state', async () => {
    const taskId = `${godId}-chain`;
    await submit('Research and compare the vendors and the evidence for sharding options, then write the SQL migration with an index for the orders table schema', taskId);
    const outcome = await eventually('the chain to end', async () => (await h.client.workflow.getHandle(taskId).describe().catch(() => undefined)) && outcomeOf(taskId));
    const description = await h.client.workflow.getHandle(taskId).describe();
    expect(description.type).toBe('taskChain');
    expect(description.memo?.godDecision).toMatchObject({ kind: 'chain' });
    expect((description.memo?.godDecision as { plan: string[] }).plan).toEqual(['ResearchAgent', 'DatabaseAgent']);
    expect(outcome.status).toBe('completed');
    await finishedIn(taskId);
    // Its cost is learned as the plan's, not as one run of its first specialist.
    const stats = (await god.query(godCarriedStateQuery)).stats;
    const chainKey = `|${chainStatsName(['ResearchAgent', 'DatabaseAgent'])}`;
    expect(Object.entries(stats).filter(([key]) => key.endsWith(chainKey)).map(([, s]) => s)).toEqual([expect.objectContaining({ runs: 1, successes: 1, meanCostUsd: outcome.costUsd })]);
    expect(Object.keys(stats).filter((key) => key.endsWith('|ResearchAgent'))).toEqual([]);
  });

  it("routes a task whose keywords tie two roster specialists to the rules' pick: no spawn in a kind DatabaseAgent serves, no review", async () => {
    // "write" is the Generalist's keyword, "stored procedure" DatabaseAgent's: a tie, confidence
    // 0.40. God spawned a Database2Agent for it (and sent the next such task to review).
    const tieGodId = `${godId}-tie`;
    const tieGod = await startTestGod(h.client, { id: tieGodId, taskQueue: h.taskQueue, config: { routingSeed: 1 } });
    try {
      const taskId = `${tieGodId}-stored-procedure`;
      await tieGod.executeUpdate(submitTaskUpdate, { args: [{ task: { objective: 'Write a stored procedure that archives closed tickets older than a year' }, taskId }] });
      const decided = await eventually('God to decide the tied task', async () => (await godDecisions(tieGod)).find((d) => d.taskId === taskId && ['route', 'spawn', 'chain', 'reject'].includes(d.kind)));
      expect(decided.kind).toBe('route');
      expect(decided.detail).toMatch(/^rules: DatabaseAgent \(confidence 0\.40\)/);
      expect(decided.detail).not.toMatch(/review/);
      const outcome = await eventually('the tied task to end', async () => (await h.client.workflow.getHandle(taskId).describe().catch(() => undefined)) && outcomeOf(taskId));
      expect({ status: outcome.status, specialist: outcome.specialist }).toEqual({ status: 'completed', specialist: 'DatabaseAgent' });
      expect((await tieGod.query(godRosterQuery)).specialists).toEqual([]);
      const finished = await eventually('God to hear the tied task finished', async () => (await godDecisions(tieGod)).find((d) => d.taskId === taskId && d.kind === 'finished'));
      // Its cost as the CLI prints it: six decimals below a cent (toFixed(4) once made many such costs $0.0000 or $0.0006 alike).
      expect(outcome.costUsd).toBeLessThan(0.01);
      expect(finished.detail.startsWith(`completed ${formatSpend(outcome.costUsd)} (`)).toBe(true);
      await maybeRecordHistory(tieGodId, 'god-keyword-tie-routes');
    } finally {
      await tieGod.terminate('test over').catch(() => undefined);
    }
  });

  it('holds an irreversible task for review and runs it once approved', async () => {
    const taskId = `${godId}-approve`;
    await submit('Drop the legacy_sessions table from the production Postgres database', taskId);
    const review = await eventually('the task to await review', async () => (await god.query(godReviewsQuery)).find((r) => r.taskId === taskId));
    expect(review.status).toBe('awaiting_review');
    expect(review.review?.reasons.join(' ')).toMatch(/irreversible|drop/i);
    // Nothing runs while it waits.
    await expect(h.client.workflow.getHandle(taskId).describe()).rejects.toThrow();
    await god.executeUpdate(reviewDecisionUpdate, { args: [{ taskId, decision: 'approve', reason: 'backed up first', by: 'test' }] });
    const outcome = await eventually('the approved task to end', async () => (await h.client.workflow.getHandle(taskId).describe().catch(() => undefined)) && outcomeOf(taskId));
    expect(outcome.status).toBe('completed');
  });

  it('drops a rejected review without starting anything', async () => {
    const taskId = `${godId}-reject`;
    await submit('Delete every row of the audit_log table in the production database', taskId);
    await eventually('the task to await review', async () => (await god.query(godReviewsQuery)).find((r) => r.taskId === taskId));
    await god.executeUpdate(reviewDecisionUpdate, { args: [{ taskId, decision: 'reject', reason: 'we keep audit logs', by: 'test' }] });
    const decisions = await godDecisions(god);
    expect(decisions.find((d) => d.taskId === taskId && d.kind === 'review')?.detail).toMatch(/reject by test: we keep audit logs/);
    expect((await godQueue(god)).find((q) => q.taskId === taskId)).toBeUndefined();
    await expect(h.client.workflow.getHandle(taskId).describe()).rejects.toThrow();
  });

  it('spawns a specialist when nobody fits, and a worker runs it without a restart once reviewed', async () => {
    const taskId = `${godId}-spawn`;
    await submit('Negotiate the renewal terms of the office lease with the landlord before it expires in March', taskId);
    const review = await eventually('the spawned specialist trial to await review', async () => (await god.query(godReviewsQuery)).find((r) => r.taskId === taskId));
    expect(review.decision?.kind).toBe('spawn');
    expect(review.lane).toBe('experimental');
    const roster = await god.query(godRosterQuery);
    expect(roster.specialists).toHaveLength(1);
    const spawned = roster.specialists[0];
    expect(spawned.status).toBe('trial');
    expect(review.decision?.specialist).toBe(spawned.name);
    expect(h.roster.get(spawned.name)).toBeUndefined(); // not in the seed roster
    await god.executeUpdate(reviewDecisionUpdate, { args: [{ taskId, decision: 'approve', by: 'test' }] });
    const outcome = await eventually('the spawned specialist task to end', async () => (await h.client.workflow.getHandle(taskId).describe().catch(() => undefined)) && outcomeOf(taskId));
    expect(outcome.status).toBe('completed');
    expect(outcome.specialist).toBe(spawned.name);
    // `pantheon status` says God spawned it, not that the rules picked it.
    expect(outcome.route?.method).toBe('spawned');
    // The provider saw the spawned specialist's own system prompt.
    expect(h.provider.calls().some((c) => c.task === taskId && c.purpose === 'specialist')).toBe(true);
  });

  it('sends a trial specialist a task like the one it was spawned for, and counts it cancelled in neither its trial nor the statistics', async () => {
    const before = (await god.query(godRosterQuery)).specialists[0];
    // God's statistics of the spawned specialist (any kind).
    const statsOfSpawned = async () => Object.entries((await god.query(godCarriedStateQuery)).stats).filter(([key]) => key.includes(before.name));
    const statsBefore = await statsOfSpawned();
    expect(statsBefore).not.toEqual([]);
    const taskId = `${godId}-spawned-cancelled`;
    await submit('Negotiate the renewal terms of the parking lease with the landlord before it expires in June', taskId);
    const review = await eventually('the trial run to await review', async () => (await god.query(godReviewsQuery)).find((r) => r.taskId === taskId));
    // The rules cannot place it ("general" to them); memory knows the spawned specialist did one like it.
    expect(review.decision).toMatchObject({ kind: 'route', specialist: before.name });
    expect(review.lane).toBe('experimental');
    expect(review.review?.reasons).toContain(`trial run ${before.runs + 1} of 3 of spawned specialist ${before.name}`);
    // Slow answers: the run is still under way when the operator cancels it.
    h.provider.setLatency(2_000);
    try {
      await god.executeUpdate(reviewDecisionUpdate, { args: [{ taskId, decision: 'approve', by: 'test' }] });
      await eventually('the trial run to call its specialist', async () => h.provider.calls().some((c) => c.task === taskId && c.purpose === 'specialist') || undefined);
      await h.client.workflow.getHandle(taskId).cancel();
      expect((await outcomeOf(taskId)).status).toBe('cancelled');
    } finally {
      h.provider.setLatency(0);
    }
    await finishedIn(taskId);
    const after = (await god.query(godRosterQuery)).specialists.find((sp) => sp.name === before.name)!;
    expect({ runs: after.runs, successes: after.successes, status: after.status }).toEqual({ runs: before.runs, successes: before.successes, status: before.status });
    expect(await statsOfSpawned()).toEqual(statsBefore);
    await maybeRecordHistory(godId, 'god-cancelled-trial-run');
  });

  it("starts a task its assessment rejects as a workflow that ends rejected with God's reasons, not validated again", async () => {
    // No keyword routes it and the rules leave it undecided: God asks the model at once (billed to
    // its assessment), which rejects it; the task ends on God's reasons without asking again.
    const taskId = `${godId}-vague`;
    await submit('Make the product more user friendly', taskId);
    await eventually(`God to start ${taskId}`, () => h.client.workflow.getHandle(taskId).describe().catch(() => undefined));
    const outcome = await outcomeOf(taskId);
    expect(outcome).toMatchObject({ status: 'rejected', costUsd: 0 });
    expect(outcome.reasons.join('\n')).toMatch(/\(second stage\)/);
    const input = (await h.client.workflow.getHandle(taskId).fetchHistory()).events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    expect(JSON.parse(Buffer.from(input!.data!).toString()).rejected).toEqual(outcome.reasons);
    expect(await scheduledActivities(h.client, taskId)).toEqual([]);
    // One model call for it in all, God's: the task's own validation did not ask again.
    const calls = h.provider.calls().filter((c) => c.task === taskId || c.task === `${godId}:assess:${taskId}`);
    expect(calls.map((c) => [c.task, c.purpose])).toEqual([[`${godId}:assess:${taskId}`, 'validator']]);
    await finishedIn(taskId);
    await maybeRecordHistory(taskId, 'agent-task-rejected-by-god');
    await maybeRecordHistory(godId, 'god-rejection-travels-with-task');
  });

  it("fails a start whose input God does not take, naming the field: a setting without its config wrapper, an input that is no object, a bad setting", async () => {
    const startWith = async (name: string, input: unknown) => {
      const id = `${godId}-input-${name}`;
      const handle = await h.client.workflow.start('god', { workflowId: id, taskQueue: h.taskQueue, args: [input as never] });
      const err = await handle.result().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(WorkflowFailedError);
      return { id, message: String((err as WorkflowFailedError).cause?.message) };
    };
    const [unwrapped, noObject, badSetting] = await Promise.all([
      // What the Temporal CLI's --input '{"tickSeconds":5,"pacing":"none"}' sends: before, God ran on its defaults.
      startWith('unwrapped', { tickSeconds: 5, pacing: 'none' }),
      startWith('string', 'nope'),
      startWith('bad-setting', { config: { tickSeconds: -1 } }),
    ]);
    expect(unwrapped.message).toBe('god input: tickSeconds: unknown field (a setting: give it under "config", {"config":{"tickSeconds":…}}); pacing: unknown field (a setting: give it under "config", {"config":{"pacing":…}}); God takes config, state, goals');
    expect(noObject.message).toBe('god input: expected an object {"config": {…}, "goals": […]}, got string');
    expect(badSetting.message).toMatch(/^god config: tickSeconds/);
    // Nothing started: the failed start ran no activity and started no child.
    expect(await scheduledActivities(h.client, unwrapped.id)).toEqual([]);
    await maybeRecordHistory(unwrapped.id, 'god-input-refused');
  });

  it('refuses malformed input in the validator, naming the field, and leaves its state unchanged', async () => {
    const before = await godStatus(god);
    const goalsBefore = await god.query(godGoalsQuery);
    const refusal = async (run: () => Promise<unknown>) => {
      const err = await run().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
      return String((err as WorkflowUpdateFailedError).cause?.message ?? err);
    };
    expect(await refusal(() => god.executeUpdate(submitTaskUpdate, { args: [{ task: { objective: 'short' } }] }))).toMatch(/task\.objective/);
    // Each retry field within its bounds, but a maximum below the initial interval: Temporal would refuse the policy at the first activity.
    const badRetry = { objective: 'Rebuild the search index for the product catalogue', retry: { runSpecialist: { initialIntervalMs: 10_000, maximumIntervalMs: 100 } } };
    expect(await refusal(() => god.executeUpdate(submitTaskUpdate, { args: [{ task: badRetry }] }))).toMatch(/^submitTask: task\.retry\.runSpecialist\.maximumIntervalMs: maximumIntervalMs 100 is below initialIntervalMs 10000/);
    // God's own id and the ledger's were accepted, then dropped at the start ("already exists"); a padded id was trimmed.
    const objective = 'Rebuild the search index for the product catalogue';
    for (const taskId of [godId, 'pantheon-god', 'pantheon-budget-ledger', ' padded ']) {
      expect(await refusal(() => god.executeUpdate(submitTaskUpdate, { args: [{ task: { objective }, taskId }] }))).toMatch(/^submitTask: taskId: /);
    }
    expect(await refusal(() => god.executeUpdate(addGoalUpdate, { args: [{ id: 'g-bad', objective: 'Keep the orders table indexes healthy', value: 11 }] }))).toMatch(/value/);
    expect(await refusal(() => god.executeUpdate(reviewDecisionUpdate, { args: [{ taskId: 'no-such-task', decision: 'approve' }] }))).toMatch(/taskId/);
    expect(await refusal(() => god.executeUpdate(reviewDecisionUpdate, { args: [{ taskId: `${godId}-route`, decision: 'maybe' } as never] }))).toMatch(/decision/);
    const after = await godStatus(god);
    expect(after.counters).toEqual(before.counters);
    expect(after.queued + after.awaitingReview).toBe(before.queued + before.awaitingReview);
    expect(await god.query(godGoalsQuery)).toEqual(goalsBefore);
    await maybeRecordHistory(godId, 'god-decisions');
  });
});

describe('God with a short review timeout and frequent reconciliation', () => {
  let quick: WorkflowHandle;
  const quickId = `god-quick-${process.pid}-${Date.now()}`;

  beforeAll(async () => {
    quick = await startTestGod(h.client, { id: quickId, taskQueue: h.taskQueue, config: { reviewTimeoutHours: 0.001, reconcileEveryTicks: 2 } });
  });

  afterAll(async () => {
    await quick?.terminate('test over').catch(() => undefined);
  });

  it('applies the default (reject) when nobody reviews in time, with a reason', async () => {
    const taskId = `${quickId}-timeout`;
    await quick.executeUpdate(submitTaskUpdate, { args: [{ task: { objective: 'Truncate the sessions table in the production database' }, taskId }] });
    const timedOut = await eventually('the review to time out', async () => (await godDecisions(quick)).find((d) => d.taskId === taskId && d.kind === 'review'), 30_000);
    expect(timedOut.detail).toMatch(/timed out: no review decision within 0.001 h; the default \(reject\) applies/);
    expect((await godQueue(quick)).find((q) => q.taskId === taskId)).toBeUndefined();
    await expect(h.client.workflow.getHandle(taskId).describe()).rejects.toThrow();
  });

  it('hears of a task killed outright (it never reports) through reconciliation', async () => {
    const taskId = `${quickId}-killed`;
    // Slow answers keep the task running long enough to be killed mid-run.
    h.provider.setLatency(300);
    await quick.executeUpdate(submitTaskUpdate, { args: [{ task: { objective: 'Migrate all eleven Postgres tables of the orders schema to the tenant-aware layout with a backfill', maxIterations: 200 }, taskId }] });
    await eventually('the task to start', async () => (await h.client.workflow.getHandle(taskId).describe().catch(() => undefined)) ?? undefined);
    // Killed mid-run, once its specialist has been answered at least once: it has spent.
    await eventually('a specialist call answered', async () => h.provider.calls().some((c) => c.task === taskId && c.purpose === 'specialist') || undefined, 30_000);
    await h.client.workflow.getHandle(taskId).terminate('killed by the test');
    h.provider.setLatency(0);
    const finished = await eventually('God to reconcile the killed task', async () => (await godDecisions(quick)).find((d) => d.taskId === taskId && d.kind === 'finished'), 30_000);
    expect(finished.detail).toMatch(/^cancelled/);
    expect(finished.detail).toMatch(/terminated/i);
    // At what the ledger charged it (its bill closed by the reconciliation): at least what the
    // provider billed for it, by the provider's own log; until 2026-12-07 such a task counted $0.
    const charged = Number(/^cancelled \$([0-9.]+) /.exec(finished.detail)?.[1]);
    const providerBill = billed(h.provider.calls().filter((c) => c.task === taskId));
    expect(providerBill).toBeGreaterThan(0);
    expect(charged).toBeGreaterThanOrEqual(Number(providerBill.toFixed(6)));
    expect((await h.gate.snapshot()).scopes.some((s) => s.scope === `task:${taskId}`)).toBe(false);
    expect((await godStatus(quick)).inFlight).toBe(0);
  });
});

describe("God's queue in bytes", () => {
  const gods: WorkflowHandle[] = [];
  afterAll(async () => {
    for (const g of gods) await g.terminate('test over').catch(() => undefined);
  });
  const objective = (i: number) => `Add an index on the orders.customer_id column in Postgres and backfill it for region ${i}`;
  /** The queue as God carries it (tasks with assessments and decisions), not the view `queue` answers. */
  const queuedBytes = async (god: WorkflowHandle) => (await god.query(godCarriedStateQuery)).queue.reduce((n, q) => n + JSON.stringify(q).length, 0);

  it('holds 80 submitted tasks, assessed, within its default bounds (the 80 KB cap was full at ~30)', async () => {
    const id = `god-queue-bytes-${process.pid}-${Date.now()}`;
    const god = await startTestGod(h.client, { id, taskQueue: h.taskQueue });
    gods.push(god);
    await god.executeUpdate(pauseUpdate, { args: [{ reason: 'filling the queue' }] });
    for (let i = 0; i < 80; i++) await god.executeUpdate(submitTaskUpdate, { args: [{ task: { objective: objective(i) }, taskId: `${id}-t${i}` }] });
    const queue = await eventually('80 tasks assessed', async () => {
      const q = await godQueue(god);
      return q.length === 80 && q.every((x) => x.status === 'queued') ? q : undefined;
    }, 120_000);
    expect(queue).toHaveLength(80);
    expect(await queuedBytes(god)).toBeGreaterThan(80_000);
  }, 180_000);

  it('refuses a task while the queue has no room for it once assessed, so assessment never carries it past maxQueueBytes', async () => {
    const id = `god-queue-cap-${process.pid}-${Date.now()}`;
    const god = await startTestGod(h.client, { id, taskQueue: h.taskQueue, config: { maxQueueBytes: 20_000 } });
    gods.push(god);
    await god.executeUpdate(pauseUpdate, { args: [{ reason: 'filling the queue' }] });
    let accepted = 0;
    let refusal: unknown;
    for (let i = 0; i < 40 && refusal === undefined; i++) {
      await god.executeUpdate(submitTaskUpdate, { args: [{ task: { objective: objective(i) }, taskId: `${id}-t${i}` }] }).then(
        () => (accepted += 1),
        (e: WorkflowUpdateFailedError) => (refusal = e.cause),
      );
    }
    expect(refusal).toMatchObject({ type: 'god_queue_full', message: expect.stringMatching(/maxQueueBytes 20000/) });
    const queue = await eventually('the accepted tasks assessed', async () => {
      const q = await godQueue(god);
      return q.length === accepted && q.every((x) => x.status === 'queued') ? q : undefined;
    }, 60_000);
    expect(queue.length).toBeGreaterThan(3);
    expect(await queuedBytes(god)).toBeLessThanOrEqual(20_000);
  }, 120_000);
});

describe('God within its bounds', () => {
  let bounded: WorkflowHandle;
  const boundedId = `god-bounded-${process.pid}-${Date.now()}`;

  beforeAll(async () => {
    bounded = await startTestGod(h.client, { id: boundedId, taskQueue: h.taskQueue, config: { maxQueue: 3, maxInFlight: 1 } });
  });

  afterAll(async () => {
    await bounded?.terminate('test over').catch(() => undefined);
  });

  it('refuses a task past its queue bound, admits no more than maxInFlight at once, and still runs every accepted task', async () => {
    await bounded.executeUpdate(pauseUpdate, { args: [{ reason: 'filling the queue' }] });
    const ids = [0, 1, 2].map((i) => `${boundedId}-t${i}`);
    for (const [i, taskId] of ids.entries()) {
      await bounded.executeUpdate(submitTaskUpdate, { args: [{ task: { objective: `Add an index on the orders.customer_id column in Postgres, shard ${i}` }, taskId }] });
    }
    const session = { client: h.client, handle: bounded, godId: boundedId, address: '', namespace: 'default', taskQueue: h.taskQueue };
    const refused = await godUpdate(session, submitTaskUpdate, { task: { objective: 'Add an index on the orders.region column in Postgres' } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    // Through the client as the CLI runs it: a full queue is no fault of the input, so exit 75.
    expect(refused).toMatchObject({ type: 'god_queue_full', message: expect.stringMatching(/queue is full \(3 tasks, maxQueue 3\); try again once queued tasks start \(exit 75\)/) });
    expect(exitCodeFor(refused)).toBe(75);
    // Paused: assessed and decided, but nothing starts, and each says why it waits.
    const waiting = await eventually('the queued tasks to say they wait for the pause', async () => {
      const queue = await godQueue(bounded);
      return queue.length === 3 && queue.every((q) => /paused/.test(q.waitReason ?? '')) ? queue : undefined;
    });
    expect(waiting.map((q) => q.status)).toEqual(['queued', 'queued', 'queued']);

    await bounded.executeUpdate(resumeUpdate, { args: [{ reason: 'go' }] });
    let most = 0;
    await eventually(
      'every accepted task to finish',
      async () => {
        const s = await godStatus(bounded);
        most = Math.max(most, s.inFlight);
        return s.counters.finished === 3 ? s : undefined;
      },
      60_000,
      100,
    );
    expect(most).toBeLessThanOrEqual(1);
    for (const taskId of ids) expect((await outcomeOf(taskId)).status).toBe('completed');
  });

  // Last in the file: the overrides it sets hold every specialist's hour for a minute.
  it('learns nothing of a specialist from a task the ledger stopped past max_spawn_depth (no statistics, no routing record)', async () => {
    const taskId = `${godId}-too-deep`;
    const carried = () => god.query(godCarriedStateQuery);
    const before = await eventually('God to seed its routing policy', async () => ((await carried()).routing ? carried() : undefined));
    // Spawned far below the harness's max_spawn_depth: its first call is refused, $0.
    const lineage = { rootTaskId: `${godId}-root`, parentTaskId: `${godId}-parent`, spawnDepth: 50 };
    expect(await submit('Add a created_at column with an index to the orders table in Postgres', taskId, { lineage })).toMatchObject({ accepted: true });
    const finished = await finishedIn(taskId);
    expect(finished.detail).toMatch(/^budget_exceeded \$0\.0+ .*past max_spawn_depth \d+; it makes no call/);
    const after = await carried();
    expect(after.stats).toEqual(before.stats);
    expect(after.routing!.active.arms).toEqual(before.routing!.active.arms);
    expect(after.counters.finished).toBe(before.counters.finished + 1);
    await maybeRecordHistory(godId, 'god-spawn-depth-unjudged');
  });

  it('learns nothing of a specialist from a task a budget limit dead-lettered before it could run (no statistics, no routing record)', async () => {
    const taskId = `${godId}-denied`;
    const carried = () => god.query(godCarriedStateQuery);
    // Whatever arm the policy picks, its hour cannot afford a call.
    const specialists = [...loadRoster(path.join(repoRoot(), 'agents')).specialists.map((s) => s.name), ...(await god.query(godRosterQuery)).specialists.map((s) => s.name)];
    for (const name of specialists) {
      await h.gate.setOverride({ who: 'god.test', why: 'an hour spent', scope: `agent:${name}:hour`, limitUsd: 1e-9, untilMs: Date.now() + 60_000 });
    }
    const before = await carried();
    expect(await submit('Add a created_at column with an index to the orders table in Postgres', taskId, { maxReassignments: 0 })).toMatchObject({ accepted: true });
    const finished = await finishedIn(taskId);
    expect(finished.detail).toMatch(/^dead_lettered \$0\.0+ .*failed; last: agent_budget_exhausted/);
    const after = await carried();
    expect(after.stats).toEqual(before.stats);
    expect(after.routing!.active.arms).toEqual(before.routing!.active.arms);
    expect(after.counters.finished).toBe(before.counters.finished + 1);
    await maybeRecordHistory(godId, 'god-budget-denial-unjudged');
  });
});
