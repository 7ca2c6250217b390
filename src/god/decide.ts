import type { Lane } from '../tasks/task-input';
import { kindOfSpecialist } from '../routing/kinds';
import { usd } from './pacing';
import { spawnRoom } from './spawn';
import { chainStatsName, expectationOf, fallbacksOf, type Expectation } from './stats';
import type { Assessment, Decision, GodConfig, KindStats, QueuedTask, SpawnedSpecialist } from './types';

/**
 * God's decision for one assessed task, and whether a person must approve it first. The rules,
 * in order:
 *
 * 1. the assessment failed → reject, with its reasons;
 * 2. routing fell back and a live or trial spawned specialist exists for the kind → route to it
 *    (with `memoryKinds`, a task no rule matched counts as fallen back, and the kind memory gives
 *    it counts too: such a task is "general" to the rules, while the spawned specialist serves
 *    the kind its words named);
 * 3. the assessment proposes a plan of two or more → chain (at most `maxChainSteps` steps);
 * 4. routing is unsure (confidence below `lowConfidence`; with `keywordMatchRoutes`, only when
 *    no keyword matched) or the kind fell back 3+ times → spawn a specialist if the caps allow
 *    (and none exists for the kind), else route to the fallback and ask for review;
 * 5. else → route to the specialist routing picked.
 *
 * Review (the decision stands, it runs once approved) when the task is irreversible, costs more
 * than `reviewCostShare` of what is left today, is a trial run of a spawned specialist, or is
 * unsure and nothing was spawned. Trial runs and spawns are paid by the experimental lane. Pure.
 */

export interface DecideContext {
  stats: Record<string, KindStats>;
  specialists: readonly SpawnedSpecialist[];
  config: GodConfig;
  /** What is left of today's budget; pass Infinity when the runway is not known yet (no cost review then). */
  remainingUsd: number;
  nowMs: number;
  spawnedToday: number;
  /** The roster's fallback specialist; when absent, the routed specialist stands in for it. */
  fallback?: string;
  /** A task no rule matched (or routed to the assessment's fallback) has fallen back, and goes to a
   * spawned specialist of the kind memory gives it too (absent: only `fallback` or method
   * 'fallback' said so, which God's assessments never did, and the rules' kind only: a trial
   * specialist never got a task after the one it was spawned for). */
  memoryKinds?: boolean;
  /** A task a keyword matched is never unsure: the rules' low confidence is a tie between roster
   * specialists that matched (a "write" of the Generalist's beside DatabaseAgent's "stored
   * procedure"), and a roster specialist serves the kind, so it goes to the rules' pick (the
   * routing policy may choose among the tied) rather than to a spawn or a low-confidence review.
   * Unsure is then what README says: no keyword matched and the classifier found no specialist
   * sure enough. Absent: any confidence under `lowConfidence` was unsure, as in God's histories
   * from before patch `keyword-match-never-spawns`. */
  keywordMatchRoutes?: boolean;
}

export interface DecideResult {
  decision: Decision;
  /** Why a person must approve it first; absent when it may run at once. */
  review?: string[];
  /** The review's reason that is about cost against what is left today, when it is one of them
   * (the only one that can stop holding: a new day, a raised limit). */
  costReview?: string;
}

/** Routing fell back this many times for a kind: a specialist of its own is due. */
export const SPAWN_AFTER_FALLBACKS = 3;

