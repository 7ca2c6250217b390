import { WorkflowUpdateFailedError } from '@temporalio/client';
import { createReadRunway } from '../../src/activities/read-runway';
import { createSetExperimentalShare } from '../../src/activities/set-experimental-share';
import type { LaneSnapshot } from '../../src/budget';
import { startTask } from '../../src/client/submit-task';
import type { CallRecord } from '../../src/llm/offline';
import { TaskInputSchema, type TaskInput } from '../../src/tasks/task-input';
import { setExperimentalShareUpdate } from '../../src/budget/ledger-defs';
import type { TaskOutcome } from '../../src/workflows/task-state';
import { billed } from '../support/billed';
import { publishedStatuses, stateOf, waitUntilQuiet } from '../support/task-waits';
import { runCli, startCli } from '../support/cli';
import { maybeRecordHistory } from '../support/history';
import { limitsWith } from '../support/limits';
import { startHarness, testAddress, type Harness } from '../support/harness';

/**
 * The day's lanes on the real dev server: real tasks, the real ledger, the offline provider
 * through the real SDKs. Experimental-lane tasks are held at their lane's limit while main-lane
 * tasks run on; the ledger's per-lane spend is checked against the provider's own call log,
 * billed per lane from the lane header each request carried.
 */

/** $0.03 a day: the experimental lane (15 %) gets $0.0045, room for a few worst-case calls of a
 * DatabaseAgent task (~$0.0017 each) and for about seven of its ~$0.0006 bills, not for sixteen. */
const SYSTEM_DAY_USD = 0.03;
const EXPERIMENTAL_TASKS = 16;
const MAIN_TASKS = 8;

let seq = 0;
const id = (name: string) => `lanes-${name}-${Date.now()}-${++seq}`;
const objective = (i: number) => `Add an index on column c${i} of the orders table in Postgres`;

async function start(h: Harness, input: TaskInput, taskId: string) {
  return startTask(h.client, h.taskQueue, TaskInputSchema.parse(input), taskId);
}



/** The provider's bill per lane, from its own log: the lane header each request carried (none: main). */
function billPerLane(calls: CallRecord[]): { main: number; experimental: number; unknown: number } {
  const lane = (c: CallRecord) => c.lane ?? 'main';
  return {
    main: billed(calls.filter((c) => lane(c) === 'main')),
    experimental: billed(calls.filter((c) => lane(c) === 'experimental')),
    unknown: billed(calls.filter((c) => lane(c) !== 'main' && lane(c) !== 'experimental')),
  };
}

