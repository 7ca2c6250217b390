import { PantheonError } from '../errors';
import { describeIssues } from '../tasks/task-input';
import { ReviewDecisionSchema, type ReviewDecisionInput } from './messages';
import { expensive } from './decide';
import { usd } from './pacing';
import type { GodConfig, GodState, QueuedTask } from './types';

/**
 * Human review: a decided task waits in `awaiting_review` until an operator approves or rejects
 * it, or its deadline passes and the configured default applies. Pure; counters and the audit
 * line are the caller's.
 *
 * @example
 *   state = openReview(state, taskId, ['irreversible: drops a table'], nowMs, config);
 *   const { state: next, outcome } = applyReviewDecision(state, { taskId, decision: 'approve' }, nowMs);
 */

const HOUR = 3_600_000;

/** How a task goes to review: `costReview` is the reason of `decide`'s that is about its cost
 * against what is left today, when it gave one. */
export interface ReviewOpening {
  costReview?: string;
}

/** Puts a task in review: its reasons, since when, and when the default applies. */
export function openReview(item: QueuedTask, reasons: string[], nowMs: number, config: Pick<GodConfig, 'reviewTimeoutHours'>, opening?: ReviewOpening): QueuedTask;
/** The same, for the task `taskId` in the state's queue (unknown ids leave the state as it is). */
export function openReview(state: GodState, taskId: string, reasons: string[], nowMs: number, config: Pick<GodConfig, 'reviewTimeoutHours'>, opening?: ReviewOpening): GodState;
export function openReview(
  ...args: [QueuedTask, string[], number, Pick<GodConfig, 'reviewTimeoutHours'>, ReviewOpening?] | [GodState, string, string[], number, Pick<GodConfig, 'reviewTimeoutHours'>, ReviewOpening?]
): QueuedTask | GodState {
  if (typeof args[1] !== 'string') {
    const [item, reasons, nowMs, config, opening] = args as [QueuedTask, string[], number, Pick<GodConfig, 'reviewTimeoutHours'>, ReviewOpening?];
    return inReview(item, reasons, nowMs, config, opening);
  }
  const [state, taskId, reasons, nowMs, config, opening] = args as [GodState, string, string[], number, Pick<GodConfig, 'reviewTimeoutHours'>, ReviewOpening?];
  return { ...state, queue: state.queue.map((q) => (q.taskId === taskId ? inReview(q, reasons, nowMs, config, opening) : q)) };
}

function inReview(item: QueuedTask, reasons: string[], nowMs: number, config: Pick<GodConfig, 'reviewTimeoutHours'>, opening: ReviewOpening = {}): QueuedTask {
  const { waitReason: _wait, ...rest } = item;
  const costOnly = opening.costReview !== undefined && reasons.length === 1 && reasons[0] === opening.costReview;
  return {
    ...rest,
    status: 'awaiting_review',
    review: { reasons: [...reasons], sinceMs: nowMs, deadlineMs: nowMs + Math.round(config.reviewTimeoutHours * HOUR), ...(costOnly && { costOnly: true as const }) },
  };
}

/**
 * Tasks in review for their cost alone that are no longer expensive with `remainingUsd` left of
 * the day (a new day began, or a limit was raised): back in the queue with their decision, which
 * says why, to wait for runway like any other. A task a goal made late in the day, dearer than
 * the little left of it, otherwise waited for a person until its review timed out (24 h) and the
 * default (reject) applied, though the next day could pay for it. A review with any other reason
 * (irreversible, a trial run, low confidence) stays. Pure; the audit lines are the caller's.
 */
