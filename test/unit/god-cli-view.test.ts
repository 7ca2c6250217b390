import { assessFailedReason, chainOutcomeLines, decisionLabel, goalLeftoverLines, decisionPath, laneLine, renderDecisions, renderGodStatus, renderGoals, renderQueue, renderReviews, runsOutLine, runwayLines, when } from '../../src/client/god-view';
import type { DecisionRecord, GodCounters, GoalState } from '../../src/god/types';
import type { ChainOutcome } from '../../src/tasks/chain';
import type { GodStatusView, QueueItemView, RunwayView } from '../../src/workflows/god-api';

const T0 = Date.parse('2025-03-04T10:15:00.000Z');
const MIN = 60_000;
const HOUR = 60 * MIN;

const counters = (extra: Partial<GodCounters> = {}): GodCounters => ({
  submitted: 4,
  generated: 10,
  duplicates: 2,
  started: 9,
  finished: 7,
  rejected: 1,
  dropped: 0,
  reviewed: 1,
  spawned: 0,
  continuedAsNew: 3,
  ...extra,
});

const runway = (extra: Partial<RunwayView> = {}): RunwayView => ({
  dayKey: '2025-03-04',
  budgetUsd: 20,
  spentUsd: 1.23,
  reservedUsd: 0.4,
  remainingUsd: 18.37,
  pacedAllowanceUsd: 8.5,
  burnRateUsdPerHour: 0.12,
  runsOutAtMs: T0 + 12 * HOUR + 25 * MIN,
  lanes: [
    { lane: 'main', share: 0.85, budgetUsd: 17, spentUsd: 1, reservedUsd: 0.3, remainingUsd: 15.7 },
    { lane: 'experimental', share: 0.15, budgetUsd: 3, spentUsd: 0.23, reservedUsd: 0.1, remainingUsd: 2.67 },
  ],
  breakerOpen: false,
  asOfMs: T0 - 3 * MIN,
  ...extra,
});

const status = (extra: Partial<GodStatusView> = {}): GodStatusView => ({
  workflowId: 'pantheon-god',
  runId: 'run-1',
  stateVersion: 1,
  queued: 3,
  awaitingReview: 1,
  inFlight: 2,
  goals: 2,
  liveSpawned: 0,
  counters: counters(),
  runway: runway(),
  stateBytes: 12_600,
  historyLength: 345,
  lastTickMs: T0 - 30_000,
  ...extra,
});

const item = (extra: Partial<QueueItemView> = {}): QueueItemView => ({
  taskId: 'task-1',
  objective: 'Add a unique index on users.email in the Postgres database',
  priority: 'normal',
  status: 'queued',
  source: 'submitted',
  lane: 'main',
  submittedAtMs: T0 - 5 * MIN,
  ...extra,
});

describe('runway', () => {
  it('says when the rest of the budget runs out at the burn rate, or that it lasts the day', () => {
    expect(runsOutLine(runway(), T0)).toBe('$0.1200/h: runs out at 2025-03-04T22:40Z (in 12h 25m)');
    expect(runsOutLine(runway({ runsOutAtMs: undefined }), T0)).toBe('$0.1200/h: lasts the day at this rate');
    expect(runsOutLine(runway({ remainingUsd: 0 }), T0)).toBe("$0.1200/h: the day's budget is spent");
  });

  it('shows budget, spent, reserved, remaining, pacing and each lane apart', () => {
    expect(runwayLines(runway(), T0)).toEqual([
      'runway     day 2025-03-04, as of 2025-03-04T10:12Z (3m ago)',
      '  budget     $20.00',
      '  spent      $1.2300',
      '  reserved   $0.4000',
      '  remaining  $18.3700',
      '  paced      $8.5000 may be spent by now',
      '  burn rate  $0.1200/h: runs out at 2025-03-04T22:40Z (in 12h 25m)',
      '  breaker    closed',
      '  lanes ([#] spent, [+] reserved, [.] free)',
      '    main          85%  [#+..................]  $1.0000 spent + $0.3000 reserved of $17.00, $15.7000 left',
      '    experimental  15%  [##..................]  $0.2300 spent + $0.1000 reserved of $3.00, $2.6700 left',
    ]);
  });

  it('says plainly when the breaker is open or the ledger was never read', () => {
    expect(runwayLines(runway({ breakerOpen: true }), T0)).toContain('  breaker    OPEN: God admits nothing until it closes (pantheon budget)');
    expect(runwayLines(undefined, T0)).toEqual(['runway     not read from the budget ledger yet (God reads it every tick; is the ledger running?)']);
  });

  it('draws a lane as a bar of its own budget', () => {
    expect(laneLine({ lane: 'experimental', share: 0.15, budgetUsd: 3, spentUsd: 3, reservedUsd: 0, remainingUsd: 0 }, 12)).toBe(
      'experimental  15%  [####################]  $3.0000 spent + $0.0000 reserved of $3.00, $0.0000 left',
    );
  });
});

