import type { CompressorAnswer } from '../specialists/protocol';

/**
 * What a specialist continues from after compression: the compressor's account in a fixed
 * structure, plus the decisions the specialist declared final, which Pantheon's code carries
 * verbatim from one compression to the next (the compressor never writes them).
 *
 * The task's constraints, inputs and memory warnings are pinned too, but need no carrying: every
 * prompt renders them from the task and the route's warnings (src/activities/prompts.ts).
 */
export interface ContextSummary {
  goal: string;
  /** Starts with "Completed step N of M." (what the specialist resumes from). */
  progress: string;
  currentState: string;
  openQuestions: string[];
  /** Final decisions, verbatim, in the order declared; at most MAX_PINNED_DECISIONS. */
  decisions: string[];
}

/**
 * A summary as the workflow carries it. A plain string is a summary written before summaries had
 * a structure (a task that compressed on an older worker): it is rendered as it is.
 */
export type CarriedSummary = ContextSummary | string;

export function summaryOf(answer: CompressorAnswer, decisions: readonly string[]): ContextSummary {
  return {
    goal: answer.goal,
    progress: answer.progress,
    currentState: answer.current_state,
    openQuestions: answer.open_questions,
    decisions: [...decisions],
  };
}

/** The decisions an earlier summary pinned; a legacy text summary pinned none. */
export function pinnedDecisionsOf(summary: CarriedSummary | undefined): string[] {
  return summary && typeof summary === 'object' ? summary.decisions : [];
}
