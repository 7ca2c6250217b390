import { WorkflowUpdateFailedError } from '@temporalio/client';
import { createReadRunway } from '../../src/activities/read-runway';
import { createSetExperimentalShare } from '../../src/activities/set-experimental-share';
import type { LaneSnapshot } from '../../src/budget';
import { startTask } from '../../src/client/submit-task';
import type { CallRecord } from '../../src/llm/offline';
import { TaskInputSchema, type TaskInput } from '../../src/tasks/task-input';
import { setExperimentalShareUpdate } from '../../src/budget/ledger-defs';
import type { TaskOutcome, TaskState } from '../../src/workflows/task-state';
import { billed } from '../support/billed';
import { stateQuery } from '../../src/workflows/agent-task-api';
import { publishedStatuses, stateOf, waitUntilQuiet } from '../support/task-waits';
import { runCli, startCli } from '../support/cli';
import { maybeRecordHistory } from '../support/history';
import { limitsWith } from '../support/limits';
import { startHarness, testAddress, type Harness } from '../support/harness';
import { startLedgerTestWorker, type LedgerTestWorker } from '../support/ledger-worker';

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

/**
 * Waits until the tasks have settled into what their lanes allow, and proves it rather than
 * timing a quiet period: no call in flight and none made since a moment T, every task that has
 * not ended waiting for budget, and each of those denied again after T (its wait's check count
 * went up since it was read after T). Nothing was spent or freed since T, so a later check is
 * denied as theirs were: what the test reads next stays put until the share changes. Task
 * states are read only once the calls have been still for a second, and then once a second.
 */
