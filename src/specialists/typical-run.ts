import { costOf } from '../llm/pricing';

/**
 * What one ordinary run of a specialist costs: not the worst case the budget reserves, but the
 * expectation God ranks tasks by. A run takes one step per work item plus a final step; each step
 * answers about half its output allowance, and every answer stays in the history the next step
 * reads. Pure; priced from the pinned table.
 */

/** An answer's typical share of its allowance. */
export const TYPICAL_OUTPUT_SHARE = 0.5;
/** The "continue" turn after each answer. */
const CONTINUE_TOKENS = 12;
const MIN_STEPS = 2;

export interface TypicalRunInput {
  model: string;
  /** The first call's prompt (system prompt and task message). */
  promptTokens: number;
  maxOutputTokens: number;
  /** Bullet items in the task. */
  workItems: number;
  /** The task's iteration limit. */
  maxIterations: number;
}

export interface TypicalRun {
  steps: number;
  inputTokens: number;
  outputTokens: number;
  usd: number;
}

export function typicalRun({ model, promptTokens, maxOutputTokens, workItems, maxIterations }: TypicalRunInput): TypicalRun {
  const steps = Math.max(1, Math.min(maxIterations, Math.max(MIN_STEPS, workItems + 1)));
  const answer = Math.ceil(maxOutputTokens * TYPICAL_OUTPUT_SHARE);
  let inputTokens = 0;
  for (let step = 0; step < steps; step++) inputTokens += promptTokens + step * (answer + CONTINUE_TOKENS);
  const outputTokens = steps * answer;
  const usd = costOf(model, { inputTokens, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens });
  return { steps, inputTokens, outputTokens, usd };
}

const ITEM = /^\s*(?:[-*]|\d+[.)])\s+\S/;

/** Work items: the bullet or numbered lines of a text (what a specialist works one step each). */
export function countWorkItems(text: string): number {
  return text.split(/\r?\n/).filter((line) => ITEM.test(line)).length;
}
