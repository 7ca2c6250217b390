import { z } from 'zod';

/**
 * What each LLM answer must look like, per purpose. The run-specialist loop, the router and the
 * compressor parse every answer with these schemas; an answer that does not fit is an
 * `invalid_output` failure, which the engine retries a bounded number of times.
 *
 * The offline provider produces answers in exactly these shapes, so tests exercise the same path
 * as real providers.
 */

export const MAX_DECISIONS_PER_STEP = 3;
export const MAX_DECISION_CHARS = 300;

/** One iteration of a specialist: progress on one step, or the final result. */
export const SpecialistStep = z.object({
  step: z.number().int().min(1),
  of: z.number().int().min(1),
  status: z.enum(['continue', 'done']),
  note: z.string().min(1).max(4000),
  result: z.string().max(20000).optional(),
  /** Decisions this step declares final. Pantheon pins them: its own code carries them verbatim
   * through every later compression (src/compression/pinned.ts), whatever the compressor writes. */
  decisions: z.array(z.string().trim().min(1).max(MAX_DECISION_CHARS)).max(MAX_DECISIONS_PER_STEP).optional(),
});
export type SpecialistStep = z.infer<typeof SpecialistStep>;

/** The router's classification when its keyword rules are unsure. */
export const RouterAnswer = z.object({
  specialist: z.string().min(1),
  confidence: z.number().min(0).max(1),
  reason: z.string().min(1).max(1000),
});
export type RouterAnswer = z.infer<typeof RouterAnswer>;

/**
 * The compressor's summary of a specialist's history so far, in a fixed structure. Pinned facts
 * (constraints, inputs, final decisions, memory warnings) are not part of it: Pantheon carries
 * those itself, so a compressor that drops or rewords one cannot lose it.
 */
export const CompressorAnswer = z.object({
  /** The task's goal, in a sentence. */
  goal: z.string().min(1).max(1000),
  /** What is done: starts with "Completed step N of M.", then the key outputs so far. */
  progress: z.string().min(1).max(6000),
  /** Where the work stands and what comes next. */
  current_state: z.string().min(1).max(2000),
  /** Questions still open; empty when none. */
  open_questions: z.array(z.string().min(1).max(500)).max(20),
});
export type CompressorAnswer = z.infer<typeof CompressorAnswer>;

/**
 * The first user message of every specialist conversation begins with this heading, followed by
 * the task text. Work items in the task are lines that start with "- ", "* " or "1. ".
 */
export const TASK_HEADING = 'TASK';
/** After compression the conversation continues from a user message that starts with this. */
export const SUMMARY_HEADING = 'PROGRESS SUMMARY';
/** In a summary, the decisions the specialist declared final, pinned, one per "- " line. */
export const DECISIONS_HEADING = 'FINAL DECISIONS';
/** In the first user message, the memory lines (src/memory/recall-for-prompt.ts), one per "> " line. */
export const MEMORY_HEADING = 'WARNINGS FROM MEMORY';
