import { godDecisionsQuery, godQueueQuery, submitTaskUpdate } from '../../src/workflows/god-api';
import { maybeRecordEvents, patchIdOf } from '../support/history';
import { GodOnTestServer } from '../support/god-on-test-server';
import { limitsWith } from '../support/limits';

/**
 * An explored pick is paid by the experimental lane; one dearer than what that lane has left of
 * its day is routed by the policy's best guess on the task's own lane instead (god.ts, patch
 * `explores-within-experimental-day`). Here the experimental lane has no share of the day and
 * seed 1 explores the research task on the Generalist (as in god-repick-review.test.ts): before,
 * the submitted task waited on that lane for good ("more than the lane's whole day") while the
 * main lane had the whole day free; now it starts on main. On the time-skipping test server with
 * real workers.
 */

const MIN = 60_000;
const RESEARCH = 'Research and compare vendor options for the observability tools';

const s = new GodOnTestServer('god-explores-within-lane', limitsWith({ systemDailyUsd: 1, systemHourlyUsd: 1, experimentalShare: 0 }));

describe('exploration and the experimental lane', () => {
  it('starts a task on the main lane when its explored pick could never start on an experimental lane with nothing left', async () => {
    const day = await s.nextDayAt(60 * MIN);
    const god = await s.startGod({ config: { tickSeconds: 600, pacing: 'none', reviewCostShare: 1, lowConfidence: 0, maxSpawnsPerDay: 0, routingSeed: 1 } });
    await god.executeUpdate(submitTaskUpdate, { args: [{ task: { objective: RESEARCH }, taskId: 'explore-research' }] });
    await s.clock.skipTo(day + 95 * MIN);

    const decisions = (await god.query(godDecisionsQuery)).filter((d) => d.taskId === 'explore-research');
    const waiting = (await god.query(godQueueQuery)).find((q) => q.taskId === 'explore-research');
    expect({ kinds: decisions.map((d) => d.kind), waiting: waiting?.waitReason }).toMatchObject({ kinds: expect.arrayContaining(['route', 'admitted']), waiting: undefined });
    expect(decisions.find((d) => d.kind === 'route')?.detail).toMatch(/best guess among .*; not explored: Generalist at ~\$\S+ needs more than the experimental lane has left today \(\$0\.000\)/);
    expect(decisions.find((d) => d.kind === 'admitted')?.detail).toMatch(/→ ResearchAgent \(main\)/);

    const life = await s.finish();
    expect(life.initiated.map((i) => i.workflowId).some((id) => id.includes('explore-research'))).toBe(true);
    const marked = life.runs.filter((r) => r.events.some((e) => patchIdOf(e) === 'explores-within-experimental-day'));
    expect(marked.length).toBe(1);
    maybeRecordEvents(s.godId, 'god-explores-within-experimental-day', marked[0].events);
  }, 300_000);
});
