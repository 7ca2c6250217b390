import { Context, log } from '@temporalio/activity';
import type { StandingConstraint } from '../constraints/schema';
import type { Assessment } from '../god/types';
import { countPromptTokens } from '../llm/tokens';
import { GENERAL_KIND, kindOfSpecialist } from '../routing/kinds';
import { planFromRules } from '../routing/plan';
import { contenders, decideByRules, ruleConfidence } from '../routing/rules';
import type { Roster, Specialist } from '../specialists/roster';
import { countWorkItems, typicalRun } from '../specialists/typical-run';
import { stepTask } from '../tasks/chain';
import { irreversibleReasons } from '../tasks/irreversible';
import { REPORT_SUMMARY_CHARS } from '../tasks/report';
import { describeIssues, TaskInputSchema, type Task } from '../tasks/task-input';
import type { ActivityDeps } from './deps';
import type { AssessTaskInput } from './god-types';
import { specialistSystemPrompt, taskMessage } from './prompts';
import { othersConstraints, unknownSpecialist } from './validate-task';
import { askValidator } from './second-stage';
import { finalVerdict, firstStage } from '../tasks/validation-stages';
import { createClassifier, type Classification } from './classify-task';
import { rememberedArms, taskKindAndEvidence, withPolicyRules } from '../routing/route-with-policy';
import type { Neighbour } from '../routing/memory-kind';
import { similarOutcomesOrNone } from '../routing/similar-outcomes';
import { heartbeatWhile } from './heartbeat';

/** How sure a route to the fallback is when no keyword matched at all. */
export const NO_MATCH_CONFIDENCE = 0.2;

type Route = Pick<Assessment, 'specialist' | 'confidence' | 'method' | 'ranked' | 'kind' | 'plan'>;

