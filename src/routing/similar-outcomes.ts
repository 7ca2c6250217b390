import { recallText } from '../memory/record';
import type { MemoryStore } from '../memory/types';
import { MEMORY_SIMILARITY_FLOOR, type Neighbour } from './memory-kind';

/**
 * The nearest past task records of a task, as routing evidence (src/routing/memory-kind.ts): one
 * hybrid recall by the task's objective (the text records are embedded by), above the similarity
 * floor, each hit reduced to who ran it, whether it worked and how alike it is. Records of this
 * same task (an earlier attempt) are left out: they say how this task went, not what it is like.
 * For the route activity; reads memory only.
 *
 * @example
 *   const neighbours = await similarOutcomes(memory, task, { excludeTaskId: taskId });
 *   kindAndEvidence({ ranking: rules.ranking, neighbours, fallbackName: roster.fallback.name })
 */

/** Past tasks asked for: enough for "6 of 7" to mean something, few enough to stay the nearest. */
export const SIMILAR_OUTCOMES_LIMIT = 10;

export interface SimilarOutcomesOptions {
  limit?: number;
  minScore?: number;
  excludeTaskId?: string;
}

export async function similarOutcomes(memory: Pick<MemoryStore, 'recall'>, task: { objective: string }, options: SimilarOutcomesOptions = {}): Promise<Neighbour[]> {
  const text = recallText(task);
  if (text.trim() === '') return [];
  const limit = options.limit ?? SIMILAR_OUTCOMES_LIMIT;
  // This task's own earlier attempts are dropped after the recall, so a few more hits are asked for.
  const hits = await memory.recall({ text, limit: options.excludeTaskId ? limit + 3 : limit, minScore: options.minScore ?? MEMORY_SIMILARITY_FLOOR, hybrid: true });
  return hits
    .filter((h) => h.record.taskId !== options.excludeTaskId)
    .slice(0, limit)
    .map((h) => ({ specialist: h.record.specialist, success: h.record.success, similarity: h.score }));
}

/**
 * similarOutcomes, or none when memory cannot answer: routing then goes by the rules alone, and
 * a memory outage never stops a task from being routed. `warn` hears why.
 */
export async function similarOutcomesOrNone(memory: Pick<MemoryStore, 'recall'>, task: { objective: string }, taskId: string, warn: (message: string, error: string) => void): Promise<Neighbour[]> {
  try {
    return await similarOutcomes(memory, task, { excludeTaskId: taskId });
  } catch (err) {
    warn('memory not asked for similar past tasks; routing by the rules alone', String(err));
    return [];
  }
}
