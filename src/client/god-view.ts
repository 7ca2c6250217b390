import type { DecisionRecord, GoalState, SpawnedSpecialist } from '../god/types';
import type { ChainState } from '../tasks/chain';
import type { BudgetSnapshot } from '../budget/snapshot';
import type { GodStatusView, LaneView, QueueItemView, RunwayView } from '../workflows/god-api';
import { bar, formatLimit, formatSpend, span } from './budget-view';
import { assessingAhead, ticksBefore } from './assessment-wait';
import { ASSESS_PER_TICK } from '../god/assess-backoff';

/**
 * `pantheon god …` and `pantheon review …` as text. Pure: views in, lines out, the reader's clock
 * passed in, so the exact text is unit-tested without a server.
 *
 *   runway    day 2025-03-04: $1.2300 spent + $0.4000 reserved of $20.00, $18.37 left
 *   burn rate $0.1200/h: runs out at 2025-03-04T22:40Z (in 12h 25m)
 */

const iso = (ms: number) => new Date(ms).toISOString().replace(/:\d\d\.\d{3}Z$/, 'Z');

/** An instant with its distance from now: `2025-03-04T10:15Z (3m ago)` / `(in 2h 5m)`. */
export function when(ms: number, nowMs: number): string {
  return ms <= nowMs ? `${iso(ms)} (${span(nowMs - ms)} ago)` : `${iso(ms)} (in ${span(ms - nowMs)})`;
}

const pct = (share: number) => `${Math.round(share * 100)}%`;

/** `route → DatabaseAgent`, `chain ResearchAgent → DatabaseAgent`, `review`. */
export function decisionLabel(decision: { kind: string; specialist?: string; plan?: string[] }): string {
  if (decision.plan?.length) return `${decision.kind} ${decision.plan.join(' → ')}`;
  return decision.specialist ? `${decision.kind} → ${decision.specialist}` : decision.kind;
}

/** One lane: its share, a bar of spent (#) and reserved (+) against its budget, what is left. */
export function laneLine(lane: LaneView, labelWidth = 12): string {
  const money = `${formatSpend(lane.spentUsd)} spent + ${formatSpend(lane.reservedUsd)} reserved of ${formatLimit(lane.budgetUsd)}, ${formatSpend(lane.remainingUsd)} left`;
  return `${lane.lane.padEnd(labelWidth)} ${pct(lane.share).padStart(4)}  ${bar(lane.spentUsd, lane.reservedUsd, lane.budgetUsd)}  ${money}`;
}

/**
 * When the rest of the day's budget runs out at the current burn rate: the hour it does, or that it
 * lasts the day.
 */
export function runsOutLine(runway: RunwayView, nowMs: number): string {
  const rate = `${formatSpend(runway.burnRateUsdPerHour)}/h`;
  if (runway.remainingUsd <= 0) return `${rate}: the day's budget is spent`;
  if (runway.runsOutAtMs === undefined) return `${rate}: lasts the day at this rate`;
  return `${rate}: runs out at ${when(runway.runsOutAtMs, nowMs)}`;
}

/** The runway block of `pantheon god status`. */
export function runwayLines(runway: RunwayView | undefined, nowMs: number): string[] {
  if (!runway) return ['runway     not read from the budget ledger yet (God reads it every tick; is the ledger running?)'];
  const lines = [
    `runway     day ${runway.dayKey}, as of ${when(runway.asOfMs, nowMs)}`,
    `  budget     ${formatLimit(runway.budgetUsd)}`,
    `  spent      ${formatSpend(runway.spentUsd)}`,
    `  reserved   ${formatSpend(runway.reservedUsd)}`,
    `  remaining  ${formatSpend(runway.remainingUsd)}`,
    `  paced      ${formatSpend(runway.pacedAllowanceUsd)} may be spent by now`,
    `  burn rate  ${runsOutLine(runway, nowMs)}`,
    `  breaker    ${runway.breakerOpen ? 'OPEN: God admits nothing until it closes (pantheon budget)' : 'closed'}`,
    '  lanes ([#] spent, [+] reserved, [.] free)',
  ];
  const width = Math.max(...runway.lanes.map((l) => l.lane.length));
  for (const lane of runway.lanes) lines.push(`    ${laneLine(lane, width)}`);
  return lines;
}

