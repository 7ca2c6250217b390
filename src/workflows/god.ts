import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  isCancellation,
  log,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  uuid4,
  workflowInfo,
  type RetryPolicy,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/common';
import type { Activities } from '../activities';
import type { createGodActivities } from '../activities/god';
import type { RecentOutcome } from '../activities/god-types';
import type { createRunwayActivities } from '../activities/runway';
import type { LedgerRunway } from '../budget/ledger-types';
import { NON_RETRYABLE_TYPES } from '../errors';
import { dayLeftUsd, decide, repicksToReview, repriceReview } from '../god/decide';
import { PendingStarts } from '../god/pending-starts';
import { capAtTaskLimit } from '../god/task-limit';
import { afterFailedAssessment, ASSESS_PER_TICK, dueForAssessment } from '../god/assess-backoff';
import { rollDay } from '../god/day';
import { pauseChange } from '../god/pause';
import { addGoal, forgetFingerprints, generationFits, goalsDue, rememberFingerprint, removeGoal, taskFingerprint } from '../god/goals';
import {
  GodConfigSchema,
  GoalInputSchema,
  PauseSchema,
  ResumeSchema,
  RemoveGoalSchema,
  ReviewDecisionSchema,
  RoutedOutcomeSchema,
  RoutingRollbackSchema,
  SetExperimentalShareSchema,
  SubmitTaskSchema,
  TaskFinishedSchema,
  type GodInput,
  godInputProblem,
  type PauseInput,
  submittedTaskIdProblem,
  type SubmitTaskResult,
} from '../god/messages';
import { headroomNotes, laneDayLeft, laneHeadroom, runwayView, usd } from '../god/pacing';
import { admit, DEFAULT_HOLD_AFTER_MINUTES, goalCommittedUsd, noQueuedTaskCanStart, overdueShortOfRoom, queuedTasksThatCannotStart, samePlan, valueDensity, type AdmitHolds } from '../god/prioritise';
import { applyReviewDecision, expiredReviews, openReview, releaseAffordable, reviewableOrError } from '../god/review';
import { formatSpend } from '../budget/spend-text';
import { canSpawn, recordSpawnedRun, registerSpawned, retirements, retireSpecialist } from '../god/spawn';
import { compactState, DEFAULT_EXPERIMENTAL_SHARE, initialGodState, migrateGodState, stateBytes } from '../god/state';
import { cancelledByOperator, chainStatsName, deniedByBudget, expectationOf, recordFallback, recordOutcome, stoppedBySpawnDepth } from '../god/stats';
import type { Assessment, Decision, DecisionRecord, GodState, GoalState, InFlightTask, QueuedTask, TaskFinished } from '../god/types';
import { godDetails, queueItemView } from '../god/views';
import { flaggedOnlyByRecordBefore, flightPolicy, observeFinished, pickAgain, pickOf, PICKED_AT_START, routeByPolicy, routingHistoryView, routingOf, routingPolicyView } from '../god/routing';
import { rollbackRefusal, rollbackTo, seedBook } from '../routing/policy/book';
import type { ChangeRules } from '../routing/policy/arm-stats';
import { seedFromId } from '../routing/route-with-policy';
import { describeIssues, retryOrderIssues, TaskInputSchema, type Lane, type Task } from '../tasks/task-input';
import type { z } from 'zod';
import {
  addConstraintUpdate,
  addGoalUpdate,
  godCarriedStateQuery,
  godDecisionsQuery,
  godGoalsQuery,
  godQueueQuery,
  godReviewsQuery,
  godRosterQuery,
  godRunwayQuery,
  godSettingsQuery,
  godStatusQuery,
  pauseUpdate,
  removeConstraintUpdate,
  removeGoalUpdate,
  resumeUpdate,
  reviewDecisionUpdate,
  routingHistoryQuery,
  routingPolicyQuery,
  routingRollbackUpdate,
  routedOutcomeSignal,
  setExperimentalShareUpdate,
  submitTaskUpdate,
  taskFinishedSignal,
  type GodStatusView,
  type RunwayView,
} from './god-api';
import { warnOfUnknownSignals } from './unknown-signals';
import { installConstraintHandlers, registerGoalConstraints } from './god-constraints';
import { activeConstraints } from '../constraints/schema';

type GodActivities = ReturnType<typeof createGodActivities> & ReturnType<typeof createRunwayActivities>;

const retry: RetryPolicy = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes: [...NON_RETRYABLE_TYPES] };
// Short and few retries: God's loop must not stall on one activity; the next tick tries again.
const quick = proxyActivities<GodActivities>({ startToCloseTimeout: '30s', retry: { ...retry, maximumAttempts: 3 } });
const alerts = proxyActivities<Pick<Activities, 'raiseAlert'>>({ startToCloseTimeout: '30s', retry: { ...retry, maximumAttempts: 3 } });
const llm = proxyActivities<GodActivities>({ startToCloseTimeout: '2m', heartbeatTimeout: '30s', retry: { ...retry, maximumAttempts: 3 } });

/** Queued tasks the policy picks for again per tick at most: those admission ranks first (a tick's
 * work stays bounded however long the queue; a task further back is picked for when it rises). */
const PICKS_AGAIN_PER_TICK = 20;
/** A goal with this many tasks per run already queued (×) waits before generating more. */
const GOAL_BACKLOG_RUNS = 2;

/** God's routing policy (issue 8): seeded on the first tick that has none, it chooses among the
 * rule-ranked specialists and learns from each task it routed. Histories from before replay without it. */
const ROUTING_POLICY_PATCH = 'routing-policy';
/** Routes the classifier picked go through the policy too (before: only sure rules and memory kinds). */
const CLASSIFIER_ROUTES_PATCH = 'classifier-routes-by-policy';
/** Tasks in flight past their arm's usual duration count against it (src/god/routing.ts). */
const OVERDUE_PATCH = 'routing-counts-overdue-runs';
/** Arms the change detector flagged, still failing, are not exploited (src/routing/policy/choose.ts). */
const QUARANTINE_PATCH = 'routing-quarantines-changed-arms';
/** Specialists with a record of a kind in the policy join its arms; the fallback is explored where
 * it has none (src/god/routing.ts). */
const RECORDED_ARMS_PATCH = 'routing-recorded-arms-join';
/** Unsure rules whose pick is failing the kind go to the policy (asked only when that changes the route). */
const UNSURE_AVOIDS_FAILING_PATCH = 'routing-unsure-rules-avoid-failing';
/** God also continues as new when its history passes `continueAsNewBytes`. */
const HISTORY_BYTES_PATCH = 'god-continues-by-history-size';
/** …once its history grew by half of `continueAsNewBytes` beyond the state it carried in: a state as
 * large as the limit (a full queue under a small limit) made every run continue as new right after
 * its first tick, with no wait between, for good. Asked only when the two rules differ. */
const HISTORY_BYTES_GROWTH_PATCH = 'god-continues-after-history-growth';
/** The policy picks again when a task can start (pickAgain), not only when it is assessed. */
const PICKS_AT_START_PATCH = 'routing-picks-at-start';
/** Quarantined arms are probed now and then and recover after a run of successes; with every arm
 * quarantined, the best on its means is exploited (src/routing/policy/choose.ts probeShare, arm-stats.ts ChangeRules). */
const PROBES_PATCH = 'routing-probes-quarantined';
/** With probes on: a good arm on an improbably losing run is sidelined (held from exploit picks,
 * probed) before the change detector restarts its record; records keep their latest outcomes for
 * it (src/routing/policy/sideline.ts). */
const SIDELINE_PATCH = 'routing-sidelines-losing-arms';
/** A failure run is also judged against the arm's record before the run began (arm-stats.ts
 * ChangeRules recordBeforeRun); asked only on an outcome that rule flags and the older one does not. */
const RECORD_BEFORE_RUN_PATCH = 'routing-judges-runs-by-record-before';
/** A task queued past `holdAfterMinutes` holds its lane's room until it fits (src/god/prioritise.ts).
 * Asked only when an overdue task waits for runway, so a history without one is unchanged. */
const HOLDS_PATCH = 'admission-holds-overdue-tasks';
/** A goal that has started nothing today starts one task past a lane's hold if it fits the room
 * now, and generates during the hold when it has nothing queued (a hold could last all day, and
 * another goal of the lane start nothing). Asked only when a goal's task passes a hold, or such a
 * goal would generate during one, so a history without either is unchanged. */
const GOALS_PASS_HOLDS_PATCH = 'goals-first-task-passes-hold';
/** A goal's rejected task (started as a workflow that ends `rejected`) is no start of the goal's
 * day: it keeps its pass. Asked only when a goal's rejected task starts. */
const REJECTS_START_NOTHING_PATCH = 'goal-rejects-start-nothing';
/** A task its goal's share of the day cannot take now holds no lane (it held one, and every task
 * behind it waited for a start its goal refused). Asked only when that changes the admission. */
const FUNDABLE_HOLDS_PATCH = 'holds-only-fundable-tasks';
/** A goal that has started nothing today generates during a hold when none of its queued tasks can
 * start now: its share of the day or its lane's cannot take them (it did not: those tasks pass no
 * hold, and the goal started nothing while the hold lasted, once all day). Asked only when such a
 * goal would generate. */
const STUCK_BACKLOG_PATCH = 'goal-generates-past-stuck-backlog';
/** A goal's tasks awaiting a person's review count in no backlog: they start only once approved.
 * They counted, and tasks a goal made late in the day, sent to review as dearer than what was left
 * of it, kept the goal from generating all the next day until their reviews timed out (24 h).
 * Asked only when a goal has a task awaiting review. */
