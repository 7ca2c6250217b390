import { Context, log } from '@temporalio/activity';
import { budgetWaitFrom } from '../budget/waiting';
import { chargedFor, PantheonError } from '../errors';
import { parseStructured } from '../llm/client';
import { countPromptTokens } from '../llm/tokens';
import { totalTokens } from '../llm/usage';
import type { CallHooks, ChatMessage, LlmClient } from '../llm/types';
import { budgetAdmittedSignal } from '../workflows/agent-task-api';
import { SpecialistStep } from '../specialists/protocol';
import type { Specialist } from '../specialists/roster';
import type { ActivityDeps } from './deps';
import { heartbeatWhile } from './heartbeat';
import { CONTINUE_MESSAGE, specialistMessages, specialistSystemPrompt } from './prompts';
import type { RunSpecialistInput, RunSpecialistResult } from './types';
import { lineageOf } from '../tasks/lineage';

/** What a heartbeat carries, so a retry on another worker resumes instead of paying again. */
interface Checkpoint {
  history: ChatMessage[];
  iteration: number;
  costUsd: number;
  tokens: number;
  promptTokens: number[];
  lastNote: string;
}

/**
 * The specialist's loop: one LLM call per iteration until it reports done, the history holds
 * `compressEvery` iterations (the workflow then compresses), or the iteration limit is reached.
 */
export function createRunSpecialist({ llm, roster, draining = () => false }: Pick<ActivityDeps, 'llm' | 'roster' | 'draining'>) {
  return async function runSpecialist(input: RunSpecialistInput): Promise<RunSpecialistResult> {
    await roster.refresh?.();
    const specialist = roster.get(input.specialist);
    if (!specialist) {
      throw PantheonError.of('unknown_specialist', `no specialist named "${input.specialist}"`, { details: { specialist: input.specialist } });
    }
    const resumed = Context.current().info.heartbeatDetails as Checkpoint | undefined;
    if (resumed) log.info('resuming specialist from heartbeat', { taskId: input.taskId, iteration: resumed.iteration });
    const state: Checkpoint = resumed ?? { history: [...input.history], iteration: input.iteration, costUsd: 0, tokens: 0, promptTokens: [], lastNote: '' };
    try {
      return await iterate(llm, specialist, input, state, draining);
    } catch (err) {
      // What the failed run spent and did goes into the failure chain (and the task's totals),
      // the failed call's worst case included when the ledger charged it.
      const charged = chargedFor(err);
      // Where it got to, too: a run that advanced through its retries is resumed from there.
      if (err instanceof PantheonError) {
        Object.assign(err.details, { runCostUsd: state.costUsd + charged.usd, runTokens: state.tokens + charged.tokens, runIterations: state.iteration, runHistory: state.history, runPromptTokens: state.promptTokens });
      }
      throw err;
    }
  };
}

async function iterate(llm: LlmClient, specialist: Specialist, input: RunSpecialistInput, state: Checkpoint, draining: () => boolean): Promise<RunSpecialistResult> {
  const { taskId, task, warnings, summary } = input;
  const ctx = Context.current();
  const system = specialistSystemPrompt(specialist.system_prompt);
  const result = (outcome: RunSpecialistResult['outcome'], final?: string): RunSpecialistResult => ({ outcome, result: final, ...state });
  let admission = admissionHooks(input);

  while (state.iteration < task.maxIterations) {
    if (countIterations(state.history) >= task.compressEvery) return result('needs_compression');
    // Cancelled (a requeue, a cancel) between calls: stop before reserving and paying for another.
    if (ctx.cancellationSignal.aborted) throw PantheonError.of('cancelled', 'the run was cancelled before its next call');
    // This worker drains (asked to stop): no call the drain's end would cut and another worker pay
    // for again. The attempt fails retryable at its checkpoint; the next worker goes on from there.
    if (draining()) {
      ctx.heartbeat(state);
      throw PantheonError.of('worker_draining', `the worker is stopping: the run stopped before its next call, at iteration ${state.iteration}; another worker goes on from there`);
    }
    const messages = specialistMessages(task, warnings, summary, state.history);
    const call = llm.complete(
      {
        provider: specialist.provider,
        model: specialist.model,
        system,
        messages,
        maxOutputTokens: specialist.max_output_tokens,
        json: true,
        purpose: 'specialist',
        agent: specialist.name,
        taskId,
        lineage: lineageOf(taskId, task.lineage),
        lane: task.lane,
        taskSpent: { usd: (input.spent?.usd ?? 0) + state.costUsd, tokens: (input.spent?.tokens ?? 0) + state.tokens },
      },
      ctx.cancellationSignal,
      admission,
    );
    // Told once, on the run's first call the ledger lets through.
    admission = undefined;
    let answer;
    try {
      answer = await heartbeatWhile(call, () => state);
    } catch (err) {
      // An open breaker or full system windows are not this task's failure: hand the progress
      // back so the task waits (in the workflow, holding no worker slot) and asks again.
      const wait = err instanceof PantheonError ? budgetWaitFrom(err.type, err.message, err.details, { agentWindow: input.waitForAgentWindow }) : undefined;
      if (wait) return { ...result('paused'), retryAtMs: wait.retryAtMs, wait };
      throw err;
    }
    state.costUsd += answer.costUsd;
    state.tokens += totalTokens(answer.usage);
    let step: SpecialistStep | undefined;
    let unusable: unknown;
    try {
      step = parseStructured(answer, SpecialistStep, specialist.name);
    } catch (err) {
      unusable = err;
    }
    if (step) {
      state.iteration += 1;
      state.promptTokens.push(countPromptTokens(system, messages));
      state.lastNote = step.note;
      state.history.push({ role: 'assistant', content: JSON.stringify(step) }, { role: 'user', content: CONTINUE_MESSAGE });
    }
    // One checkpoint per iteration, recorded before the next call is paid for: the SDK sends a
    // heartbeat at once unless one went out within the throttle (HEARTBEAT_THROTTLE_MS), so a
    // second heartbeat here would wait out the throttle and a crash meanwhile would lose this
    // iteration. An unusable answer is checkpointed too: a retry keeps its cost.
    ctx.heartbeat(state);
    if (!step) throw unusable;
    log.debug('specialist iteration', { taskId, specialist: specialist.name, iteration: state.iteration, step: step.step, of: step.of });
    if (step.status === 'done') return result('done', step.result ?? step.note);
  }
  return result('iteration_limit');
}

/**
 * For a run that checks for budget after a wait: on its first call the ledger lets through, its
 * workflow is told it is running again (budgetAdmittedSignal), while the call goes on. A signal
 * that does not arrive only leaves the task shown waiting until the run ends.
 */
function admissionHooks(input: RunSpecialistInput): CallHooks | undefined {
  const check = input.announceAdmission;
  if (check === undefined) return undefined;
  const { info, client } = Context.current();
  const run = info.workflowExecution;
  if (!run) return undefined;
  return {
    onAdmitted: () => {
      const { workflowId, runId } = run;
      client.workflow
        .getHandle(workflowId, runId)
        .signal(budgetAdmittedSignal, { check })
        .catch((err: unknown) => log.warn('budget admission not announced; the task shows running once its run ends', { taskId: input.taskId, check, error: String(err) }));
    },
  };
}

/** Each iteration leaves one assistant turn in the history. */
export function countIterations(history: readonly ChatMessage[]): number {
  return history.filter((m) => m.role === 'assistant').length;
}