export function decide(item: QueuedTask & { assessment: Assessment }, ctx: DecideContext): DecideResult {
  const a = item.assessment;
  const { config } = ctx;
  const base = { atMs: ctx.nowMs };
  if (!a.ok) {
    return { decision: { ...base, kind: 'reject', reason: `pre-flight validation: ${a.reasons.join('; ') || 'rejected'}`, lane: item.lane, expectedCostUsd: 0, expectedSuccess: 0 } };
  }

  const review: string[] = [];
  if (a.irreversible.length > 0) review.push(`irreversible: ${a.irreversible.join('; ')}`);
  const fellBack =
    a.method === 'fallback' ||
    (ctx.fallback !== undefined && a.specialist === ctx.fallback) ||
    (ctx.memoryKinds === true && (a.method === 'none' || (a.fallbackSpecialist !== undefined && a.specialist === a.fallbackSpecialist)));
  const ofKind = ctx.specialists.filter((s) => s.kind === a.kind && s.status !== 'retired');
  // Memory's kind for the task: similar tasks a spawned specialist did (its own first run included).
  const memoryKind = ctx.memoryKinds && a.routingKind?.source === 'memory' ? a.routingKind.kind : undefined;
  // Memory names its kind after the specialist that did those tasks: a spawned one is found by its
  // name as well as by the kind it was registered for (a spawner names it freely).
  const ofMemoryKind = memoryKind === undefined ? [] : ctx.specialists.filter((s) => s.status !== 'retired' && (s.kind === memoryKind || kindOfSpecialist(s.name) === memoryKind));
  const spawned = fellBack ? (bestSpawned(ofKind) ?? bestSpawned(ofMemoryKind)) : undefined;
  let lane: Lane = item.lane;
  let decision: Decision;

  if (spawned) {
    decision = route(spawned.name, `routing fell back; spawned ${spawned.name} v${spawned.version} (${spawned.status}) takes kind "${a.kind}"`);
  } else if (a.plan && a.plan.length >= 2) {
    const plan = a.plan.slice(0, config.maxChainSteps);
    const cut = a.plan.length > plan.length ? `; the proposed ${a.plan.length} steps were cut to ${plan.length} (maxChainSteps)` : '';
    const steps = plan.map((s, i) => expectationOf(ctx.stats, a.kind, s, a.planEstimatesUsd?.[i] ?? a.estimatedCostUsd));
    // Each step priced on its own specialist; the chain's own record, once it has one, moves the
    // sum the way a single task's record moves its estimate.
    const whole = expectationOf(ctx.stats, a.kind, chainStatsName(plan), steps.reduce((sum, e) => sum + e.costUsd, 0));
    decision = {
      ...base,
      kind: 'chain',
      reason: `chain of ${plan.length}: ${plan.join(' → ')}${cut}`,
      specialist: plan[0],
      plan,
      lane,
      expectedCostUsd: whole.costUsd,
      expectedSuccess: steps.reduce((p, e) => p * e.success, 1),
    };
  } else {
    const fallbacks = fallbacksOf(ctx.stats, a.kind);
    const unsure = a.confidence < config.lowConfidence && !(ctx.keywordMatchRoutes === true && a.method === 'rules');
    const why = unsure ? `routing confidence ${a.confidence.toFixed(2)} is below ${config.lowConfidence}` : `routing fell back ${fallbacks} times for kind "${a.kind}"`;
    if (unsure || (fallbacks >= SPAWN_AFTER_FALLBACKS && ofKind.length === 0)) {
      const room = ofKind.length > 0 ? { ok: false, reason: `${ofKind[0].name} already serves kind "${a.kind}"` } : spawnRoom(ctx.specialists.filter((s) => s.status !== 'retired').length, ctx.spawnedToday, config);
      if (room.ok) {
        // The new specialist has no history: the prior and the task's own estimate stand in.
        const e = expectationOf({}, a.kind, '', a.estimatedCostUsd);
        lane = 'experimental';
        decision = { ...base, kind: 'spawn', reason: `${why}: spawn a specialist for kind "${a.kind}" (${room.reason})`, lane, expectedCostUsd: e.costUsd, expectedSuccess: e.success };
      } else {
        const to = ctx.fallback ?? a.specialist;
        decision = route(to, `${why}; no specialist spawned (${room.reason}): ${to}`);
        if (unsure) review.push(`low confidence: ${why}, and no specialist could be spawned (${room.reason})`);
      }
    } else {
      decision = route(a.specialist, `${a.method}: ${a.specialist} (confidence ${a.confidence.toFixed(2)})`);
    }
  }

  // A trial specialist anywhere in the decision: the experimental lane pays, a person looks first.
  const names = decision.plan ?? (decision.specialist ? [decision.specialist] : []);
  for (const n of names) {
    const trial = ctx.specialists.find((s) => s.name === n && s.status === 'trial');
    if (!trial) continue;
    decision.lane = 'experimental';
    if (trial.runs < config.spawnTrialRuns) review.push(`trial run ${trial.runs + 1} of ${config.spawnTrialRuns} of spawned specialist ${trial.name}`);
  }
  const costReview = expensive(decision.expectedCostUsd, ctx.remainingUsd, config);
  if (costReview) review.push(costReview);
  return review.length > 0 ? { decision, review, ...(costReview && { costReview }) } : { decision };

  function expectFor(specialist: string): Expectation {
    return expectationOf(ctx.stats, a.kind, specialist, a.estimatedCostUsd);
  }
  function route(specialist: string, reason: string): Decision {
    const e = expectFor(specialist);
    return { ...base, kind: 'route', reason, specialist, lane, expectedCostUsd: e.costUsd, expectedSuccess: e.success };
  }
}

