import { z } from 'zod';
import { lazySchema } from './lazy-schema';
import type { TerminalStatus } from '../workflows/task-state';
import { childLineage, type Lineage } from './lineage';
import { trimText, REPORT_SUMMARY_CHARS } from './report';
import { LANES, MAX_OBJECTIVE_CHARS, TaskInputSchema, type Lane, type Task } from './task-input';

/**
 * A chain: one task worked by 2–4 specialists in turn (for example ResearchAgent, then
 * DatabaseAgent), each step a child agentTask. The decisions the taskChain workflow takes are
 * here, pure: the input's shape, each step's task, what a step passes on, and how the chain ends.
 *
 * @example
 *   temporal workflow start --type taskChain --task-queue pantheon-tasks --workflow-id chain-1 \
 *     --input '{"task":{"objective":"Find how other teams index JSONB, then add the index to orders.meta"},"plan":["ResearchAgent","DatabaseAgent"]}'
 */

export const MIN_CHAIN_STEPS = 2;
export const MAX_CHAIN_STEPS = 4;

/** The input key under which a step receives the previous step's result summary. Inputs are
 * fenced as data in the specialist's prompt: another agent's output informs, it never instructs. */
export const PREVIOUS_STEP_INPUT = 'previous_step';

const SpecialistName = lazySchema('tasks/chain.SpecialistName', () =>
  z.string().trim().min(1).max(80)
);

export const ChainInputSchema = lazySchema('tasks/chain.ChainInputSchema', () =>
  z
    .object({
      /** The task as submitted; its `specialist` is ignored (the plan names each step's). */
      task: TaskInputSchema,
      plan: z
        .array(SpecialistName)
        .min(MIN_CHAIN_STEPS, `must name at least ${MIN_CHAIN_STEPS} specialists`)
        .max(MAX_CHAIN_STEPS, `must name at most ${MAX_CHAIN_STEPS} specialists (a chain has ${MIN_CHAIN_STEPS}–${MAX_CHAIN_STEPS} steps)`),
      /** Told of the chain's end by a `taskFinished` signal; defaults to the task's own `reportTo`. */
      reportTo: z.string().min(1).max(200).optional(),
      /** Defaults to the task's lane. */
      lane: z.enum(LANES).optional(),
      /** Defaults to the task's goal. */
      goalId: z.string().min(1).max(80).optional(),
    })
    .strict()
);

export type ChainInput = z.input<typeof ChainInputSchema>;

/** A checked chain input with the defaults taken from its task. */
export interface Chain {
  task: Task;
  plan: string[];
  reportTo?: string;
  lane: Lane;
  goalId?: string;
}

export function resolveChain(input: z.output<typeof ChainInputSchema>): Chain {
  const chain: Chain = { task: input.task, plan: input.plan, lane: input.lane ?? input.task.lane };
  const reportTo = input.reportTo ?? input.task.reportTo;
  const goalId = input.goalId ?? input.task.goalId;
  if (reportTo) chain.reportTo = reportTo;
  if (goalId) chain.goalId = goalId;
  return chain;
}

export type StepStatus = 'pending' | 'running' | 'skipped' | TerminalStatus;

export interface ChainStep {
  /** 1-based. */
  step: number;
  /** The specialist the plan names for the step. */
  specialist: string;
  taskId: string;
  status: StepStatus;
  costUsd: number;
  tokens: number;
  iterations: number;
  /** The step task's first reason once it ended. */
  reason?: string;
  /** Who actually finished it (differs from `specialist` after a reassignment). */
  ranSpecialist?: string;
  /** The start of the step's result: what the next step receives. */
  summary?: string;
  /** The status the step's own `taskFinished` report gave, once it arrived. */
  reported?: TerminalStatus;
}

/** The taskChain workflow's state: what its `state` query answers and what it returns. */
export interface ChainState {
  chainId: string;
  status: 'validating' | 'running' | TerminalStatus;
  objective: string;
  priority: string;
  plan: string[];
  /** 0-based index of the step running or last run; -1 before the first. */
  current: number;
  steps: ChainStep[];
  costUsd: number;
  tokens: number;
  reasons: string[];
  /** The last step's result, once the chain completed. */
  result?: string;
  lineage?: Lineage;
  lane: Lane;
  goalId?: string;
  reportTo?: string;
}

export type ChainOutcome = ChainState & { status: TerminalStatus };

export function stepTaskId(chainId: string, index: number): string {
  return `${chainId}:step-${index + 1}`;
}