/** The routing facts the keyword rules give; no classifier call, so an assessment is free. */
export function routeFacts(task: Task, roster: Roster): Route {
  const text = `${task.objective}\n${task.context}`;
  const rules = decideByRules(text, roster.specialists);
  const ranked = contenders(rules.ranking).map((r) => r.specialist);
  const plan = planFromRules(text, rules.ranking);
  const kindOf = (name: string) => kindOfSpecialist(name, roster.fallback.name);
  const withPlan = (route: Omit<Route, 'plan'>): Route => (plan ? { ...route, plan } : route);
  if (task.specialist && roster.get(task.specialist)) {
    return withPlan({ specialist: task.specialist, confidence: 1, method: 'requested', ranked, kind: kindOf(task.specialist) });
  }
  const [top, second] = rules.ranking;
  if (!top) return { specialist: roster.fallback.name, confidence: NO_MATCH_CONFIDENCE, method: 'none', ranked, kind: GENERAL_KIND };
  // Unsure rules (a tie, a thin lead) still name their best guess, with the low confidence that
  // tells God to think about a chain, a spawn or a review.
  const confidence = rules.choice?.confidence ?? ruleConfidence(top.score, second?.score ?? 0);
  const specialist = rules.choice?.specialist ?? top.specialist;
  return withPlan({ specialist, confidence: round(confidence), method: 'rules', ranked, kind: kindOf(specialist) });
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** One ordinary run of `specialist` on `task`, in USD (see src/specialists/typical-run.ts);
 * `extraPromptTokens` for input the task will carry that is not written yet (a chain's handover). */
export function estimateRunUsd(task: Task, specialist: Specialist, extraPromptTokens = 0): number {
  const promptTokens = countPromptTokens(specialistSystemPrompt(specialist.system_prompt), [{ content: taskMessage(task, []) }], specialist.provider) + extraPromptTokens;
  const run = typicalRun({
    model: specialist.model,
    promptTokens,
    maxOutputTokens: specialist.max_output_tokens,
    workItems: countWorkItems(`${task.objective}\n${task.context}`),
    maxIterations: task.maxIterations,
  });
  return Math.round(run.usd * 1e6) / 1e6;
}

/** A step's handover from the step before, at its longest: a summary header plus up to
 * REPORT_SUMMARY_CHARS characters, at ~4 characters a token (prose; code runs denser). */
const HANDOVER_TOKENS = Math.ceil((REPORT_SUMMARY_CHARS + 80) / 4);

/**
 * One run of each step of `plan`, each priced with its own specialist's model and the step's own
 * objective, steps after the first carrying the longest handover. A step whose specialist is not
 * on the roster is priced as the fallback (where its run would go).
 */
export function estimatePlanUsd(task: Task, plan: readonly string[], roster: Roster): number[] {
  const chain = { task, plan: [...plan], lane: task.lane };
  const lineage = { rootTaskId: 'estimate', spawnDepth: 0 };
  return plan.map((name, i) => estimateRunUsd(stepTask(chain, 'estimate', lineage, i), roster.get(name) ?? roster.fallback, i > 0 ? HANDOVER_TOKENS : 0));
}

/** The assessment's cost facts: one run on `specialist`, and each step of a proposed chain. */
function costFacts(task: Task, specialist: Specialist, plan: readonly string[] | undefined, roster: Roster): Pick<Assessment, 'estimatedCostUsd' | 'planEstimatesUsd'> {
  const estimatedCostUsd = estimateRunUsd(task, specialist);
  return plan && plan.length >= 2 ? { estimatedCostUsd, planEstimatesUsd: estimatePlanUsd(task, plan, roster) } : { estimatedCostUsd };
}

/** The whole assessment, pure: validation verdict (with the standing constraints given),
 * routing facts, irreversibility, expected cost. The verdict is validation's first stage, the one
 * the task's own validateTask runs: its sure rejections only. What it leaves undecided (a
 * borderline-vague objective, a constraint broken in other words) is for the second stage: the
 * task's own when it starts, or God's now for a task no keyword routes (createAssessTask). */
export function assess(raw: Task, roster: Roster, standing: readonly StandingConstraint[] = []): Assessment {
  // God hands over a parsed task; parsing again is cheap and keeps a malformed one from crashing the rules.
  const parsed = TaskInputSchema.safeParse(raw);
  if (!parsed.success) {
    return { ok: false, reasons: describeIssues(parsed.error), kind: GENERAL_KIND, specialist: roster.fallback.name, confidence: 0, method: 'none', ranked: [], irreversible: [], estimatedCostUsd: 0 };
  }
  const task = parsed.data;
  // The stricter one-stage rules rejected what validateTask passes to its second stage ("Make it
  // faster: the nightly job run_reports.py takes 40 minutes…"): God refused tasks that, started
  // directly, run.
  const unknown = unknownSpecialist(task, roster);
  const reasons = [...firstStage(task, standing).reasons, ...(unknown ? [unknown] : [])];
  const route = routeFacts(task, roster);
  const specialist = roster.get(route.specialist) ?? roster.fallback;
  return { ok: reasons.length === 0, reasons, ...route, irreversible: irreversibleReasons(task), ...costFacts(task, specialist, route.plan, roster), ...armFacts(task, roster) };
}

/** One run of each named specialist on the roster: the routing policy's per-arm cost estimates. */
export function armEstimates(task: Task, ranked: readonly string[], roster: Roster): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of ranked) {
    const s = roster.get(name);
    if (s) out[name] = estimateRunUsd(task, s);
  }
  return out;
}

/** One run of every specialist on the roster: any of them may be an arm (the policy's record can
 * name one the rules do not), and God routes only to those priced here, the roster as it stands. */
function armFacts(task: Task, roster: Roster): Pick<Assessment, 'armEstimatesUsd'> {
  return { armEstimatesUsd: armEstimates(task, roster.specialists.map((s) => s.name), roster) };
}

/**
 * God's pre-flight look at a task: the same verdict validateTask gives, the routing facts of the
 * keyword rules, whether it can be undone, a chain when it spans specialists, and what a run costs.
 * Facts, not decisions. Free when the rules match; when no keyword matches a valid task, the same
 * cheap classifier the task's own router would ask is asked now, so "nobody fits" means the rules
 * and the classifier both found nobody. That call is God's, billed to {@link assessmentBillingId}:
 * the task may start hours later or never, and its bill then could not hold it reliably (the
 * ledger forgets a task idle for 30 minutes).
 */