export interface GodStatusOptions {
  address: string;
  namespace: string;
  nowMs: number;
  /** The budget ledger's snapshot, when it answered: tasks God started may wait on its hour window,
   * which the day's runway does not show. */
  ledger?: BudgetSnapshot;
}

/**
 * Tasks waiting for room in the system windows (the ledger's admission queue), with the fullest
 * system window: God's runway is the day's, so under a tight hourly cap it reads "lasts the day"
 * while every task it started waits for the hour to roll over.
 */
export function budgetWaitLines(ledger: BudgetSnapshot | undefined): string[] {
  const count = ledger?.waiting?.count ?? 0;
  if (!ledger || count === 0) return [];
  const used = (v: { settledUsd: number; reservedUsd: number; limitUsd: number }) => (v.limitUsd > 0 ? (v.settledUsd + v.reservedUsd) / v.limitUsd : 0);
  const fullest = ledger.scopes.filter((v) => v.scope.startsWith('system:')).sort((a, b) => used(b) - used(a))[0];
  const where = fullest ? ` in ${fullest.scope} (${formatSpend(fullest.settledUsd)} settled + ${formatSpend(fullest.reservedUsd)} reserved of ${formatLimit(fullest.limitUsd)})` : ' in the system windows';
  return [`  waiting    ${count} task(s) wait for room${where}, in order (pantheon budget)`];
}

/** ` by ana` when the pause named who paused (pauses from before `--by` did not). */
export const pausedBy = (paused: { by?: string }): string => (paused.by ? ` by ${paused.by}` : '');

/** The whole `pantheon god status` text, ending without a newline. */
export function renderGodStatus(status: GodStatusView, options: GodStatusOptions): string {
  const now = options.nowMs;
  const c = status.counters;
  const lines = [
    `God ${status.workflowId} (run ${status.runId}) at ${options.address}, namespace ${options.namespace}`,
    status.paused ? `state      PAUSED since ${when(status.paused.sinceMs, now)}${pausedBy(status.paused)}: "${status.paused.reason}" (pantheon god resume)` : 'state      running',
    `tasks      ${status.queued} queued, ${status.awaitingReview} awaiting review, ${status.inFlight} in flight`,
    `goals      ${status.goals}; spawned specialists live or on trial: ${status.liveSpawned}`,
    ...(status.routing ? [`routing    policy v${status.routing.version}${status.routing.candidate ? `, candidate v${status.routing.candidate} on trial` : ''}${status.routing.probation ? `, v${status.routing.probation} on probation` : ''} (pantheon routing show)`] : []),
    ...runwayLines(status.runway, now),
    ...budgetWaitLines(options.ledger),
    ...Object.entries(status.held ?? {}).map(([lane, taskId]) => `  held       the ${lane} lane for ${taskId}: queued past holdAfterMinutes, later tasks of the lane wait for it (pantheon god queue)`),
    `counters   submitted ${c.submitted}, generated ${c.generated} (${c.duplicates} duplicates dropped), started ${c.started}, finished ${c.finished}, rejected ${c.rejected}, dropped ${c.dropped}, reviewed ${c.reviewed}, spawned ${c.spawned}`,
    `workflow   state ${(status.stateBytes / 1024).toFixed(1)} KiB (v${status.stateVersion}), history ${status.historyLength} events${status.historyBytes === undefined ? '' : ` (${(status.historyBytes / 1024).toFixed(0)} KiB)`}, continued as new ${c.continuedAsNew} times${status.lastTickMs === undefined ? '' : `, last tick ${when(status.lastTickMs, now)}`}`,
  ];
  return lines.join('\n');
}