describe('pantheon god status', () => {
  it('shows who God is, paused or not, the counts, the runway and the workflow', () => {
    const text = renderGodStatus(status(), { address: 'localhost:7233', namespace: 'default', nowMs: T0 });
    const lines = text.split('\n');
    expect(lines.slice(0, 4)).toEqual([
      'God pantheon-god (run run-1) at localhost:7233, namespace default',
      'state      running',
      'tasks      3 queued, 1 awaiting review, 2 in flight',
      'goals      2; spawned specialists live or on trial: 0',
    ]);
    expect(lines).toEqual(expect.arrayContaining(runwayLines(runway(), T0)));
    expect(lines.at(-2)).toBe('counters   submitted 4, generated 10 (2 duplicates dropped), started 9, finished 7, rejected 1, dropped 0, reviewed 1, spawned 0');
    expect(lines.at(-1)).toBe('workflow   state 12.3 KiB (v1), history 345 events, continued as new 3 times, last tick 2025-03-04T10:14Z (30s ago)');
    // A God that reports its history's size (it continues as new by size too) shows it.
    const sized = renderGodStatus({ ...status(), historyBytes: 200_704 }, { address: 'localhost:7233', namespace: 'default', nowMs: T0 }).split('\n');
    expect(sized.at(-1)).toBe('workflow   state 12.3 KiB (v1), history 345 events (196 KiB), continued as new 3 times, last tick 2025-03-04T10:14Z (30s ago)');
  });

  it('names a held lane and the task it is held for, after the runway', () => {
    const lines = renderGodStatus(status({ held: { experimental: 'god-g12-ab' } }), { address: 'a', namespace: 'n', nowMs: T0 }).split('\n');
    const at = lines.indexOf('  held       the experimental lane for god-g12-ab: queued past holdAfterMinutes, later tasks of the lane wait for it (pantheon god queue)');
    expect(at).toBe(lines.findIndex((l) => l.startsWith('counters')) - 1);
    expect(renderGodStatus(status(), { address: 'a', namespace: 'n', nowMs: T0 })).not.toMatch(/held/);
  });

  it('shows a pause with its reason and how to end it', () => {
    const text = renderGodStatus(status({ paused: { reason: 'deploy freeze', sinceMs: T0 - 2 * HOUR } }), { address: 'a', namespace: 'n', nowMs: T0 });
    expect(text.split('\n')[1]).toBe('state      PAUSED since 2025-03-04T08:15Z (2h 0m ago): "deploy freeze" (pantheon god resume)');
    // Who paused, when the pause named them (`pantheon god pause` does: --by, else the login name).
    const byAna = renderGodStatus(status({ paused: { reason: 'deploy freeze', sinceMs: T0 - 2 * HOUR, by: 'ana' } }), { address: 'a', namespace: 'n', nowMs: T0 });
    expect(byAna.split('\n')[1]).toBe('state      PAUSED since 2025-03-04T08:15Z (2h 0m ago) by ana: "deploy freeze" (pantheon god resume)');
  });
});

