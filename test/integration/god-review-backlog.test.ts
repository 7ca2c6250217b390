import type { GoalInput } from '../../src/god/messages';
import { godGoalsQuery, godQueueQuery } from '../../src/workflows/god-api';
import { maybeRecordEvents, patchIdOf } from '../support/history';
import { GodOnTestServer } from '../support/god-on-test-server';
import { generationsOf } from '../support/god-runs';
import { limitsWith } from '../support/limits';

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
const HOURS = 6;

const goal: GoalInput = { id: 'vendor-research', objective: 'Research and compare vendor options for the observability tools', value: 4, cadenceMinutes: 60, budgetShare: 1, lane: 'main', tasksPerRun: 2 };

const s = new GodOnTestServer('god-review-backlog', limitsWith({ systemDailyUsd: 0.06, systemHourlyUsd: 0.06, experimentalShare: 0.15 }));

describe('a goal whose tasks wait for review', () => {
  it('generates at every cadence: tasks awaiting review fill no backlog', async () => {
    const day = await s.nextDayAt(5 * MIN);
    const god = await s.startGod({
      goals: [goal],
      // A task dearer than 1 % of what is left of the day goes to review: every task here.
      config: { tickSeconds: 1200, continueAsNewEvents: 300, pacing: 'even', pacingBurst: 0.1, reviewCostShare: 0.01, lowConfidence: 0, maxSpawnsPerDay: 0 },
    });
    for (let hour = 1; hour <= HOURS; hour++) await s.clock.skipTo(day + hour * HOUR);
    const life = await s.finish();

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
    maybeRecordEvents(s.godId, 'god-goal-backlog-leaves-out-reviews', marked[0].events);
  }, 300_000);
});
