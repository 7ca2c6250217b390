import { godDecisionsQuery, godQueueQuery, reviewDecisionUpdate, submitTaskUpdate } from '../../src/workflows/god-api';
import { maybeRecordEvents, patchIdOf } from '../support/history';
import { GodOnTestServer } from '../support/god-on-test-server';
import { limitsWith } from '../support/limits';

/**
 * A task costs at most the ledger's per-task limit (the ledger stops it there), so God admits it
 * against its estimate capped at that limit (god.ts, patch `estimates-capped-at-task-limit`).
 * Here the day (all of it the main lane's) is $0.001 and per_task_usd is $0.0005: the research task, estimated
 * above the room, waited for runway for good before; now it starts. On the time-skipping test
 * server with real workers.
 */

const MIN = 60_000;
const RESEARCH = 'Research and compare vendor options for the observability tools';

const s = new GodOnTestServer('god-task-limit', limitsWith({ systemDailyUsd: 0.001, systemHourlyUsd: 1, experimentalShare: 0, perTaskUsd: 0.0005 }));

describe('estimates above the per-task limit', () => {
  it('admits a task estimated above its lane room once its estimate is capped at per_task_usd', async () => {
    const day = await s.nextDayAt(60 * MIN);
    const god = await s.startGod({ config: { tickSeconds: 600, pacing: 'none', reviewCostShare: 1, lowConfidence: 0, maxSpawnsPerDay: 0, routingSeed: 1 } });
    await god.executeUpdate(submitTaskUpdate, { args: [{ task: { objective: RESEARCH }, taskId: 'capped-research' }] });
    await s.clock.skipTo(day + 71 * MIN);
    // Dearer than the $0.001 left of the day: to review first, as in the user's run.
    const item = (await god.query(godQueueQuery)).find((q) => q.taskId === 'capped-research');
    if (item?.status === 'awaiting_review') await god.executeUpdate(reviewDecisionUpdate, { args: [{ taskId: 'capped-research', decision: 'approve', by: 'test' }] });
    await s.clock.skipTo(day + 95 * MIN);

    const decisions = (await god.query(godDecisionsQuery)).filter((d) => d.taskId === 'capped-research');
    const waiting = (await god.query(godQueueQuery)).find((q) => q.taskId === 'capped-research');
    expect({ kinds: decisions.map((d) => d.kind), waiting: waiting?.waitReason }).toMatchObject({ kinds: expect.arrayContaining(['admitted']) });
    // Priced at the cap: density is value over $0.0005, in the thousands.
    expect(Number(/value density ([\d.]+)/.exec(decisions.find((d) => d.kind === 'admitted')?.detail ?? '')?.[1])).toBeGreaterThan(1000);

    const life = await s.finish();
    const marked = life.runs.filter((r) => r.events.some((e) => patchIdOf(e) === 'estimates-capped-at-task-limit'));
    expect(marked.length).toBe(1);
    maybeRecordEvents(s.godId, 'god-estimates-capped-at-task-limit', marked[0].events);
  }, 300_000);
});