/** "step 2/3 (DatabaseAgent)": how reasons and details name a step. */
export function stepLabel(plan: readonly string[], index: number): string {
  return `step ${index + 1}/${plan.length} (${plan[index]})`;
}

export function initialSteps(chainId: string, plan: readonly string[]): ChainStep[] {
  return plan.map((specialist, i) => ({ step: i + 1, specialist, taskId: stepTaskId(chainId, i), status: 'pending', costUsd: 0, tokens: 0, iterations: 0 }));
}

/** The objective a step works on: which step of which chain it is, then the original objective
 * (cut at its end if the header would push it past the task limit). */
export function stepObjective(objective: string, plan: readonly string[], index: number): string {
  const previous = index > 0 ? ` The result of step ${index} (${plan[index - 1]}) is under INPUTS as ${PREVIOUS_STEP_INPUT}.` : '';
  const header = `Step ${index + 1} of ${plan.length} in the chain ${plan.join(' -> ')}: you are ${plan[index]}; do this step's part of the objective.${previous}\nObjective:\n`;
  return header + trimText(objective, MAX_OBJECTIVE_CHARS - header.length);
}

/** What one step passes to the next: the start of its result under a header, never its transcript. */
export function previousStepInput(plan: readonly string[], index: number, result: string): string {
  return `Result of ${stepLabel(plan, index)}, first ${REPORT_SUMMARY_CHARS} characters at most:\n${trimText(result, REPORT_SUMMARY_CHARS)}`;
}

/**
 * The child task for step `index`: the chain's task with the step's objective and specialist,
 * one level below the chain in lineage, in the chain's lane and goal, reporting to the chain.
 * From step 2 on, `previousResult` (the last step's result) is handed on as a trimmed input.
 */
export function stepTask(chain: Chain, chainId: string, chainLineage: Lineage, index: number, previousResult?: string): Task {
  const inputs = { ...chain.task.inputs };
  if (index > 0 && previousResult !== undefined) inputs[PREVIOUS_STEP_INPUT] = previousStepInput(chain.plan, index - 1, previousResult);
  const task: Task = {
    ...chain.task,
    objective: stepObjective(chain.task.objective, chain.plan, index),
    specialist: chain.plan[index],
    inputs,
    lineage: childLineage(chainId, chainLineage),
    lane: chain.lane,
    reportTo: chainId,
  };
  if (chain.goalId) task.goalId = chain.goalId;
  else delete task.goalId;
  return task;
}

/**
 * Whether the chain has ended, and how: completed when every step completed; otherwise the first
 * step that did not complete decides the status, and its reason says which step it was. While
 * that step is still pending or running the chain has not ended (undefined).
 */
export function chainEnd(plan: readonly string[], steps: readonly ChainStep[]): { status: TerminalStatus; reasons: string[] } | undefined {
  const first = steps.findIndex((s) => s.status !== 'completed');
  if (first < 0) {
    // The first reason is the one reports and tables show: it speaks for the whole chain, not its first step.
    const last = steps[steps.length - 1];
    const summary = `chain completed: ${steps.length} of ${plan.length} step${plan.length === 1 ? '' : 's'} (${plan.join(' → ')}); last: ${last?.reason ?? ''}`.trim();
    return { status: 'completed', reasons: [summary, ...steps.map((s, i) => `${stepLabel(plan, i)} completed: ${s.reason ?? ''}`.trim())] };
  }
  const step = steps[first];
  if (step.status === 'pending' || step.status === 'running' || step.status === 'skipped') return undefined;
  // A budget stop's reason already starts with its status (`budget_exceeded: …`): say it once.
  const reason = step.reason?.startsWith(`${step.status}: `) ? step.reason.slice(step.status.length + 2) : step.reason;
  return { status: step.status, reasons: [`${stepLabel(plan, first)} ended ${step.status}: ${reason || 'no reason given'}`] };
}

/** The Web UI's one-line view of the plan: done steps ticked, the running one marked. */
export function planProgress(steps: readonly ChainStep[]): string {
  const mark: Record<StepStatus, string> = { pending: '', running: ' (running)', skipped: ' (skipped)', completed: ' ✓', rejected: ' ✗ rejected', dead_lettered: ' ✗ dead_lettered', cancelled: ' ✗ cancelled', budget_exceeded: ' ✗ budget_exceeded' };
  return steps.map((s) => `${s.specialist}${mark[s.status]}`).join(' → ');
}