const REVIEWS_OUTSIDE_BACKLOG_PATCH = 'goal-backlog-leaves-out-reviews';
/** A rejected task, or one an operator cancelled, counts in neither a spawned specialist's trial
 * nor the per-kind statistics (it did: a trial specialist could be retired for operators'
 * cancels). Asked only when such a task ends. */
const UNJUDGED_ENDS_PATCH = 'rejected-and-cancelled-judge-no-specialist';
/** A task dead-lettered by budget denials counts in no statistics, trial or routing record (it
 * did: a tight agent hour taught the policy that the Generalist failed again and again). Asked
 * only when such a task ends. */
const BUDGET_DENIALS_UNJUDGED_PATCH = 'budget-denials-judge-no-specialist';
/** Generated tasks dropped when their day ended leave the fingerprints (they never ran; their goal
 * may propose them again). Asked only when a day ends with such tasks. */
const RELEASE_DROPPED_FINGERPRINTS_PATCH = 'day-end-releases-dropped-fingerprints';
/** A fell-back task goes to a spawned specialist of the kind memory gives it (similar tasks it
 * did), so a trial specialist gets more than the one task it was spawned for. Asked only when
 * that changes the decision. */
const SPAWNED_BY_MEMORY_KIND_PATCH = 'spawned-found-by-memory-kind';
/** A task a keyword matched is never unsure (decide.ts keywordMatchRoutes): a tie between roster
 * specialists routed to the rules' pick; it had spawned a specialist in a kind a roster specialist
 * serves, or gone to a low-confidence review. Asked only when that changes the decision. */
const KEYWORD_MATCH_ROUTES_PATCH = 'keyword-match-never-spawns';
/** A tick whose latest runway read failed generates, assesses and admits nothing (God had gone on
 * with the runway it read before, however old, or with none). Asked only when a read fails. */
const FRESH_RUNWAY_PATCH = 'god-admits-on-fresh-runway';
/** A reconcile that fails through its retries is tried again (next tick, then at its period); it
 * had failed God's run (and so lost its queue until the watchdog started a fresh God). Asked only
 * when one fails. */
const RECONCILE_SURVIVES_PATCH = 'god-survives-failed-reconcile';
/** Blind ticks in a row before an operator is alerted (god_outage); the ledger is down that long. */
const BLIND_TICKS_ALERT = 5;
/** Failed reconciles in a row tried again at the next tick; after them God waits for the periodic
 * reconcile (taskFinished signals still arrive meanwhile) and alerts an operator. */
const RECONCILE_RETRIES = 3;
/** A task whose assessment failed is backed off and goes behind the tasks never failed; it was
 * retried every tick, and 20 such tasks took every tick's places. Asked only when one fails. */
const ASSESS_BACKOFF_PATCH = 'god-backs-off-failed-assessments';
/** A child's finish heard before its start resolved is applied once the start is recorded; it
 * was dropped, and the task held an in-flight slot until a reconcile. Asked only when one is. */
const EARLY_FINISH_PATCH = 'god-keeps-early-finishes';
/** God's children refuse an id a closed workflow already had (REJECT_DUPLICATE): a task id
 * resubmitted after it left finishedIds, or one a direct run already used, is dropped as a
 * duplicate, not run and paid for again (the server's default lets a closed id start again). */
const REJECT_CLOSED_IDS_PATCH = 'god-children-reject-closed-ids';
/** A task God's assessment rejected carries the reasons in its input and ends rejected with them,
 * not validated again: its own validation asked the model a second time, and a model that answered
 * otherwise would have run a task God had rejected (outside its admission). Asked only for a
 * rejected task's start. */
const REJECTION_TRAVELS_PATCH = 'god-rejection-travels-with-task';
/** A generation whose every proposal repeats a task God already has is asked once more, those
 * objectives named (the goal waited a whole cadence, and a goal whose generator kept repeating
 * itself could start nothing all day). Asked only when a generation added nothing new. */
const ASKS_AGAIN_AFTER_REPEATS_PATCH = 'generation-asks-again-after-repeats';
/** A due goal that has started nothing today and whose backlog is full drops its generated tasks
 * that cannot start today (its share or its lane's day cannot take them), then generates: a
 * backlog of dear tasks the day could no longer take kept it from generating, and it started
 * nothing all day. Asked only when it has some. */
const DROPS_BACKLOG_THAT_CANNOT_START_PATCH = 'goal-drops-backlog-that-cannot-start';
/** An approved task runs the decision the reviewer approved: the policy does not pick again for
 * it at start (review.ts applyReviewDecision keepRoute). Asked only when an approval would
 * otherwise be picked again (the task's route came from the policy). */
const APPROVED_KEEPS_ROUTE_PATCH = 'approved-review-keeps-its-route';
/** A task in review only as dearer than what was left of the day leaves review once it no longer
 * is (a new day, a raised limit): it waited for its review to time out (24 h) and was rejected by
 * default, though the next day could pay for it. Asked only when such a task would leave. */
const COST_REVIEWS_RELEASED_PATCH = 'cost-reviews-released-when-affordable';
/** The cost review is of the routing policy's pick (what would run), not of the specialist the
 * rules priced: an explored Generalist at a tenth of ResearchAgent's cost went to review as
 * expensive (and a dearer pick could skip it). Asked only when that changes the review. */
const COST_REVIEW_OF_PICK_PATCH = 'cost-review-prices-the-policy-pick';
/** The policy's pick made when a task can start (pickAgain) is judged for cost as the pick at
 * assessment is: an explored Generalist passed the review, and the ResearchAgent picked at start,
 * dearer than the review share of the day left, started unreviewed. Asked only when such a pick
 * goes to review. */
const REPICK_COST_REVIEW_PATCH = 'cost-review-of-the-pick-at-start';
/** A task that leaves the queue unstarted (rejected in review, dropped) keeps its id known, so a
 * resubmission of the id is told so instead of queued again. */
const UNSTARTED_IDS_KNOWN_PATCH = 'unstarted-ids-stay-known';
/** A task dropped because another workflow already has its id keeps that id known too: each
 * resubmission of it was assessed (and paid for, when the rules were unsure) and dropped again.
 * Asked only at such a drop. */
const DUPLICATE_IDS_KNOWN_PATCH = 'duplicate-ids-stay-known';
/** The policy picks again for queued tasks only when they can start and it has learned something
 * since the last pick: not while God is paused (it picked at each tick's admission, though nothing
 * could start), and not in a new run that learned nothing since the last run's pick (whether it
 * had was not carried: each continue-as-new drew again from the same record, and a paused task
 * flipped between specialists, `god queue` disagreeing with the decision log). Asked only when a
 * pick would otherwise be made. */
const KEEPS_PICKS_PATCH = 'routing-keeps-picks-while-paused-or-unlearned';
/** A decided task's estimate above the ledger's per-task limit is capped there: the ledger stops a
 * task at the limit, and God held a task priced above its lane's whole day queued for good,
 * "waiting for runway" it could never need. Asked only when an estimate is capped. */
const CAPS_AT_TASK_LIMIT_PATCH = 'estimates-capped-at-task-limit';
/** God's input is checked at its top level too: a setting given without its `config` wrapper, or
 * an input that is no object, fails the start naming it; before, God ran on its defaults (or, for
 * null, failed its first workflow task over and over). Asked only for such an input. */
const INPUT_CHECKED_PATCH = 'god-input-checked';
/** An explored pick dearer than what the experimental lane has left of its day is routed by the
 * policy's best guess on the task's own lane: it waited on that lane, for good when the lane's
 * whole day was smaller, while main had room. Asked only when an explored pick does not fit. */
const EXPLORES_WITHIN_LANE_PATCH = 'explores-within-experimental-day';
/** A task the ledger stopped past max_spawn_depth ($0, no call made) teaches God nothing of its
 * specialist, like a budget denial (histories from before counted it a failure in the statistics,
 * the routing record and a spawned specialist's trial). Asked only for such an end. */
const SPAWN_DEPTH_UNJUDGED_PATCH = 'spawn-depth-stops-unjudged';
/** The same for a task God did not start (its `routedOutcome` now carries the reason): histories
 * from before learned from its budget denial. Asked only for such an outcome. */
const ROUTED_BUDGET_DENIALS_UNJUDGED_PATCH = 'routed-budget-denials-unjudged';
/** Generator calls per due goal at most: the first, and one more when it only repeated itself. */
const GENERATION_ASKS = 2;

/** Turns a zod failure into the validator's refusal: the field named, God's state untouched. */
function parsed<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw ApplicationFailure.create({ type: 'invalid_input', message: `${what}: ${describeIssues(result.error).join('; ')}`, nonRetryable: true });
  return result.data;
}

function refuse(message: string, type: 'invalid_input' | 'god_queue_full' = 'invalid_input'): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: true });
}

/** What assessment adds to a queued task (its assessment, decision and the decision it was picked
 * from: ~2 KB of reasons): a submission is refused while the queue has no room for that too, not
 * taken and then found to fill it. Refusals are not in history, so this replays as it ran. */
const ASSESSED_ITEM_BYTES = 2_500;

/**
 * The God orchestrator: one long-lived workflow per namespace (id `pantheon-god`). On its own
 * timer (default every minute, sooner when work arrives) it reads the runway from the budget
 * ledger, generates tasks for due goals, assesses and decides each queued task (route, chain,
 * spawn a specialist, human review, reject), admits tasks by value density within each lane's
 * paced headroom, starts them as child workflows that report back by signal, and continues as
 * new before its history grows large, carrying its compact state.
 *
 * Every decision is a pure function in src/god/; this file only wires them to Temporal.
 */
