import { Context, log } from '@temporalio/activity';
import { ERROR_TYPES, isPantheonError } from '../errors';
import { recallForPrompt } from '../memory/recall-for-prompt';
import type { Roster } from '../specialists/roster';
import { contenders, decideByRules } from '../routing/rules';
import type { PolicyBook, RoutingPolicy } from '../routing/policy/types';
import { similarOutcomesOrNone } from '../routing/similar-outcomes';
import { policyArms, rosterPolicyBook, routeTaskWithPolicy, taskKindAndEvidence, withPolicyRules } from '../routing/route-with-policy';
import { quarantined, recordedArms } from '../routing/policy/choose';
import { PRIORITY_WEIGHT } from '../god/prioritise';
import type { Task } from '../tasks/task-input';
import type { RoutingPolicyView } from '../workflows/god-api';
import type { ActivityDeps } from './deps';
import { armEstimates } from './assess-task';
import { createClassifier, type Classification } from './classify-task';
import { optionsFor } from '../workflows/activity-options';
import type { RouteDecision, RouteTaskInput } from './types';

/** Every specialist, the chosen one first, then the rules' ranking, then the fallback, then the
 * rest; with the policy and the task's kind, the specialists it holds quarantined for the kind after all. */
function candidateOrder(roster: Roster, chosen: string, ranked: string[], held?: { policy: RoutingPolicy; kind: string }, matched: string[] = []): string[] {
  // After the ones the rules rank for the task, the fallback (made for tasks no specialist fits)
  // before specialists whose rules do not match it at all: a code reviewer is a worse taker of a
  // failed database task than the generalist (until 2026-12-06 the roster came before the fallback).
  // The rest go by what their rules matched in it (`matched`: every specialist that matched, best
  // first), then in roster order.
  const order = [...new Set([chosen, ...ranked, roster.fallback.name, ...matched, ...roster.specialists.filter((s) => !s.fallback).map((s) => s.name)])].filter((name) => roster.get(name));
  if (!held) return order;
  // Self-healing does not hand a failed task first to a specialist the policy keeps from the
  // task's kind (quarantined: a failure streak restarted its record and it still fails; or
  // sidelined: a good arm on an improbably losing run): last.
  const input = { kind: held.kind, arms: order, estimatedCostUsd: {}, value: 1, sideline: true };
  const isHeld = (name: string) => name !== chosen && quarantined(held.policy, input, name);
  return [...order.filter((n) => !isHeld(n)), ...order.filter(isHeld)];
}

/** Attempts of routeTask whose classifier call fails at the provider before the task is routed without it. */
export const CLASSIFIER_ATTEMPTS = 3;

/**
 * The classifier's pick, or, once its provider has failed {@link CLASSIFIER_ATTEMPTS} attempts
 * in a row (at once when it refuses for good, e.g. quota_exhausted), the rules' best guess or the
 * fallback specialist: a router model that is down costs the task a worse pick, not its end (the
 * specialist's own model may well be up). Budget denials and Pantheon's own errors still fail the
 * attempt: the task waits for budget, or the failure is what it says. (routeTask's "task routed"
 * log line names the fallback.)
 */
export async function classifyOrFallBack(
  classify: () => Promise<Classification>,
  attempt: number,
  guess: string,
  fromRules: boolean,
  lastAttempt = CLASSIFIER_ATTEMPTS,
): Promise<Classification> {
  try {
    return await classify();
  } catch (err) {
    const type = isPantheonError(err) ? err.type : undefined;
    const provider = type !== undefined && ERROR_TYPES[type].category === 'third_party';
    if (!provider || (ERROR_TYPES[type].retryable && attempt < lastAttempt)) throw err;
    const why = `the classifier's provider failed (${type} on attempt ${attempt}: ${(err as Error).message.slice(0, 200)})`;
    return { specialist: guess, confidence: 0.2, reason: `${why}; ${fromRules ? "the rules' best guess" : 'the fallback specialist'}`, known: false, costUsd: 0, tokens: 0 };
  }
}

/** What the keyword rules read; memory is asked by the objective alone (src/memory/record.ts `recallText`). */
function taskText(task: Task): string {
  return `${task.objective}\n${task.context}`;
}

/** God's policy as a book the pure core can decide with (only the active and candidate policies are read). */
function bookOf(view: RoutingPolicyView): PolicyBook {
  const c = view.candidate;
  return {
    active: view.active,
    history: [],
    ...(c && { candidate: { policy: c.policy, canary: c.canary, control: c.control, shadow: c.shadow, shadowControl: c.shadowControl, startedAtMs: c.startedAtMs } }),
    sinceRewrite: view.sinceRewrite,
    lastVersion: view.lastVersion,
    rng: { s: 0 },
    words: {},
    audit: [],
  };
}

/**
 * Picks a specialist: the requested one, else the routing policy among the specialists the
 * keyword rules are sure of (God's active policy, read at most a tick old; the roster's rules as
 * version 0 when no God runs), drawing with what similar past tasks in memory say of each, else a
 * cheap classifier. The policy's PRNG is seeded from the task id, so every retry of the activity
 * picks the same. The decision names the policy version.
 */
