import type { WorkflowHandle } from '@temporalio/client';
import type { CallRecord } from '../../src/llm/offline';
import type { GoalInput } from '../../src/god/messages';
import { godGoalsQuery, pauseUpdate, type GodStatusView } from '../../src/workflows/god-api';
import { billed } from '../support/billed';
import { maybeRecordEvents, patchIdOf } from '../support/history';
import { godStatus, startTestGod } from '../support/god';
import { childStarts, godLife, goalOfChild, laneOfChild, RunChain } from '../support/god-runs';
import { limitsWith } from '../support/limits';
import { NO_GOD_QUERIES, OrphanedChildLocks, ServerClock, StalledSkips, startTimeSkippingHarness, type TimeSkippingHarness } from '../support/time-skipping';
import { onRuntimeLog } from '../support/harness';

/**
 * Three simulated days of God on the time-skipping test server: real task and ledger workers, the
 * offline provider through the real SDKs, real SQLite memory. Goals keep both lanes of a small
 * daily budget full, so every limit binds. What is checked comes from outside God: the provider's
 * own call log (placed in server time by sampling both clocks), and God's histories on the server.
 */

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const DAYS = 3;
const BUDGET_USD = 0.06;
const SHARE = 0.15;
const BURST = 0.1;

const goals: GoalInput[] = [
  { id: 'orders-db', objective: 'Keep the orders database schema, indexes and slow queries healthy', value: 6, cadenceMinutes: 120, budgetShare: 1, lane: 'main', tasksPerRun: 3 },
  // A share of 30 %: its chains (about a fifth of the day each) meet its cap some days, and a task
  // its share cannot take then holds no lane.
  { id: 'vendor-research', objective: 'Research and compare vendor options for the observability tools', value: 4, cadenceMinutes: 180, budgetShare: 0.3, lane: 'main', tasksPerRun: 2 },
  // Two exploratory goals: each goal's generator has a bounded set of distinct tasks (templates ×
  // angles per specialist), and the experimental lane must stay full for three days.
  { id: 'explore-runbooks', objective: 'Explore whether the onboarding runbook documentation needs a new checklist', value: 5, cadenceMinutes: 60, budgetShare: 1, lane: 'experimental', tasksPerRun: 3 },
  { id: 'explore-search-cache', objective: 'Explore whether caching search results would cut the latency of the catalog queries', value: 5, cadenceMinutes: 90, budgetShare: 1, lane: 'experimental', tasksPerRun: 2 },
];
const laneOfGoal = new Map(goals.map((g) => [g.id, g.lane ?? 'main']));

let h: TimeSkippingHarness;
let god: WorkflowHandle;
let godId: string;

/** God's decisions as it logged them (kind, task, detail, workflow time): printed for a goal a day's check finds missing. */
const decisions: Array<{ at: string; kind: string; taskId?: string; detail: string }> = [];
let stopHearing: (() => void) | undefined;

beforeAll(async () => {
  godId = `god-days-${process.pid}-${Date.now()}`;
  stopHearing = onRuntimeLog(({ message, meta }) => {
    if (meta?.workflowId !== godId) return;
    if (message === 'god decision') decisions.push({ at: String(meta.at), kind: String(meta.kind), ...(typeof meta.taskId === 'string' && { taskId: meta.taskId }), detail: String(meta.detail) });
    if (message === 'god goal not generated') decisions.push({ at: String(meta.at), kind: 'not generated', detail: `goal ${String(meta.goal)}: ${String(meta.reason)}` });
  });
  h = await startTimeSkippingHarness('god-days', {
    godId,
    limits: limitsWith({ systemDailyUsd: BUDGET_USD, systemHourlyUsd: BUDGET_USD, experimentalShare: SHARE }),
    // No roster or constraint queries to God (spawning is off here and no goal sets a constraint;
    // the live roster and constraints have their own tests).
    ...NO_GOD_QUERIES,
  });
}, 120_000);

afterAll(async () => {
  stopHearing?.();
  await god?.terminate('test over').catch(() => undefined);
  await h?.stop();
});

