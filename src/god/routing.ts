import { GENERAL_KIND, kindOfSpecialist } from '../routing/kinds';
import { observe } from '../routing/policy/book';
import { DEFAULT_DECAY, FAILING_BELOW_SUCCESS, observeArm, recordCounting, RECORD_MIN_RUNS, type ChangeRules } from '../routing/policy/arm-stats';
import { armStats, recordedArms } from '../routing/policy/choose';
import type { PolicyAuditEntry, PolicyBook } from '../routing/policy/types';
import { policyArms, rememberedArms, routeWithPolicy, taskWords } from '../routing/route-with-policy';
import type { Task, TaskRouting } from '../tasks/task-input';
import type { RoutingHistoryView, RoutingPolicyView } from '../workflows/god-api';
import { usd } from './pacing';
import { NEUTRAL_VALUE, PRIORITY_WEIGHT } from './prioritise';
import { expectationOf } from './stats';
import type { Assessment, Decision, GodConfig, GodState, InFlightTask, QueuedTask, TaskFinished } from './types';

/**
 * God's side of the routing policy, pure: which decisions the policy makes, what a finished task
 * teaches it, and the views its queries answer. src/workflows/god.ts wires these to Temporal.
 */

/** What God's histories decided which way (each from its patch on; absent: as before it). */
export interface RouteByPolicyOptions {
  /** The classifier's picks are the policy's too; false keeps histories from before that replaying. Default true. */
  classifierRoutes?: boolean;
  /** Now (workflow time): tasks in flight past their arm's usual duration count against it. Absent: they do not. */
  nowMs?: number;
  /** Keep arms the change detector flagged, still failing, out of exploit picks (choose.ts quarantined). */
  quarantine?: boolean;
  /** Probe quarantined arms and arms on trial now and then, and with every arm quarantined exploit
   * the best on its means (ChooseInput.probe); needs `quarantine`. */
  probes?: boolean;
  /** Sideline good arms on an improbably losing run (ChooseInput.sideline); needs `probes`. */
  sideline?: boolean;
  /** Arms with a record of the kind join, and the fallback is explored where it has none
   * (choose.ts recordedArms, ChooseInput.trial). */
  recordedArmsJoin?: boolean;
  /** Rules below the policy's confidence route as they say unless their pick is failing the kind
   * (src/god/routing.ts failingAt): then the policy chooses, so a failing specialist does not keep
   * the tasks that name one of its keywords in passing. */
  unsureAvoidsFailing?: boolean;
  /** What the experimental lane has left of its day: an explored pick dearer than that could
   * never start there today (submitted tasks would wait on an empty lane while main has room),
   * so the policy's best guess routes it on its own lane instead, once `apply` says so (God asks
   * its patch only when that changes the pick). */
  exploreWithin?: { dayLeftUsd: number; apply: () => boolean };
}

/**
 * The policy's choice for a routed task: a `route` decision (not a chain, a spawn, a spawned
 * specialist taking a fallback, or a specialist the submitter asked for) that the rules made with
 * the policy's confidence, that memory knows, or that the classifier made, so a specialist that
 * starts failing loses the tasks the classifier sends it too. The task's kind: what memory names
 * ("like 7 earlier tasks, 6 of them DatabaseAgent successes") or the rules' top match, else the
 * classifier's pick. The arms: the rule-ranked specialists, the specialists similar past tasks
 * clearly succeeded with, the classifier's pick, the specialists with a record of the kind in the
 * policy (`recordedArmsJoin`), and the fallback once every other arm keeps failing the kind; all
 * still routable. A fallback that is none of these is on trial (`recordedArmsJoin`): explored,
 * never exploited, until it has a record. Returns the advanced book
 * and the decision with the chosen specialist, its expectation, and the experimental lane for an
 * explored pick. With `routing: static` God routes as the rules and classifier say;
 * `classifierRoutes` false keeps histories from before the classifier's routes joined replaying.
 */
