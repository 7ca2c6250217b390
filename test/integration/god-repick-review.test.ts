import { godDecisionsQuery, godQueueQuery, submitTaskUpdate } from '../../src/workflows/god-api';
import { maybeRecordEvents, patchIdOf } from '../support/history';
import { GodOnTestServer } from '../support/god-on-test-server';
import { limitsWith } from '../support/limits';

/**
 * The routing policy picks again when a queued task can start (routing.ts pickAgain), and that
 * pick is judged for cost as the one at assessment is (god.ts, patch
 * `cost-review-of-the-pick-at-start`). Here seed 1 explores the research task on the cheap
 * Generalist at assessment (no review: it costs less than the review share of what is left of the
 * day), then picks ResearchAgent at start, at several times that share: before, it started
 * unreviewed; now it goes to review. On the time-skipping test server with real workers.
 */

const HOUR = 3_600_000;
const RESEARCH = 'Research and compare vendor options for the observability tools';

const s = new GodOnTestServer('god-repick-review', limitsWith({ systemDailyUsd: 1, systemHourlyUsd: 1, experimentalShare: 0.15 }));

describe('the pick made when a task can start', () => {
  it('goes to review when it is dearer than the review share of the day left, though the pick at assessment was not', async () => {
    const day = await s.nextDayAt(20 * HOUR);
    // $0.01 of the day left, $0.0092 of it on the main lane: 10 % is $0.001, above the explored
    // Generalist's price and well below ResearchAgent's, which the main lane could still pay. The
    // experimental lane keeps $0.0008, enough for the explored pick (one it could not pay is
    // routed on main instead).
    await s.spendElsewhere(0.8408, 'main');
    await s.spendElsewhere(0.1492, 'experimental');
    const god = await s.startGod({ config: { tickSeconds: 600, pacing: 'none', reviewCostShare: 0.1, lowConfidence: 0, maxSpawnsPerDay: 0, routingSeed: 1 } });
    await god.executeUpdate(submitTaskUpdate, { args: [{ task: { objective: RESEARCH }, taskId: 'repick-research' }] });
    await s.clock.skipTo(day + 21 * HOUR);

    const decisions = (await god.query(godDecisionsQuery)).filter((d) => d.taskId === 'repick-research');
    // Assessed: the explored Generalist, not reviewed.
    expect(decisions.find((d) => d.kind === 'route')?.detail).toMatch(/policy v1 \(active\): Generalist, explored/);
    expect(decisions.find((d) => d.kind === 'route')?.detail).not.toMatch(/review:/);
    // At start: ResearchAgent, dearer than 10 % of what is left, so to review, not started.
    expect(decisions.map((d) => d.kind)).not.toContain('admitted');
    expect(decisions.find((d) => d.kind === 'review')?.detail).toMatch(/^picked again at start: expensive: expected ~\$\S+ is over 10% of the \$0\.010 left today$/);
    const item = (await god.query(godQueueQuery)).find((q) => q.taskId === 'repick-research');
    expect(item).toMatchObject({ status: 'awaiting_review', decision: { specialist: 'ResearchAgent' } });
    // Reviewed for its cost alone: it leaves review by itself once the day can pay for it.
    expect(item?.review).toMatchObject({ reasons: [expect.stringMatching(/^expensive: /)], costOnly: true });

    const life = await s.finish();
    expect(life.initiated.map((i) => i.workflowId).some((id) => id.includes('repick-research'))).toBe(false);
    const marked = life.runs.filter((r) => r.events.some((e) => patchIdOf(e) === 'cost-review-of-the-pick-at-start'));
    expect(marked.length).toBe(1);
    maybeRecordEvents(s.godId, 'god-cost-review-of-the-pick-at-start', marked[0].events);
  }, 300_000);
});