async function waitUntilHeld(h: Harness, taskIds: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const ended = new Set<string>();
  let calls = -1;
  let since = Date.now();
  let lastRead = 0;
  /** Each waiting task's checks as first read after T (undefined: not read since T). */
  let checksAfterT: Map<string, number> | undefined;
  const still = async () => {
    const now = h.provider.calls().length;
    const { outstanding } = await h.gate.snapshot();
    return now === calls && outstanding.count === 0;
  };
  for (;;) {
    if (!(await still())) {
      [calls, since, checksAfterT] = [h.provider.calls().length, Date.now(), undefined];
    } else if (Date.now() - since >= 1000 && Date.now() - lastRead >= 1000) {
      lastRead = Date.now();
      const open = (
        await Promise.all(
          taskIds
            .filter((taskId) => !ended.has(taskId))
            .map(async (taskId) => {
              const handle = h.client.workflow.getHandle(taskId);
              if ((await handle.describe()).status.name !== 'RUNNING') return void ended.add(taskId);
              return handle.query(stateQuery);
            }),
        )
      ).filter((s): s is TaskState => s !== undefined);
      if (!open.every((s) => s.budgetWait)) checksAfterT = undefined;
      else if (!checksAfterT) checksAfterT = new Map(open.map((s) => [s.taskId, s.budgetWait!.checks]));
      // Denied again since T, and still nothing spent or in flight (an admitted check would show).
      else if (open.every((s) => s.budgetWait!.checks > (checksAfterT!.get(s.taskId) ?? Infinity)) && (await still())) return;
    }
    if (Date.now() > deadline) throw new Error(`tasks still spending or not all waiting after ${timeoutMs} ms (${calls} calls)`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** A ledger worker for the tests that need a ledger and no tasks: each test's gate has a ledger of its own. */
let ledgers: LedgerTestWorker | undefined;
const ledgerGate = async (name: string, limits = limitsWith()) => {
  ledgers ??= await startLedgerTestWorker(`budget-lanes-${process.pid}-${Date.now()}`);
  // As a worker's gate has it (PANTHEON_BUDGET_LEASES, on by default), as the harness's had.
  const { gate } = ledgers.gate(name, limits, { leases: true });
  await gate.ensureLedger();
  return { gate, client: ledgers.client };
};

afterAll(async () => {
  await ledgers?.stop();
});

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
      await waitUntilHeld(h, [...experimental, ...main], 180_000);

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

      // `submit --wait` on one more experimental task says on stderr that it waits, and why. While it
      // starts, `pantheon status` tells a user why a task waits and where it stands in line (the new
      // task is the youngest in line: no waiter's place moves).
      const waitedId = id('x-waited');
      const waited = startCli(['submit', '--json', '-', '--direct', '--wait', '--id', waitedId], { TEMPORAL_ADDRESS: testAddress(), PANTHEON_TASK_QUEUE: h.taskQueue }, JSON.stringify({ objective: objective(200), lane: 'experimental', breakerPollSeconds: 5 }));
      const shown = await runCli(['status', waiting[0].taskId], { TEMPORAL_ADDRESS: testAddress() });
      expect(shown.code).toBe(0);
      expect(shown.stdout).toMatch(/\nbudget {6}waiting for budget \d+ min \(\d+ checks? so far\) on lane:experimental:day\n {12}position \d+ of \d+ in the admission queue\n {12}room by \S+Z\n {12}lane_budget_full: lane:experimental:day/);
      for (const deadline = Date.now() + 60_000; !/waiting for budget/.test(waited.output().stderr); ) {
        if (Date.now() > deadline) throw new Error(`submit --wait told nothing of the wait: ${JSON.stringify(waited.output())}`);
        await new Promise((r) => setTimeout(r, 250));
      }

      // An operator gives exploration half of the day: the waiting tasks go on and complete.
      const share = createSetExperimentalShare({ ledger: h.gate });
      const after: Record<string, LaneSnapshot> = await share({ share: 0.5, reason: 'a research afternoon', by: 'budget-lanes.test' });
      expect(after.experimental.limitUsd).toBeCloseTo(0.015, 12);
      // `pantheon budget` prints the lanes apart (read while the waiting tasks finish: the main lane,
      // whose line it checks in full, has no task left and holds nothing).
      const printed = runCli(['budget'], { TEMPORAL_ADDRESS: testAddress(), PANTHEON_LEDGER_ID: h.gate.ledgerId });
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
      // Every task has ended: the settles the gate still holds reach the ledger, and nothing is in flight.
      await h.gate.flush();
      await waitUntilQuiet(h, 500, 60_000);

      const final = await h.gate.snapshot();
      const finalBill = billPerLane(h.provider.calls());
      expect(final.lanes!.experimental.spentUsd).toBeCloseTo(finalBill.experimental, 12);
      expect(final.lanes!.main.spentUsd).toBeCloseTo(finalBill.main, 12);
      expect(final.lanes!.experimental.spentUsd).toBeLessThanOrEqual(0.015);
      expect(final.audit.at(-1)).toMatchObject({ action: 'setExperimentalShare', who: 'budget-lanes.test', why: 'a research afternoon', details: { from: 0.15, to: 0.5 } });
      // Every experimental task's calls carried its lane to the provider.
      expect(h.provider.calls().filter((c) => experimental.includes(c.task ?? '')).every((c) => c.lane === 'experimental')).toBe(true);

      const cli = await printed;
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
    const { gate } = await ledgerGate('budget-lanes-gate', limitsWith({ systemDailyUsd: 1 }));
    const first = await gate.reserveAmount({ key: 'x-1', taskId: 'x', agent: 'ResearchAgent', usd: 0.1, tokens: 10, lane: 'experimental' });
    const second = { key: 'x-2', taskId: 'y', agent: 'ResearchAgent', usd: 0.1, tokens: 10, lane: 'experimental' as const };
    await expect(gate.reserveAmount(second)).rejects.toMatchObject({
      type: 'lane_budget_full',
      message: expect.stringMatching(/^lane_budget_full: lane:experimental:day \(15% of system:day\) has \$0\.100000 of its limit \$0\.150000/),
      details: expect.objectContaining({ scope: 'lane:experimental:day', limitUsd: 0.15, spentUsd: 0.1, requestedUsd: 0.1 }),
    });
    // Main calls are not touched by it.
    await gate.release((await gate.reserveAmount({ key: 'm-1', taskId: 'm', agent: 'DatabaseAgent', usd: 0.5, tokens: 10 })).id);
    await gate.setExperimentalShare({ share: 0.3, reason: 'room for a second trial', by: 'budget-lanes.test' });
    await gate.settle((await gate.reserveAmount(second)).id, { usd: 0.05, tokens: 5 });
    await gate.settle(first.id, { usd: 0.08, tokens: 8 });
    const lanes = (await gate.snapshot()).lanes!;
    expect(lanes.experimental).toMatchObject({ share: 0.3, spentUsd: 0.13, reservedUsd: 0 });
    expect(lanes.experimental.limitUsd).toBeCloseTo(0.3, 12);
    expect(lanes.main).toMatchObject({ spentUsd: 0, reservedUsd: 0 });
    expect((await gate.snapshot()).breaker.open).toBe(false);
    // A small history of a ledger with lanes: the replay test guards it.
    await maybeRecordHistory(gate.ledgerId, 'budget-ledger-lanes');
    // …and of one started since the 'budget-ledger-trips-on-new-spend' patch (its marker at the start).
    await maybeRecordHistory(gate.ledgerId, 'budget-ledger-trips-on-new-spend');
    // …and since the 'budget-ledger-caps-closed-at-prune' patch.
    await maybeRecordHistory(gate.ledgerId, 'budget-ledger-caps-closed-at-prune');
  });

  it('refuses an out-of-range share naming the field, at the gate and at the ledger itself, and changes nothing', async () => {
    const { gate, client } = await ledgerGate('budget-lanes-share');
    const share = createSetExperimentalShare({ ledger: gate });
    await expect(share({ share: 0.6, reason: 'all in', by: 'ops' })).rejects.toMatchObject({ type: 'invalid_input', message: expect.stringMatching(/at share: must be between 0 and 0\.5/) });
    // Past the gate, straight to the ledger's update: its validator refuses it before history.
    const direct = client.workflow.getHandle(gate.ledgerId).executeUpdate(setExperimentalShareUpdate, { args: [{ share: -0.1, reason: 'none', by: 'ops' }] });
    await expect(direct).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
    await expect(direct).rejects.toMatchObject({ cause: { message: expect.stringMatching(/invalid input at share: must be between 0 and 0\.5/) } });
    // The CLI refuses it before sending anything.
    const cli = await runCli(['budget', 'share', '--share', '0.7', '--who', 'ops', '--why', 'all in'], { TEMPORAL_ADDRESS: testAddress(), PANTHEON_LEDGER_ID: gate.ledgerId });
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toMatch(/--share: expected a share of the day from 0 to 0\.5, e\.g\. 0\.15, got "0\.7"/);
    const snapshot = await gate.snapshot();
    expect(snapshot.lanes!.experimental.share).toBe(0.15);
    expect(snapshot.audit.filter((a) => a.action === 'setExperimentalShare')).toEqual([]);
  });
});