export function routeByPolicy(
  state: GodState,
  item: QueuedTask,
  assessment: Assessment,
  decision: Decision,
  config?: Pick<GodConfig, 'routing'>,
  options: RouteByPolicyOptions = {},
): { book?: PolicyBook; decision: Decision; picked?: string } {
  const { classifierRoutes = true, nowMs, quarantine = false, probes = false, sideline = false, recordedArmsJoin = false, unsureAvoidsFailing = false, exploreWithin } = options;
  const book = state.routing;
  if (!book || config?.routing === 'static' || decision.kind !== 'route' || item.task.specialist) return { book, decision };
  const sure = assessment.method === 'rules' && assessment.confidence >= book.active.thresholds.ruleConfidence;
  const known = assessment.routingKind;
  // Rules below the policy's confidence with nothing like it in memory: the rules' own, as before,
  // unless (since the patch that asks for it) their pick is failing the kind.
  if (!sure && known?.source !== 'memory' && (assessment.method === 'rules' || !classifierRoutes)) {
    const pick = decision.specialist;
    const failingPick = unsureAvoidsFailing && pick !== undefined && failingAt(book, known?.kind ?? kindOfSpecialist(pick, assessment.fallbackSpecialist), pick);
    if (!failingPick) return { book, decision };
  }
  if (state.specialists.some((s) => s.name === decision.specialist)) return { book, decision };
  // A spawned specialist is an arm only while live; a retired or trial one never is.
  const notLive = new Set(state.specialists.filter((s) => s.status !== 'live').map((s) => s.name));
  const candidates = [...assessment.ranked, ...(known ? rememberedArms(known.evidence) : []), ...(assessment.method !== 'rules' ? [assessment.specialist] : [])];
  const arms = policyArms(candidates, (n) => !notLive.has(n));
  if (arms.length === 0) return { book, decision };
  // Unsure rules and nothing like it in memory: the classifier's pick names the kind (God's
  // review already took the routes too unsure to run). Assessments from before memory kinds:
  // the top rule match's kind, no evidence.
  const byClassifier = !sure && known?.source !== 'memory' && assessment.method !== 'rules';
  const kind = byClassifier ? kindOfSpecialist(assessment.specialist, assessment.fallbackSpecialist) : known?.kind ?? kindOfSpecialist(arms[0], assessment.kind === GENERAL_KIND ? assessment.specialist : '');
  // When every arm keeps failing this kind, the fallback competes too: a specialist that starts
  // failing must be able to lose its traffic even where no other specialist matched.
  const overdue = nowMs === undefined ? {} : overdueInFlight(state, book, kind, nowMs);
  const fallback = assessment.fallbackSpecialist;
  const evidence = known?.evidence ?? {};
  // Since the quarantine patch memory's similar outcomes count too: an arm with no record of the
  // kind yet that memory shows failing at tasks like this one lets the fallback compete.
  const failing = (a: string) => failingAt(book, kind, a, overdue[a], quarantine ? evidence[a] : undefined);
  const estimates = assessment.armEstimatesUsd ?? {};
  // Specialists with a record of the kind stand beside the named ones (a priced arm is one the
  // worker's roster held when it assessed the task: still routable).
  if (recordedArmsJoin) for (const arm of recordedArms(book.active, kind)) if (!arms.includes(arm) && arm in estimates && !notLive.has(arm)) arms.push(arm);
  if (fallback && !arms.includes(fallback) && !notLive.has(fallback) && arms.every(failing)) arms.push(fallback);
  // The fallback with no record of the kind is explored (never exploited) until it has one.
  const trial = recordedArmsJoin && fallback && !arms.includes(fallback) && !notLive.has(fallback) ? [fallback] : [];
  arms.push(...trial);
  const goalValue = item.goalId ? state.goals.find((g) => g.id === item.goalId)?.value : undefined;
  const value = (PRIORITY_WEIGHT[item.task.priority] ?? PRIORITY_WEIGHT.normal) * ((goalValue ?? NEUTRAL_VALUE) / NEUTRAL_VALUE);
  const costs = Object.fromEntries(arms.map((a) => [a, estimates[a] ?? assessment.estimatedCostUsd]));
  const input = { kind, arms, estimatedCostUsd: costs, value, evidence, ...(Object.keys(overdue).length > 0 && { overdue }), ...(quarantine && { quarantine }), ...(quarantine && probes && { probe: true }), ...(quarantine && probes && sideline && { sideline: true }), ...(trial.length > 0 && { trial }) };
  let { book: next, route } = routeWithPolicy(book, input);
  let e = expectationOf(state.stats, assessment.kind, route.arm, costs[route.arm]);
  let beyondLane = '';
  if (route.experimental && exploreWithin && e.costUsd > exploreWithin.dayLeftUsd + 1e-9 && exploreWithin.apply()) {
    // The draw stays spent (the stream moves on as it did); the best guess is not a draw.
    beyondLane = `; not explored: ${route.arm} at ~${usd(e.costUsd)} needs more than the experimental lane has left today (${usd(exploreWithin.dayLeftUsd)})`;
    ({ book: next, route } = routeWithPolicy(next, input, 'best-guess'));
    e = expectationOf(state.stats, assessment.kind, route.arm, costs[route.arm]);
  }
  const picked = `${route.reason}${beyondLane}${known ? `; ${known.explanation}` : ''}`;
  return {
    book: next,
    picked,
    decision: {
      ...decision,
      specialist: route.arm,
      reason: `${decision.reason}; ${picked}`,
      expectedCostUsd: e.costUsd,
      expectedSuccess: e.success,
      ...(route.experimental && { lane: 'experimental' as const }),
      policy: { kind, value, decision: route.decision },
    },
  };
}