/**
 * Why a task expected to cost `expectedCostUsd` needs a person's approval with `remainingUsd` left
 * of the day, or undefined when it does not (over `reviewCostShare` of what is left).
 */
export function expensive(expectedCostUsd: number, remainingUsd: number, config: Pick<GodConfig, 'reviewCostShare'>): string | undefined {
  // Not `<=`: with the runway unknown (Infinity) and a share of 0 the limit is NaN, and no review.
  if (!(expectedCostUsd > config.reviewCostShare * remainingUsd)) return undefined;
  return `expensive: expected ~${usd(expectedCostUsd)} is over ${Math.round(config.reviewCostShare * 100)}% of the ${usd(Math.max(0, remainingUsd))} left today`;
}

/**
 * The review `decide` gave, its cost reason judged again on what a later pick expects to cost
 * (the routing policy's, which may be cheaper or dearer than the specialist `decide` priced): the
 * review is of what would run. The other reasons stand; a review left with none is no review.
 */
export function repriceReview(
  given: Pick<DecideResult, 'review' | 'costReview'>,
  expectedCostUsd: number,
  remainingUsd: number,
  config: Pick<GodConfig, 'reviewCostShare'>,
): Pick<DecideResult, 'review' | 'costReview'> {
  const others = (given.review ?? []).filter((r) => r !== given.costReview);
  const costReview = expensive(expectedCostUsd, remainingUsd, config);
  const review = costReview ? [...others, costReview] : others;
  return { ...(review.length > 0 && { review }), ...(costReview && { costReview }) };
}

/** Live before trial, then the better record, then the newest. */
function bestSpawned(ofKind: readonly SpawnedSpecialist[]): SpawnedSpecialist | undefined {
  const rate = (s: SpawnedSpecialist) => (s.successes + 1) / (s.runs + 2);
  return ofKind
    .slice()
    .sort((x, y) => (x.status === y.status ? 0 : x.status === 'live' ? -1 : 1) || rate(y) - rate(x) || y.createdAtMs - x.createdAtMs)[0];
}

/** What is left of the day, as the cost review judges it: the budget less what is spent or reserved
 * (unknown, with no runway read yet: Infinity, and nothing is expensive). */
export function dayLeftUsd(runway: { budgetUsd: number; spentUsd: number; reservedUsd: number } | undefined): number {
  return runway ? Math.max(0, runway.budgetUsd - runway.spentUsd - runway.reservedUsd) : Infinity;
}

/**
 * The tasks the routing policy just picked again for as they can start (routing.ts pickAgain's
 * `picked`) whose new pick is dearer than the review share of the day left: as with a pick that
 * dear at assessment, they go to review instead of starting (a cheap explored pick passed at
 * assessment is no approval of the dearer specialist picked at start). Still-queued tasks only.
 */
export function repicksToReview(
  queue: readonly QueuedTask[],
  picked: Readonly<Record<string, string>>,
  remainingUsd: number,
  config: Pick<GodConfig, 'reviewCostShare'>,
): Array<{ taskId: string; costReview: string }> {
  const found: Array<{ taskId: string; costReview: string }> = [];
  for (const item of queue) {
    if (picked[item.taskId] === undefined || item.status !== 'queued' || !item.decision) continue;
    const costReview = expensive(item.decision.expectedCostUsd, remainingUsd, config);
    if (costReview) found.push({ taskId: item.taskId, costReview });
  }
  return found;
}
