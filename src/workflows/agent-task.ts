import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { RunSpecialistResult } from '../activities/types';
import type { ChatMessage } from '../llm/types';
import { describeIssues, TaskInputSchema, type Task } from '../tasks/task-input';
import { COMPRESS_OPTIONS, ROUTE_OPTIONS, RUN_SPECIALIST_OPTIONS, STORE_MEMORY_OPTIONS, VALIDATE_OPTIONS } from './activity-options';
import { stateQuery } from './agent-task-query';
import { TaskCostUsd, TaskIterations, TaskPriority, TaskSpecialist, TaskStatus, TaskTokens } from './search-attributes';
import type { FailureRecord, TaskOutcome, TaskState, TaskStatus as Status, TerminalStatus } from './task-state';

const { validateTask } = proxyActivities<Activities>(VALIDATE_OPTIONS);
const { routeTask } = proxyActivities<Activities>(ROUTE_OPTIONS);
const { runSpecialist } = proxyActivities<Activities>(RUN_SPECIALIST_OPTIONS);
const { compressContext } = proxyActivities<Activities>(COMPRESS_OPTIONS);
const { storeMemory } = proxyActivities<Activities>(STORE_MEMORY_OPTIONS);


/**
 * One task, start to end: validate → route → run the specialist (compressing its context every
 * `compressEvery` iterations) → store the outcome in memory. It always ends in exactly one
 * terminal state with reasons, and returns that state.
 */
export async function agentTask(input: unknown): Promise<TaskOutcome> {
  const taskId = workflowInfo().workflowId;
  const raw = (input ?? {}) as Partial<Task>;
  const state: TaskState = {
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
  };
  setHandler(stateQuery, () => state);

  const publish = (status: Status, details: string) => {
    state.status = status;
    upsertSearchAttributes([
      { key: TaskStatus, value: status },
      { key: TaskPriority, value: state.priority },
      { key: TaskCostUsd, value: state.costUsd },
      { key: TaskIterations, value: state.iteration },
      { key: TaskTokens, value: state.tokens },
      ...(state.specialist ? [{ key: TaskSpecialist, value: state.specialist }] : []),
    ]);
    setCurrentDetails(`**${status}** · ${details}\n\ncost $${state.costUsd.toFixed(6)} · ${state.iteration} iterations · ${state.tokens} tokens`);
  };
  const finish = (status: TerminalStatus, reasons: string[]): TaskOutcome => {
    state.reasons = reasons;
    publish(status, reasons.join('; '));
    log.info('task ended', { taskId, status, reasons });
    return { ...state, status };
  };

  const parsed = TaskInputSchema.safeParse(input);
  if (!parsed.success) return finish('rejected', describeIssues(parsed.error).map((r) => `input ${r}`));
  const task = parsed.data;
  state.priority = task.priority;
  publish('validating', task.objective.slice(0, 120));

  let activity = 'validateTask';
  try {
    const verdict = await validateTask({ taskId, task });
    if (!verdict.ok) return finish('rejected', verdict.reasons);

    activity = 'routeTask';
    publish('routing', 'choosing a specialist');
    const route = await routeTask({ taskId, task });
    state.specialist = route.specialist;
    state.route = { method: route.method, confidence: route.confidence, reason: route.reason };
    state.costUsd += route.costUsd;
    state.tokens += route.tokens;

    let summary: string | undefined;
    let history: ChatMessage[] = [];
    let run: RunSpecialistResult;
    for (;;) {
      activity = 'runSpecialist';
      publish('running', `${route.specialist} at iteration ${state.iteration}`);
      run = await runSpecialist({ taskId, specialist: route.specialist, task, warnings: route.warnings, summary, history, iteration: state.iteration });
      state.iteration = run.iteration;
      state.costUsd += run.costUsd;
      state.tokens += run.tokens;
      state.promptTokens.push(...run.promptTokens);
      if (run.outcome !== 'needs_compression') break;

      activity = 'compressContext';
      publish('compressing', `${route.specialist} history at iteration ${state.iteration}`);
      const compressed = await compressContext({ taskId, specialist: route.specialist, task, warnings: route.warnings, summary, history: run.history });
      summary = compressed.summary;
      history = [];
      state.costUsd += compressed.costUsd;
      state.tokens += compressed.tokens;
      state.compressions.push({ atIteration: state.iteration, promptTokensBefore: compressed.promptTokensBefore, promptTokensAfter: compressed.promptTokensAfter });
    }

    const done = run.outcome === 'done';
    state.result = run.result;
    activity = 'storeMemory';
    publish('storing', 'writing the outcome to memory');
    const memory = await storeMemory({
      taskId,
      specialist: route.specialist,
      task,
      approach: run.lastNote,
      result: done ? (run.result ?? '') : `stopped at the iteration limit (${task.maxIterations}) without finishing`,
      success: done,
      costUsd: state.costUsd,
      lessons: done ? [] : [`needed more than ${task.maxIterations} iterations; split the task or raise maxIterations`],
    });
    state.memoryId = memory.id;
    if (done) return finish('completed', [`${route.specialist} finished in ${state.iteration} iterations`]);
    return finish('dead_lettered', [`iteration_limit: ${route.specialist} did not finish within ${task.maxIterations} iterations`]);
  } catch (err) {
    if (isCancellation(err)) {
      return CancellationScope.nonCancellable(async () => finish('cancelled', ['cancelled by request']));
    }
    const failure = describeFailure(err, activity, state.specialist);
    state.failures.push(failure);
    return finish('dead_lettered', [`${failure.activity} failed: ${failure.type}: ${failure.message}`]);
  }
}

/** The innermost typed cause of an activity failure, as the failure chain records it. */
function describeFailure(err: unknown, activity: string, specialist?: string): FailureRecord {
  let cause: unknown = err;
  while (cause instanceof ActivityFailure && cause.cause) cause = cause.cause;
  if (cause instanceof ApplicationFailure) {
    return { activity, specialist, type: cause.type ?? 'unexpected', message: cause.message };
  }
  return { activity, specialist, type: 'unexpected', message: cause instanceof Error ? cause.message : String(cause) };
}
