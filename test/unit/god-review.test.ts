import { applyReviewDecision, expiredReviews, openReview, releaseAffordable, reviewableOrError } from '../../src/god/review';
import { queueItemView } from '../../src/god/views';
import type { GodState, InFlightTask, QueuedTask } from '../../src/god/types';
import { freshState, godConfig, HOUR, queued, T0, refusal } from '../support/god-fixtures';

const config = godConfig({ reviewTimeoutHours: 24 });


function withReview(): GodState {
  const s = freshState({ queue: [{ ...queued('r1'), waitReason: 'old' }, queued('q1')] });
  return openReview(s, 'r1', ['irreversible: DROP TABLE users'], T0, config);
}

describe('review', () => {
  it('opens a review on an item: reasons, since, deadline after the timeout', () => {
    const item = openReview(queued('a'), ['low confidence'], T0, config);
    expect(item).toMatchObject({ status: 'awaiting_review', review: { reasons: ['low confidence'], sinceMs: T0, deadlineMs: T0 + 24 * HOUR } });
  });

  it('opens a review on the state by task id, clearing the wait reason and leaving the others', () => {
    const s = withReview();
    expect(s.queue[0].status).toBe('awaiting_review');
    expect(s.queue[0].waitReason).toBeUndefined();
    expect(s.queue[1].status).toBe('queued');
  });

  it('marks a review whose one reason is the cost against what is left today', () => {
    const cost = 'expensive: expected ~$0.040 is over 10% of the $0.030 left today';
    expect(openReview(queued('a'), [cost], T0, config, { costReview: cost }).review?.costOnly).toBe(true);
    expect(openReview(queued('a'), ['irreversible: drops a table', cost], T0, config, { costReview: cost }).review?.costOnly).toBeUndefined();
    expect(openReview(queued('a'), ['low confidence'], T0, config).review?.costOnly).toBeUndefined();
    const s = openReview(freshState({ queue: [queued('a')] }), 'a', [cost], T0, config, { costReview: cost });
    expect(s.queue[0].review?.costOnly).toBe(true);
  });

  it('releases a review for cost alone once what is left of the day pays for the task; other reviews stay', () => {
    const share = godConfig({ reviewCostShare: 0.1 });
    const cost = (id: string) => `expensive: expected ~$0.040 is over 10% of the $0.030 left today (${id})`;
    const dear = (id: string, usd: number) => queued(id, { cost: usd });
    let s = freshState({ queue: [dear('late', 0.04), dear('dearer', 0.5), dear('irreversible', 0.04), queued('q1')] });
    s = openReview(s, 'late', [cost('late')], T0, config, { costReview: cost('late') });
    s = openReview(s, 'dearer', [cost('dearer')], T0, config, { costReview: cost('dearer') });
    s = openReview(s, 'irreversible', ['irreversible: drops a table', cost('irreversible')], T0, config, { costReview: cost('irreversible') });

    // Still the day's last $0.03: nothing changes.
    const same = releaseAffordable(s, 0.03, share);
    expect(same.released).toEqual([]);
    expect(same.state).toBe(s);

    // A new day with $1 left: 10 % of it pays for $0.04, not for $0.50.
    const { state, released } = releaseAffordable(s, 1, share);
    expect(released.map((r) => r.item.taskId)).toEqual(['late']);
    expect(released[0].why).toBe('no longer expensive: expected ~$0.040 is within 10% of the $1.00 left today; released from review');
    const late = state.queue.find((q) => q.taskId === 'late')!;
    expect(late).toMatchObject({ status: 'queued', decision: { kind: 'route' } });
    expect(late.review).toBeUndefined();
    expect(late.decision?.reason).toMatch(/; no longer expensive: .*released from review$/);
    expect(state.queue.map((q) => [q.taskId, q.status])).toEqual([
      ['late', 'queued'],
      ['dearer', 'awaiting_review'],
      ['irreversible', 'awaiting_review'],
      ['q1', 'queued'],
    ]);
  });

  it('finds reviews past their deadline, oldest first', () => {
    const a = openReview(queued('a'), ['x'], T0 + HOUR, config);
    const b = openReview(queued('b'), ['x'], T0, config);
    const c = openReview(queued('c'), ['x'], T0 + 10 * HOUR, config);
    expect(expiredReviews([a, b, c, queued('d')], T0 + 25 * HOUR).map((q) => q.taskId)).toEqual(['b', 'a']);
    expect(expiredReviews([a, b, c], T0 + 24 * HOUR - 1)).toEqual([]);
  });

  it('approve: queued again with its decision, the approval in the reason', () => {
    const s = withReview();
    const r = applyReviewDecision(s, { taskId: 'r1', decision: 'approve', by: 'alice', reason: 'backup taken' }, T0 + HOUR);
    expect(r.outcome).toBe('approved');
    expect(r.item.status).toBe('queued');
    expect(r.item.review).toBeUndefined();
    expect(r.item.decision?.kind).toBe('route');
    expect(r.item.decision?.reason).toMatch(/; approved in review by alice: backup taken$/);
    expect(r.state.queue.map((q) => [q.taskId, q.status])).toEqual([['r1', 'queued'], ['q1', 'queued']]);
  });

  it('approve: the decision a routing policy picked from carries the approval too (it is what the task is picked from again)', () => {
    const s = withReview();
    s.queue[0] = { ...s.queue[0], beforePolicy: { ...s.queue[0].decision!, reason: 'rules: DatabaseAgent' } };
    const r = applyReviewDecision(s, { taskId: 'r1', decision: 'approve', by: 'alice' }, T0 + HOUR);
    expect(r.item.beforePolicy?.reason).toBe('rules: DatabaseAgent; approved in review by alice');
    expect(applyReviewDecision(withReview(), { taskId: 'r1', decision: 'approve' }, T0 + HOUR).item.beforePolicy).toBeUndefined();
  });

  it('reject: the task leaves the queue, the item carries the rejection', () => {
    const r = applyReviewDecision(withReview(), { taskId: 'r1', decision: 'reject' }, T0 + HOUR);
    expect(r.outcome).toBe('rejected');
    expect(r.state.queue.map((q) => q.taskId)).toEqual(['q1']);
    expect(r.item.decision).toMatchObject({ kind: 'reject', reason: 'rejected in review by operator', atMs: T0 + HOUR });
    expect(r.item.review?.reasons).toEqual(['irreversible: DROP TABLE users']);
  });

  it('timeout: the default applies through the same path, with its reason', () => {
    let s = withReview();
    for (const item of expiredReviews(s.queue, T0 + 25 * HOUR)) {
      s = applyReviewDecision(s, { taskId: item.taskId, decision: config.reviewDefault, reason: 'no decision within 24 h', by: 'god' }, T0 + 25 * HOUR).state;
    }
    expect(s.queue.map((q) => q.taskId)).toEqual(['q1']);
  });

  it.each([
    ['an unknown task', (s: GodState) => s, 'nope', /"nope" is not in God's queue; awaiting review: r1/],
    ['a task that is queued, not in review', (s: GodState) => s, 'q1', /"q1" is not awaiting review \(it is queued\)/],
    ['a task that already started', (s: GodState) => ({ ...s, inFlight: [{ taskId: 'gone' } as InFlightTask] }), 'gone', /"gone" has already started/],
  ])('refuses %s, naming taskId', (_name, shape, taskId, message) => {
    const s = shape(withReview());
    const err = refusal(() => reviewableOrError(s, taskId));
    expect(err.type).toBe('invalid_input');
    expect(err.details.field).toBe('taskId');
    expect(err.message).toMatch(/^taskId: /);
    expect(err.message).toMatch(message);
    expect(refusal(() => applyReviewDecision(s, { taskId, decision: 'approve' }, T0)).details.field).toBe('taskId');
  });

  it('says what was decided when a task is reviewed again: approved and queued, started, or gone from the queue', () => {
    const s = withReview();
    const approved = { ...applyReviewDecision(s, { taskId: 'r1', decision: 'approve', reason: 'checked the backup', by: 'alice' }, T0).state };
    // God's record of the decision, as the workflow writes it; a note on the review is not a decision.
    const recorded = (state: GodState): GodState => ({
      ...state,
      recent: [
        ...state.recent,
        { atMs: T0, taskId: 'r1', kind: 'review', detail: 'approve by alice: checked the backup' },
        { atMs: T0 + 1, taskId: 'r1', kind: 'review', detail: 'picked again at start: expensive' },
      ],
    });
    expect(refusal(() => reviewableOrError(recorded(approved), 'r1')).message).toBe('taskId: "r1" is not awaiting review (it is queued; reviewed already: approve by alice: checked the backup)');
    const started = { ...recorded(approved), queue: approved.queue.filter((q) => q.taskId !== 'r1'), inFlight: [{ taskId: 'r1' } as InFlightTask] };
    expect(refusal(() => reviewableOrError(started, 'r1', 'reject')).message).toBe('taskId: "r1" has already started; reviewed already: approve by alice: checked the backup; `pantheon status r1` shows it; awaiting review: none');
    const gone = { ...started, inFlight: [] };
    expect(refusal(() => reviewableOrError(gone, 'r1')).message).toMatch(/^taskId: "r1" is not in God's queue; reviewed already: approve by alice/);
    // Without a record (older than God keeps), the refusal is as before.
    expect(refusal(() => reviewableOrError(approved, 'r1')).message).toBe('taskId: "r1" is not awaiting review (it is queued)');
  });

  it('says what became of a task God no longer queues (started, finished, dropped, rejected), and where to see it', () => {
    const s = withReview();
    const approval = { atMs: T0, taskId: 't1', kind: 'review' as const, detail: 'approve by alice: checked the backup' };
    const said = (state: GodState) => refusal(() => reviewableOrError(state, 't1')).message;
    const seeAndWaiting = '; `pantheon status t1` shows it; awaiting review: r1';

    const flying: InFlightTask = { taskId: 't1', workflowType: 'agentTask', kind: 'database', specialist: 'DatabaseAgent', lane: 'main', expectedCostUsd: 0.01, startedAtMs: T0 + HOUR };
    expect(said({ ...s, inFlight: [flying], recent: [approval] })).toBe(
      `taskId: "t1" has already started (at 2024-05-01T01:00:00.000Z on DatabaseAgent); reviewed already: approve by alice: checked the backup${seeAndWaiting}`,
    );
    // Finished: its end, as God recorded it, whether or not its review is still among the decisions kept.
    const finished = { atMs: T0 + 2 * HOUR, taskId: 't1', kind: 'finished' as const, detail: 'completed $0.0012 (DatabaseAgent): done' };
    expect(said({ ...s, recent: [approval, { atMs: T0 + HOUR, taskId: 't1', kind: 'admitted', detail: 'agentTask route → DatabaseAgent' }, finished] })).toBe(
      `taskId: "t1" has finished: completed $0.0012 (DatabaseAgent): done; reviewed already: approve by alice: checked the backup${seeAndWaiting}`,
    );
    expect(said({ ...s, recent: [finished] })).toBe(`taskId: "t1" has finished: completed $0.0012 (DatabaseAgent): done${seeAndWaiting}`);
    expect(said({ ...s, recent: [{ atMs: T0, taskId: 't1', kind: 'drop', detail: 'the day ended before it was admitted (pacing)' }] })).toBe(
      `taskId: "t1" was dropped by God: the day ended before it was admitted (pacing)${seeAndWaiting}`,
    );
    expect(said({ ...s, recent: [{ atMs: T0, taskId: 't1', kind: 'review', detail: 'reject by bob: not now' }] })).toBe(
      `taskId: "t1" was rejected in review; reviewed already: reject by bob: not now${seeAndWaiting}`,
    );
    expect(said({ ...s, recent: [{ atMs: T0, taskId: 't1', kind: 'review', detail: 'timed out: no review decision within 24 h; the default (reject) applies' }] })).toMatch(/^taskId: "t1" was rejected in review; reviewed already: timed out: /);
    // Its decisions gone from the newest God keeps, its id still kept.
    expect(said({ ...s, finishedIds: ['t1'] })).toBe(
      `taskId: "t1" has finished or was dropped or rejected (its decisions are older than the ones God keeps; God keeps its id and starts none again)${seeAndWaiting}`,
    );
    // An id God never had: no status to point at.
    expect(said({ ...s, finishedIds: ['other'] })).toBe('taskId: "t1" is not in God\'s queue; awaiting review: r1');
  });

  it('reject withdraws a queued task (not in review), saying so; approve of it and reject of one being assessed are refused', () => {
    const s = withReview();
    const r = applyReviewDecision(s, { taskId: 'q1', decision: 'reject', reason: 'not during the freeze', by: 'alice' }, T0);
    expect(r.outcome).toBe('rejected');
    expect(r.state.queue.map((q) => q.taskId)).toEqual(['r1']);
    expect(r.item.decision).toMatchObject({ kind: 'reject', reason: 'withdrawn before it started by alice: not during the freeze', expectedCostUsd: 0 });
    expect(refusal(() => applyReviewDecision(s, { taskId: 'q1', decision: 'approve' }, T0)).message).toMatch(/"q1" is not awaiting review \(it is queued\)$/);
    const assessing = { ...s, queue: s.queue.map((q) => (q.taskId === 'q1' ? { ...q, status: 'assessing' as const } : q)) };
    expect(refusal(() => reviewableOrError(assessing, 'q1', 'reject')).message).toBe('taskId: "q1" is not awaiting review (it is assessing); reject it once assessed (pantheon god queue shows it)');
  });

  it('refuses a malformed decision naming the field, state unchanged', () => {
    const s = withReview();
    const before = JSON.stringify(s);
    const err = refusal(() => applyReviewDecision(s, { taskId: 'r1', decision: 'maybe' } as never, T0));
    expect(err.type).toBe('invalid_input');
    expect(err.details.field).toBe('decision');
    expect(JSON.stringify(s)).toBe(before);
  });

  it('returns the item awaiting review', () => {
    const item: QueuedTask = reviewableOrError(withReview(), 'r1');
    expect(item.review?.reasons).toEqual(['irreversible: DROP TABLE users']);
  });
});

describe("a review for the cost alone, as God's queries show it", () => {
  const cost = 'expensive: expected ~$0.150 is over 10% of the $0.900 left today';
  const reviewed = (expectedCostUsd: number): QueuedTask => ({
    ...openReview({ ...queued('c'), decision: { ...queued('c').decision!, expectedCostUsd } }, [cost], T0, config, { costReview: cost }),
  });
  const wholeDay = { budgetUsd: 1, reviewCostShare: 0.1 };

  it('is marked beyond a whole day when even the whole day\'s review share cannot pay for it', () => {
    expect(queueItemView(reviewed(0.15), undefined, wholeDay).review).toMatchObject({ costOnly: true, beyondWholeDay: true });
  });

  it('is not marked when a new day pays for it, nor without the runway, nor for a review with other reasons', () => {
    expect(queueItemView(reviewed(0.09), undefined, wholeDay).review?.beyondWholeDay).toBeUndefined();
    expect(queueItemView(reviewed(0.15)).review?.beyondWholeDay).toBeUndefined();
    const irreversible = openReview({ ...queued('d'), decision: { ...queued('d').decision!, expectedCostUsd: 0.15 } }, ['irreversible: drops a table', cost], T0, config, { costReview: cost });
    expect(queueItemView(irreversible, undefined, wholeDay).review?.beyondWholeDay).toBeUndefined();
  });
});