/**
 * The policy picks again, from the book as it stands now, for every queued task it picked for at
 * assessment (`beforePolicy` holds the decision it picked from). A task can wait in the queue
 * while outcomes arrive; a pick made then would read a record that no longer holds (a specialist
 * two failures into a streak when four have been reported since), so the pick that runs, and the
 * cost and lane admission plans with, are made when the task can start. Every pick draws anew
 * from the book's stream; only a task's last pick runs, so its explore chance stays one draw's.
 * `only`: just these tasks (God passes those admission ranks first); `probes`, `sideline`, `exploreWithin`: as routeByPolicy's.
 * Returns the advanced book, the queue with the fresh decisions, and per task what the pick says.
 */
export function pickAgain(
  state: GodState,
  config: Pick<GodConfig, 'routing'> | undefined,
  nowMs: number,
  only?: ReadonlySet<string>,
  probes = false,
  sideline = false,
  exploreWithin?: RouteByPolicyOptions['exploreWithin'],
): { book?: PolicyBook; queue: QueuedTask[]; picked: Record<string, string> } {
  let book = state.routing;
  const picked: Record<string, string> = {};
  if (!book) return { book, queue: state.queue, picked };
  const queue = state.queue.map((item) => {
    if (item.status !== 'queued' || !item.beforePolicy || !item.assessment || (only && !only.has(item.taskId))) return item;
    // Histories that store `beforePolicy` run every routing patch before it: all of them apply.
    const routed = routeByPolicy({ ...state, routing: book }, item, item.assessment, item.beforePolicy, config, { nowMs, quarantine: true, probes, sideline, recordedArmsJoin: true, ...(exploreWithin && { exploreWithin }) });
    book = routed.book;
    if (routed.picked) picked[item.taskId] = routed.picked;
    return { ...item, decision: routed.decision };
  });
  return { book, queue, picked };
}

/** How God's `admitted` record introduces the policy's pick made when the task could start (pickAgain);
 * bench:routing reads the pick after it. */
export const PICKED_AT_START = 'picked at start: ';

/** An arm's record for the kind says it fails more than it should: enough runs, success mean below the bar. */
export const FALLBACK_JOINS = { minRuns: RECORD_MIN_RUNS, belowSuccess: FAILING_BELOW_SUCCESS } as const;

/**
 * An arm's record for the kind (its overdue runs counted as failures, and similar past outcomes
 * from memory when given, unless the arm has changed since: choose.ts ignores them then too)
 * says it fails more than it should.
 */
function failingAt(book: PolicyBook, kind: string, arm: string, overdue = 0, remembered?: { successes: number; failures: number }): boolean {
  const { n, successMean } = recordCounting(armStats(book.active, kind, arm), overdue, remembered);
  return n >= FALLBACK_JOINS.minRuns && successMean < FALLBACK_JOINS.belowSuccess;
}

/** A run this many times the arm's mean duration for the kind is overdue (a healthy arm's runs vary, under load by ~2×). */
export const OVERDUE_FACTOR = 2.5;

/**
 * Per arm: its tasks of `kind` in flight for longer than OVERDUE_FACTOR × its mean duration there
 * (once it has FALLBACK_JOINS.minRuns runs to know it by). A specialist that starts failing by
 * looping to its iteration limit reports each failure only at the end; its overdue runs speak
 * for it meanwhile, and stop counting when they report.
 */
export function overdueInFlight(state: GodState, book: PolicyBook, kind: string, nowMs: number): Record<string, number> {
  const overdue: Record<string, number> = {};
  for (const t of state.inFlight) {
    if (t.policy?.kind !== kind) continue;
    const s = armStats(book.active, kind, t.specialist);
    if (s.n < FALLBACK_JOINS.minRuns || nowMs - t.startedAtMs <= OVERDUE_FACTOR * s.durationMeanMs) continue;
    overdue[t.specialist] = (overdue[t.specialist] ?? 0) + 1;
  }
  return overdue;
}

/** What the task is told of the decision (task input `routing`). */
export function routingOf(decision: Decision): TaskRouting | undefined {
  const d = decision.policy?.decision;
  if (!d) return undefined;
  return { policyVersion: d.choice.policyVersion, mode: d.choice.mode, by: d.by, ...(d.choice.probability !== undefined && { probability: d.choice.probability }), kind: decision.policy!.kind };
}

/**
 * How God chose the specialist it starts a task with, for the task's route (`task.pick`): its
 * assessment's method (rules, the classifier, or the fallback when neither found anyone) and
 * confidence, and its decision's reason. `spawned` when God spawned the specialist for the task, or
 * sent it to a specialist it spawned that the assessment did not name (routing fell back and the
 * spawned one serves the kind): the rules never picked it, and said so ("rules, confidence 0.40")
 * for a task they had been unsure of. `spawnedNames`: the specialists God spawned. Undefined for an
 * assessment from before methods were kept.
 */
