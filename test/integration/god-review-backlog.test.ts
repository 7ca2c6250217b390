import type { WorkflowHandle } from '@temporalio/client';
import type { GoalInput } from '../../src/god/messages';
import { godGoalsQuery, godQueueQuery, pauseUpdate, type GodStatusView } from '../../src/workflows/god-api';
import { maybeRecordEvents, patchIdOf } from '../support/history';
import { startTestGod } from '../support/god';
import { generationsOf, godLife, RunChain } from '../support/god-runs';
import { limitsWith } from '../support/limits';
import { NO_GOD_QUERIES, OrphanedChildLocks, ServerClock, StalledSkips, startTimeSkippingHarness, type TimeSkippingHarness } from '../support/time-skipping';

/**
 * A goal whose tasks all wait for a person's review (god.ts, patch `goal-backlog-leaves-out-reviews`),
 * on the time-skipping test server with real workers. Every task costs more than the review share of
 * what is left of the day, so each goes to review, where it stays (reviews time out after 24 h).
 * Tasks awaiting review cannot start until approved, so they fill no backlog: the goal generates at
 * every cadence. Before, they counted, and once a backlog's worth of them waited the goal generated
 * nothing until their reviews timed out: in `god-days`, a goal whose evening tasks went to review as
 * dearer than what was left of the day started nothing all the next day.
 */

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const HOURS = 6;

const goal: GoalInput = { id: 'vendor-research', objective: 'Research and compare vendor options for the observability tools', value: 4, cadenceMinutes: 60, budgetShare: 1, lane: 'main', tasksPerRun: 2 };

let h: TimeSkippingHarness;
let god: WorkflowHandle;
let godId: string;

beforeAll(async () => {
  godId = `god-review-backlog-${process.pid}-${Date.now()}`;
  h = await startTimeSkippingHarness('god-review-backlog', {
    godId,
    limits: limitsWith({ systemDailyUsd: 0.06, systemHourlyUsd: 0.06, experimentalShare: 0.15 }),
    ...NO_GOD_QUERIES,
  });
}, 120_000);

afterAll(async () => {
  await god?.terminate('test over').catch(() => undefined);
  await h?.stop();
});

describe('a goal whose tasks wait for review', () => {
  it('generates at every cadence: tasks awaiting review fill no backlog', async () => {
    const stalls = new StalledSkips(h);
    const c = new ServerClock(h, stalls);
    const day = Math.floor((await c.sample()) / DAY) * DAY + DAY;
    await c.skipTo(day + 5 * MIN);
    god = await startTestGod(h.client, {
      id: godId,
      taskQueue: h.taskQueue,
      goals: [goal],
      // A task dearer than 1 % of what is left of the day goes to review: every task here.
      config: { tickSeconds: 1200, continueAsNewEvents: 300, pacing: 'even', pacingBurst: 0.1, reviewCostShare: 0.01, lowConfidence: 0, maxSpawnsPerDay: 0 },
    });
    const firstRunId = (await god.describe()).runId;
    const chain = new RunChain(h.client, godId, firstRunId);
    const orphans = new OrphanedChildLocks(h, chain);
    orphans.start();
    for (let hour = 1; hour <= HOURS; hour++) await c.skipTo(day + hour * HOUR);
    await god.executeUpdate<GodStatusView, [{ reason: string }]>(pauseUpdate.name, { args: [{ reason: 'the test is over' }] });
    await orphans.stop();
    const life = await godLife(h.client, godId, firstRunId, chain);

    // Every task it made waits for review, none started.
    const queue = await god.query(godQueueQuery);
    const reviews = queue.filter((q) => q.status === 'awaiting_review');
    expect(reviews.length).toBeGreaterThan(4);
    expect(life.initiated).toEqual([]);
    // It generated at (nearly) every hour, past a backlog's worth of reviews (2 runs of 2 tasks).
    const made = life.runs.flatMap((r) => generationsOf(r.events)).filter((g) => g.goalId === goal.id);
    expect(made.length).toBeGreaterThanOrEqual(HOURS - 1);
    // The path was asked (the marker), and nothing says a full backlog stopped it.
    const marked = life.runs.filter((r) => r.events.some((e) => patchIdOf(e) === 'goal-backlog-leaves-out-reviews'));
    expect(marked.length).toBeGreaterThan(0);
    const vendor = (await god.query(godGoalsQuery)).find((g) => g.id === goal.id)!;
    expect(vendor.notGenerated?.reason ?? '').not.toMatch(/of its tasks are queued/);
    maybeRecordEvents(godId, 'god-goal-backlog-leaves-out-reviews', marked[0].events);
  }, 300_000);
});
