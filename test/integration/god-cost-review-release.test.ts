import { godDecisionsQuery, godQueueQuery, submitTaskUpdate } from '../../src/workflows/god-api';
import { maybeRecordEvents, patchIdOf } from '../support/history';
import { GodOnTestServer } from '../support/god-on-test-server';
import { limitsWith } from '../support/limits';

/**
 * A task sent to review late in the day only because it costs more than the review share of what
 * is left of the day leaves review once a new day can pay for it (god.ts, patch
 * `cost-reviews-released-when-affordable`), on the time-skipping test server with real workers.
 * Before, it waited for a person until its review timed out (24 h) and the default (reject)
 * applied, though the next morning had the whole day's budget for it. A review with another
 * reason (here: irreversible) still waits for a person.
 */

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

const RESEARCH = 'Research and compare vendor options for the observability tools';
const DROP = 'Drop the legacy_sessions table from the production database';

const s = new GodOnTestServer('god-cost-review', limitsWith({ systemDailyUsd: 1, systemHourlyUsd: 1, experimentalShare: 0.15 }));

describe('a task reviewed as dearer than what was left of the day', () => {
  it('leaves review and runs the next day; an irreversible one still waits for a person', async () => {
    const day = await s.nextDayAt(20 * HOUR);
    // $0.999 of the day's $1 gone by the evening: 10 % of what is left is $0.0001, less than any
    // specialist's run, the routing policy's explored picks included. The experimental lane keeps
    // $0.0008, enough for the explored pick (one it could not pay is routed on main instead).
    await s.spendElsewhere(0.8498, 'main');
    await s.spendElsewhere(0.1492, 'experimental');
    const god = await s.startGod({
      // Seed 1: the routing policy explores the research task on Generalist, at about a tenth of
      // ResearchAgent's price, so the review is priced on the policy's pick (patch
      // `cost-review-prices-the-policy-pick`), not on the rules' ResearchAgent.
      config: { tickSeconds: 600, pacing: 'none', reviewCostShare: 0.1, lowConfidence: 0, maxSpawnsPerDay: 0, routingSeed: 1 },
    });
    await god.executeUpdate(submitTaskUpdate, { args: [{ task: { objective: RESEARCH }, taskId: 'late-research' }] });
    await god.executeUpdate(submitTaskUpdate, { args: [{ task: { objective: DROP }, taskId: 'late-drop' }] });
    await s.clock.skipTo(day + 21 * HOUR);

    const evening = await god.query(godQueueQuery);
    const research = evening.find((q) => q.taskId === 'late-research');
    if (research?.status !== 'awaiting_review') throw new Error(`late-research is ${research?.status}; God's decisions: ${JSON.stringify(await god.query(godDecisionsQuery), null, 1)}`);
    expect(research?.review?.reasons).toEqual([expect.stringMatching(/^expensive: .* left today$/)]);
    const drop = evening.find((q) => q.taskId === 'late-drop');
    expect(drop?.status).toBe('awaiting_review');
    expect(drop?.review?.reasons.some((r) => r.startsWith('irreversible'))).toBe(true);

    // Past midnight, well before either review's 24 h are up.
    await s.clock.skipTo(day + DAY + 2 * HOUR);
    const life = await s.finish();

    const started = life.initiated.map((s) => s.workflowId);
    expect(started.some((id) => id.includes('late-research'))).toBe(true);
    expect(started.some((id) => id.includes('late-drop'))).toBe(false);
    const morning = await god.query(godQueueQuery);
    expect(morning.find((q) => q.taskId === 'late-research')).toBeUndefined();
    expect(morning.find((q) => q.taskId === 'late-drop')?.status).toBe('awaiting_review');
    const released = (await god.query(godDecisionsQuery)).filter((d) => d.taskId === 'late-research' && d.kind === 'review');
    expect(released.map((d) => d.detail)).toEqual([expect.stringMatching(/^no longer expensive: expected ~\$\S+ is within 10% of the \$\S+ left today; released from review$/)]);
    // The evening's review and the morning's release priced the same decision: the one that runs.
    const price = (text: string) => /expected ~(\$\S+)/.exec(text)?.[1];
    expect(price(research!.review!.reasons[0])).toBe(price(released[0].detail));

    const marked = life.runs.filter((r) => r.events.some((e) => patchIdOf(e) === 'cost-reviews-released-when-affordable'));
    expect(marked.length).toBeGreaterThan(0);
    expect(marked[0].events.some((e) => patchIdOf(e) === 'cost-review-prices-the-policy-pick')).toBe(true);
    maybeRecordEvents(s.godId, 'god-cost-reviews-released-when-affordable', marked[0].events);
  }, 300_000);
});