describe('queue, reviews, goals, decisions', () => {
  it('labels decisions by kind and target', () => {
    expect(decisionLabel({ kind: 'route', specialist: 'DatabaseAgent' })).toBe('route → DatabaseAgent');
    expect(decisionLabel({ kind: 'chain', plan: ['ResearchAgent', 'DatabaseAgent'] })).toBe('chain ResearchAgent → DatabaseAgent');
    expect(decisionLabel({ kind: 'review' })).toBe('review');
  });

  it('lists the queue with each decision and why a task waits', () => {
    const text = renderQueue(
      [
        item({ decision: { kind: 'route', reason: 'rules matched', specialist: 'DatabaseAgent' }, valueDensity: 41.5, waitReason: 'pacing: $8.50 may be spent by now' }),
        item({ taskId: 'pantheon-god-g7-ab', status: 'assessing', source: 'generated', goalId: 'docs', lane: 'experimental', objective: 'x'.repeat(100) }),
      ],
      T0,
    );
    expect(text.split('\n')).toEqual([
      "2 task(s) in God's queue: 1 queued, 1 assessing",
      'task-1  queued          normal   main         submitted  density 41.50  since 2025-03-04T10:10Z (5m ago)',
      '  "Add a unique index on users.email in the Postgres database"',
      '  decision: route → DatabaseAgent: rules matched',
      '  waiting: pacing: $8.50 may be spent by now',
      'pantheon-god-g7-ab  assessing       normal   experimental goal docs  since 2025-03-04T10:10Z (5m ago)',
      `  "${'x'.repeat(69)}…"`,
    ]);
    expect(renderQueue([], T0)).toBe("God's queue is empty");
    // God's reason for an open breaker says "waiting:" itself: said once.
    const breaker = renderQueue([item({ decision: { kind: 'route', reason: 'rules matched', specialist: 'DatabaseAgent' }, waitReason: 'waiting: the budget circuit breaker is open (nothing starts until it closes)' })], T0);
    expect(breaker.split('\n')).toContain('  waiting: the budget circuit breaker is open (nothing starts until it closes)');
  });

  it('lists reviews with why, since when, and when the default applies', () => {
    const text = renderReviews(
      [item({ status: 'awaiting_review', decision: { kind: 'route', reason: 'rules matched', specialist: 'DatabaseAgent' }, review: { reasons: ['irreversible: drop'], sinceMs: T0 - HOUR, deadlineMs: T0 + 23 * HOUR } })],
      T0,
    );
    expect(text.split('\n')).toEqual([
      '1 task(s) awaiting review (pantheon review approve|reject <task-id> [--reason TEXT])',
      'task-1  normal  main  submitted',
      '  "Add a unique index on users.email in the Postgres database"',
      '  proposed: route → DatabaseAgent: rules matched',
      '  why review: irreversible: drop',
      '  waiting since 2025-03-04T09:15Z (1h 0m ago); the default applies at 2025-03-05T09:15Z (in 23h 0m)',
    ]);
    expect(renderReviews([], T0)).toBe('no task awaits review');
  });

  it('says a review for the cost alone ends by itself once the day can pay', () => {
    const cost = 'expensive: expected ~$0.0077 is over 10% of the $0.0073 left today';
    const text = renderReviews([item({ status: 'awaiting_review', review: { reasons: [cost], sinceMs: T0 - HOUR, deadlineMs: T0 + 23 * HOUR, costOnly: true } })], T0);
    expect(text.split('\n').slice(-2)).toEqual([
      `  why review: ${cost}`,
      '  waiting since 2025-03-04T09:15Z (1h 0m ago); it runs without review once what is left of the day pays for it (a new day, a raised limit), else the default applies at 2025-03-05T09:15Z (in 23h 0m)',
    ]);
  });

  it('says a review for the cost alone that not even a whole day can pay for needs a person or a raised limit', () => {
    const cost = 'expensive: expected ~$0.15 is over 10% of the $0.90 left today';
    const text = renderReviews([item({ status: 'awaiting_review', review: { reasons: [cost], sinceMs: T0 - HOUR, deadlineMs: T0 + 23 * HOUR, costOnly: true, beyondWholeDay: true } })], T0);
    expect(text.split('\n').at(-1)).toBe(
      "  waiting since 2025-03-04T09:15Z (1h 0m ago); even a whole day's review share cannot pay for it, so it runs once approved (or once system_daily_usd or reviewCostShare is raised), else the default applies at 2025-03-05T09:15Z (in 23h 0m)",
    );
  });

  it('lists goals with cadence, share, lane, what they generated and started today', () => {
    const goal: GoalState = { id: 'docs', objective: 'Keep the docs current', value: 6, cadenceMinutes: 60, budgetShare: 0.25, lane: 'main', tasksPerRun: 2, addedAtMs: T0 - HOUR, lastGeneratedAtMs: T0 - 10 * MIN, generated: 4, spentTodayUsd: 0.05, startedToday: 3 };
    expect(renderGoals([goal, { ...goal, id: 'new', lastGeneratedAtMs: 0, generated: 0, spentTodayUsd: 0, startedToday: undefined }], T0).split('\n')).toEqual([
      '2 goal(s)',
      'docs  value 6, every 60 min, up to 2 task(s) a run, 25% of the day at most, main lane',
      '  "Keep the docs current"',
      '  generated 4 task(s); last 2025-03-04T10:05Z (10m ago); started today 3; spent today $0.0500',
      'new  value 6, every 60 min, up to 2 task(s) a run, 25% of the day at most, main lane',
      '  "Keep the docs current"',
      '  generated 0 task(s); last never; started today 0; spent today $0.0000',
    ]);
    expect(renderGoals([], T0)).toMatch(/^no goals/);
  });

  it('says why a goal did not generate when it last came due', () => {
    const goal: GoalState = {
      id: 'vendors', objective: 'Compare vendors', value: 4, cadenceMinutes: 180, budgetShare: 0.3, lane: 'main', tasksPerRun: 2, addedAtMs: T0 - HOUR, lastGeneratedAtMs: T0 - HOUR, generated: 2, spentTodayUsd: 0, startedToday: 0,
      notGenerated: { atMs: T0 - 5 * MIN, reason: 'the main lane is held for god-g7-ab (queued past holdAfterMinutes) and a task it queued may still start; tried again next tick' },
    };
    expect(renderGoals([goal], T0).split('\n').at(-1)).toBe(
      '  did not generate 2025-03-04T10:10Z (5m ago): the main lane is held for god-g7-ab (queued past holdAfterMinutes) and a task it queued may still start; tried again next tick',
    );
  });

  it('shows the newest decisions, oldest first', () => {
    const records: DecisionRecord[] = [
      { atMs: T0 - 2 * MIN, kind: 'generated', detail: 'goal docs: write the intro', taskId: 'g1' },
      { atMs: T0 - MIN, kind: 'route', detail: 'rules matched', taskId: 'g1' },
      { atMs: T0, kind: 'operator', detail: 'paused: freeze' },
    ];
    expect(renderDecisions(records, 2).split('\n')).toEqual([
      'newest 2 of 3 decision(s), oldest first',
      '2025-03-04T10:14Z  route     g1  rules matched',
      '2025-03-04T10:15Z  operator  paused: freeze',
    ]);
    expect(renderDecisions(records).split('\n')[0]).toBe('all 3 decision(s), oldest first');
    expect(renderDecisions([])).toBe('no decisions yet');
  });

  it('keeps a decision whose detail holds a multi-line objective on one line', () => {
    const records: DecisionRecord[] = [{ atMs: T0, kind: 'generated', detail: 'submitted: Migrate these tables:\n- users\r\n  - orders', taskId: 't1' }];
    expect(renderDecisions(records).split('\n')).toEqual(['all 1 decision(s), oldest first', '2025-03-04T10:15Z  generated  t1  submitted: Migrate these tables: ⏎ - users ⏎ - orders']);
  });
});