/** The goal a generation call was made for (its call id is `<god>:generate:<goal>:<seq>`). */
const generatedFor = (task: string | null) => /:generate:([^:]+):/.exec(task ?? '')?.[1];
/** The start of the UTC day after `ms` (the ledger's windows are UTC days). */
const nextUtcDay = (ms: number) => Math.floor(ms / DAY) * DAY + DAY;
const dayKey = (ms: number) => new Date(ms).toISOString().slice(0, 10);

interface PlacedCall {
  call: CallRecord;
  usd: number;
  fromMs: number;
  toMs: number;
  lane: 'main' | 'experimental';
}

describe('God over three simulated days', () => {
  it('generates work every day within the daily budget, 15 % experimental, paced, over many continue-as-new runs, losing and repeating no task', async () => {
    const wallStart = Date.now();
    const stalls = new StalledSkips(h);
    const c = new ServerClock(h, stalls);
    const day1 = nextUtcDay(await c.sample());
    // Start five minutes into the day: God's ticks then never fall on an hour boundary.
    await c.skipTo(day1 + 5 * MIN);
    god = await startTestGod(h.client, {
      id: godId,
      taskQueue: h.taskQueue,
      goals,
      // Review, spawning and low-confidence detours are other tests' business: here every task runs.
      config: { tickSeconds: 1200, continueAsNewEvents: 300, pacing: 'even', pacingBurst: BURST, reviewCostShare: 1, lowConfidence: 0, maxSpawnsPerDay: 0, routingProbes: true },
    });
    const firstRunId = (await god.describe()).runId; // no run has ended yet: this is the first
    const chain = new RunChain(h.client, godId, firstRunId);
    const orphans = new OrphanedChildLocks(h, chain);
    orphans.start();

    // Read God with describe, never a query, while it runs: see the roster note above.
    const hourly: Array<{ runId: string; historyLength: number }> = [];
    for (let hour = 1; hour <= DAYS * 24; hour++) {
      const boundary = day1 + hour * HOUR;
      // Noon and midnight are crossed at wall pace, so each call lands on a known side of them.
      if (hour % 12 === 0) await c.crossAtWallPace(boundary);
      else await c.skipTo(boundary);
      const info = (await god.describe()).raw.workflowExecutionInfo!;
      hourly.push({ runId: info.execution?.runId ?? '', historyLength: Number(info.historyLength ?? 0) });
      if (process.env.PANTHEON_TRACE_GOD_DAYS) process.stderr.write(`hour ${hour}: wall ${((Date.now() - wallStart) / 1000).toFixed(1)}s run ${hourly.at(-1)!.runId.slice(0, 6)} events ${hourly.at(-1)!.historyLength} orphans ${orphans.count} calls ${h.provider.calls().length} billed ${billed(h.provider.calls()).toFixed(4)}\n`);
    }
    const end = day1 + DAYS * DAY;

    // Stop admitting, let what is in flight finish, and give God two ticks to hear every end.
    await god.executeUpdate<GodStatusView, [{ reason: string }]>(pauseUpdate.name, { args: [{ reason: 'three days are over' }] });
    for (let i = 0; i < 30; i++) {
      const children = (await godLife(h.client, godId, firstRunId, chain)).initiated;
      const running = await Promise.all(children.map(async (s) => (await h.client.workflow.getHandle(s.workflowId).describe()).status.name === 'RUNNING'));
      if (!running.includes(true)) break;
      await c.skipTo((await h.nowMs()) + 10 * MIN);
    }
    await c.skipTo((await h.nowMs()) + 2 * 1200_000 + MIN);
    await orphans.stop();
    // A snapshot no continue-as-new falls inside: God may still be finishing the tick the last
    // skip woke, and a run that continues between the two reads would count twice or not at all.
    let final = await godStatus(god);
    let life = await godLife(h.client, godId, firstRunId, chain);
    for (let i = 0; i < 10 && life.runs.at(-1)!.runId !== final.runId; i++) {
      final = await godStatus(god);
      life = await godLife(h.client, godId, firstRunId, chain);
    }

    // ---- what the provider billed, placed in server time and a lane ----
    const laneOfTask = new Map(life.initiated.map((s) => [s.workflowId, laneOfChild(s)]));
    const laneOfCall = (task: string | null): 'main' | 'experimental' | undefined => {
      if (!task) return undefined;
      const generated = generatedFor(task);
      if (generated) return laneOfGoal.get(generated);
      // A chain's steps are named after the chain.
      for (const [id, lane] of laneOfTask) if (task === id || task.startsWith(`${id}:`)) return lane;
      return undefined;
    };
    const placed: PlacedCall[] = [];
    const unplaced: CallRecord[] = [];
    for (const call of h.provider.calls()) {
      const span = c.serverSpan(Date.parse(call.at));
      const lane = laneOfCall(call.task);
      if (!span || !lane) unplaced.push(call);
      else placed.push({ call, usd: billed([call]), ...span, lane });
    }
    expect(unplaced.filter((call) => Date.parse(call.at) < wallStart || billed([call]) > 0)).toEqual([]);

    // What the three days came to, printed as it is measured: it shows even when a check fails.
    const say = (line: string) => process.stderr.write(`god-days: ${line}\n`);
    const spendIn = (from: number, to: number, lane?: 'main' | 'experimental') =>
      // Conservative: a call counts in every window its span touches.
      placed.filter((p) => p.toMs >= from && p.fromMs < to && (!lane || p.lane === lane)).reduce((s, p) => s + p.usd, 0);

    /** Each task God started and each generation call; printed with PANTHEON_TRACE_GOD_DAYS, and when a day's check fails. */
    const printTrace = () => {
      // Each task God started: when (server time), lane, what God expected and what the provider billed.
      const hhmm = (ms: number) => `d${Math.floor((ms - day1) / DAY) + 1} ${new Date(ms).toISOString().slice(11, 16)}`;
      for (const s of life.initiated) {
        const mine = placed.filter((p) => p.call.task === s.workflowId || p.call.task?.startsWith(`${s.workflowId}:`));
        const usd = mine.reduce((sum, p) => sum + p.usd, 0);
        const span = mine.length ? `${hhmm(Math.min(...mine.map((p) => p.fromMs)))}–${hhmm(Math.max(...mine.map((p) => p.toMs)))}` : '-';
        say(`child ${hhmm(s.atMs)} ${laneOfChild(s)} ${goalOfChild(s) ?? '-'} ${s.workflowType} expected $${(s.expectedCostUsd ?? NaN).toFixed(5)} billed $${usd.toFixed(5)} in ${mine.length} calls ${span}`);
      }
      const generation = placed.filter((p) => /:generate:/.test(p.call.task ?? ''));
      for (const p of generation) say(`generate ${hhmm(p.fromMs)}–${hhmm(p.toMs)} ${generatedFor(p.call.task)} $${p.usd.toFixed(5)}`);
    };
    if (process.env.PANTHEON_TRACE_GOD_DAYS) printTrace();

    for (let d = 0; d < DAYS; d++) {
      const from = day1 + d * DAY;
      const to = from + DAY;
      const key = dayKey(from);
      const spent = spendIn(from, to);
      const byNoon = spendIn(from, from + DAY / 2);
      // A task pre-flight refused is started too (as a workflow that ends rejected): it is no work.
      const started = life.initiated.filter((s) => s.atMs >= from && s.atMs < to && goalOfChild(s) !== undefined && s.decisionKind !== 'reject');
      const startedGoals = new Set(started.map(goalOfChild));
      const noonGeneration = placed.filter((p) => p.toMs >= from && p.fromMs < from + DAY / 2 && /:generate:/.test(p.call.task ?? '')).reduce((s, p) => s + p.usd, 0);
      say(
        `${key}: spent $${spent.toFixed(4)} of $${BUDGET_USD} (main $${spendIn(from, to, 'main').toFixed(4)}, experimental $${spendIn(from, to, 'experimental').toFixed(4)}), by noon $${byNoon.toFixed(4)} (main $${spendIn(from, from + DAY / 2, 'main').toFixed(4)}, experimental $${spendIn(from, from + DAY / 2, 'experimental').toFixed(4)}, generation $${noonGeneration.toFixed(4)}), ${started.length} generated tasks started (${[...startedGoals].join(', ')})`,
      );

      try {
        // Goals generate work every day, on each goal.
        expect({ key, goals: [...startedGoals].sort() }).toEqual({ key, goals: goals.map((g) => g.id).sort() });
        // The day's spend never exceeds the budget, by the provider's own bill.
        expect(spent).toBeLessThanOrEqual(BUDGET_USD + 1e-9);
        // Pacing: by noon at most half the day plus the burst.
        expect(byNoon).toBeLessThanOrEqual(BUDGET_USD * (0.5 + BURST) + 1e-9);
      } catch (err) {
        // What happened that day is the diagnosis of a rare failure: show it before failing.
        if (!process.env.PANTHEON_TRACE_GOD_DAYS) printTrace();
        // And why each goal last did not generate, as `pantheon god goals` says it (God is paused now).
        for (const g of await god.query(godGoalsQuery)) say(`goal ${g.id}: generated ${g.generated}, started today ${g.startedToday ?? 0}, last not generated: ${g.notGenerated?.reason ?? '-'}`);
        // And what God decided about each missing goal from the evening before to the day's end.
        const missing = goals.map((g) => g.id).filter((id) => !startedGoals.has(id));
        const dayBefore = new Date(from - DAY / 4).toISOString();
        const dayEnd = new Date(to).toISOString();
        for (const id of missing) {
          const tasksOfGoal = new Set(decisions.filter((x) => x.detail.includes(id) && x.taskId).map((x) => x.taskId));
          const about = decisions.filter((x) => x.at >= dayBefore && x.at < dayEnd && (x.detail.includes(id) || (x.taskId !== undefined && tasksOfGoal.has(x.taskId))));
          say(`decisions about ${id} from ${dayBefore} (${about.length}):`);
          for (const x of about.slice(-120)) say(`  ${x.at} ${x.kind} ${x.taskId ?? ''} ${x.detail}`);
        }
        say(`God's counters: ${JSON.stringify(final.counters)}`);
        throw err;
      }
    }

    // The experimental lane's share of all three days' spend.
    const experimental = spendIn(day1, end, 'experimental');
    const total = spendIn(day1, end);
    const share = experimental / total;
    say(`experimental share ${(share * 100).toFixed(1)} % of $${total.toFixed(4)}`);
    expect(share).toBeGreaterThanOrEqual(SHARE - 0.03);
    expect(share).toBeLessThanOrEqual(SHARE + 0.03);

    // Continue-as-new, many times; every run bounded; state small at every sample.
    const lengths = life.runs.map((r) => r.historyLength);
    // The state each run was handed (what continue-as-new carried), and God's own count at the end.
    const maxState = Math.max(...life.runs.map((r) => r.carriedStateBytes), final.stateBytes);
    say(`${life.runs.length} runs, longest ${Math.max(...lengths)} events; largest state ${maxState} bytes`);
    // Runs whose admission kept a lane's room for a task queued past holdAfterMinutes (the holds
    // patch is asked only then). The second is the replay fixture of that path: a run that starts
    // with a lane held also skips its goals' generation while the hold lasts (the first may not).
    const holding = life.runs.filter((r) => r.events.some((e) => patchIdOf(e) === 'admission-holds-overdue-tasks'));
    say(`${holding.length} of ${life.runs.length} runs held a lane for an overdue task`);
    if (holding.length) maybeRecordEvents(godId, 'god-admission-holds', (holding[1] ?? holding[0]).events);
    // Runs where a goal that had started nothing that day started a task past a hold (that patch
    // too is asked only then): the replay fixture of that path.
    const passing = life.runs.filter((r) => childStarts(r).some((s) => s.admitted?.includes('started past the hold')));
    say(`${passing.length} of ${life.runs.length} runs let a goal's first task of the day pass a hold`);
    if (passing.length) maybeRecordEvents(godId, 'god-goal-passes-hold', passing[0].events);
    // Runs where a task its goal's share could not take held no lane (asked only then).
    const unfunded = life.runs.filter((r) => r.events.some((e) => patchIdOf(e) === 'holds-only-fundable-tasks'));
    say(`${unfunded.length} of ${life.runs.length} runs kept a task its goal could not fund from holding a lane`);
    if (unfunded.length) maybeRecordEvents(godId, 'god-holds-only-fundable', unfunded[0].events);
    // Runs where a goal that had started nothing that day generated during a hold because none of
    // its queued tasks could start (asked only then; its fixture comes from god-stuck-backlog.test.ts).
    const unstuck = life.runs.filter((r) => r.events.some((e) => patchIdOf(e) === 'goal-generates-past-stuck-backlog'));
    say(`${unstuck.length} of ${life.runs.length} runs let a goal whose queued tasks could not start generate during a hold`);
    // Runs where a generation that only repeated tasks God had was asked once more, and runs where a
    // goal that had started nothing dropped a full backlog of tasks that could not start that day.
    const reasked = life.runs.filter((r) => r.events.some((e) => patchIdOf(e) === 'generation-asks-again-after-repeats'));
    const deadBacklogs = life.runs.filter((r) => r.events.some((e) => patchIdOf(e) === 'goal-drops-backlog-that-cannot-start'));
    say(`${reasked.length} of ${life.runs.length} runs asked a generator again after it only repeated tasks; ${deadBacklogs.length} dropped a starving goal's backlog that could not start`);
    // Runs where a day ended with generated tasks dropped unrun, their fingerprints released.
    const released = life.runs.filter((r) => r.events.some((e) => patchIdOf(e) === 'day-end-releases-dropped-fingerprints'));
    if (released.length) maybeRecordEvents(godId, 'god-day-end-releases-fingerprints', released[0].events);
    expect(life.runs.length).toBeGreaterThanOrEqual(10);
    expect(life.runs.slice(0, -1).every((r) => r.continuedAsNew)).toBe(true);
    expect(Math.max(...lengths, ...hourly.map((x) => x.historyLength))).toBeLessThanOrEqual(10_000);
    expect(maxState).toBeLessThan(256 * 1024);
    expect(final.counters.continuedAsNew).toBe(life.runs.length - 1);

    // No task lost or run twice: every id God started has exactly one workflow, and God heard
    // the end of every one of them exactly once.
    const initiatedIds = life.initiated.map((s) => s.workflowId);
    expect(new Set(initiatedIds).size).toBe(initiatedIds.length);
    expect([...life.started].sort()).toEqual([...initiatedIds].sort());
    expect(life.startFailed).toEqual([]);
    const closed = await Promise.all(initiatedIds.map(async (id) => (await h.client.workflow.getHandle(id).describe()).status.name));
    expect(closed.filter((s) => s === 'RUNNING')).toEqual([]);
    expect(final.inFlight).toBe(0);
    expect(final.counters.started).toBe(initiatedIds.length);
    expect(final.counters.finished).toBe(initiatedIds.length);
    expect(final.counters.started).toBe(final.counters.finished + final.inFlight);
    // Each task reports once; an end God missed by signal it reads back by reconciliation.
    expect([...life.finishedSignals.entries()].filter(([, n]) => n > 1)).toEqual([]);
    say(`God's counters: ${JSON.stringify(final.counters)}`);
    say(`${orphans.count} time-skipping locks of children that outlived their run handed back; ${stalls.released.length} held by nobody handed back on a stall; ${stalls.kicked.length} stuck workflow tasks kicked${stalls.kicked.length ? ` (${stalls.kicked.join('; ')})` : ''}`);
    say(`${initiatedIds.length} tasks started and heard finished (${[...life.finishedSignals.values()].reduce((a, b) => a + b, 0)} taskFinished signals); wall ${((Date.now() - wallStart) / 1000).toFixed(0)} s`);
  }, 300_000);
});
