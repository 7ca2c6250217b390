import { userInfo } from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { StartGodResult } from '../../src/client/god-start';
import { watchdogScheduleId } from '../../src/client/god-watchdog-schedule';
import { PICKED_AT_START } from '../../src/god/routing';
import { godDecisionsQuery, godGoalsQuery, godQueueQuery, godStatusQuery, routingPolicyQuery, type QueueItemView } from '../../src/workflows/god-api';
import { decodeFirstPayload } from '../../src/client/decode-payloads';
import { runCli } from '../support/cli';
import { eventually } from '../support/eventually';
import { freshState } from '../support/god-fixtures';
import { maybeRecordHistory } from '../support/history';
import { startHarness, testAddress, type Harness } from '../support/harness';

/**
 * The `pantheon god …`, `pantheon review …` and `pantheon submit` commands against a real God: the
 * real CLI in its own process, a real worker, the offline provider. God has its own id here, so
 * the suite's other tests (and their Gods) are untouched.
 */

let h: Harness;
let env: Record<string, string>;
let godId: string;
let dir: string;

const cli = (...args: string[]) => runCli(args, env);
const god = () => h.client.workflow.getHandle(godId);
const DB_TASK = 'Add a unique index on users.email in the Postgres database';
const DROP_TASK = 'Drop the legacy_sessions table from the production Postgres database';