export function releaseAffordable(state: GodState, remainingUsd: number, config: Pick<GodConfig, 'reviewCostShare'>): { state: GodState; released: Array<{ item: QueuedTask; why: string }> } {
  const released: Array<{ item: QueuedTask; why: string }> = [];
  const queue = state.queue.map((q) => {
    if (q.status !== 'awaiting_review' || !q.review?.costOnly || !q.decision) return q;
    if (expensive(q.decision.expectedCostUsd, remainingUsd, config) !== undefined) return q;
    const { review: _review, ...rest } = q;
    const why = `no longer expensive: expected ~${usd(q.decision.expectedCostUsd)} is within ${Math.round(config.reviewCostShare * 100)}% of the ${usd(remainingUsd)} left today; released from review`;
    const item: QueuedTask = { ...rest, status: 'queued', decision: { ...q.decision, reason: `${q.decision.reason}; ${why}` } };
    released.push({ item, why });
    return item;
  });
  if (released.length === 0) return { state, released };
  return { state: { ...state, queue }, released };
}

/** Tasks whose review deadline has passed, oldest deadline first. */
export function expiredReviews(queue: readonly QueuedTask[], nowMs: number): QueuedTask[] {
  return queue
    .filter((q) => q.status === 'awaiting_review' && q.review !== undefined && q.review.deadlineMs <= nowMs)
    .sort((a, b) => a.review!.deadlineMs - b.review!.deadlineMs || (a.taskId < b.taskId ? -1 : 1));
}

/** A review record that is a decision (a person's, or the default at the deadline), not a note on the review. */
const REVIEW_DECISION = /^(approve by |reject by |timed out)/;
/** A review decision that rejected the task (a person's, or the default at the deadline). */
const REVIEW_REJECT = /^(reject by |timed out: .*\(reject\))/;

/** The newest review decision God still keeps for the task (`approve by alice: …`), if any. */
function lastReviewOf(state: GodState, taskId: string): string | undefined {
  for (let i = state.recent.length - 1; i >= 0; i -= 1) {
    const d = state.recent[i];
    if (d.kind === 'review' && d.taskId === taskId && REVIEW_DECISION.test(d.detail)) return d.detail;
  }
  return undefined;
}

/** What a decision record says became of a task that left God's queue, by its kind. */
const LEFT_QUEUE: Record<string, (detail: string) => string> = {
  finished: (detail) => `has finished: ${detail}`,
  drop: (detail) => `was dropped by God: ${detail}`,
  reject: (detail) => `was rejected by God: ${detail}`,
};

/**
 * What became of a task God no longer queues: started (in flight), finished, dropped or rejected
 * (its newest such decision God keeps), or one of those when only its id is still kept
 * (`finishedIds`, kept longer than decisions); undefined for an id God does not know.
 */
function fateOf(state: GodState, taskId: string): string | undefined {
  const flying = state.inFlight.find((t) => t.taskId === taskId);
  if (flying) return `has already started${flying.startedAtMs === undefined ? '' : ` (at ${new Date(flying.startedAtMs).toISOString()}${flying.specialist ? ` on ${flying.specialist}` : ''})`}`;
  for (let i = state.recent.length - 1; i >= 0; i -= 1) {
    const d = state.recent[i];
    if (d.taskId !== taskId) continue;
    const said = LEFT_QUEUE[d.kind];
    if (said) return said(d.detail);
    if (d.kind === 'review' && REVIEW_REJECT.test(d.detail)) return 'was rejected in review';
  }
  if (state.finishedIds?.includes(taskId)) return 'has finished or was dropped or rejected (its decisions are older than the ones God keeps; God keeps its id and starts none again)';
  return undefined;
}