export function createAssessTask(deps: Pick<ActivityDeps, 'roster' | 'llm' | 'models'> & Partial<Pick<ActivityDeps, 'memory'>>) {
  const { roster, memory } = deps;
  const classify = createClassifier(deps);
  return async function assessTask(input: AssessTaskInput): Promise<Assessment> {
    // The classifier and memory calls can outlast God's 30 s heartbeat timeout (the LLM's own is
    // 60 s): without heartbeats a slow but healthy answer would time the attempt out and pay again.
    return heartbeatWhile(assessOnce(input), () => ({ taskId: input.taskId, phase: 'assessing' }));
  };

  async function assessOnce({ taskId, task, constraints, rules }: AssessTaskInput): Promise<Assessment> {
    await roster.refresh?.();
    // God's active policy's keyword rules, when it sent them (a rewrite or rollback changes them).
    const routed = rules ? withPolicyRules(roster, rules) : roster;
    const standing = othersConstraints(constraints ?? [], taskId);
    let assessment = assess(task, routed, standing);
    if (assessment.ok && assessment.method === 'none') {
      const doubts = await validationDoubts(taskId, task, standing);
      assessment = doubts ? { ...assessment, ok: false, reasons: doubts } : withClassifier(assessment, await classify(taskId, task, undefined, assessmentBillingId(taskId)), task, routed);
    } else if (assessment.ok && assessment.irreversible.length > 0 && standing.length > 0) {
      // An irreversible task waits for a person's review: first, whether a standing constraint rules
      // it out, or the reviewer's approval is spent on a task its own validation then rejects.
      const doubts = await validationDoubts(taskId, task, standing);
      if (doubts) assessment = { ...assessment, ok: false, reasons: doubts };
    }
    if (assessment.ok && memory) assessment = withRoutingKind(assessment, task, routed, await similarOutcomesOrNone(memory, task, taskId, (message, error) => log.warn(message, { taskId, error })));
    log.info('task assessed', { taskId, ok: assessment.ok, specialist: assessment.specialist, method: assessment.method, kind: assessment.kind, routingKind: assessment.routingKind?.explanation, irreversible: assessment.irreversible.length, plan: assessment.plan });
    return assessment;
  }

  /**
   * Why validation's second stage rejects a task the rules left undecided ("make the product more
   * user friendly"), asked only for a task no keyword routes, or an irreversible one while standing
   * constraints are active: God would otherwise spend a specialist spawn or a person's review on
   * it, and its own validation would reject it once started. Billed to God's assessment, like the
   * classifier. Undefined when it passes, when the rules decided, or when the model could not
   * answer (the rules' verdict then stands).
   */
  async function validationDoubts(taskId: string, task: Task, standing: readonly StandingConstraint[]): Promise<string[] | undefined> {
    const first = firstStage(task, standing);
    if (first.decision !== 'undecided') return undefined;
    const second = await askValidator(deps, { taskId, task, first, billTo: assessmentBillingId(taskId) }, Context.current().cancellationSignal);
    const verdict = finalVerdict(first, second);
    return verdict.ok ? undefined : verdict.reasons;
  }
}

/** The id God's assessment of a task is billed under: `<godId>:assess:<taskId>`, within the ledger's 200 characters. */
export function assessmentBillingId(taskId: string): string {
  const godId = Context.current().info.workflowExecution?.workflowId ?? 'god';
  return `${godId}:assess:${taskId}`.slice(0, 200);
}

/**
 * The routing policy's view of the task: its kind and the evidence of similar past tasks
 * (src/routing/memory-kind.ts), and a cost estimate for each specialist memory says succeeded
 * with tasks like it (they are arms beside the rules' ranking).
 */
export function withRoutingKind(assessment: Assessment, task: Task, roster: Roster, neighbours: readonly Neighbour[]): Assessment {
  const ranking = decideByRules(`${task.objective}\n${task.context}`, roster.specialists).ranking;
  const routingKind = taskKindAndEvidence(ranking, roster.fallback.name, neighbours);
  const extra = rememberedArms(routingKind.evidence).filter((name) => !(name in (assessment.armEstimatesUsd ?? {})));
  const armEstimatesUsd = { ...assessment.armEstimatesUsd, ...armEstimates(task, [...extra, assessment.specialist, roster.fallback.name], roster) };
  return { ...assessment, routingKind, armEstimatesUsd, fallbackSpecialist: roster.fallback.name };
}

/** The classifier's pick folded into an assessment the rules could not route. */
export function withClassifier(assessment: Assessment, pick: Classification, task: Task, roster: Roster): Assessment {
  const specialist = roster.get(pick.specialist);
  if (!pick.known || !specialist || specialist.fallback) return { ...assessment, confidence: Math.min(assessment.confidence, pick.confidence) };
  return {
    ...assessment,
    specialist: specialist.name,
    confidence: pick.confidence,
    method: 'classifier',
    kind: kindOfSpecialist(specialist.name, roster.fallback.name),
    ...costFacts(task, specialist, assessment.plan, roster),
  };
}