function objectiveOf(item: QueueItemView, max = 70): string {
  const one = item.objective.replace(/\s+/g, ' ');
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** One queued task and, below it, its decision and why it waits. */
export function queueItemLines(item: QueueItemView, nowMs: number, queue: readonly QueueItemView[] = [item]): string[] {
  const density = item.valueDensity === undefined ? '' : `  density ${item.valueDensity.toFixed(2)}`;
  const from = item.goalId ? `goal ${item.goalId}` : item.source;
  const lines = [`${item.taskId}  ${item.status.padEnd(15)} ${item.priority.padEnd(8)} ${item.lane.padEnd(12)} ${from}${density}  since ${when(item.submittedAtMs, nowMs)}`, `  "${objectiveOf(item)}"`];
  if (item.decision) lines.push(`  decision: ${decisionLabel(item.decision)}: ${item.decision.reason}`);
  if (item.review) lines.push(`  review: ${item.review.reasons.join('; ')}; ${reviewEnd(item.review, nowMs)}`);
  // A failed assessment's own reason says "tried again in 30 s" as of the failure: the instant instead.
  if (item.assessFailed) lines.push(`  waiting: ${assessFailedReason(item.assessFailed, nowMs, assessingAhead(item, queue, nowMs))}`);
  // God's own reason may already say "waiting: " (an open breaker); said once.
  else if (item.waitReason) lines.push(`  waiting: ${item.waitReason.replace(/^waiting:\s*/, '')}`);
  return lines;
}

/** `pantheon god queue`: every task God holds, in its order. */
export function renderQueue(items: QueueItemView[], nowMs: number): string {
  if (items.length === 0) return "God's queue is empty";
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item.status, (counts.get(item.status) ?? 0) + 1);
  const summary = [...counts].map(([s, n]) => `${n} ${s.replace(/_/g, ' ')}`).join(', ');
  return [`${items.length} task(s) in God's queue: ${summary}`, ...items.flatMap((item) => queueItemLines(item, nowMs, items))].join('\n');
}

/** How a review ends without a person: its default at the deadline, or, reviewed for its cost alone, sooner once the day can pay. */
function reviewEnd(review: NonNullable<QueueItemView['review']>, nowMs: number): string {
  const deadline = `the default applies at ${when(review.deadlineMs, nowMs)}`;
  if (review.beyondWholeDay) return `even a whole day's review share cannot pay for it, so it runs once approved (or once system_daily_usd or reviewCostShare is raised), else ${deadline}`;
  return review.costOnly ? `it runs without review once what is left of the day pays for it (a new day, a raised limit), else ${deadline}` : deadline;
}

/** `pantheon review list`: tasks waiting for a human, with why and until when. */
export function renderReviews(items: QueueItemView[], nowMs: number): string {
  if (items.length === 0) return 'no task awaits review';
  return [
    `${items.length} task(s) awaiting review (pantheon review approve|reject <task-id> [--reason TEXT])`,
    ...items.flatMap((item) => {
      const lines = [`${item.taskId}  ${item.priority}  ${item.lane}  ${item.goalId ? `goal ${item.goalId}` : item.source}`, `  "${objectiveOf(item, 100)}"`];
      if (item.decision) lines.push(`  proposed: ${decisionLabel(item.decision)}: ${item.decision.reason}`);
      if (item.review) {
        lines.push(`  why review: ${item.review.reasons.join('; ')}`);
        lines.push(`  waiting since ${when(item.review.sinceMs, nowMs)}; ${reviewEnd(item.review, nowMs)}`);
      }
      return lines;
    }),
  ].join('\n');
}

