import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { addGoalUpdate, godGoalsQuery, godReviewsQuery, reviewDecisionUpdate, submitTaskUpdate } from '../../src/workflows/god-api';
import type { TaskOutcome } from '../../src/workflows/task-state';
import { startHarness, type Harness } from '../support/harness';
import { maybeRecordHistory } from '../support/history';
import { eventually } from '../support/eventually';
import { godStatus, startTestGod } from '../support/god';
import { freshState } from '../support/god-fixtures';
import { listedRuns } from '../support/visibility';
import { updateRetryingUnaccepted } from '../../src/client/update-retry';

/**
 * A continue-as-new storm: God forced to continue as new every ~50 events while tasks, goals and
 * review decisions keep arriving. Nothing may be lost: every submitted task runs exactly once and
 * God hears its end, every goal and review decision survives the hand-over between runs.
 */

let h: Harness;
let god: WorkflowHandle;
const godId = `god-storm-${process.pid}-${Date.now()}`;

beforeAll(async () => {
  h = await startHarness('god-storm', { godId });
  god = await startTestGod(h.client, { id: godId, taskQueue: h.taskQueue, config: { continueAsNewEvents: 50 } });
});

afterAll(async () => {
  await god?.terminate('test over').catch(() => undefined);
  await h?.stop();
});

const OBJECTIVES = [
  'Add a created_at column with an index to the orders table in Postgres',
  'Review the pull request that adds a retry helper to the payments module for security bugs',
  'Research and summarize the evidence on vendor options for managed Kafka',
  'Write an on-call runbook checklist for restarting the billing workers',
];

async function runsOf(workflowId: string): Promise<string[]> {
  return (await listedRuns(h.client, workflowId)).map((w) => w.runId);
}

describe('God under a continue-as-new storm', () => {
  it('loses no task, goal or review decision across many runs', async () => {
    const submitted: string[] = [];
    const reviewed: string[] = [];
    for (let wave = 0; wave < 4; wave++) {
      const ids = OBJECTIVES.map((_, i) => `${godId}-w${wave}-t${i}`);
      await Promise.all(ids.map((taskId, i) => updateRetryingUnaccepted(() => god.executeUpdate(submitTaskUpdate, { args: [{ task: { objective: `${OBJECTIVES[i]} (wave ${wave})` }, taskId }] }))));
      submitted.push(...ids);
      const reviewId = `${godId}-w${wave}-drop`;
      await updateRetryingUnaccepted(() => god.executeUpdate(submitTaskUpdate, { args: [{ task: { objective: `Drop the staging_events_${wave} table from the production database` }, taskId: reviewId }] }));
      await updateRetryingUnaccepted(() => god.executeUpdate(addGoalUpdate, { args: [{ id: `storm-goal-${wave}`, objective: `Keep the orders database indexes healthy, part ${wave}`, cadenceMinutes: 600, tasksPerRun: 1 }] }));
      const pending = await eventually(`review ${reviewId} to open`, async () => (await god.query(godReviewsQuery)).find((r) => r.taskId === reviewId));
      await updateRetryingUnaccepted(() => god.executeUpdate(reviewDecisionUpdate, { args: [{ taskId: pending.taskId, decision: 'approve', by: 'storm' }] }));
      reviewed.push(reviewId);
    }

    const all = [...submitted, ...reviewed];
    const outcomes = await Promise.all(
      all.map((id) => eventually(`${id} to end`, async () => (await h.client.workflow.getHandle(id).describe().catch(() => undefined)) && ((await h.client.workflow.getHandle(id).result()) as TaskOutcome), 180_000)),
    );
    expect(outcomes.map((o) => o.status)).toEqual(all.map(() => 'completed'));

    // God heard every end exactly once, through the storm.
    const status = await eventually('God to hear every end', async () => {
      const s = await godStatus(god);
      return s.inFlight === 0 && s.queued === 0 ? s : undefined;
    }, 120_000);
    expect(status.counters.submitted).toBe(all.length);
    expect(status.counters.started).toBe(status.counters.finished);
    // Five runs on a quiet machine; under the full suite's load more updates share a workflow task
    // (fewer events per update), and one run saw four. Three is still a storm for what is checked:
    // nothing lost across a run's end.
    expect(status.counters.continuedAsNew).toBeGreaterThanOrEqual(3);
    expect((await god.query(godGoalsQuery)).map((g) => g.id).filter((id) => id.startsWith('storm-goal-')).sort()).toEqual(['storm-goal-0', 'storm-goal-1', 'storm-goal-2', 'storm-goal-3']);

    // Each task ran as exactly one workflow run.
    for (const id of all) expect(await runsOf(id)).toHaveLength(1);
    const godRuns = await runsOf(godId);
    // Every run God counted is listed (it may have continued again since it was asked).
    expect(godRuns.length).toBeGreaterThanOrEqual(status.counters.continuedAsNew + 1);
    const first = godRuns[godRuns.length - 1];
    const history = await h.client.workflow.getHandle(godId, first).fetchHistory();
    const last = history.events?.at(-1)?.eventType;
    expect(last).toBe(temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW);
    await maybeRecordHistory(godId, 'god-first-run-continued', first);
    await maybeRecordHistory(godId, 'god-later-run', godRuns[1]);
  });
});