export function createRouteTask(deps: ActivityDeps) {
  const { roster, memory } = deps;
  const classify = createClassifier(deps);
  /**
   * The memory lines for the chosen specialist's first run, as recallForRun would give them: the
   * workflow then starts the run without a recallForRun of its own (one activity and one
   * workflow task fewer per task). Memory down: no lines and no `recalledFor`, and the workflow
   * asks recallForRun, which has its own fallback; routing itself never waits for memory.
   */
  const recallFor = async (taskId: string, task: Task, specialist: string): Promise<Pick<RouteDecision, 'warnings' | 'recalledFor' | 'lessonIds'>> => {
    try {
      const { lines, lessonIds } = await recallForPrompt(memory, task, { specialist, attempts: [], countLessonHits: true });
      return { warnings: lines, recalledFor: specialist, lessonIds };
    } catch (err) {
      log.warn('memory not recalled while routing; the run will ask again', { taskId, specialist, error: String(err) });
      return { warnings: [] };
    }
  };
  const neighboursOf = (taskId: string, task: Task) => similarOutcomesOrNone(memory, task, taskId, (message, error) => log.warn(message, { taskId, error }));
  return async function routeTask({ taskId, task, spent }: RouteTaskInput): Promise<RouteDecision> {
    await roster.refresh?.();
    const view = await deps.routingPolicy?.active();
    const book = view ? bookOf(view) : rosterPolicyBook(roster.specialists, Date.now());
    const policyRoster = withPolicyRules(roster, book.active.rules);
    const rules = decideByRules(taskText(task), policyRoster.specialists);
    const ranked = contenders(rules.ranking).map((r) => r.specialist);
    /** `kind`: the task's kind as the policy decided it (orders the reassignments); `costUsd`, `tokens`: what routing spent. */
    const decide = async (d: Omit<RouteDecision, 'candidates' | 'warnings' | 'costUsd' | 'tokens'>, { costUsd = 0, tokens = 0, kind }: { costUsd?: number; tokens?: number; kind?: string } = {}): Promise<RouteDecision> => {
      const held = kind && view ? { policy: book.active, kind } : undefined;
      const matched = rules.ranking.filter((r) => r.score > 0).map((r) => r.specialist);
      const decision = { ...d, candidates: candidateOrder(roster, d.specialist, ranked, held, matched), ...(await recallFor(taskId, task, d.specialist)), costUsd, tokens };
      log.info('task routed', { taskId, specialist: decision.specialist, method: decision.method, confidence: decision.confidence, policyVersion: decision.policyVersion, recalled: decision.recalledFor !== undefined });
      return decision;
    };

    if (task.specialist) {
      // God chose it (how rides on the task, and its policy's version when the policy picked),
      // or the workflow that started it (a chain's step), or else the submitter asked for it.
      const chooser = task.reportTo ? `requested by ${task.reportTo}` : 'requested by the submitter';
      const policy = task.routing ? `routing policy v${task.routing.policyVersion} (${task.routing.mode}, via God)` : undefined;
      const reason = task.pick ? [`God: ${task.pick.reason}`, policy].filter(Boolean).join('; ') : (policy ?? chooser);
      const how = task.pick ? { method: task.pick.method, confidence: task.pick.confidence } : { method: 'requested' as const, confidence: 1 };
      return decide({ specialist: task.specialist, ...how, reason, ...(task.routing && { policyVersion: task.routing.policyVersion }), ...(task.routing?.mode === 'explore' && { policyMode: 'explore' as const }) }, { kind: task.routing?.kind });
    }
    const version = { policyVersion: book.active.version };
    const source = view ? '' : ' (no God running: the roster\'s rules as v0)';
    if (rules.choice) {
      const routable = (name: string) => roster.specialists.some((s) => s.name === name);
      const named = policyArms(ranked, routable);
      if (named.length > 0) {
        const { kind, evidence } = taskKindAndEvidence(rules.ranking, roster.fallback.name, await neighboursOf(taskId, task));
        // Specialists with a record of the kind stand beside the rules' (as in God); the best guess
        // weighs their records on their means.
        const arms = policyArms([...named, ...recordedArms(book.active, kind)], routable);
        const value = PRIORITY_WEIGHT[task.priority] ?? PRIORITY_WEIGHT.normal;
        // Never an explored pick or a draw: exploring is God's, paid by its experimental lane; a
        // task started directly runs on its submitter's lane and gets the policy's best guess.
        const route = routeTaskWithPolicy(book, taskId, { kind, arms, estimatedCostUsd: armEstimates(task, arms, roster), value, evidence, quarantine: true, sideline: true });
        const learn = view && deps.routingPolicy ? { learn: { godId: deps.routingPolicy.owner, kind, value, decision: route.decision } } : {};
        return decide({ specialist: route.arm, confidence: rules.choice.confidence, reason: `${rules.choice.reason}; ${route.reason}${source}`, method: 'rules', policyVersion: route.routing.policyVersion, ...learn }, { kind });
      }
      return decide({ ...rules.choice, method: 'rules', ...version });
    }

    // A task whose own policy allows fewer attempts falls back on its last one.
    const lastAttempt = Math.min(CLASSIFIER_ATTEMPTS, optionsFor('routeTask', task.retry?.routeTask).retry?.maximumAttempts ?? CLASSIFIER_ATTEMPTS);
    const pick = await classifyOrFallBack(() => classify(taskId, task, spent), Context.current().info.attempt, ranked[0] ?? roster.fallback.name, ranked.length > 0, lastAttempt);
    const { specialist, confidence, reason } = pick;
    return decide({ specialist, confidence, reason: `${reason}${source}`, method: pick.known ? 'classifier' : 'fallback', ...version }, { costUsd: pick.costUsd, tokens: pick.tokens });
  };
}
