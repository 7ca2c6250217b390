import {
  ActivityCancellationType,
  CancellationScope,
  CancelledFailure,
  isCancellation,
  log,
  proxyActivities,
  setCurrentDetails,
  sleep,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { z } from 'zod';
import type { Activities } from '../activities';
import type { RouteDecision, RunSpecialistInput, RunSpecialistResult, StoreMemoryInput } from '../activities/types';
import type { ChatMessage } from '../llm/types';
import { describeIssues, retryOrderIssues, TaskInputSchema, UnboundedTaskInputSchema, type RetryOverride, type Task } from '../tasks/task-input';
import { optionsFor, type PresetActivity } from './activity-options';
import { BudgetAdmissionSchema, budgetAdmittedSignal, flagStaleSignal, requeueSignal, StaleNoticeSchema, stateQuery, type StaleNotice } from './agent-task-api';
import { describeWait, MAX_BUDGET_WAITS, nextCheckMs, type BudgetWait } from '../budget/waiting';
import { describeProviderWait, isOutageType, nextProviderWaitMs } from '../tasks/provider-wait';
import { warnOfUnknownSignals } from './unknown-signals';
import { abandonedRunSpend, budgetWaitOf, describeFailure, failureLesson, failureText, failureWarning, progressOf, retriesExhausted, stoppedWhileCancelling } from './failures';
import { lineageOf } from '../tasks/lineage';
import { TaskActiveSince, TaskCostUsd, TaskIterations, TaskMemoryPending, TaskPolicyVersion, TaskPriority, TaskRedriveOf, TaskRootTask, TaskSpecialist, TaskStale, TaskStatus, TaskTokens } from './search-attributes';
import type { FailureRecord, TaskOutcome, TaskState, TaskStatus as Status, TerminalStatus } from './task-state';
import { finishedReport, reportToOf } from '../tasks/report';
import { elapsedMs, reportFinished, reportRoutedOutcome, ROUTED_OUTCOME_PATCH } from './report-finished';
import { foldPatches, type FoldedPatches } from './folded-patches';
import { recordDeadLetter, recordStaleNotice, recordTaskEnd } from '../metrics/workflow';
import { isFailedTaskStatus } from '../errors';
import { taskEndFailure } from '../tasks/closed-outcome';
import { restateSpent } from '../budget/restate-spent';

/** Ends the task as dead_lettered: retries and reassignments are spent, or no retry can help. */
class DeadLetter extends Error {}

/** Ends the task as cancelled for a reason other than a cancel request (a poison stale task). */
class GiveUp extends Error {}

/** Ends the task as budget_exceeded: its own limit is spent (or its wait for budget was too
 * long); no retry or reassignment helps. */
class BudgetStop extends Error {}

/** Tasks started before the ledger kept task bills end without asking for one (replay). */
const TASK_BILL_PATCH = 'close-task-bill';

/** Tasks started before dead_lettered and budget_exceeded failed the execution still complete
 * with their outcome when they replay. */
const FAILED_END_PATCH = 'failed-terminal-states';

/** A requeue (or a cancel) waits until the abandoned run's activity has stopped, so two runs of a
 * task never call a provider at once. Histories from before it replay with TRY_CANCEL. */
const REQUEUE_WAIT_PATCH = 'requeue-waits-for-cancel';

/** A run that stopped while its cancel was pending, though no cancellation reached it (its worker
 * died, or it failed before the cancel arrived), is stopped by that cancel: requeued or cancelled,
 * not dead-lettered as a failed specialist. Its marker is recorded only when a run ends so. */
const STOPPED_WHILE_CANCELLING_PATCH = 'stopped-while-cancelling-is-cancelled';

/** A run whose specialist is not in the roster (retired since routing, or never there) hands the
 * task to the next candidate, as a failed run does; before it, the task was dead-lettered. Its
 * marker is recorded only when a run fails so. */
const MISSING_SPECIALIST_PATCH = 'missing-specialist-reassigns';

/** The history guard; its marker is recorded only when it fires (old histories never had it). */
const HISTORY_GUARD_PATCH = 'history-guard';

/** The bounds on `inputs`; its marker is recorded only when a task fails them. */
const INPUT_BOUNDS_PATCH = 'bounded-task-inputs';

/** Each reassignment and dead letter writes its failure's lesson (recordLesson); its marker is
 * recorded only when a task has a lesson to write. */
const LESSONS_PATCH = 'lesson-records';

/** The activities whose failures are a specialist's approach failing, and so teach a lesson. */
const LESSON_ACTIVITIES = ['runSpecialist', 'compressContext'];

/** A store outage after the work is done defers the task's memory record (PantheonMemoryPending,
 * an alert) instead of costing the result; its marker is recorded only when a write fails. */
const MEMORY_PENDING_PATCH = 'memory-never-costs-a-result';

/** Memory is recalled before every specialist's run (the first and each reassignment), with this
 * task's failed attempts in it; histories from before replay with the route's warnings only. */
const RECALL_BEFORE_RUN_PATCH = 'recall-before-run';

/** The routing policy version that chose the specialist becomes a search attribute
 * (PantheonPolicyVersion); its marker is recorded only when the route names a version. */
const POLICY_VERSION_PATCH = 'policy-version-attribute';

/** The first run starts from the lines routeTask recalled for its pick (no recallForRun). A
 * patch although the branch reads the recorded routeTask result: in a rolling deploy a newer
 * activity worker can answer an older workflow that then asked recallForRun anyway. */
const ROUTE_RECALL_PATCH = 'first-run-from-route-recall';

/** A completed task's bill is closed by storeMemory once the record is written, not by an activity
 * of its own after it: one activity and one workflow task fewer per task. Histories from before
 * close it with closeTaskBill (as does any task whose store did not bring the bill back). */
const BILL_WITH_RECORD_PATCH = 'bill-closed-with-record';

/** The patches above, and the routed outcome's, as one marker that a task started since records at its
 * start instead of one marker (and one search attribute upsert) per patch on its path. The policy
 * version is not folded: under the marker it rides in the next status upsert, not one of its own.
 * A patch added after this one is asked on its own: never add it to FOLDED_PATCHES. */
const FOLDED_PATCHES_MARKER = 'agent-task-patches-folded';
const FOLDED_PATCHES = [
  TASK_BILL_PATCH,
  FAILED_END_PATCH,
  REQUEUE_WAIT_PATCH,
  HISTORY_GUARD_PATCH,
  INPUT_BOUNDS_PATCH,
  LESSONS_PATCH,
  MEMORY_PENDING_PATCH,
  RECALL_BEFORE_RUN_PATCH,
  ROUTE_RECALL_PATCH,
  BILL_WITH_RECORD_PATCH,
  ROUTED_OUTCOME_PATCH,
];

/** A task its validation rejected after a model call (the second stage) closes its bill: the
 * ledger holds that call, and any attempt a killed worker paid for, which the task's books miss.
 * Asked only for such a task (histories from before ended it without a bill). Not folded. */
const REJECTED_BILL_PATCH = 'rejected-task-closes-bill';

/** A specialist run whose retries ran out while it still advanced goes on from its checkpoint (a
 * new activity, the same specialist) instead of failing over to the next one. Asked only then
 * (histories from before reassigned such a run). Not folded. */
const RESUME_AFTER_PROGRESS_PATCH = 'run-resumes-after-progress';

/** A task that ends without completing (dead-lettered, stopped at its budget) closes its bill with
 * its failure record, as a completed task does with its outcome, so the record (what `pantheon
 * history` shows) carries the bill, not the books before it. Asked only on those ends (histories
 * from before wrote the record, then closed the bill with closeTaskBill). Not folded. */
const FAILURE_BILL_WITH_RECORD_PATCH = 'failure-bill-closed-with-record';

/** After a wait for budget the task stays waiting_budget while its next run asks again, and shows
 * running once that run's first call is let through (budgetAdmittedSignal from the activity):
 * before, every check published running and then waiting_budget again. Asked only after a wait
 * (histories from before published running for each check). Not folded. */
const CHECK_KEEPS_WAITING_PATCH = 'budget-check-keeps-waiting';

/** A task whose retry overrides Temporal would refuse (a maximum interval below the initial one)
 * is rejected naming the field, before any activity; before it, such a task failed at its first
 * activity and was dead-lettered. Asked only for such a task (histories from before ran on). Not folded. */
const RETRY_ORDER_PATCH = 'retry-intervals-in-order';

/** A task cancelled during a specialist run counts the iterations that run had done, as its cost
 * already counts what the run spent (before, its iterations stopped at the last compression).
 * Asked only when the run reports more (histories from before ended with the lower count). Not folded. */
const CANCEL_COUNTS_RUN_PATCH = 'cancel-counts-run-iterations';

/** A requeue signal that reaches a task waiting for budget, with no run asking (the sweeper does not
 * judge such a task; an operator's signal, or a sweep that read visibility before the wait), is
 * ignored with a warning: there is no run to restart. Before, it restarted the wait from iteration
 * 0, counted a requeue, and past maxRequeues cancelled a task that had only waited. Asked only for
 * such a signal (histories from before requeued). Not folded. */
const REQUEUE_SPARES_WAIT_PATCH = 'requeue-spares-budget-wait';
/** The same for a task waiting out a provider outage (waiting_provider): no run to restart, and a
 * requeue would have started the run again from iteration 0, its checkpoint dropped, and counted
 * toward maxRequeues. Asked only for such a signal (histories from before requeued). Not folded. */
const REQUEUE_SPARES_PROVIDER_WAIT_PATCH = 'requeue-spares-provider-wait';

/** A task cancelled as poison (requeued past its maxRequeues) counts the iterations the stopped run
 * had done, as CANCEL_COUNTS_RUN_PATCH does for a cancel. Asked only when the run reports more
 * (histories from before ended with the lower count). Not folded. */
const GIVE_UP_COUNTS_RUN_PATCH = 'give-up-counts-run-iterations';

/** A task started with more than one argument is rejected, naming it; before, the others were
 * ignored. Asked only for such a start (histories from before ran the first). Not folded. */
const ONE_ARGUMENT_PATCH = 'task-is-one-argument';

/** A run that reaches its iteration limit hands the task to the next candidate, as a failed run
 * does; before, the task was dead-lettered. Asked only when a run ends so with a candidate and a
 * reassignment left (histories from before dead-lettered). Not folded. */
const ITERATION_LIMIT_REASSIGNS_PATCH = 'iteration-limit-reassigns';
/** A run that failed through its retries on a provider outage waits and goes on, within the task's
 * providerWaitSeconds (src/tasks/provider-wait.ts); histories from before handed the task to the
 * next candidate at once. Not folded. */
const PROVIDER_WAIT_PATCH = 'provider-outage-waits';

/** Activity options of a run the workflow may abandon: a cancel waits for the activity to stop. */
const WAIT_FOR_CANCEL = { cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED };

function proxies(task: Task) {
  const one = <K extends PresetActivity>(name: K, extra = {}) =>
    proxyActivities<Activities>({ ...optionsFor(name, (task.retry as Partial<Record<string, RetryOverride>>)[name]), ...extra })[name];
  return {
    /** The same activities, but cancelling one waits until it has stopped (REQUEUE_WAIT_PATCH). */
    abandonable: { runSpecialist: one('runSpecialist', WAIT_FOR_CANCEL), compressContext: one('compressContext', WAIT_FOR_CANCEL) },
    validateTask: one('validateTask'),
    routeTask: one('routeTask'),
    runSpecialist: one('runSpecialist'),
    compressContext: one('compressContext'),
    storeMemory: one('storeMemory'),
    recallForRun: one('recallForRun'),
    raiseAlert: one('raiseAlert'),
    closeTaskBill: one('closeTaskBill'),
    recordLesson: one('recordLesson'),
  };
}

function initialState(taskId: string, input: unknown): TaskState {
  const raw = (input ?? {}) as Partial<Task>;
  return {
    taskId,
    status: 'validating',
    objective: typeof raw.objective === 'string' ? raw.objective.slice(0, 200) : '',
    priority: typeof raw.priority === 'string' ? raw.priority : 'normal',
    iteration: 0,
    compressions: [],
    promptTokens: [],
    costUsd: 0,
    tokens: 0,
    reasons: [],
    failures: [],
    specialistsTried: [],
    requeues: 0,
  };
}

/**
 * One task, start to end: validate → route → run the specialist (compressing its context every
 * `compressEvery` iterations; reassigning to the next candidate when a specialist fails all its
 * retries) → store the outcome in memory. It always ends in exactly one terminal state with
 * reasons (completed, rejected, dead_lettered, cancelled, budget_exceeded) and tells its
 * `reportTo` workflow (God, a chain) of that end. completed, rejected and cancelled return that
 * state; dead_lettered and budget_exceeded fail the execution with it in the failure's details
 * (read either with closedResult, src/tasks/closed-outcome.ts), so the Web UI shows them as
 * failures and `temporal workflow reset` can run them again.
 */
export async function agentTask(input: unknown, ...extra: unknown[]): Promise<TaskOutcome> {
  // Before the first command: the marker leads a new execution's history.
  const patches = foldPatches(FOLDED_PATCHES_MARKER, FOLDED_PATCHES);
  const routed: Routed = {};
  const outcome = await runTask(input, routed, patches, extra.length);
  // Old histories have no reportTo: no signal, so they replay unchanged.
  await reportFinished(reportToOf(input), finishedReport(outcome, elapsedMs()));
  await reportRoutedOutcome(reportToOf(input), routed.learn, outcome, elapsedMs(), patches.patched);
  // The report goes first: a failed execution cannot signal afterwards.
  if (isFailedTaskStatus(outcome.status) && patches.patched(FAILED_END_PATCH)) throw taskEndFailure({ ...outcome, status: outcome.status });
  return outcome;
}

/** What the route learned about the policy's choice, for God when the task ends. */
interface Routed {
  learn?: RouteDecision['learn'];
}

async function runTask(input: unknown, routed: Routed, patches: FoldedPatches, extraArgs = 0): Promise<TaskOutcome> {
  const { patched } = patches;
  const taskId = workflowInfo().workflowId;
  const state = initialState(taskId, input);
  state.redriveOf = workflowInfo().typedSearchAttributes.get(TaskRedriveOf);
  let activity = 'validateTask';
  let requeue: StaleNotice | undefined;
  let runScope: CancellationScope | undefined;
  /** Whether a cancelled run is awaited until its activity stops (REQUEUE_WAIT_PATCH). */
  let waitForCancel = false;
  /** The sweeper measures from here (search attribute TaskActiveSince): the task's start for now,
   * then each specialist run's start or requeue, moved later by every wait for budget. */
  const restartRunClock = () => (state.runClock = { startedMs: Date.now(), excludedMs: 0 });
  const activeSince = () => new Date(state.runClock!.startedMs + state.runClock!.excludedMs);
  restartRunClock();

  /** The Web UI's details: the status, what is happening, and the totals. */
  const showDetails = (details: string) =>
    setCurrentDetails(`**${state.status}** · ${details}\n\ncost $${state.costUsd.toFixed(6)} · ${state.iteration} iterations · ${state.tokens} tokens`);
  const publish = (status: Status, details: string) => {
    state.status = status;
    upsertSearchAttributes([
      { key: TaskStatus, value: status },
      { key: TaskPriority, value: state.priority },
      { key: TaskCostUsd, value: state.costUsd },
      { key: TaskIterations, value: state.iteration },
      { key: TaskTokens, value: state.tokens },
      ...(state.specialist ? [{ key: TaskSpecialist, value: state.specialist }] : []),
      ...(state.lineage ? [{ key: TaskRootTask, value: state.lineage.rootTaskId }] : []),
      { key: TaskActiveSince, value: activeSince() },
      // Under the folded marker the routing policy's version rides here (before it: an upsert of its own).
      ...(patches.folded && state.route?.policyVersion !== undefined ? [{ key: TaskPolicyVersion, value: state.route.policyVersion }] : []),
    ]);
    showDetails(details);
  };
  const finish = (status: TerminalStatus, reasons: string[]): TaskOutcome => {
    state.reasons = reasons;
    publish(status, reasons.join('; '));
    // Metrics leave through a sink, not as commands, and not while replaying: no patch needed.
    recordTaskEnd(status, state.specialist);
    log.info('task ended', { taskId, status, reasons });
    return { ...state, status };
  };

  // Waiting for budget (src/budget/waiting.ts): every check counts toward a bound on the whole
  // task (its history stays bounded); the back-off restarts with each wait.
  let budgetChecks = 0;
  let check = 0;
  const WAIT_LOG_EVERY = 20;
  /** Sleeps until the ledger may say yes: an open breaker, or system windows that are full. */
  const waitForBudget = async (wait: BudgetWait, pollSeconds: number) => {
    budgetChecks += 1;
    check += 1;
    // Date.now() here is workflow time, recorded in history: deterministic on replay.
    const now = Date.now();
    const { type, message, scope, position, waiting, retryAtMs } = wait;
    state.budgetWait = { type, reason: message, scope, position, waiting, retryAtMs, sinceMs: state.budgetWait?.sinceMs ?? now, checks: check };
    if (budgetChecks > MAX_BUDGET_WAITS) {
      throw new BudgetStop(`gave up waiting for budget after ${MAX_BUDGET_WAITS} checks (${Math.round((now - state.budgetWait.sinceMs) / 60_000)} min this wait): ${message}`);
    }
    // One log line when a wait starts, then one every WAIT_LOG_EVERY checks (minutes apart once
    // backed off); the denial itself is a benign activity failure the SDK logs at debug only.
    if (check === 1 || check % WAIT_LOG_EVERY === 0) log.info('task waiting for budget', { taskId, type, scope, check, message });
    // The status is a search attribute (an event in history each time): set it when it changes.
    if (state.status === 'waiting_budget') showDetails(describeWait(wait, check));
    else publish('waiting_budget', describeWait(wait, check));
    guardHistory();
    await sleep(nextCheckMs(check, pollSeconds, retryAtMs, now));
    // Waiting is not running: the sweeper does not count it (it skips a waiting task meanwhile).
    state.runClock!.excludedMs += Date.now() - now;
  };
  /** The ledger said yes again: the next wait starts its back-off afresh. */
  const budgetAdmitted = () => {
    check = 0;
    state.budgetWait = undefined;
  };

  /** The task's spend so far, handed to each activity so the ledger can hold its limits. */
  const spent = () => ({ usd: state.costUsd, tokens: state.tokens });

  setHandler(stateQuery, () => state);
  /** A signal's input, or undefined (with a warning) when malformed: see StaleNoticeSchema. */
  const signalInput = <T>(name: string, schema: z.ZodType<T>, raw: unknown): T | undefined => {
    const result = schema.safeParse(raw);
    if (result.success) return result.data;
    log.warn(`${name} signal ignored: malformed`, { taskId, issues: describeIssues(result.error) });
    return undefined;
  };
  /** Set by the sweeper's cancel policy (its flag says a cancel follows): the cancel is the sweeper's. */
  let cancelledAsStale: string | undefined;
  setHandler(flagStaleSignal, (raw) => {
    const notice = signalInput('flagStale', StaleNoticeSchema, raw);
    if (!notice) return;
    const { reason } = notice;
    if (notice.cancelling) cancelledAsStale = reason;
    state.stale = reason;
    upsertSearchAttributes([{ key: TaskStale, value: true }]);
    recordStaleNotice('flag', state.specialist);
    log.warn('task flagged stale', { taskId, reason });
  });
  /** The run checking for budget after a wait (CHECK_KEEPS_WAITING_PATCH), by its check number. */
  let checking: { check: number; specialist: string } | undefined;
  setHandler(requeueSignal, (raw) => {
    const notice = signalInput('requeue', StaleNoticeSchema, raw);
    if (!notice) return;
    // Waiting for budget, no run asking: nothing is stuck, and the wait keeps the run's progress.
    if (state.status === 'waiting_budget' && !checking && patched(REQUEUE_SPARES_WAIT_PATCH)) {
      log.warn('requeue ignored: the task waits for budget, no run to restart', { taskId, reason: notice.reason });
      showDetails(`requeue ignored (${notice.reason}): the task waits for budget, no run to restart${state.budgetWait ? `; ${state.budgetWait.reason}` : ''}`);
      return;
    }
    if (state.status === 'waiting_provider' && patched(REQUEUE_SPARES_PROVIDER_WAIT_PATCH)) {
      log.warn('requeue ignored: the task waits for the provider, no run to restart', { taskId, reason: notice.reason });
      showDetails(`requeue ignored (${notice.reason}): the task waits for the provider, no run to restart${state.providerWait ? `; ${state.providerWait.reason}` : ''}`);
      return;
    }
    state.stale = notice.reason;
    // Judged from the requeue from now on; while the abandoned run stops, not judged at all.
    restartRunClock();
    const stopping = runScope !== undefined && ['running', 'compressing', 'waiting_budget', 'waiting_provider'].includes(state.status);
    if (stopping) {
      state.status = 'requeuing';
      showDetails(`requeued: ${notice.reason}; the new run starts once the abandoned one has stopped`);
    }
    upsertSearchAttributes([{ key: TaskStale, value: true }, { key: TaskActiveSince, value: activeSince() }, ...(stopping ? [{ key: TaskStatus, value: 'requeuing' }] : [])]);
    recordStaleNotice('requeue', state.specialist);
    requeue = notice;
    runScope?.cancel();
  });
  let checkRuns = 0;
  setHandler(budgetAdmittedSignal, (raw) => {
    const admission = signalInput('budgetAdmitted', BudgetAdmissionSchema, raw);
    if (!admission) return;
    const { check } = admission;
    // A late signal (its run has ended, or another check is under way) changes nothing.
    if (checking?.check !== check || state.status !== 'waiting_budget') return;
    budgetAdmitted();
    publish('running', `${checking.specialist} from iteration ${state.iteration}, let through by the budget`);
    checking = undefined;
  });
  warnOfUnknownSignals('agentTask', [flagStaleSignal, requeueSignal, budgetAdmittedSignal]);

  // Started with more than the task (the Temporal CLI given --input twice): the others were dropped
  // without a word before; the task is rejected saying so, and nothing runs.
  if (extraArgs > 0 && patched(ONE_ARGUMENT_PATCH)) return finish('rejected', [`input: a task is one argument (the task object), got ${1 + extraArgs}: give --input once`]);
  let parsed: { success: true; data: Task } | ReturnType<typeof TaskInputSchema.safeParse> = TaskInputSchema.safeParse(input);
  if (!parsed.success) {
    // A task that fails only the bounds on its inputs started before they existed, if its history
    // has no marker for them: it replays as it ran.
    const unbounded = UnboundedTaskInputSchema.safeParse(input);
    if (unbounded.success && !patched(INPUT_BOUNDS_PATCH)) parsed = unbounded;
  }
  if (!parsed.success) return finish('rejected', describeIssues(parsed.error).map((r) => `input ${r}`));
  const task = parsed.data;
  const retryOrder = retryOrderIssues(task.retry);
  if (retryOrder.length > 0 && patched(RETRY_ORDER_PATCH)) return finish('rejected', retryOrder.map((r) => `input ${r}`));

  /**
   * Ends the task dead-lettered, with the reason, once its history passes the task's guard: long
   * before Temporal's limits (50,000 events, 50 MB) would terminate it with no terminal state.
   * Checked wherever history grows: before each specialist activity and each wait for budget.
   */
  const guardHistory = () => {
    const { historyLength, historySize } = workflowInfo();
    const { maxEvents, maxBytes } = task.historyGuard;
    if (historyLength < maxEvents && historySize < maxBytes) return;
    if (!patched(HISTORY_GUARD_PATCH)) return;
    throw new DeadLetter(`history guard: the task's history reached ${historyLength} events, ${historySize} bytes (guard: ${maxEvents} events, ${maxBytes} bytes) before it finished`);
  };
  state.lineage = lineageOf(taskId, task.lineage);
  const acts = proxies(task);

  /** How many of state.failures have been looked at for lessons. */
  let lessonsTaught = 0;
  /**
   * Writes the lessons of the failures since the last call: at a reassignment (the failed
   * specialist's) and at a dead letter (the last one's). A lesson that cannot be written is
   * logged; it never stops the next specialist or the task's end.
   */
  const teachLessons = async () => {
    // A specialist missing from the roster tried no approach: no lesson in it (histories from
    // before MISSING_SPECIALIST_PATCH recorded one, and replay so). Nor did one whose provider was
    // down (waitedMs: the task waited it out).
    const pending = state.failures
      .slice(lessonsTaught)
      .filter((f) => f.specialist && LESSON_ACTIVITIES.includes(f.activity) && f.waitedMs === undefined && !(f.type === 'unknown_specialist' && patched(MISSING_SPECIALIST_PATCH)));
    lessonsTaught = state.failures.length;
    if (pending.length === 0 || !patched(LESSONS_PATCH)) return;
    for (const f of pending) {
      try {
        await acts.recordLesson({ taskId, specialist: f.specialist!, objective: task.objective, failure: { activity: f.activity, type: f.type, message: f.message } });
      } catch (err) {
        if (isCancellation(err)) throw err;
        log.warn('lesson not recorded', { taskId, specialist: f.specialist, failure: f.type, error: String(err) });
      }
    }
  };

  /** Whether the run under way may be handed to another candidate if it fails (runWithReassignment). */
  let canHandOn = false;
  /**
   * A run that failed through its retries on a provider outage, no candidate left to take the
   * task and none of its progress kept (src/tasks/provider-wait.ts): while the task's
   * providerWaitSeconds last, instead of the dead letter, the failure is kept in `failures` (no
   * lesson: the specialist did nothing wrong), its spend in the totals, and the task sleeps,
   * showing waiting_provider; true when the same run should go on from its checkpoint. The sleep
   * is in the run's scope: a cancel or a requeue ends it at once.
   */
  const waitedOutOutage = async (err: unknown, specialist: string): Promise<boolean> => {
    if (canHandOn) return false;
    const failure = describeFailure(err, 'runSpecialist', specialist);
    if (!isOutageType(failure.type) || !retriesExhausted(failure)) return false;
    const waits = state.providerWait?.waits ?? 0;
    const waitMs = nextProviderWaitMs(waits, state.providerWait?.waitedMs ?? 0, task.providerWaitSeconds * 1000);
    if (waitMs === undefined || !patched(PROVIDER_WAIT_PATCH)) return false;
    state.failures.push({ ...failure, waitedMs: waitMs });
    state.costUsd += failure.runCostUsd ?? 0;
    state.tokens += failure.runTokens ?? 0;
    // Date.now() here is workflow time, recorded in history: deterministic on replay.
    const now = Date.now();
    const reason = describeProviderWait(specialist, failure, waitMs, waits + 1);
    state.providerWait = { waits: waits + 1, waitedMs: (state.providerWait?.waitedMs ?? 0) + waitMs, reason, sinceMs: state.providerWait?.sinceMs ?? now, retryAtMs: now + waitMs };
    log.warn('task waiting for the provider', { taskId, specialist, failure: failure.type, waitMs, wait: waits + 1 });
    publish('waiting_provider', reason);
    guardHistory();
    await sleep(waitMs);
    // Waiting is not running: the sweeper does not count it.
    state.runClock!.excludedMs += Date.now() - now;
    return true;
  };

  /** Lessons memory showed this task's specialists: a success marks them helped (storeMemory). */
  const lessonsShown = new Set<string>();
  /** The route's memory lines for its pick, until the first run takes them (recallBeforeRun). */
  let routeRecall: Pick<RouteDecision, 'warnings' | 'recalledFor' | 'lessonIds'> | undefined;

  /** A specialist's run that reached the task's iteration limit without finishing, as a failure. */
  const iterationLimit = (specialist: string): FailureRecord => ({ activity: 'runSpecialist', specialist, type: 'iteration_limit', message: `no result within ${task.maxIterations} iterations`, retryState: 'NON_RETRYABLE_FAILURE' });

  /** The outcome's facts for its memory record (task history reads them): workflow time, so replay-safe. */
  const outcomeFacts = () => ({
    // The task's kind as the routing policy decided it (God's pick, or the route's policy), if any.
    kind: routed.learn?.kind ?? task.routing?.kind,
    routeMethod: state.route?.method,
    // Memory keeps the version as text ("v3"), as its records always have.
    policyVersion: state.route?.policyVersion !== undefined ? `v${state.route.policyVersion}` : undefined,
    iterations: state.iteration,
    tokens: state.tokens,
    durationMs: elapsedMs(),
    // The record's time, even when the backfill writes it later.
    endedAt: new Date().toISOString(),
  });

  /** Runs a call that may be told to wait for budget (route, compress): waits, never fails on it. */
  const pastBreaker = async <T>(call: () => Promise<T>): Promise<T> => {
    for (;;) {
      try {
        const result = await call();
        budgetAdmitted();
        return result;
      } catch (err) {
        const wait = budgetWaitOf(err);
        if (!wait) throw err;
        await waitForBudget(wait, task.breakerPollSeconds);
      }
    }
  };
  state.priority = task.priority;
  publish('validating', task.objective.slice(0, 120));

  /** One specialist's run to its end, compressing its context as it grows. */
  const runToEnd = async (specialist: string, warnings: string[]): Promise<RunSpecialistResult> => {
    let summary: RunSpecialistInput['summary'];
    let history: ChatMessage[] = [];
    state.iteration = 0;
    /** The ledger said "not now" to the last run: the next one asks again as a check. */
    let afterWait = false;
    for (;;) {
      activity = 'runSpecialist';
      guardHistory();
      checking = afterWait && patched(CHECK_KEEPS_WAITING_PATCH) ? { check: ++checkRuns, specialist } : undefined;
      if (checking) showDetails(`asking for budget again: ${specialist} from iteration ${state.iteration}`);
      else publish('running', `${specialist} from iteration ${state.iteration}`);
      const startedAt = state.iteration;
      let run: RunSpecialistResult;
      try {
        run = await (waitForCancel ? acts.abandonable.runSpecialist : acts.runSpecialist)({
          taskId,
          specialist,
          task,
          warnings,
          summary,
          history,
          iteration: startedAt,
          spent: spent(),
          ...(checking && { announceAdmission: checking.check }),
          // No candidate left: a spent window of its specialist's own pauses the run (the activity
          // answers 'paused', waited out as full system windows are). No patch: only the input
          // changes, which replay does not compare, and a history from before holds the failure.
          ...(!canHandOn && { waitForAgentWindow: true }),
        });
      } catch (err) {
        // Its retries used up while it still advanced (a storm of provider errors between good
        // answers): the same specialist goes on from where it got to, in a new activity, rather
        // than the task being handed on and starting over. Each such resume needs progress, so
        // there are fewer than maxIterations of them.
        const progress = progressOf(err, startedAt);
        if (!progress && (await waitedOutOutage(err, specialist))) continue;
        if (!progress || !patched(RESUME_AFTER_PROGRESS_PATCH)) throw err;
        state.failures.push({ ...describeFailure(err, 'runSpecialist', specialist), resumedFrom: progress.iteration });
        state.costUsd += progress.usd;
        state.tokens += progress.tokens;
        state.promptTokens.push(...progress.promptTokens);
        state.iteration = progress.iteration;
        history = progress.history;
        log.warn('specialist run resumed after its retries: it had advanced', { taskId, specialist, from: startedAt, to: progress.iteration });
        continue;
      } finally {
        // The check is over however the run ended: a signal from it that comes later changes nothing.
        checking = undefined;
      }
      state.iteration = run.iteration;
      state.costUsd += run.costUsd;
      state.tokens += run.tokens;
      state.promptTokens.push(...run.promptTokens);
      if (run.outcome === 'paused') {
        history = run.history;
        await waitForBudget(run.wait ?? { type: 'breaker_open', message: 'circuit breaker open', retryAtMs: run.retryAtMs }, task.breakerPollSeconds);
        afterWait = true;
        continue;
      }
      budgetAdmitted();
      afterWait = false;
      if (run.outcome !== 'needs_compression') return run;

      activity = 'compressContext';
      publish('compressing', `${specialist} history at iteration ${state.iteration}`);
      const compress = waitForCancel ? acts.abandonable.compressContext : acts.compressContext;
      const compressed = await pastBreaker(() => compress({ taskId, specialist, task, warnings, summary, history: run.history, spent: spent() }));
      summary = compressed.summary;
      history = [];
      state.costUsd += compressed.costUsd;
      state.tokens += compressed.tokens;
      const { promptTokensBefore, promptTokensAfter, pinnedFacts, pinnedKept } = compressed;
      state.compressions.push({ atIteration: state.iteration, promptTokensBefore, promptTokensAfter, pinnedFacts, pinnedKept });
    }
  };

  /**
   * The memory lines for the specialist about to run (RECALL_BEFORE_RUN_PATCH). If memory cannot
   * answer, the run goes ahead with `fallback` (the route's lines and this task's failures so far).
   */
  const recallBeforeRun = async (specialist: string, fallback: string[]): Promise<string[]> => {
    if (!patched(RECALL_BEFORE_RUN_PATCH)) return fallback;
    // The route recalled for its own pick: the first run starts from those lines (results from
    // before carry no `recalledFor`; the patch covers older workflow code that got one anyway).
    const routed = routeRecall;
    routeRecall = undefined;
    if (routed?.recalledFor === specialist && state.failures.length === 0 && patched(ROUTE_RECALL_PATCH)) {
      for (const id of routed.lessonIds ?? []) lessonsShown.add(id);
      return routed.warnings;
    }
    const attempts = state.failures.filter((f) => f.type !== 'unknown_specialist').map(({ specialist: s, activity: a, type, message }) => ({ specialist: s, activity: a, type, message }));
    try {
      const recalled = await acts.recallForRun({ taskId, task, specialist, attempts });
      for (const id of recalled.lessonIds ?? []) lessonsShown.add(id);
      return recalled.warnings;
    } catch (err) {
      if (isCancellation(err)) throw err;
      log.warn('memory not recalled before the run; going ahead with the route\'s warnings', { taskId, specialist, error: String(err) });
      return fallback;
    }
  };

  /**
   * Runs the routed specialist; when it fails after all its retries, hands the task to the next
   * candidate with an account of what failed. A requeue by the sweeper restarts the current run.
   */
  const runWithReassignment = async (route: RouteDecision): Promise<{ specialist: string; run: RunSpecialistResult }> => {
    routeRecall = route;
    const queue = route.candidates.filter((c) => c !== route.specialist);
    let specialist = route.specialist;
    let warnings = route.warnings;
    let reassignments = 0;
    waitForCancel = patched(REQUEUE_WAIT_PATCH);
    /** The next candidate takes the task after `failure`: its lesson written, and (`warn`) the next one told of it. */
    const handOn = async (next: string, failure: FailureRecord, warn = true) => {
      reassignments += 1;
      log.warn('task reassigned', { taskId, from: specialist, to: next, failure: failure.type });
      await teachLessons();
      if (warn) warnings = [...warnings, failureWarning(failure)];
      specialist = next;
    };
    for (;;) {
      state.specialist = specialist;
      restartRunClock();
      if (state.specialistsTried.at(-1) !== specialist) state.specialistsTried.push(specialist);
      try {
        canHandOn = queue.length > 0 && reassignments < task.maxReassignments;
        runScope = new CancellationScope();
        const run = await runScope.run(async () => runToEnd(specialist, await recallBeforeRun(specialist, warnings)));
        // A specialist that never finished (its iteration limit) failed the task as much as one
        // whose calls failed: the next candidate takes it, within maxReassignments (the task's
        // budget bounds what that costs). Before, the task was dead-lettered on the first such run.
        if (run.outcome === 'iteration_limit' && queue.length > 0 && reassignments < task.maxReassignments && patched(ITERATION_LIMIT_REASSIGNS_PATCH)) {
          const failure = iterationLimit(specialist);
          state.failures.push(failure);
          await handOn(queue.shift()!, failure);
          continue;
        }
        return { specialist, run };
      } catch (err) {
        if (err instanceof BudgetStop || err instanceof DeadLetter) throw err;
        const stopped = isCancellation(err) || (stoppedWhileCancelling(err) && patched(STOPPED_WHILE_CANCELLING_PATCH));
        // What the abandoned run spent before it stopped: the task's running total must hold it
        // (its in-flight call is charged at its worst case by the ledger, and the bill says so).
        const spend = stopped ? abandonedRunSpend(err) : undefined;
        if (spend) {
          state.costUsd += spend.usd;
          state.tokens += spend.tokens;
        }
        if (stopped && requeue && !CancellationScope.current().consideredCancelled) {
          state.requeues += 1;
          log.warn('task requeued', { taskId, requeues: state.requeues, reason: requeue.reason });
          if (state.requeues > task.maxRequeues) {
            // Cancelled as poison: its iterations count the stopped run's, as a cancel's do.
            if (spend?.iterations !== undefined && spend.iterations > state.iteration && patched(GIVE_UP_COUNTS_RUN_PATCH)) state.iteration = spend.iterations;
            throw new GiveUp(`stale: requeued ${task.maxRequeues} time${task.maxRequeues === 1 ? '' : 's'} without finishing (${requeue.reason})`);
          }
          requeue = undefined;
          continue;
        }
        // The task ends cancelled here: its iterations count the stopped run's, as its cost does.
        if (spend?.iterations !== undefined && spend.iterations > state.iteration && patched(CANCEL_COUNTS_RUN_PATCH)) state.iteration = spend.iterations;
        if (isCancellation(err)) throw err;
        // The task's own cancel, which the run's failure outran: the task ends cancelled.
        if (stopped) throw new CancelledFailure('the run stopped on the task\'s cancel request', [], err as Error);
        const failure = describeFailure(err, activity, specialist);
        state.failures.push(failure);
        // A failed run still spent money and did work: the totals must say so.
        state.costUsd += failure.runCostUsd ?? 0;
        state.tokens += failure.runTokens ?? 0;
        state.iteration = failure.runIterations ?? state.iteration;
        if (failure.type === 'budget_exceeded') throw new BudgetStop(failure.message);
        // A specialist whose own budget window is spent is as good as failed: send the work elsewhere.
        const missing = failure.type === 'unknown_specialist';
        const reassignable = retriesExhausted(failure) || failure.type === 'agent_budget_exhausted' || (missing && patched(MISSING_SPECIALIST_PATCH));
        if (!reassignable) throw new DeadLetter(`${failure.activity} failed: ${failureText(failure)}`);
        const next = queue.shift();
        if (!next || reassignments >= task.maxReassignments) {
          // "After their retries" only when the last one's were used up (a budget denial makes none).
          throw new DeadLetter(`${state.specialistsTried.join(', ')} failed${retriesExhausted(failure) ? ' after their retries' : ''}; last: ${failureText(failure)}`);
        }
        // A specialist that does not exist tried no approach: nothing for the next one to avoid.
        await handOn(next, failure, !missing);
      }
    }
  };

  /**
   * The store stayed down through storeMemory's retries: the task ends as its work decided, its
   * record kept in its outcome (memoryPending) and marked by PantheonMemoryPending for
   * backfillMemory, and an operator alerted. A failed alert never hides the end either.
   */
  const deferMemory = async (input: StoreMemoryInput, err: unknown) => {
    const error = String((err as Error)?.cause ?? err).slice(0, 500);
    state.memoryPending = { input, error, failedAtMs: Date.now() };
    upsertSearchAttributes([{ key: TaskMemoryPending, value: true }]);
    log.error('memory record deferred: the store failed through its retries', { taskId, error });
    try {
      await acts.raiseAlert({
        id: `${taskId}:memory_pending`,
        kind: 'memory_pending',
        message: `task ${taskId} ended without its memory record (kept for backfill): ${error}`,
        details: { taskId, success: input.success, specialist: input.specialist },
      });
    } catch (alertErr) {
      log.error('memory-pending alert failed', { taskId, error: String(alertErr) });
    }
  };

  /** Writes the task's record (and with `closeBill`, closes its bill after it); when the store
   * fails through the retries, defers it (MEMORY_PENDING_PATCH). */
  const rememberOrDefer = async (input: StoreMemoryInput, closeBill = false) => {
    try {
      const stored = await acts.storeMemory(closeBill ? { ...input, closeBill } : input);
      state.memoryId = stored.id;
      if (stored.bill) takeBill(stored.bill);
    } catch (err) {
      if (isCancellation(err) || !patched(MEMORY_PENDING_PATCH)) throw err;
      await deferMemory(input, err);
    }
  };

  /** Writes a failed task to memory, so the next similar task is warned; never masks the end. */
  const rememberFailure = async (result: string, lessons: string[]) => {
    try {
      await rememberOrDefer({
        taskId,
        specialist: state.specialist ?? 'none',
        task,
        approach: `tried ${state.specialistsTried.join(', ') || 'no specialist'}`,
        result,
        success: false,
        costUsd: state.costUsd,
        lessons,
        ...outcomeFacts(),
        failureType: state.failures.at(-1)?.type,
      }, patched(FAILURE_BILL_WITH_RECORD_PATCH));
    } catch (err) {
      log.error('failure record not stored', { taskId, error: String(err) });
    }
  };

  /**
   * The ledger's bill for the task, asked once every activity is over: it holds what the task's
   * own books can miss (a call re-paid after a killed worker, calls that died in flight and
   * were charged at their worst case). The task reports the larger of the two, so its cost, the
   * ledger's spend and the provider's bill agree. A ledger that cannot answer never blocks the end.
   */
  const closeBill = async () => {
    // Closed with the task's record already (BILL_WITH_RECORD_PATCH): no activity, no marker.
    if (state.bill || !patched(TASK_BILL_PATCH)) return;
    try {
      takeBill(await acts.closeTaskBill({ taskId }));
    } catch (err) {
      log.warn('task bill not closed; its own totals stand', { taskId, error: String(err) });
    }
  };

  /** The task reports the larger of its own books and the ledger's bill. */
  const takeBill = (bill: NonNullable<TaskState['bill']>) => {
    state.bill = bill;
    state.costUsd = Math.max(state.costUsd, bill.usd);
    state.tokens = Math.max(state.tokens, bill.tokens);
  };

  /** Ends a task that may have spent money: its bill first, then its terminal state. */
  const end = async (status: TerminalStatus, reasons: string[]): Promise<TaskOutcome> => {
    await closeBill();
    return finish(status, reasons);
  };

  /** Ends a task stopped by its own budget. The ledger has already alerted on the trip. Its
   * reason leads with the spend the outcome reports (the bill), then the one the denial saw. */
  const budgetStop = async (reason: string): Promise<TaskOutcome> => {
    publish('storing', 'recording the budget stop');
    await rememberFailure(`stopped at its budget: ${reason}`, ['the task exceeded its per-task budget; split it into smaller tasks']);
    await closeBill();
    return finish('budget_exceeded', [restateSpent(reason, { usd: state.costUsd, tokens: state.tokens })]);
  };

  /** Ends a task whose retries and reassignments are spent: memory, an alert, the reason. */
  const deadLetter = async (reason: string): Promise<TaskOutcome> => {
    publish('storing', 'recording the failure');
    recordDeadLetter(state.specialist, state.failures.at(-1)?.type);
    await teachLessons();
    await rememberFailure(reason, state.failures.map(failureLesson));
    try {
      await acts.raiseAlert({
        id: `${taskId}:dead_letter`,
        kind: 'dead_letter',
        message: `task ${taskId} dead-lettered: ${reason}`,
        details: { taskId, specialists: state.specialistsTried, costUsd: state.costUsd, failures: state.failures.length },
      });
    } catch (err) {
      // The task is dead-lettered either way; a failed alert must not hide that.
      log.error('dead-letter alert failed', { taskId, error: String(err) });
    }
    return end('dead_lettered', [reason]);
  };

  try {
    // God's assessment already rejected it (its reasons travel in the input): not asked again.
    if (task.rejected) return finish('rejected', task.rejected);
    const verdict = await acts.validateTask({ taskId, task, spent: spent() });
    // The second stage's call is the task's spend like any other: its books (and so the per-task
    // limit every later call is held to) start from it. Books only: no command, no patch.
    state.costUsd += verdict.costUsd ?? 0;
    state.tokens += verdict.tokens ?? 0;
    if (!verdict.ok) return (verdict.costUsd ?? 0) > 0 && patched(REJECTED_BILL_PATCH) ? end('rejected', verdict.reasons) : finish('rejected', verdict.reasons);

    activity = 'routeTask';
    publish('routing', 'choosing a specialist');
    const route = await pastBreaker(() => acts.routeTask({ taskId, task, spent: spent() }));
    state.route = { method: route.method, confidence: route.confidence, reason: route.reason, ...(route.policyVersion !== undefined && { policyVersion: route.policyVersion }), ...(route.policyMode && { policyMode: route.policyMode }) };
    // Decisions recorded before routing was versioned carry no version, and replay without it.
    if (route.policyVersion !== undefined && !patches.folded && patched(POLICY_VERSION_PATCH)) upsertSearchAttributes([{ key: TaskPolicyVersion, value: route.policyVersion }]);
    state.costUsd += route.costUsd;
    state.tokens += route.tokens;
    routed.learn = route.learn;

    const { specialist, run } = await runWithReassignment(route);
    const done = run.outcome === 'done';
    state.result = run.result;
    if (!done) {
      state.failures.push(iterationLimit(specialist));
      return await deadLetter(`iteration_limit: ${specialist} did not finish within ${task.maxIterations} iterations`);
    }
    activity = 'storeMemory';
    publish('storing', 'writing the outcome to memory');
    await rememberOrDefer(
      { taskId, specialist, task, approach: run.lastNote, result: run.result ?? '', success: true, costUsd: state.costUsd, lessons: [], ...outcomeFacts(), ...(lessonsShown.size && { lessonsShown: [...lessonsShown] }) },
      patched(BILL_WITH_RECORD_PATCH),
    );
    const reassigned = state.specialistsTried.length > 1 ? ` after reassignment from ${state.specialistsTried.slice(0, -1).join(', ')}` : '';
    return end('completed', [`${specialist} finished in ${state.iteration} iterations${reassigned}`]);
  } catch (err) {
    if (err instanceof GiveUp) return CancellationScope.nonCancellable(() => end('cancelled', [err.message]));
    if (isCancellation(err)) {
      // A cancel the sweeper sent is its verdict; any other is an operator's, flagged stale or not
      // (God counts that as no run of its specialist: src/god/stats.ts cancelledByOperator).
      const reason = cancelledAsStale ? `cancelled as stale: ${cancelledAsStale}` : state.stale ? `cancelled by request (it was flagged stale: ${state.stale})` : 'cancelled by request';
      return CancellationScope.nonCancellable(() => end('cancelled', [reason]));
    }
    if (err instanceof DeadLetter) return CancellationScope.nonCancellable(() => deadLetter(err.message));
    if (err instanceof BudgetStop) return CancellationScope.nonCancellable(() => budgetStop(err.message));
    const failure: FailureRecord = describeFailure(err, activity, state.specialist);
    state.failures.push(failure);
    if (failure.type === 'budget_exceeded') return CancellationScope.nonCancellable(() => budgetStop(failure.message));
    return CancellationScope.nonCancellable(() => deadLetter(`${failure.activity} failed: ${failureText(failure)}`));
  }
}