function goalsFile(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

async function expectNoGod(): Promise<void> {
  await expect(god().describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
}

/** A task God holds in review, once it has decided so. */
function inReview(taskId: string): Promise<QueueItemView> {
  return eventually(`${taskId} awaiting review`, async () => (await god().query(godQueueQuery)).find((q) => q.taskId === taskId && q.status === 'awaiting_review'));
}

beforeAll(async () => {
  h = await startHarness('god-cli');
  godId = `god-cli-${process.pid}-${Date.now()}`;
  dir = path.join(process.env.PANTHEON_TEST_DIR ?? '/tmp', godId);
  fs.mkdirSync(dir, { recursive: true });
  env = { TEMPORAL_ADDRESS: testAddress(), PANTHEON_TASK_QUEUE: h.taskQueue, PANTHEON_GOD_ID: godId };
});

afterAll(async () => {
  await h?.client.schedule.getHandle(watchdogScheduleId(godId)).delete().catch(() => undefined);
  await god().terminate('test over').catch(() => undefined);
  await h?.stop();
});

describe('before God runs', () => {
  it('says God is not running and how to start it, exit 1', async () => {
    // Three commands at once: each is refused on its own.
    for (const run of await Promise.all([['god', 'status'], ['review', 'list'], ['god', 'pause']].map((args) => cli(...args)))) {
      expect(run.code).toBe(1);
      // Every flag `pantheon god start` takes, settings included (it named --goals alone).
      expect(run.stderr).toMatch(new RegExp(`God is not running \\(no workflow "${godId}" .*\\): start it with \`pantheon god start \\[--goals FILE\\] \\[--config JSON \\| --config-file FILE\\]\` \\(or \`npm run god --\` with the same flags\\)\n$`));
      expect(run.stdout).toBe('');
    }
  });

  it.each([
    ['a goal without an objective', 'bad-1.yaml', 'goals:\n  - id: a\n', /goals file .*bad-1\.yaml: goals\.0\.objective: /],
    ['a value above 10', 'bad-2.yaml', 'goals:\n  - id: a\n    objective: Keep the orders database fast\n    value: 11\n', /goals file .*bad-2\.yaml: goals\.0\.value: /],
    ['an unknown field', 'bad-3.yaml', 'goals:\n  - id: a\n    objective: Keep the orders database fast\n    colour: red\n', /goals file .*bad-3\.yaml: goals\.0\.colour: unknown field/],
  ])('refuses a goals file with %s, naming file and field, and starts nothing', async (_name, name, text, message) => {
    const run = await cli('god', 'start', '--goals', goalsFile(name, text));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
    await expectNoGod();
  });

  it('submit starts the task directly while God is not running', async () => {
    const id = `god-cli-direct-${Date.now()}`;
    const run = await cli('submit', DB_TASK, '--id', id);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`started ${id} (God "${godId}" is not running: started directly)`);
    await h.client.workflow.getHandle(id).result();
  });
});

describe('God running', () => {
  beforeAll(async () => {
    const file = goalsFile('goals.yaml', 'goals:\n  - id: orders-db\n    objective: Keep the orders Postgres database fast and its indexes right\n    cadenceMinutes: 600\n    tasksPerRun: 1\n');
    const run = await cli('god', 'start', '--goals', file);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^God started: workflow ${godId}, run \\S+, task queue ${h.taskQueue}, at .* with 1 goal\\(s\\) from .*goals\\.yaml`, 'm'));
    expect(run.stdout).toContain(`watchdog: Schedule ${godId}-watchdog created`);
    // Its own look every 5 minutes is not under test: one falling between a test's terminate (or
    // cancel) and its restart resumes God first, and the restart fails (the hand start below is
    // refused as already started). Paused, it still runs when a test triggers it.
    await h.client.schedule.getHandle(watchdogScheduleId(godId)).pause('the tests trigger the watchdog themselves');
  });

  it('a second start is a no-op that says God is already running', async () => {
    const { runId } = await god().describe();
    const run = await cli('god', 'start');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`God is already running: workflow ${godId}, run ${runId}; nothing started`);
    expect(run.stdout).toContain(`watchdog: Schedule ${godId}-watchdog updated`);
    expect((await god().describe()).runId).toBe(runId);
  });

  it('status shows the runway with the lanes apart, the counts and whether paused', async () => {
    await eventually('the runway', async () => (await god().query(godStatusQuery)).runway);
    const [run, asJson] = await Promise.all([cli('god', 'status'), cli('god', 'status', '--json')]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    for (const label of ['budget', 'spent', 'reserved', 'remaining', 'paced', 'burn rate', 'breaker']) expect(run.stdout).toMatch(new RegExp(`^  ${label}\\s+\\S`, 'm'));
    expect(run.stdout).toMatch(/^    main\s+85%\s+\[/m);
    expect(run.stdout).toMatch(/^    experimental\s+15%\s+\[/m);
    expect(run.stdout).toMatch(/^tasks\s+\d+ queued, \d+ awaiting review, \d+ in flight$/m);
    expect(run.stdout).toMatch(/^state\s+running$/m);
    const json = JSON.parse(asJson.stdout);
    expect(json.workflowId).toBe(godId);
  });

  it('goals, add-goal and remove-goal; God refuses a duplicate and an unknown id with its own message', async () => {
    expect((await cli('god', 'goals')).stdout).toMatch(/^orders-db\s+value 5, every 600 min/m);

    const added = await cli('god', 'add-goal', '--id', 'docs', '--objective', 'Keep the API reference in step with the code', '--value', '4', '--cadence', '720', '--lane', 'experimental');
    expect(added.stderr).toBe('');
    expect(added.stdout).toContain('goal added: docs (value 4, every 720 min, 25% of the day at most, experimental lane)');

    // Three refusals at once (none changes anything; the goals read after them shows it).
    const mixed = goalsFile('mixed-goals.yaml', [
      'goals:',
      '  - id: release-notes',
      '    objective: Keep the release notes in step with what shipped',
      '  - id: docs',
      '    objective: Keep the API reference in step with the code',
    ].join('\n'));
    const [duplicate, unknown, refused] = await Promise.all([
      cli('god', 'add-goal', '--id', 'docs', '--objective', 'Keep the API reference in step with the code'),
      cli('god', 'remove-goal', 'nope'),
      // A file whose second goal God has already is refused whole: its first is not added either.
      cli('god', 'add-goal', '--file', mixed),
    ]);
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toMatch(/God refused addGoal: id: a goal "docs" already exists/);

    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/God refused removeGoal: goalId: no goal "nope"/);

    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/goals\.1\.id: God already has a goal "docs"; nothing was added/);
    expect(refused.stdout).not.toContain('goal added');
    expect((await god().query(godGoalsQuery)).map((g) => g.id)).toEqual(['orders-db', 'docs']);

    const removed = await cli('god', 'remove-goal', 'docs');
    expect(removed.stdout).toContain('goal removed: docs');
    expect((await god().query(godGoalsQuery)).map((g) => g.id)).toEqual(['orders-db']);
  });

  it.each([
    ['a goal value above 10', ['god', 'add-goal', '--objective', 'Keep the API reference in step with the code', '--value', '11'], /--value: /],
    ['a short goal objective', ['god', 'add-goal', '--objective', 'short'], /--objective: must be at least 10 characters/],
    ['a share above 0.5', ['god', 'share', '0.7', '--reason', 'more'], /share: /],
    ['a negative share', ['god', 'share', '-0.1', '--reason', 'less'], /^error: invalid_input: share: /],
    ['a share without a reason', ['god', 'share', '0.2'], /--reason: required/],
    ['a review without a task id', ['review', 'approve'], /task-id: expected one task id/],
  ])('refuses %s before sending anything, naming the field', async (_name, argv, message) => {
    const before = await god().query(godStatusQuery);
    const run = await cli(...argv);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(message);
    const after = await god().query(godStatusQuery);
    expect(after.goals).toBe(before.goals);
    expect(after.runway?.lanes.map((l) => l.share)).toEqual(before.runway?.lanes.map((l) => l.share));
  });

  it('pause and resume; status of a task God holds (not started: no workflow yet) says what God decided and why it waits', async () => {
    const paused = await cli('god', 'pause', '--reason', 'deploy freeze');
    // Without --by, the shell's login name paused it, as a review records it.
    expect(paused.stdout).toContain(`God paused by ${userInfo().username}: "deploy freeze"`);
    // Already paused: said so, nothing changed (not the reason, not since when). The status printed
    // at the same time shows the first pause either way.
    const sinceMs = (await god().query(godStatusQuery)).paused?.sinceMs;
    const [pausedStatus, again] = await Promise.all([cli('god', 'status'), cli('god', 'pause', '--reason', 'another')]);
    expect(pausedStatus.stdout).toMatch(/^state\s+PAUSED since .*: "deploy freeze" \(pantheon god resume\)$/m);
    expect({ code: again.code, stdout: again.stdout.split('\n')[0] }).toEqual({ code: 0, stdout: expect.stringMatching(new RegExp(`^God is already paused since \\S+ by ${userInfo().username}: "deploy freeze"; nothing changed`)) });
    expect((await god().query(godStatusQuery)).paused).toEqual({ reason: 'deploy freeze', sinceMs, by: userInfo().username });
    const held = `god-cli-held-${Date.now()}`;
    expect((await cli('submit', DB_TASK, '--id', held)).code).toBe(0);
    await eventually(`${held} decided`, async () => (await god().query(godQueueQuery)).find((q) => q.taskId === held && q.decision));
    // What can be asked of a held task, asked at once (all of it reads).
    const [status, heldJson, overview, overviewJson, none] = await Promise.all([
      cli('status', held),
      cli('status', held, '--json'),
      cli('status'),
      cli('status', '--json'),
      cli('status', `${held}-unknown`),
    ]);
    expect({ code: status.code, stderr: status.stderr }).toEqual({ code: 0, stderr: '' });
    expect(status.stdout).toContain(`task        ${held}  (held by God ${godId}, not started yet)`);
    expect(status.stdout).toMatch(/^status      queued$/m);
    expect(status.stdout).toMatch(/^decision   route → \w+: /m);
    expect(status.stdout).toMatch(/^queued     .*paused/m);
    expect(JSON.parse(heldJson.stdout)).toEqual({
      taskId: held,
      execution: 'held_by_god',
      god: godId,
      // The same facts as fields a script can read, and the lines as printed.
      queued: expect.objectContaining({ taskId: held, status: 'queued', decision: expect.objectContaining({ kind: 'route', specialist: expect.any(String) }) }),
      decisions: expect.arrayContaining([expect.objectContaining({ taskId: held, kind: 'route' })]),
      lines: expect.arrayContaining([expect.stringMatching(/^decision   route → \w+: /)]),
    });
    // The overview counts what God holds: no workflow yet, so visibility alone would say nothing pends.
    expect(overview.stdout).toMatch(/^held by God \(not started yet\): [1-9]\d* queued, \d+ awaiting review \(npm run pantheon -- god queue\)$/m);
    expect(JSON.parse(overviewJson.stdout).heldByGod).toEqual({ god: godId, queued: expect.any(Number), awaitingReview: expect.any(Number) });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/task-id: no task/);
    // A task God holds has no workflow to cancel: `review reject` withdraws it while it is queued.
    const withdrawn = await cli('review', 'reject', held, '--reason', 'not during the freeze', '--by', 'alice');
    expect({ code: withdrawn.code, stderr: withdrawn.stderr }).toEqual({ code: 0, stderr: '' });
    expect((await god().query(godQueueQuery)).some((q) => q.taskId === held)).toBe(false);
    expect((await god().query(godDecisionsQuery)).filter((d) => d.taskId === held && d.kind === 'review').at(-1)?.detail).toBe('reject by alice: not during the freeze');
    // Its status, read while God resumes (whether God is paused does not change it).
    const [rejectedStatus, resumed] = await Promise.all([cli('status', held), cli('god', 'resume')]);
    expect(rejectedStatus.stdout).toMatch(/rejected in review: it will not run/);
    expect(resumed.stdout).toContain('God resumed');
    expect((await god().query(godStatusQuery)).paused).toBeUndefined();
    // Without --reason the log says who resumed it, not the pause's reason.
    expect((await god().query(godDecisionsQuery)).filter((d) => d.kind === 'operator').at(-1)?.detail).toBe(`resumed by ${userInfo().username}`);
    // Not paused: said so, and no decision recorded for it.
    const operatorDecisions = (await god().query(godDecisionsQuery)).filter((d) => d.kind === 'operator').length;
    const resumedAgain = await cli('god', 'resume');
    expect({ code: resumedAgain.code, first: resumedAgain.stdout.split('\n')[0] }).toEqual({ code: 0, first: 'God is not paused: nothing to resume' });
    expect((await god().query(godDecisionsQuery)).filter((d) => d.kind === 'operator')).toHaveLength(operatorDecisions);
  });

  it("submit --wait of a task God runs as a chain tells the running step's specialist progress on stderr", async () => {
    const id = `god-cli-chain-${Date.now()}`;
    // Step 2's first two specialist calls take 9 s each: the wait passes 10 s inside that step, and
    // the step's checkpoint after its first call reaches the server within it. The SDK sends a
    // heartbeat at most every 12 s (0.8 × runSpecialist's 15 s heartbeat timeout): with 6 s calls
    // that checkpoint landed ~12 s into a 12 s step, and a quiet machine's looks could miss it.
    h.provider.setFaults([{ kind: 'slow', delayMs: 9_000, match: { task: `${id}:step-2`, purpose: 'specialist' }, calls: [1, 2] }]);
    try {
      const objective = 'Research and compare the vendors and the evidence for sharding options, then write the SQL migration with an index for the orders table schema';
      const run = await cli('submit', objective, '--id', id, '--wait');
      expect(run.stdout).toMatch(/chain/);
      const lines = run.stderr.split('\n').filter((line) => line.startsWith('progress'));
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) expect(line).toMatch(/^progress    step [12] runSpecialist: \d+ iterations? done; this run has spent \$0\.\d+ \(\d+ tokens\)$/);
      // Step 2 runs for 18 s or more, so the looks after the first 10 s see it (step 1 too, on a slow machine).
      expect(lines.some((line) => line.startsWith('progress    step 2 '))).toBe(true);
    } finally {
      h.provider.setFaults([]);
    }
  }, 90_000);

  it('submit goes to God, prints its decision path, and --wait prints the outcome', async () => {
    const id = `god-cli-sub-${Date.now()}`;
    const run = await cli('submit', DB_TASK, '--id', id, '--wait');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`submitted to God (${godId}): ${id}`);
    // God's decision: seen while the task was queued, or from the log once it started.
    expect(run.stdout).toMatch(/^(decision\s+route → \w+: rules|route\s+rules: DatabaseAgent)/m);
    // The policy's pick is drawn among the matched DatabaseAgent and any specialist with a record
    // of the kind (God's goals ran database work before this), unless this was one of its
    // explored picks (logged with its probability, run in the experimental lane). The pick that
    // ran is the one made when the task could start, if God picked again then (its `admitted`
    // record), else the assessment's (`route`).
    const started = /^started\s+agentTask route → (\w+) \((main|experimental)\)/m.exec(run.stdout);
    expect(started).not.toBeNull();
    if (started![2] === 'main') {
      const decisions = await god().query(godDecisionsQuery);
      const admitted = decisions.find((d) => d.taskId === id && d.kind === 'admitted')?.detail ?? '';
      const atStart = admitted.indexOf(PICKED_AT_START);
      const detail = atStart >= 0 ? admitted.slice(atStart) : decisions.find((d) => d.taskId === id && d.kind === 'route')?.detail ?? '';
      const among = /Thompson pick among ([^;]+);/.exec(detail)?.[1].split(', ') ?? [];
      expect(among).toContain('DatabaseAgent');
      expect(among).toContain(started![1]);
      if (started![1] !== 'DatabaseAgent') {
        const kind = /kind "([^"]+)"/.exec(detail)![1];
        expect((await god().query(routingPolicyQuery)).active.arms[kind]?.[started![1]]).toBeDefined();
      }
    } else expect(run.stdout).toMatch(/(explored|probed while (on trial|quarantined)) \(p=/);
    expect(run.stdout).toMatch(/^status\s+completed$/m);

    const direct = `god-cli-forced-${Date.now()}`;
    const [again, forced] = await Promise.all([cli('submit', DB_TASK, '--id', id), cli('submit', DB_TASK, '--id', direct, '--direct')]);
    expect(again.stdout).toContain(`God already knows ${id}`);

    expect(forced.stdout).toMatch(new RegExp(`^started ${direct}$`, 'm'));
    expect((await god().query(godQueueQuery)).some((q) => q.taskId === direct)).toBe(false);
  });

  it("submit refuses an --id naming God itself (or any workflow that is not a task), exit 1, and God records nothing", async () => {
    const decisionsBefore = (await god().query(godDecisionsQuery)).length;
    const run = await cli('submit', DB_TASK, '--id', godId);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`--id ${godId}: already names a god workflow, not a task; give another id`));
    expect(run.stdout).not.toContain('submitted to God');
    expect((await god().query(godDecisionsQuery)).filter((d) => d.taskId === godId)).toEqual([]);
    expect((await god().query(godDecisionsQuery)).length).toBeGreaterThanOrEqual(decisionsBefore);
  });

  it('submit --wait exits 2 when the task ends without completing (God rejected it), after printing why', async () => {
    const id = `god-cli-vague-${Date.now()}`;
    const run = await cli('submit', 'improve the thing from yesterday', '--id', id, '--wait');
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain(`submitted to God (${godId}): ${id}`);
    expect(run.code).toBe(2);
    // Refused before it ran: God's record says so instead of naming a specialist as if it had.
    const finished = await eventually(`${id} finished`, async () => (await god().query(godDecisionsQuery)).find((d) => d.taskId === id && d.kind === 'finished'));
    expect(finished.detail).toMatch(/^rejected \$\d+\.\d{4} \(not run; routed to \w+\): /);
  });

  it('review list, approve and reject; an unknown id is refused by God with its message', async () => {
    const approveId = `god-cli-review-a-${Date.now()}`;
    const rejectId = `god-cli-review-r-${Date.now()}`;
    // Both submitted at once.
    const submitted = await Promise.all([approveId, rejectId].map(async (id) => ({ id, run: await cli('submit', DROP_TASK, '--id', id) })));
    for (const { id, run } of submitted) {
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`submitted to God (${godId}): ${id}`);
      // God decides within a tick; on a slow machine the command may say it is still pending.
      expect(run.stdout).toMatch(new RegExp(`^review\\s+awaiting a human: irreversible: .*\\(pantheon review approve\\|reject ${id}\\)$|^decision\\s+pending`, 'm'));
    }
    await inReview(approveId);
    await inReview(rejectId);

    const list = await cli('review', 'list');
    expect(list.stdout).toMatch(new RegExp(`^${approveId}\\s`, 'm'));
    expect(list.stdout).toMatch(/why review: .*irreversible/i);

    // An approval, and one God refuses for an id it does not hold, at once.
    const [approved, unknown] = await Promise.all([cli('review', 'approve', approveId, '--reason', 'the table is unused', '--by', 'ana'), cli('review', 'approve', 'no-such-task')]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/God refused reviewDecision: .*no-such-task/);
    expect(approved.stderr).toBe('');
    expect(approved.stdout).toContain(`${approveId} approved by ana: "the table is unused"`);
    // The approved task starts on the specialist the reviewer approved, not on a fresh pick.
    const approvedRoute = /it runs as decided \(route → (\w+)\)/.exec(approved.stdout)?.[1];
    expect(approvedRoute).toBeDefined();
    const admitted = await eventually(`${approveId} admitted`, async () => (await god().query(godDecisionsQuery)).find((d) => d.taskId === approveId && d.kind === 'admitted'));
    expect(admitted.detail).toContain(`route → ${approvedRoute} (`);
    expect(admitted.detail).not.toContain(PICKED_AT_START);
    await maybeRecordHistory(godId, 'god-approved-review-keeps-route');

    // Without --by the decision is the shell's login name's, as `pantheon budget` records it.
    const rejected = await cli('review', 'reject', rejectId, '--reason', 'not during the freeze');
    expect(rejected.stdout).toContain(`${rejectId} rejected by ${userInfo().username}: "not during the freeze"`);
    const audit = await eventually(`${rejectId} rejected`, async () => (await god().query(godDecisionsQuery)).find((d) => d.taskId === rejectId && d.kind === 'review'));
    expect(audit.detail).toBe(`reject by ${userInfo().username}: not during the freeze`);

    // Once rejected, all that follows is asked at once: none of it changes what God holds.
    const archive = 'Archive the audit_archive rows older than five years to cold storage';
    const [twice, status, statusJson, again, waited, direct] = await Promise.all([
      cli('review', 'reject', rejectId),
      cli('status', rejectId),
      cli('status', rejectId, '--json'),
      cli('submit', archive, '--id', rejectId),
      cli('submit', archive, '--id', rejectId, '--wait'),
      cli('submit', archive, '--id', rejectId, '--direct'),
    ]);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/God refused reviewDecision: /);

    const queue = await god().query(godQueueQuery);
    expect(queue.some((q) => q.taskId === rejectId)).toBe(false);
    expect(queue.find((q) => q.taskId === approveId)?.status ?? 'started').not.toBe('awaiting_review');

    // Rejected in review, it will not run: status says so (not "held by God"), and its id stays
    // God's: a resubmission of it is told so, not queued again.
    expect(status.stdout).toContain(`task        ${rejectId}  (rejected in review: it will not run)`);
    expect(JSON.parse(statusJson.stdout)).toMatchObject({ taskId: rejectId, execution: 'not_run', notRun: 'rejected in review' });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`God already knows ${rejectId}`);
    expect((await god().query(godQueueQuery)).some((q) => q.taskId === rejectId)).toBe(false);
    // Retried with --wait (a script's retry after a lost answer): told how it ended, exit 2, not 0.
    expect(waited.code).toBe(2);
    expect(waited.stdout).toContain('ended      without a workflow (God did not start it: rejected in review, or dropped)');
    // Nor does --direct run what God refused: it would go around the review.
    expect({ code: direct.code, stderr: direct.stderr }).toEqual({
      code: 1,
      stderr: expect.stringMatching(new RegExp(`--id: God did not run "${rejectId}": rejected in review; a direct start would run it anyway\\. Give the task another id to run it directly`)),
    });
    await expect(h.client.workflow.getHandle(rejectId).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    // Since the 'unstarted-ids-stay-known' patch.
    await maybeRecordHistory(godId, 'god-unstarted-ids-stay-known');
  });

  it('share sets the experimental lane, audited, and shows the new runway', async () => {
    const run = await cli('god', 'share', '0.2', '--reason', 'more exploration this week', '--by', 'ana');
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('experimental share set to 0.2 by ana: "more exploration this week"');
    expect(run.stdout).toMatch(/^    experimental\s+20%/m);
    // The log read while the share goes back to the default (one decision more in the last 50).
    const [decisions] = await Promise.all([cli('god', 'decisions', '--limit', '50'), cli('god', 'share', '0.15', '--reason', 'back to the default')]);
    expect(decisions.stdout).toMatch(/operator\s+experimental share set to 0\.2 by ana: more exploration this week/);
  });

  it('queue and decisions show what God decided', async () => {
    const [decisions, queue] = await Promise.all([cli('god', 'decisions'), cli('god', 'queue')]);
    expect(decisions.code).toBe(0);
    expect(decisions.stdout).toMatch(/decision\(s\), oldest first/);
    expect(decisions.stdout).toMatch(/\sroute\s/);
    expect(queue.code).toBe(0);
    expect(queue.stdout).toMatch(/God's queue/);
  });

  it('the watchdog starts God again when it is not running, resuming the killed run\'s state', async () => {
    const { runId } = await god().describe();
    const goalsBefore = (await god().query(godGoalsQuery)).map((g) => g.id);
    const counters = (await god().query(godStatusQuery)).counters;
    expect(goalsBefore.length).toBeGreaterThan(0);
    await god().terminate('the watchdog test');
    await h.client.schedule.getHandle(watchdogScheduleId(godId)).trigger();
    const restarted = await eventually('a new God run', async () => {
      const d = await god().describe();
      return d.status.name === 'RUNNING' && d.runId !== runId ? d : undefined;
    });
    expect(restarted.runId).not.toBe(runId);
    // Resumed from the killed run's last state (read back by replaying its history), not started afresh.
    const goals = await eventually('goals', async () => {
      const g = await god().query(godGoalsQuery);
      return g.length ? g : undefined;
    });
    expect(goals.map((g) => g.id)).toEqual(goalsBefore);
    expect((await god().query(godStatusQuery)).counters.submitted).toBe(counters.submitted);

    // The watchdog run that did it: it started God (and says so), and its history is a replay fixture.
    const schedule = await h.client.schedule.getHandle(watchdogScheduleId(godId)).describe();
    const runs = await Promise.all(
      schedule.info.recentActions.map(async ({ action }) => {
        const id = action.type === 'startWorkflow' ? action.workflow.workflowId : '';
        return { id, result: (await h.client.workflow.getHandle(id).result()) as StartGodResult };
      }),
    );
    const restarter = runs.find((r) => r.result.runId === restarted.runId);
    expect(restarter?.result).toEqual({ outcome: 'started', workflowId: godId, runId: restarted.runId, previous: 'terminated', goalsGiven: 0, resumed: true, settings: "the killed run's, resumed with its state" });
    await maybeRecordHistory(restarter!.id, 'god-watchdog-restart');
  });
});

describe('God ended by an operator', () => {
  it('a cancelled God is resumed like a terminated one, with the settings it ran with', async () => {
    // Started with settings of its own, as with `temporal workflow start --type god --input '{"config":…}'`.
    await god().terminate('restart with settings');
    await h.client.workflow.start('god', { workflowId: godId, taskQueue: h.taskQueue, args: [{ config: { taskQueue: h.taskQueue, tickSeconds: 7, reviewTimeoutHours: 5 } }] });
    expect((await cli('god', 'add-goal', '--id', 'kept-goal', '--objective', 'Keep the orders table indexes healthy in Postgres', '--value', '3')).code).toBe(0);
    // The Web UI's Cancel, or `temporal workflow cancel --workflow-id`.
    await god().cancel();
    await eventually('God cancelled', async () => ((await god().describe()).status.name === 'CANCELLED' ? true : undefined));

    const started = await cli('god', 'start');
    expect(started.code).toBe(0);
    expect(started.stdout).toMatch(/^God started: .* resuming the killed run's queue, goals, statistics and settings \(its last run had cancelled\)$/m);
    expect((await god().query(godGoalsQuery)).map((g) => g.id)).toContain('kept-goal');
    const first = (await god().fetchHistory()).events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
    const input = (await decodeFirstPayload(h.client.workflow.options.loadedDataConverter, first)) as { config: Record<string, unknown> };
    expect(input.config).toMatchObject({ tickSeconds: 7, reviewTimeoutHours: 5, taskQueue: h.taskQueue });
  });

  it('god start (and every god command) refuses an id that names a task (or any workflow that is not God), naming PANTHEON_GOD_ID, and starts nothing', async () => {
    const taskId = `${godId}-a-task`;
    expect((await cli('submit', DB_TASK, '--direct', '--wait', '--id', taskId)).code).toBe(0);
    // Asked at once: god start, the task's status, and another god command.
    const [run, taskStatus, asked] = await Promise.all([
      runCli(['god', 'start'], { ...env, PANTHEON_GOD_ID: taskId }),
      cli('status', taskId),
      runCli(['god', 'status'], { ...env, PANTHEON_GOD_ID: taskId }),
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/PANTHEON_GOD_ID: "[^"]+" is the id of a workflow of type agentTask, not God; give God an id of its own/);
    expect((await h.client.workflow.getHandle(taskId).describe()).type).toBe('agentTask');
    await expect(h.client.schedule.getHandle(watchdogScheduleId(taskId)).describe()).rejects.toThrow();
    expect(taskStatus.stdout).toMatch(/status\s+completed/);
    // Every command that talks to God says the same, instead of a "no handler" error from the task.
    expect({ code: asked.code, stderr: asked.stderr }).toEqual({ code: 1, stderr: expect.stringMatching(/PANTHEON_GOD_ID: "[^"]+" is the id of a workflow of type agentTask, not God/) });
  });
});

describe('a specialist God spawned', () => {
  /** A contract reviewer's definition, as God's spawn writes one. */
  const legalDefinition = (name: string) => ({
    name,
    description: 'Reviews contracts and their clauses',
    provider: 'openai' as const,
    model: 'gpt-4.1-mini',
    keywords: ['contract', 'clause', 'gdpr'],
    system_prompt: 'You review contracts: clauses, obligations and risks, and say what to change.',
    expected_duration_minutes: 5,
    max_output_tokens: 700,
  });

  it('submit --specialist names it (not in agents/) and God takes the task; a name neither knows is refused listing both; god specialists lists it', async () => {
    const spawnGod = `${godId}-spawned`;
    const state = freshState({ specialists: [{ name: 'LegalAgent', version: 1, status: 'live', definition: legalDefinition('LegalAgent'), kind: 'legal', createdAtMs: Date.now(), runs: 3, successes: 3 }] });
    const handle = await h.client.workflow.start('god', { workflowId: spawnGod, taskQueue: h.taskQueue, args: [{ config: { tickSeconds: 1, taskQueue: h.taskQueue }, state }] });
    try {
      const withSpawned = { ...env, PANTHEON_GOD_ID: spawnGod };
      const id = `${spawnGod}-task`;
      // The four commands at once: the refused submit and the lists do not depend on the accepted one.
      const [run, unknown, listed, listedJson] = await Promise.all([
        runCli(['submit', 'Check the supplier contract for a risky GDPR clause', '--specialist', 'LegalAgent', '--id', id], withSpawned),
        runCli(['submit', 'Check the supplier contract for a risky GDPR clause', '--specialist', 'OracleAgent'], withSpawned),
        runCli(['god', 'specialists'], withSpawned),
        runCli(['god', 'specialists', '--json'], withSpawned),
      ]);
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
      expect(run.stdout).toContain(`submitted to God (${spawnGod}): ${id}`);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toMatch(/specialist: unknown "OracleAgent" \(known: .*DatabaseAgent.*, LegalAgent \(spawned\)\)/);
      // And the CLI lists them: status, kind, model and record.
      expect(listed.stdout).toMatch(/^LegalAgent v1 {2}live {2}kind legal {2}openai\/gpt-4\.1-mini {2}3 of 3 run\(s\) succeeded/m);
      expect(JSON.parse(listedJson.stdout).specialists).toEqual([expect.objectContaining({ name: 'LegalAgent', status: 'live' })]);
    } finally {
      await handle.terminate('test over');
    }
  });

  it('submit --direct --specialist starts a live one directly, refuses one on trial saying why, and names God when it does not run', async () => {
    const spawnGod = `${godId}-spawned-direct`;
    const specialists = [
      { name: 'LegalAgent', version: 1, status: 'live' as const, definition: legalDefinition('LegalAgent'), kind: 'legal', createdAtMs: Date.now(), runs: 3, successes: 3 },
      { name: 'Legal2Agent', version: 1, status: 'trial' as const, definition: legalDefinition('Legal2Agent'), kind: 'contracts', createdAtMs: Date.now(), runs: 0, successes: 0 },
    ];
    const handle = await h.client.workflow.start('god', { workflowId: spawnGod, taskQueue: h.taskQueue, args: [{ config: { tickSeconds: 1, taskQueue: h.taskQueue }, state: freshState({ specialists }) }] });
    const withSpawned = { ...env, PANTHEON_GOD_ID: spawnGod };
    const objective = 'Check the supplier contract for a risky GDPR clause';
    try {
      const id = `${spawnGod}-direct`;
      const [live, trial] = await Promise.all([
        runCli(['submit', objective, '--specialist', 'LegalAgent', '--direct', '--id', id], withSpawned),
        runCli(['submit', objective, '--specialist', 'Legal2Agent', '--direct'], withSpawned),
      ]);
      expect({ code: live.code, stderr: live.stderr }).toEqual({ code: 0, stderr: '' });
      expect(live.stdout).toContain(`started ${id}`);
      expect((await h.client.workflow.getHandle(id).describe()).type).toBe('agentTask');
      expect(trial.code).toBe(1);
      expect(trial.stderr).toMatch(/--specialist Legal2Agent: on trial \(God spawned it\); .*submit without --direct/);
    } finally {
      await handle.terminate('test over');
    }
    const noGod = await runCli(['submit', objective, '--specialist', 'LegalAgent', '--direct'], withSpawned);
    expect(noGod.code).toBe(1);
    expect(noGod.stderr).toMatch(new RegExp(`specialist: unknown "LegalAgent" \\(known: [^)]*\\); God "${spawnGod}" is not running to say which specialists it spawned`));
  });
});
