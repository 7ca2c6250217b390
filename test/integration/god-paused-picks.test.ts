import { godDecisionsQuery, godQueueQuery, pauseUpdate, submitTaskUpdate } from '../../src/workflows/god-api';
import { maybeRecordEvents, patchIdOf } from '../support/history';
import { GodOnTestServer } from '../support/god-on-test-server';
import { limitsWith } from '../support/limits';

/**
 * The routing policy's pick for a queued task is made again only when the task can start and the
 * policy has learned something since (god.ts, patch `routing-keeps-picks-while-paused-or-unlearned`).
 * Here God is paused, a code review is queued, and God continues as new many times: before, each
 * run (and each paused admission) drew the pick again from the same record, the task flipped
 * between specialists and `god queue` disagreed with the decision log. On the time-skipping test
 * server with real workers.
 *
 * The test queries God between skips, so each query must fall well clear of a tick: a query
 * answered while God continues as new leaves the test server's time locked (time-skipping.ts;
 * with 5 s ticks this hung one CI run in a few hundred). Ticks are 10 min apart here, God
 * continues as new every few of them, and every skip lands half a tick after one.
 */

const MIN = 60_000;
const TICK_MS = 10 * MIN;
const REVIEW = 'Review the pull request that adds a retry helper to the payments module for race condition and security bugs';
const TASKS = Array.from({ length: 8 }, (_, i) => `paused-review-${i + 1}`);

const s = new GodOnTestServer('god-paused-picks', limitsWith({ systemDailyUsd: 1, systemHourlyUsd: 1 }));

describe('routing picks while God is paused', () => {
  it('keeps each queued task on the specialist it was routed to across continue-as-new while nothing is learned', async () => {
    const day = await s.nextDayAt(60 * MIN);
    const god = await s.startGod({ config: { tickSeconds: TICK_MS / 1000, pacing: 'none', continueAsNewEvents: 50, lowConfidence: 0, maxSpawnsPerDay: 0, routingSeed: 7 } });
    await god.executeUpdate(pauseUpdate, { args: [{ reason: 'holding picks' }] });
    for (const taskId of TASKS) await god.executeUpdate(submitTaskUpdate, { args: [{ task: { objective: REVIEW }, taskId }] });
    // After each skip (a few new runs each): every task still on the specialist its route record names.
    const seen: string[] = [];
    for (let m = 1; m <= 8; m++) {
      await s.clock.skipTo(day + 60 * MIN + m * 6 * TICK_MS + TICK_MS / 2);
      const decisions = await god.query(godDecisionsQuery);
      for (const item of await god.query(godQueueQuery)) {
        const routed = decisions.find((d) => d.taskId === item.taskId && d.kind === 'route');
        if (item.status === 'queued' && routed) seen.push(`${item.taskId}: ${routed.detail.includes(`policy v1 (active): ${item.decision?.specialist},`) ? 'as routed' : `now ${item.decision?.specialist}`}`);
      }
    }
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((line) => !line.endsWith('as routed'))).toEqual([]);

    const life = await s.finish();
    expect(life.runs.length).toBeGreaterThan(3);
    expect(life.initiated.length).toBe(0);
    const marked = life.runs.filter((r) => r.events.some((e) => patchIdOf(e) === 'routing-keeps-picks-while-paused-or-unlearned'));
    expect(marked.length).toBeGreaterThan(0);
    maybeRecordEvents(s.godId, 'god-routing-keeps-picks-while-paused', marked[0].events);
  }, 300_000);
});