describe('decision path of a submitted task', () => {
  const route = { kind: 'route', reason: 'rules matched (database)', specialist: 'DatabaseAgent' };

  it('is undefined while God still assesses it', () => {
    expect(decisionPath('task-1', [item({ status: 'assessing' })], [])).toBeUndefined();
    expect(decisionPath('task-1', [], [{ atMs: T0, kind: 'generated', detail: 'submitted: …', taskId: 'task-1' }])).toBeUndefined();
  });

  it('says so while its assessment fails: how often, the last error, and when God tries it again (not "decides on its next tick")', () => {
    const assessFailed = { failures: 3, retryAtMs: T0 + 2 * MIN, lastError: 'quota_exhausted (router)' };
    const failing = item({ status: 'assessing', assessFailed, waitReason: 'assessment failed 3 times in a row (quota_exhausted (router)); tried again in 120 s' });
    const said = 'its assessment failed 3 times in a row (last: quota_exhausted (router)); tried again at 2025-03-04T10:17Z (in 2m)';
    expect(decisionPath('task-1', [failing], [], undefined, T0)).toEqual({ done: false, lines: [`decision   pending: ${said}`] });
    // God's queue shows the instant, not the "in 120 s" of when it failed.
    expect(renderQueue([failing], T0).split('\n').at(-1)).toBe(`  waiting: ${said}`);
    // Due again, or without the error: said as far as known.
    expect(assessFailedReason({ failures: 1, retryAtMs: T0 }, T0 + MIN)).toBe('its assessment failed 1 time in a row; tried again on its next tick');
  });

  it('shows the decision and why it waits while queued or held for review', () => {
    expect(decisionPath('task-1', [item({ decision: route, waitReason: 'paused: freeze' })], [])).toEqual({ done: false, kind: 'route', lines: ['decision   route → DatabaseAgent: rules matched (database)', 'queued     paused: freeze'] });
    const review = decisionPath('task-1', [item({ status: 'awaiting_review', decision: route, review: { reasons: ['irreversible: drop'], sinceMs: T0, deadlineMs: T0 + HOUR } })], []);
    expect(review).toEqual({ done: false, kind: 'route', lines: ['decision   route → DatabaseAgent: rules matched (database)', 'review     awaiting a human: irreversible: drop (pantheon review approve|reject task-1)'] });
  });

  it('is done once the task left the queue, with what God decided and when it started', () => {
    const records: DecisionRecord[] = [
      { atMs: T0, kind: 'generated', detail: 'submitted: Add a unique index', taskId: 'task-1' },
      { atMs: T0, kind: 'route', detail: 'rules matched (database)', taskId: 'task-1' },
      { atMs: T0, kind: 'route', detail: 'someone else', taskId: 'task-2' },
      { atMs: T0, kind: 'admitted', detail: 'agentTask route → DatabaseAgent (main): value density 41.50', taskId: 'task-1' },
    ];
    expect(decisionPath('task-1', [], records)).toEqual({ done: true, lines: ['route      rules matched (database)', 'started    agentTask route → DatabaseAgent (main): value density 41.50'] });
    // Shown already while it waited: only what happened since.
    expect(decisionPath('task-1', [], records, 'route')).toEqual({ done: true, lines: ['started    agentTask route → DatabaseAgent (main): value density 41.50'] });
  });
});