describe('God past its history size', () => {
  it('continues as new when its history passes continueAsNewBytes, long before its event count, and carries its queue', async () => {
    const sizedId = `${godId}-bytes`;
    const sized = await startTestGod(h.client, { id: sizedId, taskQueue: h.taskQueue, config: { continueAsNewEvents: 50_000, continueAsNewBytes: 65_536 } });
    try {
      // Long objectives make large updates: the history grows by bytes much faster than by events.
      const padding = ' Keep the migration reversible, batch the backfill, and note every lock it takes.'.repeat(12);
      const ids = Array.from({ length: 12 }, (_, i) => `${sizedId}-t${i}`);
      for (const [i, taskId] of ids.entries()) {
        await updateRetryingUnaccepted(() => sized.executeUpdate(submitTaskUpdate, { args: [{ task: { objective: `${OBJECTIVES[0]} (part ${i}).${padding}` }, taskId }] }));
      }
      const outcomes = await Promise.all(
        ids.map((id) => eventually(`${id} to end`, async () => (await h.client.workflow.getHandle(id).describe().catch(() => undefined)) && ((await h.client.workflow.getHandle(id).result()) as TaskOutcome), 180_000)),
      );
      expect(outcomes.map((o) => o.status)).toEqual(ids.map(() => 'completed'));
      const status = await eventually('God to hear every end', async () => {
        const s = await godStatus(sized);
        return s.inFlight === 0 && s.queued === 0 && s.counters.finished === ids.length ? s : undefined;
      }, 120_000);
      expect(status.counters.continuedAsNew).toBeGreaterThanOrEqual(1);
      expect(status.historyBytes).toBeLessThan(4 * 65_536);
      const runs = await runsOf(sizedId);
      const first = runs[runs.length - 1];
      const history = await h.client.workflow.getHandle(sizedId, first).fetchHistory();
      const events = history.events ?? [];
      expect(events.at(-1)?.eventType).toBe(temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW);
      // By size: far fewer events than the count that would have ended it.
      expect(events.length).toBeLessThan(2_000);
      await maybeRecordHistory(sizedId, 'god-continued-by-history-size', first);
    } finally {
      await sized.terminate('test over').catch(() => undefined);
    }
  });

  it('with a carried state as large as continueAsNewBytes, still waits out ticks between runs (it continued as new after every first tick)', async () => {
    const bigId = `${godId}-big-state`;
    // ~75 KB carried: 300 long finished ids and 50 long decisions, above a 65,536-byte limit.
    const finishedIds = Array.from({ length: 300 }, (_, i) => `${bigId}-finished-${i}-`.padEnd(190, 'x'));
    const recent = Array.from({ length: 50 }, (_, i) => ({ atMs: Date.now(), taskId: `${bigId}-other-${i}`, kind: 'review' as const, detail: `reject by ana: ${'not now. '.repeat(32)}` }));
    const state = freshState({ finishedIds, recent });
    const big = await h.client.workflow.start('god', { workflowId: bigId, taskQueue: h.taskQueue, args: [{ config: { tickSeconds: 1, taskQueue: h.taskQueue, continueAsNewEvents: 50_000, continueAsNewBytes: 65_536 }, state }] });
    try {
      // Ticks (one runway read each) and runs, along the chain of runs back from the current one.
      const chain = async () => {
        let runId: string | undefined = (await big.describe()).runId;
        let runs = 0;
        let ticks = 0;
        let first = runId;
        while (runId) {
          const events: temporal.api.history.v1.IHistoryEvent[] = (await h.client.workflow.getHandle(bigId, runId).fetchHistory()).events ?? [];
          runs += 1;
          first = runId;
          ticks += events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'readRunway').length;
          runId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
        }
        return { runs, ticks, first };
      };
      const seen = await eventually('God to tick 8 times', async () => {
        const c = await chain();
        return c.ticks >= 8 ? c : undefined;
      }, 60_000);
      // Each idle tick adds a few KB: 32 KB of growth (half the limit) takes many ticks.
      expect(seen.runs).toBeLessThanOrEqual(2);
      await maybeRecordHistory(bigId, 'god-continues-after-history-growth', seen.first);
    } finally {
      await big.terminate('test over').catch(() => undefined);
    }
  });
});