describe('the day split into lanes', () => {
  it('holds experimental tasks at their lane limit while main tasks keep running; each lane spends what the provider billed it', async () => {
    const h = await startHarness('budget-lanes', { limits: limitsWith({ systemDailyUsd: SYSTEM_DAY_USD, experimentalShare: 0.15 }) });
    try {
      const experimental = Array.from({ length: EXPERIMENTAL_TASKS }, (_, i) => id(`x${i}`));
      const main = Array.from({ length: MAIN_TASKS }, (_, i) => id(`m${i}`));
      // Experimental tasks first: they are the older ones in the admission queue, and still hold up no main task.
      await Promise.all(experimental.map((taskId, i) => start(h, { objective: objective(i), lane: 'experimental', breakerPollSeconds: 5 }, taskId)));
      await Promise.all(main.map((taskId, i) => start(h, { objective: objective(100 + i), breakerPollSeconds: 5 }, taskId)));
      await waitUntilQuiet(h, 12_000, 180_000);

      const mainStates = await Promise.all(main.map((taskId) => stateOf(h, taskId)));
      expect(mainStates.map((s) => s.status)).toEqual(main.map(() => 'completed'));
      const expStates = await Promise.all(experimental.map((taskId) => stateOf(h, taskId)));
      const waiting = expStates.filter((s) => s.budgetWait !== undefined && (s.status === 'waiting_budget' || s.status === 'running'));
      const completed = expStates.filter((s) => s.status === 'completed');
      expect(completed.length + waiting.length).toBe(EXPERIMENTAL_TASKS);
      expect(completed.length).toBeGreaterThanOrEqual(1);
      expect(waiting.length).toBeGreaterThanOrEqual(EXPERIMENTAL_TASKS / 2);
      for (const s of waiting) {
        expect(s.budgetWait).toMatchObject({ type: 'lane_budget_full', scope: 'lane:experimental:day', position: expect.any(Number) });
        expect(s.budgetWait!.reason).toMatch(/^lane_budget_full: lane:experimental:day \(15% of system:day\) has \$[\d.]+ of its limit \$0\.004500 .*waiting: position \d+ of \d+/);
      }
      // `pantheon status` tells a user why a task waits and where it stands in line.
      const shown = await runCli(['status', waiting[0].taskId], { TEMPORAL_ADDRESS: testAddress() });
      expect(shown.code).toBe(0);
      expect(shown.stdout).toMatch(/\nbudget {6}waiting for budget \d+ min \(\d+ checks? so far\) on lane:experimental:day\n {12}position \d+ of \d+ in the admission queue\n {12}room by \S+Z\n {12}lane_budget_full: lane:experimental:day/);

      // The ledger's lanes against the provider's own bill, lane by lane.
      const held = await h.gate.snapshot();
      const lanes = held.lanes!;
      const bill = billPerLane(h.provider.calls());
      expect(bill.unknown).toBe(0);
      expect(lanes.experimental).toMatchObject({ scope: 'lane:experimental:day', share: 0.15, reservedUsd: 0 });
      expect(lanes.experimental.limitUsd).toBeCloseTo(0.0045, 12);
      expect(lanes.main.limitUsd).toBeCloseTo(0.0255, 12);
      expect(lanes.experimental.spentUsd).toBeCloseTo(bill.experimental, 12);
      expect(lanes.main.spentUsd).toBeCloseTo(bill.main, 12);
      expect(bill.experimental).toBeGreaterThan(0);
      expect(bill.experimental).toBeLessThanOrEqual(0.0045);
      // Every main task's calls, each billed to main: the main lane was never short.
      expect(bill.main).toBeCloseTo(billed(h.provider.calls().filter((c) => main.includes(c.task ?? ''))), 12);
      // A full lane is a wait, not trouble: the breaker stayed closed.
      expect(held.breaker.open).toBe(false);
      expect(held.alerts.filter((a) => a.kind === 'breaker_open')).toEqual([]);
      expect(held.alerts).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'lane_budget_full', scope: 'lane:experimental:day' })]));

      // God's runway reads the same numbers.
      const runway = await createReadRunway({ ledger: h.gate })();
      expect(runway.lanes.experimental.spentUsd).toBeCloseTo(bill.experimental, 12);
      expect(runway.lanes.main.spentUsd).toBeCloseTo(bill.main, 12);
      expect(runway.spentUsd).toBeCloseTo(bill.main + bill.experimental, 12);
      expect(runway).toMatchObject({ budgetUsd: SYSTEM_DAY_USD, breakerOpen: false, timezone: 'UTC' });

      // `submit --wait` on one more experimental task says on stderr that it waits, and why.
      const waitedId = id('x-waited');
      const waited = startCli(['submit', '--json', '-', '--direct', '--wait', '--id', waitedId], { TEMPORAL_ADDRESS: testAddress(), PANTHEON_TASK_QUEUE: h.taskQueue }, JSON.stringify({ objective: objective(200), lane: 'experimental', breakerPollSeconds: 5 }));
      for (const deadline = Date.now() + 60_000; !/waiting for budget/.test(waited.output().stderr); ) {
        if (Date.now() > deadline) throw new Error(`submit --wait told nothing of the wait: ${JSON.stringify(waited.output())}`);
        await new Promise((r) => setTimeout(r, 250));
      }

      // An operator gives exploration half of the day: the waiting tasks go on and complete.
      const share = createSetExperimentalShare({ ledger: h.gate });
      const after: Record<string, LaneSnapshot> = await share({ share: 0.5, reason: 'a research afternoon', by: 'budget-lanes.test' });
      expect(after.experimental.limitUsd).toBeCloseTo(0.015, 12);
      const outcomes = (await Promise.all(waiting.map((s) => h.client.workflow.getHandle(s.taskId).result()))) as TaskOutcome[];
      expect(outcomes.map((o) => o.status)).toEqual(waiting.map(() => 'completed'));
      const waitedRun = await waited.done;
      expect(waitedRun.code).toBe(0);
      expect(waitedRun.stdout).toContain('status      completed');
      // Told once per wait, however many checks each made. A task let through for one call can
      // wait again when the next does not fit (the room went to the others): a wait of its own,
      // the status published waiting_budget once more.
      const waits = (await publishedStatuses(h, waitedId)).filter((status) => status === 'waiting_budget').length;
      const told = waitedRun.stderr.match(/^budget {6}waiting for budget \d+ min \(\d+ checks? so far\) on lane:experimental:day$/gm) ?? [];
      expect(told.length).toBeGreaterThanOrEqual(1);
      expect(told.length).toBeLessThanOrEqual(waits);
      expect(waitedRun.stderr).toMatch(/\n {12}lane_budget_full: lane:experimental:day/);
      await waitUntilQuiet(h, 2_000, 60_000);

      const final = await h.gate.snapshot();
      const finalBill = billPerLane(h.provider.calls());
      expect(final.lanes!.experimental.spentUsd).toBeCloseTo(finalBill.experimental, 12);
      expect(final.lanes!.main.spentUsd).toBeCloseTo(finalBill.main, 12);
      expect(final.lanes!.experimental.spentUsd).toBeLessThanOrEqual(0.015);
      expect(final.audit.at(-1)).toMatchObject({ action: 'setExperimentalShare', who: 'budget-lanes.test', why: 'a research afternoon', details: { from: 0.15, to: 0.5 } });
      // Every experimental task's calls carried its lane to the provider.
      expect(h.provider.calls().filter((c) => experimental.includes(c.task ?? '')).every((c) => c.lane === 'experimental')).toBe(true);

      // `pantheon budget` prints the lanes apart.
      const cli = await runCli(['budget'], { TEMPORAL_ADDRESS: testAddress(), PANTHEON_LEDGER_ID: h.gate.ledgerId });
      expect(cli.code).toBe(0);
      expect(cli.stdout).toMatch(/\nlanes of the day \(shares of system:day; neither lane borrows from the other\)\n  main 50% +\[[#+.]{20}\]  \$[\d.]+ settled \+ \$0\.0000 reserved of \$0\.0150 \(\d+%\)  lane:main:day\n  experimental 50% +\[/);
      // ... and changes the share (audited with --who and --why).
      const set = await runCli(['budget', 'share', '--share', '0.2', '--who', 'ops', '--why', 'the afternoon is over'], { TEMPORAL_ADDRESS: testAddress(), PANTHEON_LEDGER_ID: h.gate.ledgerId });
      expect(set.stderr).toBe('');
      expect(set.stdout).toMatch(/^experimental share set to 0\.2 by ops: "the afternoon is over"\nlanes of the day .*\n  main 80% .*\n  experimental 20% /);
      expect((await h.gate.snapshot()).audit.at(-1)).toMatchObject({ action: 'setExperimentalShare', who: 'ops', details: { from: 0.5, to: 0.2 } });
    } finally {
      await h.stop();
    }
  });

  it('denies a call that does not fit its lane at the gate with the lane named, and lets it through once the share grows', async () => {
    const h = await startHarness('budget-lanes-gate', { limits: limitsWith({ systemDailyUsd: 1 }) });
    try {
      const first = await h.gate.reserveAmount({ key: 'x-1', taskId: 'x', agent: 'ResearchAgent', usd: 0.1, tokens: 10, lane: 'experimental' });
      const second = { key: 'x-2', taskId: 'y', agent: 'ResearchAgent', usd: 0.1, tokens: 10, lane: 'experimental' as const };
      await expect(h.gate.reserveAmount(second)).rejects.toMatchObject({
        type: 'lane_budget_full',
        message: expect.stringMatching(/^lane_budget_full: lane:experimental:day \(15% of system:day\) has \$0\.100000 of its limit \$0\.150000/),
        details: expect.objectContaining({ scope: 'lane:experimental:day', limitUsd: 0.15, spentUsd: 0.1, requestedUsd: 0.1 }),
      });
      // Main calls are not touched by it.
      await h.gate.release((await h.gate.reserveAmount({ key: 'm-1', taskId: 'm', agent: 'DatabaseAgent', usd: 0.5, tokens: 10 })).id);
      await h.gate.setExperimentalShare({ share: 0.3, reason: 'room for a second trial', by: 'budget-lanes.test' });
      await h.gate.settle((await h.gate.reserveAmount(second)).id, { usd: 0.05, tokens: 5 });
      await h.gate.settle(first.id, { usd: 0.08, tokens: 8 });
      const lanes = (await h.gate.snapshot()).lanes!;
      expect(lanes.experimental).toMatchObject({ share: 0.3, spentUsd: 0.13, reservedUsd: 0 });
      expect(lanes.experimental.limitUsd).toBeCloseTo(0.3, 12);
      expect(lanes.main).toMatchObject({ spentUsd: 0, reservedUsd: 0 });
      expect((await h.gate.snapshot()).breaker.open).toBe(false);
      // A small history of a ledger with lanes: the replay test guards it.
      await maybeRecordHistory(h.gate.ledgerId, 'budget-ledger-lanes');
      // …and of one started since the 'budget-ledger-trips-on-new-spend' patch (its marker at the start).
      await maybeRecordHistory(h.gate.ledgerId, 'budget-ledger-trips-on-new-spend');
      // …and since the 'budget-ledger-caps-closed-at-prune' patch.
      await maybeRecordHistory(h.gate.ledgerId, 'budget-ledger-caps-closed-at-prune');
    } finally {
      await h.stop();
    }
  });

  it('refuses an out-of-range share naming the field, at the gate and at the ledger itself, and changes nothing', async () => {
    const h = await startHarness('budget-lanes-share');
    try {
      const share = createSetExperimentalShare({ ledger: h.gate });
      await expect(share({ share: 0.6, reason: 'all in', by: 'ops' })).rejects.toMatchObject({ type: 'invalid_input', message: expect.stringMatching(/at share: must be between 0 and 0\.5/) });
      // Past the gate, straight to the ledger's update: its validator refuses it before history.
      const direct = h.client.workflow.getHandle(h.gate.ledgerId).executeUpdate(setExperimentalShareUpdate, { args: [{ share: -0.1, reason: 'none', by: 'ops' }] });
      await expect(direct).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
      await expect(direct).rejects.toMatchObject({ cause: { message: expect.stringMatching(/invalid input at share: must be between 0 and 0\.5/) } });
      // The CLI refuses it before sending anything.
      const cli = await runCli(['budget', 'share', '--share', '0.7', '--who', 'ops', '--why', 'all in'], { TEMPORAL_ADDRESS: testAddress(), PANTHEON_LEDGER_ID: h.gate.ledgerId });
      expect(cli.code).not.toBe(0);
      expect(cli.stderr).toMatch(/--share: expected a share of the day from 0 to 0\.5, e\.g\. 0\.15, got "0\.7"/);
      const snapshot = await h.gate.snapshot();
      expect(snapshot.lanes!.experimental.share).toBe(0.15);
      expect(snapshot.audit.filter((a) => a.action === 'setExperimentalShare')).toEqual([]);
    } finally {
      await h.stop();
    }
  });
});