export function pickOf(
  decision: Pick<Decision, 'reason' | 'kind' | 'specialist'>,
  assessment: Pick<Assessment, 'method' | 'confidence' | 'specialist'> | undefined,
  spawnedNames: readonly string[] = [],
): Task['pick'] {
  if (!assessment) return undefined;
  const bySpawning = decision.kind === 'spawn' || (decision.specialist !== undefined && decision.specialist !== assessment.specialist && spawnedNames.includes(decision.specialist));
  const named = assessment.method === 'requested' || assessment.method === 'rules' || assessment.method === 'classifier' ? assessment.method : 'fallback';
  const method = bySpawning ? 'spawned' : named;
  return { method, confidence: Math.min(1, Math.max(0, assessment.confidence)), reason: decision.reason.slice(0, 500) || 'chosen by God' };
}

/** The in-flight record's part of the choice (the task's words are read off its trimmed objective when it ends). */
export function flightPolicy(decision: Decision): InFlightTask['policy'] {
  return decision.policy;
}

/**
 * A finished task the policy routed, learned from. Refused (never ran) and cancelled tasks say
 * nothing about the specialist and are not counted. Returns the audit entries the outcome caused
 * (a derivation, promotion, discard or automatic rollback). `rules`: how the change detector reads
 * the records (arm-stats.ts ChangeRules).
 */
export function observeFinished(book: PolicyBook, flight: InFlightTask, finished: TaskFinished, nowMs: number, rules: ChangeRules = {}): { book: PolicyBook; events: PolicyAuditEntry[] } {
  const p = flight.policy;
  if (!p || finished.status === 'rejected' || finished.status === 'cancelled') return { book, events: [] };
  const words = taskWords(flight.objective ?? '');
  const success = routedSuccess(p.decision.choice.arm, finished);
  const next = observe(book, { kind: p.kind, decision: p.decision, success, costUsd: finished.costUsd, durationMs: finished.durationMs, value: p.value, words }, nowMs, rules);
  const last = book.audit.at(-1);
  const from = last ? next.audit.lastIndexOf(last) + 1 : 0;
  return { book: next, events: next.audit.slice(from) };
}

/** Whether the routed arm succeeded: a task another specialist finished (after a reassignment) is a failure of the arm that was routed. */
function routedSuccess(arm: string, finished: TaskFinished): boolean {
  return finished.status === 'completed' && (finished.specialist === undefined || finished.specialist === arm || arm.startsWith('chain:'));
}

/**
 * Whether judging failure runs by the record before them (arm-stats.ts ChangeRules recordBeforeRun)
 * flags the routed arm on this outcome where `rules` alone would not, in the active version or the
 * candidate: the one place that rule changes what the policy learns, so God asks its patch here only.
 */
export function flaggedOnlyByRecordBefore(book: PolicyBook, flight: InFlightTask, finished: TaskFinished, rules: ChangeRules = {}): boolean {
  const p = flight.policy;
  if (!p || finished.status === 'rejected' || finished.status === 'cancelled') return false;
  const arm = p.decision.choice.arm;
  if (routedSuccess(arm, finished)) return false;
  const o = { success: false, costUsd: finished.costUsd, durationMs: finished.durationMs };
  return [book.active, book.candidate?.policy].some((policy) => {
    const s = policy?.arms[p.kind]?.[arm];
    return s !== undefined && observeArm(s, o, DEFAULT_DECAY, { ...rules, recordBeforeRun: true }).changed !== observeArm(s, o, DEFAULT_DECAY, rules).changed;
  });
}

export function routingPolicyView(book: PolicyBook, tickSeconds: number): RoutingPolicyView {
  const c = book.candidate;
  return {
    active: book.active,
    ...(c && { candidate: { version: c.policy.version, reason: c.policy.reason, canary: c.canary, control: c.control, shadow: c.shadow, shadowControl: c.shadowControl, startedAtMs: c.startedAtMs, policy: c.policy } }),
    ...(book.probation && { probation: book.probation }),
    sinceRewrite: book.sinceRewrite,
    lastVersion: book.lastVersion,
    tickSeconds,
  };
}

export function routingHistoryView(book: PolicyBook): RoutingHistoryView {
  const strip = ({ arms: _arms, ...rest }: PolicyBook['active'], status: 'active' | 'candidate' | 'earlier') => ({ ...rest, status });
  const versions = [...book.history.map((p) => strip(p, 'earlier')), strip(book.active, 'active'), ...(book.candidate ? [strip(book.candidate.policy, 'candidate')] : [])];
  return { active: book.active.version, versions: versions.sort((a, b) => a.version - b.version), audit: book.audit };
}