/** `pantheon god goals`. */
export function renderGoals(goals: GoalState[], nowMs: number): string {
  if (goals.length === 0) return 'no goals (add one with pantheon god add-goal, or start God with --goals FILE)';
  return [
    `${goals.length} goal(s)`,
    ...goals.flatMap((g) => [
      `${g.id}  value ${g.value}, every ${g.cadenceMinutes} min, up to ${g.tasksPerRun} task(s) a run, ${pct(g.budgetShare)} of the day at most, ${g.lane} lane`,
      `  "${g.objective.replace(/\s+/g, ' ')}"`,
      `  generated ${g.generated} task(s); last ${g.lastGeneratedAtMs ? when(g.lastGeneratedAtMs, nowMs) : 'never'}; started today ${g.startedToday ?? 0}; spent today ${formatSpend(g.spentTodayUsd)}`,
      ...(g.notGenerated ? [`  did not generate ${when(g.notGenerated.atMs, nowMs)}: ${g.notGenerated.reason}`] : []),
    ]),
  ].join('\n');
}

/** `pantheon god specialists`: the specialists God spawned, on trial, live or retired. */
export function renderSpecialists(roster: { version: number; specialists: SpawnedSpecialist[] }, nowMs: number): string {
  if (roster.specialists.length === 0) return 'no spawned specialists (God spawns one for a kind of task that keeps falling back; see pantheon god decisions)';
  return [
    `${roster.specialists.length} spawned specialist(s), roster version ${roster.version}`,
    ...roster.specialists.flatMap((s) => [
      `${s.name} v${s.version}  ${s.status}  kind ${s.kind}  ${s.definition.provider}/${s.definition.model}  ${s.successes} of ${s.runs} run(s) succeeded  spawned ${when(s.createdAtMs, nowMs)}`,
      `  "${s.definition.description.replace(/\s+/g, ' ')}"`,
      ...(s.status === 'retired' ? [`  retired${s.retiredAtMs ? ` ${when(s.retiredAtMs, nowMs)}` : ''}: ${s.retiredReason ?? 'no reason recorded'}`] : []),
    ]),
  ].join('\n');
}

/** `pantheon god decisions`: the newest decisions, oldest first. */
export function renderDecisions(records: DecisionRecord[], limit = 30): string {
  if (records.length === 0) return 'no decisions yet';
  const shown = records.slice(-limit);
  const width = Math.max(...shown.map((r) => r.kind.length));
  return [
    `${shown.length === records.length ? 'all' : `newest ${shown.length} of`} ${records.length} decision(s), oldest first`,
    // One line per decision: a multi-line objective in a detail is shown on one line.
    ...shown.map((r) => `${iso(r.atMs)}  ${r.kind.padEnd(width)}  ${r.taskId ? `${r.taskId}  ` : ''}${oneLine(r.detail)}`),
  ].join('\n');
}

const oneLine = (text: string) => text.replace(/\s*[\r\n]+\s*/g, ' ⏎ ');

/** The kinds of decision records that say what God decided for a task. */
const DECIDED = new Set(['route', 'chain', 'spawn', 'review', 'reject', 'drop', 'admitted']);

/** A task's path through God, as `submit` and `status` print it. */
export interface DecisionPath {
  /** The task left God's queue (started, rejected or dropped). */
  done: boolean;
  /** While queued: the kind God decided. */
  kind?: string;
  lines: string[];
}

/**
 * Why God has not decided on a task whose assessment failed: how often in a row, the last error
 * (as far as God keeps it), and when God tries it again (its backoff, src/god/assess-backoff.ts).
 */
export function assessFailedReason(failed: NonNullable<QueueItemView['assessFailed']>, nowMs: number, ahead = 0): string {
  // Due again, it goes behind every due task with fewer failures (assessingAhead): "its next tick"
  // only while fewer than a tick's worth are.
  const due = ahead < ASSESS_PER_TICK ? 'tried again on its next tick' : `tried again once its turn comes: ${ticksBefore(ahead)}`;
  const again = failed.retryAtMs <= nowMs ? due : `tried again at ${when(failed.retryAtMs, nowMs)}`;
  return `its assessment failed ${failed.failures} time${failed.failures === 1 ? '' : 's'} in a row${failed.lastError ? ` (last: ${failed.lastError})` : ''}; ${again}`;
}