it('prints a chain outcome step by step', () => {
  const outcome = {
    chainId: 'c1',
    status: 'completed',
    objective: 'o',
    priority: 'normal',
    plan: ['ResearchAgent', 'DatabaseAgent'],
    current: 1,
    steps: [
      { step: 1, specialist: 'ResearchAgent', taskId: 'c1:step-1', status: 'completed', costUsd: 0.002, tokens: 10, iterations: 1 },
      { step: 2, specialist: 'DatabaseAgent', taskId: 'c1:step-2', status: 'completed', costUsd: 0.003, tokens: 10, iterations: 1, ranSpecialist: 'Generalist' },
    ],
    costUsd: 0.005,
    tokens: 20,
    reasons: [],
    result: 'done',
    lane: 'main',
  } as ChainOutcome;
  expect(chainOutcomeLines(outcome)).toEqual([
    'status      completed',
    'chain       ResearchAgent → DatabaseAgent',
    '  step 1  ResearchAgent    completed      $0.002000',
    '  step 2  Generalist       completed      $0.003000',
    'cost        $0.005000 (20 tokens)',
    'result\ndone',
  ]);
});

it('writes instants as minutes with their distance from now', () => {
  expect(when(T0 - 90_000, T0)).toBe('2025-03-04T10:13Z (1m ago)');
  expect(when(T0 + 3 * 24 * HOUR, T0)).toBe('2025-03-07T10:15Z (in 3d 0h)');
});

describe('goalLeftoverLines (pantheon god remove-goal)', () => {
  const item = (taskId: string, status: QueueItemView['status'], goalId?: string): QueueItemView => ({
    taskId,
    objective: 'Find the slowest queries behind the orders table',
    priority: 'normal',
    status,
    source: goalId ? 'generated' : 'submitted',
    ...(goalId && { goalId }),
    lane: 'main',
    submittedAtMs: T0,
  });

  it("names the removed goal's tasks still queued or in review, and how to withdraw them", () => {
    const queue = [item('g1', 'queued', 'orders-db'), item('s1', 'queued'), item('g2', 'awaiting_review', 'orders-db'), item('d1', 'queued', 'docs')];
    expect(goalLeftoverLines('orders-db', queue)).toEqual([
      '  2 task(s) it generated are still queued or in review and run unless withdrawn (pantheon review reject <task-id> --reason "…"):',
      '    g1  queued',
      '    g2  awaiting review',
    ]);
  });

  it('says nothing when the goal left no task', () => {
    expect(goalLeftoverLines('orders-db', [item('d1', 'queued', 'docs')])).toEqual([]);
  });
});
