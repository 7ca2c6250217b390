import type { WorkflowHandle } from '@temporalio/client';
import { generatorMessage } from '../../src/activities/god-prompts';
import { addGoal, taskFingerprint } from '../../src/god/goals';
import { initialGodState } from '../../src/god/state';
import { generatorAnswer } from '../../src/llm/offline/generator-answer';
import { godGoalsQuery } from '../../src/workflows/god-api';
import { eventually } from '../support/eventually';
import { godDecisions } from '../support/god';
import { startHarness, type Harness } from '../support/harness';
import { maybeRecordHistory, patchMarkers } from '../support/history';

/**
 * A goal whose generator proposes only tasks God already has (god.ts, patch
 * `generation-asks-again-after-repeats`), on the real dev server with the offline provider through
 * the real SDKs. God starts from a carried state that already holds the fingerprints of exactly
 * what the goal's first generation proposes, so that generation adds nothing. God asks once more,
 * naming the repeats, and the goal gets new work in the same tick (it used to wait a whole cadence,
 * and a generator that kept repeating itself could leave its goal without work all day).
 */

const goal = { id: 'vendor-research', objective: 'Research and compare vendor options for the observability tools', value: 4, cadenceMinutes: 600, budgetShare: 1, lane: 'main' as const, tasksPerRun: 2 };

let h: Harness;
let godId: string;
let god: WorkflowHandle;

beforeAll(async () => {
  godId = `god-repeats-${process.pid}-${Date.now()}`;
  h = await startHarness('god-repeats', { godId });
});

afterAll(async () => {
  await god?.terminate('test over').catch(() => undefined);
  await h?.stop();
});

/** What the offline generator answers to God's first generation of the goal (its seed is the call id). */
function firstProposals(): string[] {
  const content = generatorMessage({ callId: `${godId}:generate:${goal.id}:1`, count: goal.tasksPerRun, goal, recent: [], lessons: [] });
  return generatorAnswer('', [{ role: 'user', content }]).tasks.map((t) => t.objective);
}

describe('a goal whose generation repeats only tasks God already has', () => {
  it('is asked once more, the repeats named, and gets new tasks in the same tick', async () => {
    const repeated = firstProposals();
    expect(repeated).toHaveLength(goal.tasksPerRun);
    const now = Date.now();
    const dayStartMs = Math.floor(now / 86_400_000) * 86_400_000;
    let state = initialGodState({ nowMs: now, dayKey: new Date(dayStartMs).toISOString().slice(0, 10), dayStartMs, experimentalShare: 0.15 });
    state = addGoal(state, goal, now);
    // God has done these before (the fingerprints of tasks it ran stay after they end).
    state = { ...state, fingerprints: repeated.map(taskFingerprint) };
    god = await h.client.workflow.start('god', {
      workflowId: godId,
      taskQueue: h.taskQueue,
      args: [{ config: { tickSeconds: 1, taskQueue: h.taskQueue, routingSeed: 1 }, state }],
    });

    const generated = await eventually('the goal to get new tasks', async () => {
      const g = (await god.query(godGoalsQuery)).find((x) => x.id === goal.id);
      return g && g.generated > 0 ? g : undefined;
    });
    // One due generation, two asks: both in the goal's single cadence (600 minutes).
    const asks = h.provider.calls().filter((c) => c.purpose === 'generator' && c.task?.startsWith(`${godId}:generate:${goal.id}:`));
    expect(asks.map((c) => c.task)).toEqual([`${godId}:generate:${goal.id}:1`, `${godId}:generate:${goal.id}:2`]);
    const decisions = await godDecisions(god);
    expect(decisions.filter((d) => /every proposal repeated a task God already has; asked once more/.test(d.detail)).map((d) => d.detail)).toEqual([
      `goal ${goal.id}: every proposal repeated a task God already has; asked once more, naming them`,
    ]);
    // What the second ask added is new: none of it repeats the first ask's proposals (God records
    // each generated task with its objective's first 120 characters).
    const added = decisions.filter((d) => d.kind === 'generated' && d.taskId).map((d) => d.detail.replace(`goal ${goal.id}: `, ''));
    expect(added.length).toBe(generated.generated);
    for (const objective of added) expect(repeated.map((r) => r.slice(0, 120))).not.toContain(objective);
    expect(generated.notGenerated).toBeUndefined();
    expect(await patchMarkers(h.client, godId)).toContain('generation-asks-again-after-repeats');
    await maybeRecordHistory(godId, 'god-generation-asks-again');
  });
});