/**
 * Where a submitted task is on God's decision path, from the queue and the decision log: what God
 * decided (and why), whether it waits, whether it has started. Undefined while God is still
 * assessing it (unless its assessment failed: it says so). `omitKind` leaves out the log's record
 * of a decision already shown; `nowMs` is the reader's clock.
 */
export function decisionPath(taskId: string, queue: QueueItemView[], records: DecisionRecord[], omitKind?: string, nowMs = Date.now()): DecisionPath | undefined {
  const item = queue.find((q) => q.taskId === taskId);
  const mine = records.filter((r) => r.taskId === taskId && DECIDED.has(r.kind));
  if (item) {
    // Still undecided: nothing to say but that it fails, if its assessment does.
    if (!item.decision) return item.assessFailed ? { done: false, lines: [`decision   pending: ${assessFailedReason(item.assessFailed, nowMs, assessingAhead(item, queue, nowMs))}`] } : undefined;
    const lines = [`decision   ${decisionLabel(item.decision)}: ${item.decision.reason}`];
    if (item.status === 'awaiting_review') lines.push(`review     awaiting a human: ${item.review?.reasons.join('; ') ?? ''} (pantheon review approve|reject ${taskId})`);
    else if (item.waitReason) lines.push(`queued     ${item.waitReason}`);
    else lines.push('queued     waiting for the next admission');
    return { done: false, kind: item.decision.kind, lines };
  }
  if (mine.length === 0) return undefined;
  const lines = mine.filter((r) => r.kind !== omitKind).map((r) => `${(r.kind === 'admitted' ? 'started' : r.kind).padEnd(10)} ${r.detail}`);
  return { done: true, lines };
}

/** A chain's end: its status, each step (who ran it, what it cost), the last step's result. */
export function chainOutcomeLines(outcome: ChainState): string[] {
  const lines = [
    `status      ${outcome.status}`,
    `chain       ${outcome.plan.join(' → ')}`,
    ...outcome.steps.map((s) => `  step ${s.step}  ${(s.ranSpecialist ?? s.specialist).padEnd(16)} ${s.status.padEnd(14)} ${formatSpend(s.costUsd)}${s.reason ? `  ${s.reason}` : ''}`),
    `cost        ${formatSpend(outcome.costUsd)} (${outcome.tokens} tokens)`,
  ];
  if (outcome.reasons.length) lines.push(`reasons     ${outcome.reasons.join('\n            ')}`);
  if (outcome.result) lines.push(`result\n${outcome.result}`);
  return lines;
}

/**
 * What removing a goal leaves: it stops the goal's generating, and the tasks it already made
 * (queued, or in review) are tasks like any other, which run unless withdrawn. Said, so an
 * operator who meant to stop the work knows what is still to run.
 */
export function goalLeftoverLines(goalId: string, queue: readonly QueueItemView[]): string[] {
  const left = queue.filter((q) => q.goalId === goalId);
  if (left.length === 0) return [];
  return [
    `  ${left.length} task(s) it generated are still queued or in review and run unless withdrawn (pantheon review reject <task-id> --reason "…"):`,
    ...left.map((q) => `    ${q.taskId}  ${q.status.replace(/_/g, ' ')}`),
  ];
}

/** Why a task God no longer queues never started, read off its last decision; undefined if it may still start. */
export function whyNotRun(decisions: readonly DecisionRecord[]): string | undefined {
  const last = decisions[decisions.length - 1];
  if (last?.kind === 'drop') return 'dropped by God';
  if (last?.kind === 'review' && /^(reject|timed out: .*\(reject\))/.test(last.detail)) return 'rejected in review';
  return undefined;
}
