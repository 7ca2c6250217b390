import {
  CancellationScope,
  ChildWorkflowFailure,
  executeChild,
  isCancellation,
  log,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  TerminatedFailure,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { TaskFinishedSchema } from '../god/messages';
import { chainEnd, ChainInputSchema, initialSteps, planProgress, resolveChain, stepLabel, stepTask, type ChainOutcome, type ChainState } from '../tasks/chain';
import { outcomeOfFailure } from '../tasks/closed-outcome';
import { lineageOf } from '../tasks/lineage';
import { finishedReport, reportToOf, REPORT_REASON_CHARS, REPORT_SUMMARY_CHARS, trimText } from '../tasks/report';
import { describeIssues, type Task } from '../tasks/task-input';
import { agentTask } from './agent-task';
import { taskFinishedSignal } from './god-api';
import { elapsedMs, reportFinished } from './report-finished';
import { TaskCostUsd, TaskIterations, TaskPriority, TaskRootTask, TaskSpecialist, TaskStatus, TaskTokens } from './search-attributes';
import { chainStateQuery } from './task-chain-api';
import type { TaskOutcome, TerminalStatus } from './task-state';
import type { Activities } from '../activities';
import { optionsFor } from './activity-options';

/** A step whose workflow was stopped from outside (terminated) or failed without its outcome
 * closes no bill of its own: the chain closes it, so the step's spend counts in the chain's cost
 * and the ledger forgets the task. Before, such a step counted $0 and its spend was in no task's
 * total. Asked only for such a step (histories from before recorded it at $0). */
const BROKEN_STEP_BILL_PATCH = 'chain-bills-a-broken-step';

/** The plan is checked against the roster before step 1, so a plan naming an unknown specialist
 * spends nothing; before, its earlier steps ran (and were paid for) and the unknown step was
 * rejected when it came. */
const PLAN_CHECK_PATCH = 'chain-plan-checked-first';

const { closeTaskBill } = proxyActivities<Pick<Activities, 'closeTaskBill'>>(optionsFor('closeTaskBill'));
const { checkChainPlan } = proxyActivities<Pick<Activities, 'checkChainPlan'>>(optionsFor('checkChainPlan'));

function initialState(chainId: string, input: unknown): ChainState {
  const raw = ((input ?? {}) as { task?: Partial<Task> }).task ?? {};
  return {
    chainId,
    status: 'validating',
    objective: typeof raw.objective === 'string' ? raw.objective.slice(0, 200) : '',
    priority: typeof raw.priority === 'string' ? raw.priority : 'normal',
    plan: [],
    current: -1,
    steps: [],
    costUsd: 0,
    tokens: 0,
    reasons: [],
    lane: 'main',
  };
}

/** The plan's steps whose specialist is not on the roster. A check that cannot be made lets the
 * chain go on: each step's own validation still refuses an unknown specialist before it spends. */
async function unknownPlanSteps(chainId: string, plan: string[]): Promise<string[] | 'cancelled'> {
  try {
    return (await checkChainPlan({ chainId, plan })).unknown;
  } catch (err) {
    if (isCancellation(err)) return 'cancelled';
    log.warn('chain plan not checked against the roster; each step checks its own', { chainId, error: String(err) });
    return [];
  }
}

/** A step's child workflow that failed (without a task's outcome attached) or was terminated. */
function brokenStep(err: unknown): { status: TerminalStatus; reason: string } {
  const cause = err instanceof ChildWorkflowFailure ? err.cause : undefined;
  if (cause instanceof TerminatedFailure || isCancellation(cause)) return { status: 'cancelled', reason: `its workflow was stopped: ${cause?.message ?? ''}`.trim() };
  return { status: 'dead_lettered', reason: `its workflow failed: ${err instanceof Error ? err.message : String(err)}` };
}

/**
 * One task worked by 2–4 specialists in turn, each step a child agentTask (`<chainId>:step-N`).
 * From step 2 on, a step receives the start of the previous step's result (never its transcript).
 * The chain ends in exactly one terminal state: completed when every step completed, else the
 * first step that did not complete decides, and later steps never start. It tells its `reportTo`
 * workflow (God) of that end. Cancelling the chain cancels its running step.
 */
export async function taskChain(input: unknown): Promise<ChainOutcome> {
  const chainId = workflowInfo().workflowId;
  const state = initialState(chainId, input);
  setHandler(chainStateQuery, () => state);
  // Each step reports its own end here; the chain still takes the step's result as the truth.
  setHandler(taskFinishedSignal, (raw) => {
    const parsed = TaskFinishedSchema.safeParse(raw);
    const step = parsed.success ? state.steps.find((s) => s.taskId === parsed.data.taskId) : undefined;
    if (!parsed.success || !step) {
      log.warn('taskFinished report ignored: not from a step of this chain', { chainId, taskId: parsed.success ? parsed.data.taskId : '(malformed)' });
      return;
    }
    step.reported = parsed.data.status;
  });

  const outcome = await runChain(chainId, state, input);
  const last = outcome.steps[outcome.current];
  const report = finishedReport({ ...outcome, taskId: chainId, specialist: last?.ranSpecialist ?? last?.specialist }, elapsedMs());
  await reportFinished(state.reportTo ?? reportToOf(input), report);
  return outcome;
}

async function runChain(chainId: string, state: ChainState, input: unknown): Promise<ChainOutcome> {
  const showDetails = (details: string) =>
    setCurrentDetails(`**${state.status}** · ${details}\n\n${planProgress(state.steps)}\n\ncost $${state.costUsd.toFixed(6)} · ${state.tokens} tokens`);
  const publish = (status: ChainState['status'], details: string) => {
    state.status = status;
    const step = state.steps[state.current];
    upsertSearchAttributes([
      { key: TaskStatus, value: status },
      { key: TaskPriority, value: state.priority },
      { key: TaskCostUsd, value: state.costUsd },
      { key: TaskTokens, value: state.tokens },
      { key: TaskIterations, value: state.steps.reduce((n, s) => n + s.iterations, 0) },
      ...(step ? [{ key: TaskSpecialist, value: step.specialist }] : []),
      ...(state.lineage ? [{ key: TaskRootTask, value: state.lineage.rootTaskId }] : []),
    ]);
    showDetails(details);
  };
  const finish = (status: TerminalStatus, reasons: string[]): ChainOutcome => {
    state.reasons = reasons;
    for (const s of state.steps) if (s.status === 'pending') s.status = 'skipped';
    publish(status, reasons.join('; '));
    log.info('chain ended', { chainId, status, reasons });
    return { ...state, status };
  };

  const parsed = ChainInputSchema.safeParse(input);
  if (!parsed.success) return finish('rejected', describeIssues(parsed.error).map((r) => `input ${r}`));
  const chain = resolveChain(parsed.data);
  const lineage = lineageOf(chainId, chain.task.lineage);
  Object.assign(state, { plan: chain.plan, steps: initialSteps(chainId, chain.plan), lineage, lane: chain.lane, priority: chain.task.priority });
  if (chain.goalId) state.goalId = chain.goalId;
  if (chain.reportTo) state.reportTo = chain.reportTo;
  if (patched(PLAN_CHECK_PATCH)) {
    const unknown = await unknownPlanSteps(chainId, chain.plan);
    if (unknown === 'cancelled') return finish('cancelled', ['cancelled by request before step 1']);
    if (unknown.length) return finish('rejected', unknown.map((reason) => `input ${reason}`));
  }

  /** Runs step `i` to its end and records it; a broken child workflow still ends the step. */
  const runStep = async (i: number, previousResult?: string): Promise<TaskOutcome | undefined> => {
    const step = state.steps[i];
    const task = stepTask(chain, chainId, lineage, i, previousResult);
    state.current = i;
    step.status = 'running';
    publish('running', `${stepLabel(chain.plan, i)} running as ${step.taskId}`);
    let outcome: TaskOutcome | undefined;
    try {
      outcome = await executeChild(agentTask, {
        workflowId: step.taskId,
        args: [task],
        // A chain that is terminated (or times out) still stops its running step.
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        staticSummary: `${stepLabel(chain.plan, i)} of ${chainId}`,
        typedSearchAttributes: [
          { key: TaskStatus, value: 'queued' },
          { key: TaskPriority, value: task.priority },
          { key: TaskSpecialist, value: step.specialist },
          { key: TaskRootTask, value: lineage.rootTaskId },
        ],
      });
    } catch (err) {
      if (isCancellation(err)) throw err;
      // A dead-lettered or budget-exceeded step fails its execution with its outcome attached.
      outcome = outcomeOfFailure(err);
      if (!outcome) {
        const broken = brokenStep(err);
        step.status = broken.status;
        step.reason = trimText(broken.reason, REPORT_REASON_CHARS);
        if (patched(BROKEN_STEP_BILL_PATCH)) await billBrokenStep(step);
        return undefined;
      }
    }
    step.status = outcome.status;
    step.costUsd = outcome.costUsd;
    step.tokens = outcome.tokens;
    step.iterations = outcome.iteration;
    step.reason = trimText(outcome.reasons[0] ?? '', REPORT_REASON_CHARS);
    if (outcome.specialist) step.ranSpecialist = outcome.specialist;
    if (outcome.result) step.summary = trimText(outcome.result, REPORT_SUMMARY_CHARS);
    state.costUsd += outcome.costUsd;
    state.tokens += outcome.tokens;
    return outcome;
  };

  /** What the ledger charged a broken step, counted in the chain; a ledger that cannot answer never blocks the chain's end. */
  const billBrokenStep = async (step: ChainState['steps'][number]) => {
    try {
      const bill = await CancellationScope.nonCancellable(() => closeTaskBill({ taskId: step.taskId }));
      step.costUsd = bill.usd;
      step.tokens = bill.tokens;
      state.costUsd += bill.usd;
      state.tokens += bill.tokens;
    } catch (err) {
      log.warn('a broken step\'s bill not closed; it counts $0 in the chain', { chainId, taskId: step.taskId, error: String(err) });
    }
  };

  let previousResult: string | undefined;
  try {
    for (let i = 0; i < chain.plan.length; i += 1) {
      const outcome = await runStep(i, previousResult);
      previousResult = outcome?.result ?? '';
      const end = chainEnd(chain.plan, state.steps);
      if (!end) continue;
      if (end.status === 'completed') state.result = outcome?.result;
      return finish(end.status, end.reasons);
    }
    // Unreachable: the last step's end always ends the chain.
    return finish('dead_lettered', ['chain ended without a verdict']);
  } catch (err) {
    if (!isCancellation(err)) throw err;
    const next = state.steps.find((s) => s.status === 'pending' || s.status === 'running');
    if (next?.status === 'running') next.status = 'cancelled';
    return finish('cancelled', [next ? `cancelled by request at ${stepLabel(chain.plan, next.step - 1)}` : 'cancelled by request']);
  }
}