export async function god(input: GodInput = {}): Promise<void> {
  const godId = workflowInfo().workflowId;
  const inputProblem = godInputProblem(input);
  if (inputProblem !== undefined && patched(INPUT_CHECKED_PATCH)) refuse(inputProblem);
  const config = parsed(GodConfigSchema, input.config ?? {}, 'god config');
  // A carried state that cannot be migrated fails the workflow task (retried, visible in the Web
  // UI) rather than the workflow: failing it would let the watchdog start afresh and lose the queue.
  let state: GodState = input.state !== undefined ? migrateGodState(input.state) : initialGodState({ nowMs: Date.now(), dayKey: '', dayStartMs: 0, experimentalShare: DEFAULT_EXPERIMENTAL_SHARE });
  /** What this run carried in (its state): the part of its history no tick can shrink. Measured
   * from the state, not the history after the first tick, which updates arriving at once inflate. */
  const carriedBytes = stateBytes(state);
  if (input.state === undefined) {
    for (const goal of input.goals ?? []) state = addGoal(state, parsed(GoalInputSchema, goal, `goal ${String((goal as { id?: unknown }).id)}`), Date.now());
  }
  let runway: LedgerRunway | undefined;
  let lastTickMs: number | undefined;
  let wake = false;
  let ticks = 0;
  // Set when this tick made an LLM call (generation, classification, spawning): the ledger read at
  // the tick's start does not hold its cost, so admission reads the ledger again.
  let billedSinceRead = false;
  const pendingStarts = new PendingStarts();
  let reconcileDue = state.inFlight.length > 0;
  // Whether the policy learned an outcome (or was rolled back) since the queued tasks were last
  // picked for again: with nothing new a fresh pick would draw from the same record.
  let learnedSincePick = true;
  // The run before said it had learned nothing since its last pick (carried; absent before
  // KEEPS_PICKS_PATCH): this run does not pick again until it learns something.
  let carriedUnlearned = state.learnedSincePick === false;
  /** Lanes the last admission held for an overdue task (src/god/prioritise.ts admit). Not carried:
   * a new run's first admission finds them again. */
  let heldLanes: Partial<Record<Lane, string>> = {};
  /** Automatic rollbacks to tell operators about (raised at the next tick: a signal handler cannot await). */
  const pendingAlerts: Array<{ id: string; message: string; details: Record<string, unknown> }> = [];

  /** The last reason each goal did not generate, figures aside (logged only when it changes; this run only). */
  const skipGists = new Map<string, string>();
  const record = (kind: DecisionRecord['kind'], detail: string, taskId?: string) => {
    state.recent.push({ atMs: Date.now(), kind, detail, ...(taskId && { taskId }) });
    // Workflow time in the line too: the log outlives the bounded `recent` list, and under a
    // time-skipping server the wall clock of the line says nothing of when God decided.
    log.info('god decision', { kind, taskId, detail, at: new Date(Date.now()).toISOString() });
  };
  const find = (taskId: string) => state.queue.find((q) => q.taskId === taskId);
  const known = (taskId: string) => !!find(taskId) || state.inFlight.some((t) => t.taskId === taskId) || !!state.finishedIds?.includes(taskId);
  /** A task that left the queue without starting: its id stays known, like a finished task's. */
  const rememberUnstarted = (taskId: string) => {
    if (patched(UNSTARTED_IDS_KNOWN_PATCH)) state.finishedIds = [...(state.finishedIds ?? []), taskId];
  };
  const dropFromQueue = (taskId: string) => {
    state.queue = state.queue.filter((q) => q.taskId !== taskId);
  };
  // Whole queue items (task, assessment, decision, review): what the state really carries.
  const queueBytes = () => state.queue.reduce((n, q) => n + JSON.stringify(q).length, 0);
  const unassessedCount = () => state.queue.filter((q) => q.assessment === undefined).length;
  /** Goals that have started no task today: each may start one task past a lane's hold. */
  const unstartedGoalIds = () => state.goals.filter((g) => !g.startedToday).map((g) => g.id);
  /** A goal's queued tasks that may start without a person (with this many runs' worth, it waits
   * before generating more); tasks awaiting review are left out (REVIEWS_OUTSIDE_BACKLOG_PATCH). */
  const goalBacklog = (goal: GoalState) => {
    const queued = state.queue.filter((q) => q.goalId === goal.id);
    const reviews = queued.filter((q) => q.status === 'awaiting_review').length;
    return reviews > 0 && patched(REVIEWS_OUTSIDE_BACKLOG_PATCH) ? queued.length - reviews : queued.length;
  };
  /** Whether a goal generates during its lane's hold: it has started nothing today, and has nothing
   * queued, or nothing queued that can start now (such a task cannot pass the hold) and room in its
   * backlog and its share (else it would not generate anyway, or only tasks that cannot start
   * either: the patch is not asked). */
  const generatesDuringHold = (goal: GoalState): boolean => {
    if (goal.startedToday) return false;
    const nothingQueued = goalBacklog(goal) === 0;
    // Only with room in its backlog and its share: a goal whose spend and tasks in flight fill its
    // share would generate only more tasks that cannot start, paid from the held lane's room.
    const stuck = () =>
      !!runway &&
      goalBacklog(goal) < goal.tasksPerRun * GOAL_BACKLOG_RUNS &&
      goalCommittedUsd(goal, state.inFlight) < goal.budgetShare * runway.budgetUsd &&
      noQueuedTaskCanStart(goal, { queue: state.queue, inFlight: state.inFlight, budgetUsd: runway.budgetUsd, dayLeft: laneDayLeft(runway, inFlightExpected()) });
    return (nothingQueued || (stuck() && patched(STUCK_BACKLOG_PATCH))) && patched(GOALS_PASS_HOLDS_PATCH);
  };
  /** Drops a goal's generated tasks that cannot start today (asked only when there are some). */
  const dropBacklogThatCannotStart = (goal: GoalState, read: LedgerRunway) => {
    const dead = queuedTasksThatCannotStart(goal, { queue: state.queue, inFlight: state.inFlight, budgetUsd: read.budgetUsd, dayLeft: laneDayLeft(read, inFlightExpected()) }).filter(
      (q) => q.source === 'generated',
    );
    if (dead.length === 0 || !patched(DROPS_BACKLOG_THAT_CANNOT_START_PATCH)) return;
    for (const q of dead) {
      dropFromQueue(q.taskId);
      rememberUnstarted(q.taskId);
      record('drop', `goal ${goal.id}: its backlog is full and this task cannot start today (needs ~${usd(q.decision!.expectedCostUsd)}: more than its goal's share or its lane's day has left); dropped so the goal can generate`, q.taskId);
    }
    state.counters.dropped += dead.length;
    state.day.dropped += dead.length;
    // They never ran: the goal may propose them again another day.
    state = forgetFingerprints(state, dead.flatMap((q) => (q.fingerprint ? [q.fingerprint] : [])));
  };
  const inFlightExpected = (): Record<Lane, number> => {
    const sums: Record<Lane, number> = { main: 0, experimental: 0 };
    for (const t of state.inFlight) sums[t.lane] += t.expectedCostUsd;
    return sums;
  };
  const currentRunway = (): RunwayView | undefined => (runway ? runwayView(runway, state.inFlight, config, Date.now()) : undefined);
  const densityOf = (item: QueuedTask) => {
    if (!item.decision) return undefined;
    const goal = state.goals.find((g) => g.id === item.goalId);
    return valueDensity({ priority: item.task.priority, goalValue: goal?.value, expectedSuccess: item.decision.expectedSuccess, expectedCostUsd: item.decision.expectedCostUsd });
  };
  const status = (): GodStatusView => ({
    workflowId: godId,
    runId: workflowInfo().runId,
    stateVersion: state.version,
    ...(state.paused && { paused: state.paused }),
    queued: state.queue.filter((q) => q.status !== 'awaiting_review').length,
    awaitingReview: state.queue.filter((q) => q.status === 'awaiting_review').length,
    inFlight: state.inFlight.length,
    goals: state.goals.length,
    liveSpawned: state.specialists.filter((s) => s.status !== 'retired').length,
    ...(state.routing && {
      routing: { version: state.routing.active.version, ...(state.routing.candidate && { candidate: state.routing.candidate.policy.version }), ...(state.routing.probation && { probation: state.routing.probation.version }) },
    }),
    counters: state.counters,
    ...(runway && { runway: currentRunway() }),
    ...(Object.keys(heldLanes).length > 0 && { held: { ...heldLanes } }),
    stateBytes: stateBytes(state),
    historyLength: workflowInfo().historyLength,
    historyBytes: workflowInfo().historySize,
    ...(lastTickMs !== undefined && { lastTickMs }),
  });
  const showDetails = () => {
    const s = status();
    setCurrentDetails(godDetails({ paused: state.paused?.reason, queued: s.queued, awaitingReview: s.awaitingReview, inFlight: s.inFlight, goals: s.goals, runway: s.runway }));
  };

  /** Queues a task that passed the task schema; `assessing` until the next tick decides it. */
  const enqueue = (taskId: string, task: Task, source: QueuedTask['source'], extra: { goalId?: string; fingerprint?: string } = {}) => {
    state.queue.push({ taskId, task, status: 'assessing', submittedAtMs: Date.now(), source, lane: task.lane, ...extra });
  };

  /** Whose statistics a finished task counts in: a chain's whole cost is its plan's, not its first
   * step's specialist's (which once made chains look as cheap as one run, and single runs as dear as chains). */
  const statsNameOf = (flight: InFlightTask): string =>
    flight.workflowType === 'taskChain' && flight.plan && patched('chain-stats-by-plan') ? chainStatsName(flight.plan) : flight.specialist;

  /** A task ended (its signal, or reconciliation): statistics, the goal's spend, the audit line. */
  const applyFinished = (finished: TaskFinished) => {
    const flight = state.inFlight.find((t) => t.taskId === finished.taskId);
    if (!flight) {
      // Ended before God heard it started (the signal came first in one activation): kept for the start.
      if (pendingStarts.starting(finished.taskId) && patched(EARLY_FINISH_PATCH)) pendingStarts.hold(finished);
      return; // else already counted (a signal and a reconciliation can both tell it)
    }
    state.inFlight = state.inFlight.filter((t) => t.taskId !== finished.taskId);
    state.finishedIds = [...(state.finishedIds ?? []), finished.taskId];
    const spawnedRun = state.specialists.some((s) => s.name === flight.specialist);
    // A task refused before it ran, or cancelled by an operator, says nothing about how well a
    // specialist does. Histories from before counted both in a spawned specialist's trial, and
    // cancelled ones in the statistics.
    // Nor does one a budget limit stopped before its specialists could run (histories from before learned from it).
    const budgetDenied = (deniedByBudget(finished) && patched(BUDGET_DENIALS_UNJUDGED_PATCH)) || (stoppedBySpawnDepth(finished) && patched(SPAWN_DEPTH_UNJUDGED_PATCH));
    const unjudged = budgetDenied || ((cancelledByOperator(finished) || (finished.status === 'rejected' && spawnedRun)) && patched(UNJUDGED_ENDS_PATCH));
    if (finished.status !== 'rejected' && !unjudged) state.stats = recordOutcome(state.stats, { kind: flight.kind, specialist: statsNameOf(flight), finished });
    const goal = state.goals.find((g) => g.id === flight.goalId);
    if (goal) {
      goal.spentTodayUsd += finished.costUsd;
      goal.outcomes = [...(goal.outcomes ?? []), { objective: flight.objective ?? '', status: finished.status, reason: finished.reason.slice(0, 200) }].slice(-5);
    }
    state.day.finishedUsd[flight.lane] += finished.costUsd;
    if (spawnedRun && !unjudged) state = recordSpawnedRun(state, flight.specialist, finished.status === 'completed', config, Date.now());
    if (state.routing && flight.policy && !budgetDenied) learnFrom(flight, finished);
    state.counters.finished += 1;
    // A rejected task was refused by validation before its specialist ran (the demo's summary shows `-`).
    // A task its first specialist failed ended on another (reassigned): name the one it ended on.
    const reassigned = flight.workflowType === 'agentTask' && finished.specialist !== undefined && finished.specialist !== flight.specialist;
    const ranOn = finished.status === 'rejected' ? `not run; routed to ${flight.specialist}` : reassigned ? `${finished.specialist}, reassigned from ${flight.specialist}` : flight.specialist;
    record('finished', `${finished.status} ${formatSpend(finished.costUsd)} (${ranOn}): ${finished.reason.slice(0, 160)}`, finished.taskId);
    wake = true;
  };

  /** Probes and the way back from a change, where God's config turns them on (the patch is asked
   * only then, so a God without them keeps the history it had). */
  const probesOn = (): boolean => config.routingProbes === true && patched(PROBES_PATCH);
  /** What an explored pick must fit in (routeByPolicy's exploreWithin): unknown before the runway is read. */
  const exploreWithinLane = () =>
    runway ? { exploreWithin: { dayLeftUsd: laneDayLeft(runway, inFlightExpected()).experimental, apply: () => patched(EXPLORES_WITHIN_LANE_PATCH) } } : {};
  /** Sidelining builds on the probes (a sidelined arm is probed back), asked only where they are on. */
  const sidelineOn = (): boolean => probesOn() && patched(SIDELINE_PATCH);
  /** Whether an approval keeps the route the reviewer approved: asked only where the policy would pick again. */
  const keepsRoute = (taskId: string, decision: 'approve' | 'reject'): boolean =>
    decision === 'approve' && state.queue.some((q) => q.taskId === taskId && q.beforePolicy !== undefined) && patched(APPROVED_KEEPS_ROUTE_PATCH);

  /** The policy learns from a task it routed; a derivation, promotion or rollback is audited, and
   * an automatic rollback raises an alert. */
  const learnFrom = (flight: InFlightTask, finished: TaskFinished) => {
    const kept: ChangeRules = probesOn() ? { recovers: true, ...(sidelineOn() && { recentRuns: true }) } : {};
    const rules = flaggedOnlyByRecordBefore(state.routing!, flight, finished, kept) && patched(RECORD_BEFORE_RUN_PATCH) ? { ...kept, recordBeforeRun: true } : kept;
    const { book, events } = observeFinished(state.routing!, flight, finished, Date.now(), rules);
    state.routing = book;
    learnedSincePick = true;
    carriedUnlearned = false;
    for (const e of events) {
      record('operator', `routing policy v${e.version} ${e.kind}: ${e.detail}`, finished.taskId);
      if (e.kind === 'rolled_back' && e.by === 'god') {
        pendingAlerts.push({ id: `${godId}:routing-rollback:${e.version}:${e.atMs}`, message: `routing policy rolled back automatically: ${e.detail}`, details: { version: e.version, detail: e.detail, taskId: finished.taskId } });
      }
    }
  };

  // ---- handlers: all registered before the first await ----
  setHandler(taskFinishedSignal, (raw) => {
    const result = TaskFinishedSchema.safeParse(raw);
    if (!result.success) {
      log.warn('taskFinished signal ignored: malformed', { issues: describeIssues(result.error) });
      return;
    }
    applyFinished(result.data);
  });
  setHandler(routedOutcomeSignal, (raw) => {
    const result = RoutedOutcomeSchema.safeParse(raw);
    if (!result.success) {
      log.warn('routedOutcome signal ignored: malformed', { issues: describeIssues(result.error) });
      return;
    }
    const o = result.data;
    // God counts the tasks it started itself; version 0 was the roster's rules, not God's policy.
    if (!state.routing || known(o.taskId) || o.decision.choice.policyVersion === 0) return;
    const finished = { taskId: o.taskId, status: o.status, costUsd: o.costUsd, tokens: 0, durationMs: o.durationMs, reason: o.reason ?? '' };
    // A task a budget limit stopped before its specialist could run says nothing of it, as for God's own tasks.
    if ((deniedByBudget(finished) || stoppedBySpawnDepth(finished)) && patched(ROUTED_BUDGET_DENIALS_UNJUDGED_PATCH)) return;
    const flight: InFlightTask = { taskId: o.taskId, workflowType: 'agentTask', kind: o.kind, specialist: o.decision.choice.arm, lane: 'main', expectedCostUsd: 0, startedAtMs: 0, objective: o.objective, policy: { kind: o.kind, value: o.value, decision: o.decision } };
    learnFrom(flight, finished);
  });
  setHandler(
    submitTaskUpdate,
    (raw): SubmitTaskResult => {
      const input = SubmitTaskSchema.parse(raw);
      const taskId = input.taskId ?? `task-${uuid4().slice(0, 13)}`;
      if (known(taskId)) {
        const where = find(taskId)?.status ?? (state.inFlight.some((t) => t.taskId === taskId) ? 'in_flight' : 'finished');
        return { taskId, accepted: false, status: where };
      }
      enqueue(taskId, input.task, 'submitted');
      state.counters.submitted += 1;
      wake = true;
      record('generated', `submitted: ${input.task.objective.slice(0, 120)}`, taskId);
      return { taskId, accepted: true, status: 'assessing' };
    },
    {
      validator: (raw) => {
        const input = parsed(SubmitTaskSchema, raw, 'submitTask');
        // The id as sent: the schema trims it. Refused here only, so updates accepted before replay as they ran.
        const sentId = (raw as { taskId?: unknown }).taskId;
        const idProblem = typeof sentId === 'string' ? submittedTaskIdProblem(sentId, godId) : undefined;
        if (idProblem) refuse(`submitTask: taskId: ${idProblem}`);
        const order = retryOrderIssues(input.task.retry);
        if (order.length) refuse(`submitTask: task.${order.join('; task.')}`);
        if (input.taskId && known(input.taskId)) return; // idempotent resubmission
        const later = 'try again once queued tasks start (exit 75), raise the limit in God\'s config, or start the task directly (pantheon submit --direct)';
        if (state.queue.length >= config.maxQueue) refuse(`submitTask: God's queue is full (${state.queue.length} tasks, maxQueue ${config.maxQueue}); ${later}`, 'god_queue_full');
        const bytes = JSON.stringify(input.task).length + ASSESSED_ITEM_BYTES;
        const held = queueBytes() + unassessedCount() * ASSESSED_ITEM_BYTES;
        if (held + bytes > config.maxQueueBytes) refuse(`submitTask: God's queue is full (${state.queue.length} tasks, ${held} bytes with their assessments; this one needs ${bytes} more, maxQueueBytes ${config.maxQueueBytes}); ${later}`, 'god_queue_full');
      },
    },
  );
  setHandler(
    addGoalUpdate,
    (raw) => {
      const input = GoalInputSchema.parse(raw);
      state = addGoal(state, input, Date.now());
      const goal = state.goals[state.goals.length - 1];
      record('operator', `goal added: ${goal.id} (${goal.objective.slice(0, 80)})`);
      registerGoalConstraints({ state: () => state, record }, goal.id, input.constraints);
      wake = true;
      return goal;
    },
    {
      validator: (raw) => {
        const goal = parsed(GoalInputSchema, raw, 'addGoal');
        if (state.goals.some((g) => g.id === goal.id)) refuse(`addGoal: id: a goal "${goal.id}" already exists`);
        if (state.goals.length >= 20) refuse('addGoal: at most 20 goals; remove one first');
      },
    },
  );
  setHandler(
    removeGoalUpdate,
    (raw) => {
      const { goalId } = RemoveGoalSchema.parse(raw);
      state = removeGoal(state, goalId);
      record('operator', `goal removed: ${goalId}`);
      return { removed: goalId };
    },
    {
      validator: (raw) => {
        const { goalId } = parsed(RemoveGoalSchema, raw, 'removeGoal');
        if (!state.goals.some((g) => g.id === goalId)) refuse(`removeGoal: goalId: no goal "${goalId}" (goals: ${state.goals.map((g) => g.id).join(', ') || 'none'})`);
      },
    },
  );
  setHandler(
    pauseUpdate,
    (raw?: PauseInput) => {
      const { reason, by, detail } = pauseChange('pause', PauseSchema.parse(raw ?? {}));
      state.paused = { reason, sinceMs: Date.now(), ...(by && { by }) };
      record('operator', detail);
      showDetails();
      return status();
    },
    { validator: (raw?: PauseInput) => void parsed(PauseSchema, raw ?? {}, 'pause') },
  );
  setHandler(
    resumeUpdate,
    (raw?: PauseInput) => {
      const { detail } = pauseChange('resume', ResumeSchema.parse(raw ?? {}));
      state.paused = undefined;
      record('operator', detail);
      wake = true;
      showDetails();
      return status();
    },
    { validator: (raw?: PauseInput) => void parsed(ResumeSchema, raw ?? {}, 'resume') },
  );
  setHandler(
    reviewDecisionUpdate,
    (raw) => {
      const input = ReviewDecisionSchema.parse(raw);
      const result = applyReviewDecision(state, input, Date.now(), { keepRoute: keepsRoute(input.taskId, input.decision) });
      state = result.state;
      state.counters.reviewed += 1;
      if (input.decision === 'reject') {
        state.counters.rejected += 1;
        rememberUnstarted(input.taskId);
      }
      record('review', `${input.decision} by ${input.by}${input.reason ? `: ${input.reason}` : ''}`, input.taskId);
      wake = true;
      return queueItemView(result.item);
    },
    {
      validator: (raw) => {
        const input = parsed(ReviewDecisionSchema, raw, 'reviewDecision');
        try {
          reviewableOrError(state, input.taskId, input.decision);
        } catch (err) {
          refuse(`reviewDecision: ${(err as Error).message}`);
        }
      },
    },
  );
  setHandler(
    setExperimentalShareUpdate,
    async (raw) => {
      const input = SetExperimentalShareSchema.parse(raw);
      // The ledger holds the lanes; God only mirrors the share once the ledger has it.
      await quick.setExperimentalShare({ share: input.share, reason: input.reason, by: input.by });
      state.experimentalShare = input.share;
      record('operator', `experimental share set to ${input.share} by ${input.by}: ${input.reason}`);
      runway = (await readRunway()) ?? runway;
      return currentRunway() ?? refuse('setExperimentalShare: the share is set, but the budget ledger could not be read back');
    },
    { validator: (raw) => void parsed(SetExperimentalShareSchema, raw, 'setExperimentalShare') },
  );
  setHandler(
    routingRollbackUpdate,
    (raw) => {
      const input = RoutingRollbackSchema.parse(raw);
      const from = state.routing!.active.version;
      state.routing = rollbackTo(state.routing!, input.version, input.reason, input.by, Date.now());
      learnedSincePick = true;
      record('operator', `routing policy v${from} rolled back to v${input.version} by ${input.by}: ${input.reason}`);
      return routingPolicyView(state.routing, config.tickSeconds);
    },
    {
      validator: (raw) => {
        const input = parsed(RoutingRollbackSchema, raw, 'routingRollback');
        const book = state.routing ?? refuse('routingRollback: God has no routing policy yet (it is seeded on its first tick)');
        const refusal = rollbackRefusal(book, input.version);
        if (refusal) refuse(`routingRollback: version: ${refusal}`);
      },
    },
  );
  setHandler(routingPolicyQuery, () => routingPolicyView(state.routing ?? refuse('routingPolicy: God has no routing policy yet (it is seeded on its first tick)'), config.tickSeconds));
  setHandler(routingHistoryQuery, () => routingHistoryView(state.routing ?? refuse('routingHistory: God has no routing policy yet (it is seeded on its first tick)')));
  setHandler(godStatusQuery, status);
  /** What a review for cost alone could be released within at best: a whole day's review share. */
  const wholeDay = () => (runway ? { budgetUsd: runway.budgetUsd, reviewCostShare: config.reviewCostShare } : undefined);
  setHandler(godQueueQuery, () => state.queue.map((q) => queueItemView(q, densityOf(q), wholeDay())));
  setHandler(godGoalsQuery, () => state.goals);
  setHandler(godReviewsQuery, () => state.queue.filter((q) => q.status === 'awaiting_review').map((q) => queueItemView(q, undefined, wholeDay())));
  setHandler(godRunwayQuery, () => currentRunway() ?? refuse('runway: God has not read the budget ledger yet'));
  setHandler(godRosterQuery, () => ({ version: state.rosterVersion, specialists: state.specialists }));
  setHandler(godDecisionsQuery, () => state.recent);
  setHandler(godCarriedStateQuery, () => state);
  // A query: no command, nothing in history, so no patch.
  setHandler(godSettingsQuery, () => config);
  installConstraintHandlers({ state: () => state, record });
  warnOfUnknownSignals('god', [taskFinishedSignal, routedOutcomeSignal], [submitTaskUpdate, addGoalUpdate, removeGoalUpdate, pauseUpdate, resumeUpdate, reviewDecisionUpdate, setExperimentalShareUpdate, routingRollbackUpdate, addConstraintUpdate, removeConstraintUpdate]);
  // Goals given at a fresh start bring their constraints too (a carried state already holds them).
  if (input.state === undefined) for (const goal of input.goals ?? []) registerGoalConstraints({ state: () => state, record }, goal.id, goal.constraints);

  // ---- the tick ----
  async function readRunway(): Promise<LedgerRunway | undefined> {
    try {
      return await quick.readRunway();
    } catch (err) {
      log.warn('budget ledger unreadable; this tick generates, assesses and admits nothing', { error: String(err) });
      return undefined;
    }
  }

  /** An outage God works around but an operator must hear of; a failed alert never stops a tick. */
  const alertOutage = async (what: 'ledger_unreadable' | 'reconcile_failing', sinceMs: number, message: string) => {
    try {
      await alerts.raiseAlert({ id: `${godId}:${what}:${sinceMs}`, kind: 'god_outage', message, details: { godId, what, sinceMs } });
    } catch (err) {
      log.error('god outage alert failed', { what, error: String(err) });
    }
  };
  let blindSinceMs: number | undefined;
  let blindTicks = 0;
  let failedReconcileSinceMs: number | undefined;
  let failedReconciles = 0;

  /** Counts blind ticks in a row; the BLIND_TICKS_ALERT-th alerts an operator. */
  const noteBlind = async (blind: boolean) => {
    if (!blind) {
      blindTicks = 0;
      blindSinceMs = undefined;
      return;
    }
    blindTicks += 1;
    blindSinceMs ??= Date.now();
    if (blindTicks === BLIND_TICKS_ALERT) {
      await alertOutage('ledger_unreadable', blindSinceMs, `God ${godId} has not read the budget ledger for ${blindTicks} ticks: nothing is generated, assessed or admitted until it can`);
    }
  };

  const reconcileOrWait = async () => {
    try {
      await reconcile();
      failedReconciles = 0;
      failedReconcileSinceMs = undefined;
    } catch (err) {
      if (isCancellation(err) || !(err instanceof ActivityFailure) || !patched(RECONCILE_SURVIVES_PATCH)) throw err;
      failedReconciles += 1;
      failedReconcileSinceMs ??= Date.now();
      reconcileDue = failedReconciles < RECONCILE_RETRIES;
      log.warn('in-flight tasks not reconciled (the server could not describe them)', { failedInARow: failedReconciles, error: String(err) });
      if (failedReconciles === RECONCILE_RETRIES) {
        await alertOutage('reconcile_failing', failedReconcileSinceMs, `God ${godId} could not reconcile its in-flight tasks ${failedReconciles} times in a row (${String(err).slice(0, 300)}); it tries again every ${config.reconcileEveryTicks} ticks`);
      }
    }
  };

  const reconcile = async () => {
    const ids = state.inFlight.map((t) => t.taskId);
    for (let i = 0; i < ids.length; i += 100) {
      const report = await quick.reconcileTasks({ taskIds: ids.slice(i, i + 100) });
      for (const finished of report.finished) applyFinished(finished);
      for (const taskId of report.missing) {
        if (!state.inFlight.some((t) => t.taskId === taskId)) continue;
        state.inFlight = state.inFlight.filter((t) => t.taskId !== taskId);
        record('finished', 'not found in visibility; dropped from the in-flight set', taskId);
      }
    }
  };

  const generate = async () => {
    // Generation is paid before admission: it runs only within its lane's paced headroom
    // (histories from before this check replay without it).
    const headroom = runway && patched('generation-within-headroom') ? laneHeadroom(runway, inFlightExpected(), config, Date.now()) : undefined;
    // Why a goal that came due did not generate, for `pantheon god goals` (cleared when it does),
    // and logged when the reason changes (its figures aside): a goal that starts nothing for a day
    // is explained by the log, where `god goals` shows only the last reason.
    const skip = (goal: GoalState, reason: string) => {
      goal.notGenerated = { atMs: Date.now(), reason };
      const gist = reason.replace(/\$?\d[\d.,:TZ-]*/g, '#');
      if (skipGists.get(goal.id) === gist) return;
      skipGists.set(goal.id, gist);
      log.info('god goal not generated', { goal: goal.id, reason, at: new Date(Date.now()).toISOString() });
    };
    const dueGoals = goalsDue(state.goals, Date.now());
    for (const due of dueGoals) {
      const goal = state.goals.find((g) => g.id === due.id);
      if (!goal) continue;
      if (state.queue.length >= config.maxQueue || queueBytes() >= config.maxQueueBytes) {
        const full = `God's queue is full (${state.queue.length} tasks, at most ${config.maxQueue} or ${config.maxQueueBytes} bytes); tried again next tick`;
        for (const waiting of dueGoals.slice(dueGoals.indexOf(due))) {
          const g = state.goals.find((x) => x.id === waiting.id);
          if (g) skip(g, full);
        }
        return;
      }
      // No room: tried again next tick, not a cadence later.
      if (headroom && !generationFits(goal, headroom[goal.lane])) {
        skip(goal, `the ${goal.lane} lane can commit ${usd(Math.max(0, headroom[goal.lane]))} now, not more than its last generation cost (${usd(goal.lastGenerationCostUsd ?? 0)}); tried again next tick`);
        continue;
      }
      // A backlog full of generated tasks that cannot start today (dear tasks the lane's day or the
      // goal's share can no longer take) kept a goal that had started nothing from generating, all
      // day. They are dropped as the day's end would drop them, and the goal generates again. (A
      // goal that has started work today keeps them: it is not starving, and the lane is full.)
      if (runway && !goal.startedToday && goalBacklog(goal) >= goal.tasksPerRun * GOAL_BACKLOG_RUNS) dropBacklogThatCannotStart(goal, runway);
      // A held lane keeps its room for its overdue task: a generation would spend that room on tasks
      // that could only wait behind it (tried again once the hold is over). Except for a goal that
      // has started nothing today and has nothing queued that could start: its first task may pass the hold.
      if (heldLanes[goal.lane] !== undefined && !generatesDuringHold(goal)) {
        const cap = goal.tasksPerRun * GOAL_BACKLOG_RUNS;
        const why = goal.startedToday
          ? 'it has started a task today'
          : goalBacklog(goal) >= cap
            ? `${goalBacklog(goal)} of its tasks are queued (at most ${cap})`
            : runway && goalCommittedUsd(goal, state.inFlight) >= goal.budgetShare * runway.budgetUsd
              ? 'its share of today is spent or held by its tasks in flight'
              : 'a task it queued may still start';
        skip(goal, `the ${goal.lane} lane is held for ${heldLanes[goal.lane]} (queued past holdAfterMinutes) and ${why}; tried again next tick`);
        continue;
      }
      goal.lastGeneratedAtMs = Date.now();
      if (runway && goal.spentTodayUsd >= goal.budgetShare * runway.budgetUsd) {
        skip(goal, `its share of today is spent (${usd(goal.spentTodayUsd)} of ${usd(goal.budgetShare * runway.budgetUsd)}); tried again when it is next due`);
        continue;
      }
      const backlog = goalBacklog(goal);
      if (backlog >= goal.tasksPerRun * GOAL_BACKLOG_RUNS) {
        skip(goal, `${backlog} of its tasks are queued (it generates again below ${goal.tasksPerRun * GOAL_BACKLOG_RUNS}); tried again when it is next due`);
        continue;
      }
      let recent: RecentOutcome[] = goal.outcomes ?? [];
      for (let ask = 1; ask <= GENERATION_ASKS; ask++) {
        state.seq += 1;
        const callId = `${godId}:generate:${goal.id}:${state.seq}`;
        let out;
        try {
          billedSinceRead = true;
          // The generator is not told why the goal last did not generate (nor does history need it).
          const { notGenerated: _notGenerated, ...described } = goal;
          out = await llm.generateTasks({ godId, callId, goal: described, count: goal.tasksPerRun, recent });
          if (headroom) {
            goal.lastGenerationCostUsd = out.costUsd;
            headroom[goal.lane] -= out.costUsd;
          }
        } catch (err) {
          record('generated', `goal ${goal.id}: generation failed: ${String(err).slice(0, 200)}`);
          skip(goal, `its generation failed (${String(err).slice(0, 200)}); tried again when it is next due`);
          break;
        }
        delete goal.notGenerated;
        for (const reason of out.rejected) record('reject', `goal ${goal.id}: proposed task refused: ${reason.slice(0, 200)}`);
        const repeated: string[] = [];
        let added = 0;
        for (const proposed of out.tasks) {
          const fingerprint = taskFingerprint(proposed.objective);
          if (state.fingerprints.includes(fingerprint) || state.queue.some((q) => q.fingerprint === fingerprint)) {
            state.counters.duplicates += 1;
            repeated.push(proposed.objective);
            continue;
          }
          const task = TaskInputSchema.safeParse({ ...proposed, lane: goal.lane, goalId: goal.id, lineage: { rootTaskId: godId, parentTaskId: godId, spawnDepth: 1 } });
          if (!task.success) {
            record('reject', `goal ${goal.id}: proposed task refused: ${describeIssues(task.error).join('; ')}`);
            continue;
          }
          state = rememberFingerprint(state, fingerprint);
          state.seq += 1;
          enqueue(`${godId}-g${state.seq}-${uuid4().slice(0, 8)}`, task.data, 'generated', { goalId: goal.id, fingerprint });
          const target = state.goals.find((g) => g.id === goal.id);
          if (target) target.generated += 1;
          state.counters.generated += 1;
          added += 1;
          record('generated', `goal ${goal.id}: ${task.data.objective.slice(0, 120)}`, state.queue[state.queue.length - 1].taskId);
        }
        // Every proposal was a task God already has: the generator is shown only the goal's newest
        // outcomes and repeats older work. Asked once more with those objectives named, the goal
        // gets new work now rather than a cadence later (it could wait a day).
        const askAgain =
          added === 0 && repeated.length > 0 && ask < GENERATION_ASKS && (!headroom || generationFits(goal, headroom[goal.lane])) && patched(ASKS_AGAIN_AFTER_REPEATS_PATCH);
        if (!askAgain) break;
        record('generated', `goal ${goal.id}: every proposal repeated a task God already has; asked once more, naming them`);
        recent = [...recent, ...repeated.map((objective) => ({ objective, status: 'already_proposed', reason: 'God already has this task; propose a different one' }))];
      }
    }
  };

  /** Starts a task God decided: a child workflow that outlives God's run and reports back. */
  const start = async (item: QueuedTask, why: string, picked?: string) => {
    const d = item.decision!;
    const task: Task = { ...item.task, lane: d.lane, reportTo: godId, ...(item.goalId && { goalId: item.goalId }) };
    // The decision is what runs: the task gets the specialist God chose (rules and classifier were
    // asked during assessment; the task's router does not ask again). Reassignment still applies.
    if ((d.kind === 'route' || d.kind === 'spawn') && d.specialist) {
      task.specialist = d.specialist;
      // How God chose, for the task's route (else it reads "requested, confidence 1"). Input only: no command changes.
      const pick = pickOf(d, item.assessment, state.specialists.map((s) => s.name));
      if (pick) task.pick = pick;
    }
    if (d.kind === 'reject' && patched(REJECTION_TRAVELS_PATCH)) task.rejected = (item.assessment?.reasons.length ? item.assessment.reasons.slice(0, 20) : [d.reason]).map((r) => r.slice(0, 2000));
    const routing = routingOf(d);
    if (routing) task.routing = routing;
    const chain = d.kind === 'chain' && d.plan && d.plan.length >= 2;
    pendingStarts.begin(item.taskId);
    const memo = { godDecision: { kind: d.kind, reason: d.reason, lane: d.lane, expectedCostUsd: d.expectedCostUsd, ...(d.plan && { plan: d.plan }), admitted: why } };
    const once = patched(REJECT_CLOSED_IDS_PATCH) ? { workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE } : {};
    try {
      if (chain) {
        const { specialist: _ignored, ...chainTask } = task;
        await startChild('taskChain', { workflowId: item.taskId, taskQueue: config.taskQueue, args: [{ task: chainTask, plan: d.plan, reportTo: godId, lane: d.lane, ...(item.goalId && { goalId: item.goalId }) }], parentClosePolicy: ParentClosePolicy.ABANDON, memo, ...once });
      } else {
        await startChild('agentTask', { workflowId: item.taskId, taskQueue: config.taskQueue, args: [task], parentClosePolicy: ParentClosePolicy.ABANDON, memo, ...once });
      }
    } catch (err) {
      pendingStarts.end(item.taskId);
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      // Another workflow already has this id (a task started directly, or one God forgot): God
      // never runs a task twice, and never counts another's end as its own.
      dropFromQueue(item.taskId);
      if (patched(DUPLICATE_IDS_KNOWN_PATCH)) state.finishedIds = [...(state.finishedIds ?? []), item.taskId];
      state.counters.duplicates += 1;
      record('drop', 'a workflow with this id already exists; not started again', item.taskId);
      return;
    }
    dropFromQueue(item.taskId);
    const flight: InFlightTask = {
      taskId: item.taskId,
      workflowType: chain ? 'taskChain' : 'agentTask',
      // A spawned specialist's tasks count under the kind it was spawned for (its trial and retirement read them there).
      kind: state.specialists.find((sp) => sp.name === task.specialist)?.kind ?? item.assessment?.kind ?? 'general',
      specialist: task.specialist ?? d.specialist ?? item.assessment?.specialist ?? 'unknown',
      lane: d.lane,
      ...(item.goalId && { goalId: item.goalId }),
      expectedCostUsd: d.kind === 'reject' ? 0 : d.expectedCostUsd,
      ...(chain && d.plan && { plan: d.plan }),
      startedAtMs: Date.now(),
      objective: item.task.objective.slice(0, 120),
      ...(d.policy && { policy: flightPolicy(d) }),
    };
    state.inFlight.push(flight);
    state.counters.started += 1;
    // A rejected task never ran: its goal has still started nothing (histories from before counted it).
    const startedFor = item.goalId ? state.goals.find((g) => g.id === item.goalId) : undefined;
    if (startedFor && (d.kind !== 'reject' || !patched(REJECTS_START_NOTHING_PATCH))) startedFor.startedToday = (startedFor.startedToday ?? 0) + 1;
    if (d.kind !== 'reject') state.day.admitted += 1;
    record(d.kind === 'reject' ? 'reject' : 'admitted', `${flight.workflowType} ${d.kind}${d.plan ? ` ${d.plan.join(' → ')}` : d.specialist ? ` → ${d.specialist}` : ''} (${d.lane}): ${why}${picked ? `; ${PICKED_AT_START}${picked}` : ''}`, item.taskId);
    const early = pendingStarts.end(item.taskId);
    if (early) applyFinished(early);
  };

  /** Assesses new tasks and decides each: reject, review, spawn, chain or route. */
  const assessAndDecide = async () => {
    const pending = dueForAssessment(state.queue, Date.now(), ASSESS_PER_TICK);
    for (const { taskId } of pending) {
      const before = find(taskId);
      if (!before) continue;
      let assessment: Assessment;
      try {
        // It may ask the classifier (an LLM call): the longer timeout and the heartbeat.
        billedSinceRead = true;
        assessment = await llm.assessTask({ taskId, task: before.task, constraints: activeConstraints(state.constraints, Date.now()), ...(state.routing && { rules: state.routing.active.rules }) });
      } catch (err) {
        const failed = find(taskId);
        // Backed off and moved behind the rest (histories from before retried it every tick).
        if (failed && patched(ASSESS_BACKOFF_PATCH)) Object.assign(failed, afterFailedAssessment(failed, Date.now(), String((err as Error)?.cause ?? err)));
        log.warn('assessment failed; tried again later', { taskId, failures: failed?.assessFailures, error: String(err) });
        continue;
      }
      const item = find(taskId);
      if (!item || item.status !== 'assessing') continue;
      item.assessment = assessment;
      if (item.assessFailures !== undefined) {
        delete item.assessFailures;
        delete item.assessAfterMs;
        delete item.waitReason;
      }
      if (assessment.ok && assessment.method === 'none') state.stats = recordFallback(state.stats, assessment.kind, assessment.specialist);
      const spawnedToday = state.specialists.filter((s) => s.createdAtMs >= state.day.startMs).length;
      // Unknown runway (ledger not read yet): no cost review rather than reviewing everything.
      const remainingUsd = dayLeftUsd(runway);
      let beforePolicy: Decision | undefined;
      const decideContext = { stats: state.stats, specialists: state.specialists, config, remainingUsd, nowMs: Date.now(), spawnedToday };
      const byRulesKind = decide({ ...item, assessment }, decideContext);
      // A trial specialist's later tasks: memory's kind finds it (histories from before never sent
      // it a second task). Asked only when that changes the decision.
      const memoryContext = { ...decideContext, memoryKinds: true };
      const byMemoryKind = decide({ ...item, assessment }, memoryContext);
      const changed = JSON.stringify(byMemoryKind) !== JSON.stringify(byRulesKind);
      const byMemory = changed && patched(SPAWNED_BY_MEMORY_KIND_PATCH);
      const decided = byMemory ? byMemoryKind : byRulesKind;
      // A keyword tie between roster specialists routes (histories from before spawned or reviewed
      // for it). Asked only when that changes the decision.
      const byKeywordMatch = decide({ ...item, assessment }, { ...(byMemory ? memoryContext : decideContext), keywordMatchRoutes: true });
      const keywordChanged = JSON.stringify(byKeywordMatch) !== JSON.stringify(decided);
      let { decision, review, costReview } = keywordChanged && patched(KEYWORD_MATCH_ROUTES_PATCH) ? byKeywordMatch : decided;
      if (decision.kind === 'spawn') ({ decision, review } = await spawnFor(item, assessment, decision, review));
      else if (state.routing) {
        const classifierRoutes = assessment.method !== 'rules' && patched(CLASSIFIER_ROUTES_PATCH);
        const overdueAt = patched(OVERDUE_PATCH) ? Date.now() : undefined;
        const options = {
          classifierRoutes,
          ...(overdueAt !== undefined && { nowMs: overdueAt }),
          quarantine: patched(QUARANTINE_PATCH),
          probes: probesOn(),
          sideline: sidelineOn(),
          recordedArmsJoin: patched(RECORDED_ARMS_PATCH),
          ...exploreWithinLane(),
        };
        let routed = routeByPolicy(state, item, assessment, decision, config, options);
        if (!routed.decision.policy) {
          const avoiding = routeByPolicy(state, item, assessment, decision, config, { ...options, unsureAvoidsFailing: true });
          if (avoiding.decision.policy && patched(UNSURE_AVOIDS_FAILING_PATCH)) routed = avoiding;
        }
        state.routing = routed.book;
        // What the policy picked from, kept so it picks again when the task can start.
        if (routed.decision.policy && patched(PICKS_AT_START_PATCH)) beforePolicy = decision;
        decision = routed.decision;
        const repriced = repriceReview({ review, costReview }, decision.expectedCostUsd, remainingUsd, config);
        if (JSON.stringify(repriced.review ?? []) !== JSON.stringify(review ?? []) && patched(COST_REVIEW_OF_PICK_PATCH)) ({ review, costReview } = repriced);
      }
      const current = find(taskId);
      if (!current) continue;
      current.decision = decision;
      if (beforePolicy) current.beforePolicy = beforePolicy;
      record(decision.kind, `${decision.reason}${review?.length ? `; review: ${review.join('; ')}` : ''}`, taskId);
      if (decision.kind === 'reject') {
        // Rejected tasks still become a workflow that ends `rejected` with its reasons: nothing
        // God refuses vanishes, and validation costs nothing.
        state.counters.rejected += 1;
        await start(current, 'rejected by pre-flight validation');
      } else if (review?.length) {
        state = openReview(state, taskId, review, Date.now(), config, { ...(costReview !== undefined && { costReview }) });
      } else {
        current.status = 'queued';
      }
    }
  };

  /** Asks for a new specialist for the task's kind; on any failure the task goes to the fallback, reviewed. */
  const spawnFor = async (item: QueuedTask, assessment: Assessment, decision: ReturnType<typeof decide>['decision'], review: string[] | undefined) => {
    const allowed = canSpawn(state.specialists, { nowMs: Date.now(), dayStartMs: state.day.startMs, config });
    const fallback = (why: string) => ({
      decision: { ...decision, kind: 'route' as const, specialist: assessment.specialist, reason: `${decision.reason}; ${why}` },
      review: [...(review ?? []), `low confidence (${assessment.confidence.toFixed(2)}) and ${why}`],
    });
    if (!allowed.ok) return fallback(`no specialist spawned: ${allowed.reason}`);
    state.seq += 1;
    try {
      billedSinceRead = true;
      const proposal = await llm.proposeSpecialist({
        callId: `${godId}:spawn:${state.seq}`,
        kind: assessment.kind,
        examples: [item.task.objective.slice(0, 300)],
        existing: [...new Set([...assessment.ranked, assessment.specialist, ...state.specialists.map((s) => s.name)])],
      });
      if (!proposal.ok || !proposal.definition) return fallback(`the proposed specialist was refused: ${proposal.reasons.join('; ').slice(0, 300)}`);
      // The proposal names the kind it serves (a "general" task's kind comes from its words).
      state = registerSpawned(state, proposal.definition, proposal.kind ?? assessment.kind, Date.now());
      state.counters.spawned += 1;
      const spawned = state.specialists.filter((s) => s.name === proposal.definition!.name).at(-1)!;
      record('spawned', `${spawned.name} v${spawned.version} for kind "${spawned.kind}" (trial)`, item.taskId);
      const expected = expectationOf(state.stats, spawned.kind, spawned.name, assessment.estimatedCostUsd);
      return {
        decision: { ...decision, specialist: spawned.name, lane: 'experimental' as const, expectedCostUsd: expected.costUsd, expectedSuccess: expected.success, reason: `${decision.reason}; spawned ${spawned.name} v${spawned.version}` },
        review: [...(review ?? []), `first runs of spawned specialist ${spawned.name}`],
      };
    } catch (err) {
      return fallback(`spawning failed: ${String(err).slice(0, 200)}`);
    }
  };

  const expireReviews = () => {
    for (const item of expiredReviews(state.queue, Date.now())) {
      const reason = `no review decision within ${config.reviewTimeoutHours} h; the default (${config.reviewDefault}) applies`;
      state = applyReviewDecision(state, { taskId: item.taskId, decision: config.reviewDefault, reason, by: 'god' }, Date.now(), { keepRoute: keepsRoute(item.taskId, config.reviewDefault) }).state;
      state.counters.reviewed += 1;
      if (config.reviewDefault === 'reject') {
        state.counters.rejected += 1;
        rememberUnstarted(item.taskId);
      }
      record('review', `timed out: ${reason}`, item.taskId);
    }
  };

  /** Tasks reviewed for their cost alone that what is left of the day can pay for now. */
  const releaseCostReviews = () => {
    if (!runway) return;
    const remainingUsd = dayLeftUsd(runway);
    const { state: next, released } = releaseAffordable(state, remainingUsd, config);
    if (released.length === 0 || !patched(COST_REVIEWS_RELEASED_PATCH)) return;
    state = next;
    for (const { item, why } of released) record('review', why, item.taskId);
  };

  const retire = () => {
    for (const { name, reason } of retirements(state, config)) {
      state = retireSpecialist(state, name, reason, Date.now());
      record('retired', `${name}: ${reason}`);
    }
  };

  const admitAndStart = async () => {
    if (!runway) return;
    // The tasks the policy routed pick again from the outcomes reported while they waited: what
    // runs, and the cost and lane admission plans with, are the book's as it stands now.
    let picked: Record<string, string> = {};
    const room = Math.min(config.maxInFlight - state.inFlight.length, PICKS_AGAIN_PER_TICK);
    const waiting = state.queue.filter((q) => q.status === 'queued' && q.beforePolicy);
    let picksAgain = learnedSincePick && room > 0 && waiting.length > 0;
    // Nothing starts while paused, and nothing learned since the last run's pick: keep the picks
    // (learnedSincePick stays as it is, so a resume picks again from what was learned meanwhile).
    if (picksAgain && (state.paused !== undefined || carriedUnlearned) && patched(KEEPS_PICKS_PATCH)) picksAgain = false;
    if (picksAgain) {
      const first = waiting
        .map((q) => ({ taskId: q.taskId, density: densityOf(q) ?? 0, at: q.submittedAtMs }))
        .sort((a, b) => b.density - a.density || a.at - b.at)
        .slice(0, room);
      const again = pickAgain(state, config, Date.now(), new Set(first.map((f) => f.taskId)), probesOn(), sidelineOn(), exploreWithinLane().exploreWithin);
      state.routing = again.book;
      state.queue = again.queue;
      picked = again.picked;
      learnedSincePick = false;
      carriedUnlearned = false;
      for (const { taskId, costReview } of repicksToReview(state.queue, picked, dayLeftUsd(runway), config)) {
        if (!patched(REPICK_COST_REVIEW_PATCH)) break;
        state = openReview(state, taskId, [costReview], Date.now(), config, { costReview });
        record('review', `picked again at start: ${costReview}`, taskId);
        delete picked[taskId];
      }
    }
    if (runway.perTaskUsd !== undefined) {
      const { queue, capped } = capAtTaskLimit(state.queue, runway.perTaskUsd);
      if (capped.length > 0 && patched(CAPS_AT_TASK_LIMIT_PATCH)) state.queue = queue;
    }
    const flying = inFlightExpected();
    const headroom = laneHeadroom(runway, flying, config, Date.now());
    const notes = headroomNotes(runway, flying, config, Date.now());
    const laneDayBudget = { main: runway.lanes.main.budgetUsd, experimental: runway.lanes.experimental.budgetUsd };
    const admitInput = { queue: state.queue, headroom, notes, laneDayBudget, goals: state.goals, budgetUsd: runway.budgetUsd, inFlight: state.inFlight, paused: state.paused?.reason, breakerOpen: runway.breakerOpen };
    let plan = admit(admitInput);
    const holds = { nowMs: Date.now(), afterMs: (config.holdAfterMinutes ?? DEFAULT_HOLD_AFTER_MINUTES) * 60_000, dayLeft: laneDayLeft(runway, flying) };
    if (overdueShortOfRoom(state.queue, plan, holds) && patched(HOLDS_PATCH)) {
      let rules: AdmitHolds = holds;
      plan = admit({ ...admitInput, holds: rules });
      const fundable = admit({ ...admitInput, holds: { ...rules, onlyFundable: true } });
      if (!samePlan(plan, fundable) && patched(FUNDABLE_HOLDS_PATCH)) {
        rules = { ...rules, onlyFundable: true };
        plan = fundable;
      }
      const unstartedGoals = unstartedGoalIds();
      if (Object.keys(plan.held).length > 0 && unstartedGoals.length > 0) {
        const passing = admit({ ...admitInput, holds: { ...rules, unstartedGoals } });
        if (passing.passedHold.length > 0 && patched(GOALS_PASS_HOLDS_PATCH)) plan = passing;
      }
    }
    heldLanes = plan.held;
    for (const item of state.queue) {
      const reason = plan.waiting[item.taskId];
      if (reason !== undefined) item.waitReason = reason;
    }
    for (const taskId of plan.start) {
      const item = find(taskId);
      if (item?.status !== 'queued' || !item.decision) continue;
      if (state.inFlight.length >= config.maxInFlight) item.waitReason = `${state.inFlight.length} tasks in flight (maxInFlight ${config.maxInFlight}); waits for one to finish`;
      else {
        const passed = plan.passedHold.includes(taskId) ? `; its goal's first task today, started past the hold on the ${item.decision.lane} lane` : '';
        await start(item, `value density ${densityOf(item)?.toFixed(2)}${passed}`, picked[taskId]);
      }
    }
  };

  /** Seeds the routing policy from the roster's keyword rules (a state from before it has none). */
  const seedRouting = async () => {
    if (state.routing || !patched(ROUTING_POLICY_PATCH)) return;
    try {
      const { rules } = await quick.routingRules();
      state.routing = seedBook({ rules, nowMs: Date.now(), seed: config.routingSeed ?? seedFromId(godId) });
      record('operator', `routing policy v1 seeded from the roster (${Object.keys(rules).length} specialists)`);
    } catch (err) {
      log.warn('routing policy not seeded; tasks are routed by the rules alone until it is', { error: String(err) });
    }
  };

  const raiseRoutingAlerts = async () => {
    while (pendingAlerts.length > 0) {
      const a = pendingAlerts[0];
      try {
        await alerts.raiseAlert({ id: a.id, kind: 'routing_rollback', message: a.message, details: a.details });
      } catch (err) {
        log.error('routing rollback alert failed', { error: String(err), message: a.message });
      }
      pendingAlerts.shift();
    }
  };

  /** Whether a tick would decide blind: this read failed (an earlier runway, if any, is stale). */
  const goesOnBlind = (read: LedgerRunway | undefined): boolean => read === undefined && patched(FRESH_RUNWAY_PATCH);

  const tick = async () => {
    ticks += 1;
    lastTickMs = Date.now();
    // A failed read keeps the last runway for the views, but nothing is paid for or started on it.
    const read = await readRunway();
    let blind = goesOnBlind(read);
    runway = read ?? runway;
    billedSinceRead = false;
    // The ledger holds the lanes; God's copy of the share only mirrors it.
    if (runway) state.experimentalShare = runway.lanes.experimental.share;
    if (runway && runway.dayKey !== state.day.key) {
      const rolled = rollDay(state, { key: runway.dayKey, startMs: runway.dayStartMs, endMs: runway.dayEndMs });
      state = rolled.state;
      state.counters.dropped += rolled.dropped.length;
      for (const d of rolled.dropped) {
        record('drop', `the day ended before it was admitted (${d.waitReason ?? 'waiting'})`, d.taskId);
        rememberUnstarted(d.taskId);
      }
      // They never ran: their goals may propose them again (histories from before kept them as
      // duplicates, and a goal's bounded set of tasks ran out a third faster).
      const unrun = rolled.dropped.flatMap((d) => (d.fingerprint ? [d.fingerprint] : []));
      if (unrun.length > 0 && patched(RELEASE_DROPPED_FINGERPRINTS_PATCH)) state = forgetFingerprints(state, unrun);
    }
    if (reconcileDue || ticks % config.reconcileEveryTicks === 0) {
      reconcileDue = false;
      await reconcileOrWait();
    }
    expireReviews();
    if (!blind) releaseCostReviews();
    await seedRouting();
    await raiseRoutingAlerts();
    if (!state.paused && !blind) await generate();
    if (!blind) await assessAndDecide();
    retire();
    // Pacing must see what generation and assessment just spent, or a tick can admit past the
    // paced allowance by their cost (histories from before this read replay without it).
    if (billedSinceRead && patched('runway-read-before-admission')) {
      const again = await readRunway();
      blind = goesOnBlind(again);
      runway = again ?? runway;
    }
    if (!blind) await admitAndStart();
    await noteBlind(blind);
    state = compactState(state, config, Date.now());
    showDetails();
  };

  /** The history past `continueAsNewBytes`: runs from before the patch replay without the check. */
  const historyTooLarge = (bytes: number): boolean => {
    const limit = config.continueAsNewBytes;
    if (limit === undefined || bytes < limit || !patched(HISTORY_BYTES_PATCH)) return false;
    const grown = bytes - carriedBytes >= limit / 2;
    return grown || !patched(HISTORY_BYTES_GROWTH_PATCH);
  };

  showDetails();
  for (;;) {
    // Reset before the tick: work that arrives while it awaits an activity wakes the next one.
    wake = false;
    await tick();
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength >= config.continueAsNewEvents || historyTooLarge(info.historySize)) {
      await condition(allHandlersFinished);
      // A rollback heard since the tick is not carried: its alert goes out now.
      await raiseRoutingAlerts();
      state.counters.continuedAsNew += 1;
      // Carried so the next run picks again only once it has learned something (KEEPS_PICKS_PATCH).
      state.learnedSincePick = learnedSincePick && !carriedUnlearned;
      log.info('god continues as new', { historyLength: info.historyLength, historyBytes: info.historySize, stateBytes: stateBytes(state) });
      await continueAsNew<typeof god>({ config, state });
    }
    await condition(() => wake, config.tickSeconds * 1000);
  }
}
