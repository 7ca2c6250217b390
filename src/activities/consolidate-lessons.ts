import { log } from '@temporalio/activity';
import { consolidateLessons as consolidate, type ConsolidationReport } from '../memory/lesson-book';
import type { ActivityDeps } from './deps';

export interface ConsolidateLessonsInput {
  /** ISO-8601: the run's time (the workflow's clock), written as each retirement's time. */
  at: string;
  /** Gist similarity at which active lessons merge; default NEAR_DUPLICATE (0.75). */
  mergeSimilarity?: number;
  /** Objective similarity at which a later success of the same specialist contradicts a lesson; default 0.8. */
  contradictSimilarity?: number;
}

/**
 * One consolidation pass over the shared memory's lessons (src/memory/lesson-book.ts): merges
 * near duplicates and retires lessons contradicted by later successes. Idempotent: a retry finds
 * the merges and retirements of the attempt before it already made, and makes no more.
 */
export function createConsolidateLessons({ memory }: Pick<ActivityDeps, 'memory'>) {
  return async function consolidateLessons(input: ConsolidateLessonsInput): Promise<ConsolidationReport> {
    const report = await consolidate(memory, input);
    log.info('lessons consolidated', { merged: report.merged.length, contradicted: report.contradicted.length, activeAfter: report.activeAfter });
    return report;
  };
}
