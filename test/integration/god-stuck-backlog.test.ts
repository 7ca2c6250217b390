import type { GoalInput } from '../../src/god/messages';
import { godGoalsQuery } from '../../src/workflows/god-api';
import { maybeRecordEvents, patchIdOf } from '../support/history';
import { GodOnTestServer } from '../support/god-on-test-server';
import { generationsOf, goalOfChild } from '../support/god-runs';
import { limitsWith } from '../support/limits';

/**
 * A goal stuck with tasks that cannot start, beside another goal's hold (god.ts, patch
 * `goal-generates-past-stuck-backlog`), on the time-skipping test server with real workers. The
 * main goal's chains wait for the paced room and hold the main lane; the lesser goal's share of
 * the day ($0.0003) is less than any task costs, so every task it queues is stuck. It has started
 * nothing today, so when it comes due during the hold it generates again (before the patch it
 * waited for the hold to end), and once its backlog is full of such tasks it drops them and
 * generates again (before, the full backlog stopped it for the day). What is checked comes from
 * God's histories on the server.
 */

const MIN = 60_000;
const HOUR = 60 * MIN;
const HOURS = 10;

const goals: GoalInput[] = [
  { id: 'orders-db', objective: 'Keep the orders database schema, indexes and slow queries healthy', value: 6, cadenceMinutes: 60, budgetShare: 1, lane: 'main', tasksPerRun: 3 },
  { id: 'vendor-research', objective: 'Research and compare vendor options for the observability tools', value: 4, cadenceMinutes: 120, budgetShare: 0.005, lane: 'main', tasksPerRun: 2 },
];

const s = new GodOnTestServer('god-stuck', limitsWith({ systemDailyUsd: 0.06, systemHourlyUsd: 0.06, experimentalShare: 0.15 }));

describe('a goal none of whose queued tasks can start, during another goal\'s hold', () => {
  it('generates when it comes due (its first start of the day may still pass the hold), drops a full backlog of them to generate again, and its stuck tasks start nothing', async () => {
    const day = await s.nextDayAt(5 * MIN);
    const god = await s.startGod({
      goals,
      config: { tickSeconds: 1200, continueAsNewEvents: 300, pacing: 'even', pacingBurst: 0.1, holdAfterMinutes: 40, reviewCostShare: 1, lowConfidence: 0, maxSpawnsPerDay: 0 },
    });
    for (let hour = 1; hour <= HOURS; hour++) await s.clock.skipTo(day + hour * HOUR);
    const life = await s.finish();

    // Runs where the stuck goal was let generate during a hold: the patch's marker, then, in the
    // same workflow task, a generation for that goal.
    const unstuck = life.runs.filter((r) => r.events.some((e) => patchIdOf(e) === 'goal-generates-past-stuck-backlog'));
    expect(unstuck.length).toBeGreaterThan(0);
    for (const run of unstuck) {
      const marker = run.events.find((e) => patchIdOf(e) === 'goal-generates-past-stuck-backlog')!;
      const next = generationsOf(run.events).find((g) => g.eventId > Number(marker.eventId));
      expect(next?.goalId).toBe('vendor-research');
    }
    // Its tasks were stuck indeed: none of them started (its share takes none), the main goal's did.
    const started = life.initiated.map(goalOfChild);
    expect(started).toContain('orders-db');
    expect(started.filter((g) => g === 'vendor-research')).toEqual([]);
    // Holds happened (the path is asked only during one).
    expect(life.runs.some((r) => r.events.some((e) => patchIdOf(e) === 'admission-holds-overdue-tasks'))).toBe(true);
    // Once its backlog is full of such tasks, it drops them when it next comes due and generates
    // again (patch goal-drops-backlog-that-cannot-start): before, a full backlog stopped it for the day.
    const dropping = life.runs.filter((r) => r.events.some((e) => patchIdOf(e) === 'goal-drops-backlog-that-cannot-start'));
    expect(dropping.length).toBeGreaterThan(0);
    for (const run of dropping) {
      const marker = run.events.find((e) => patchIdOf(e) === 'goal-drops-backlog-that-cannot-start')!;
      const next = generationsOf(run.events).find((g) => g.eventId > Number(marker.eventId));
      expect(next?.goalId).toBe('vendor-research');
    }
    // `pantheon god goals` says nothing stops it now: none of its reasons is a full backlog.
    const vendor = (await god.query(godGoalsQuery)).find((g) => g.id === 'vendor-research')!;
    expect(vendor.notGenerated?.reason ?? '').not.toMatch(/\d+ of its tasks are queued/);
    maybeRecordEvents(s.godId, 'god-goal-drops-backlog-that-cannot-start', dropping[0].events);
    maybeRecordEvents(s.godId, 'god-goal-generates-past-stuck-backlog', unstuck[0].events);
  }, 300_000);
});