/** The task awaiting review with this id (for a reject, also one queued), or `invalid_input` naming `taskId` (for update validators). */
export function reviewableOrError(state: GodState, taskId: string, decision: ReviewDecisionInput['decision'] = 'approve'): QueuedTask {
  const item = state.queue.find((q) => q.taskId === taskId);
  // A second approve (or a reject after an approve) says what was decided, not only where the task is now.
  const already = () => {
    const reviewed = lastReviewOf(state, taskId);
    return reviewed ? `; reviewed already: ${reviewed}` : '';
  };
  if (!item) {
    const waiting = state.queue.filter((q) => q.status === 'awaiting_review').map((q) => q.taskId);
    const fate = fateOf(state, taskId);
    const see = fate ? `; \`pantheon status ${taskId}\` shows it` : '';
    throw PantheonError.of(
      'invalid_input',
      `taskId: "${taskId}" ${fate ?? 'is not in God\'s queue'}${already()}${see}; awaiting review: ${waiting.slice(0, 10).join(', ') || 'none'}`,
      { details: { field: 'taskId', taskId } },
    );
  }
  // A task queued (assessed, waiting to be admitted) may be rejected too: it is how an operator
  // withdraws a task God holds, as there is no workflow yet to cancel. One still being assessed
  // may not: its assessment would come back to a task no longer there.
  const rejectable = decision === 'reject' && item.status === 'queued';
  if (item.status !== 'awaiting_review' && !rejectable) {
    const hint = decision === 'reject' ? '; reject it once assessed (pantheon god queue shows it)' : '';
    throw PantheonError.of('invalid_input', `taskId: "${taskId}" is not awaiting review (it is ${item.status}${already()})${hint}`, { details: { field: 'taskId', taskId, status: item.status } });
  }
  return item;
}

export type ReviewOutcome = 'approved' | 'rejected';

/**
 * Applies a review decision. Approve: the task is queued again with its decision (it waits for
 * runway like any other), the approval noted in the decision's reason. With `keepRoute` the
 * approved decision is the one that runs: the policy does not pick again for it when it can start
 * (routing.ts pickAgain), so the specialist the reviewer approved is the one that runs (without
 * it, an approved "drop the table" could start on another specialist). Reject: the task leaves
 * the queue; the returned item carries a `reject` decision with who rejected it and why. Throws
 * `invalid_input` for a malformed decision (field named) or a task not awaiting review.
 */
export function applyReviewDecision(
  state: GodState,
  input: ReviewDecisionInput,
  nowMs: number,
  { keepRoute = false }: { keepRoute?: boolean } = {},
): { state: GodState; item: QueuedTask; outcome: ReviewOutcome } {
  const parsed = ReviewDecisionSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw PantheonError.of('invalid_input', `reviewDecision: ${describeIssues(parsed.error).join('; ')}`, { details: { field: issue.path.map(String).join('.') || '(input)' } });
  }
  const { taskId, decision, reason, by } = parsed.data;
  const before = reviewableOrError(state, taskId, decision);
  // A queued task rejected was not in review: it was withdrawn before it started.
  const how = decision === 'approve' ? 'approved in review' : before.status === 'queued' ? 'withdrawn before it started' : 'rejected in review';
  const why = `${how} by ${by}${reason ? `: ${reason}` : ''}`;

  if (decision === 'approve') {
    const { review: _review, waitReason: _wait, beforePolicy, ...rest } = before;
    const noted = (d: QueuedTask['decision']) => d && { ...d, reason: `${d.reason}; ${why}` };
    const item: QueuedTask = { ...rest, status: 'queued', ...(before.decision && { decision: noted(before.decision) }), ...(beforePolicy && !keepRoute && { beforePolicy: noted(beforePolicy) }) };
    return { state: { ...state, queue: state.queue.map((q) => (q.taskId === taskId ? item : q)) }, item, outcome: 'approved' };
  }
  const item: QueuedTask = {
    ...before,
    decision: {
      kind: 'reject',
      reason: why,
      lane: before.decision?.lane ?? before.lane,
      ...(before.decision?.specialist && { specialist: before.decision.specialist }),
      expectedCostUsd: 0,
      expectedSuccess: 0,
      atMs: nowMs,
    },
  };
  return { state: { ...state, queue: state.queue.filter((q) => q.taskId !== taskId) }, item, outcome: 'rejected' };
}
