import { z } from 'zod';
import { lazySchema } from './lazy-schema';

/**
 * Where a task sits in a tree of tasks that started tasks: its root, its parent and its depth.
 * Whoever starts a spawned task (the CLI's `--parent`, the Temporal CLI, a task, the God
 * workflow) sets it; a task submitted by a person has none and is its own root at depth 0.
 * Every LLM call carries it, so the ledger can hold `max_spawn_depth` end to end.
 */
export const LineageSchema = lazySchema('tasks/lineage.LineageSchema', () =>
  z
    .object({
      rootTaskId: z.string().min(1).max(200),
      parentTaskId: z.string().min(1).max(200),
      spawnDepth: z.number().int().min(1, 'must be 1 or more for a spawned task (a submitted task has no lineage)').max(100),
    })
    .strict()
);

export type LineageInput = z.infer<typeof LineageSchema>;

export interface Lineage {
  rootTaskId: string;
  /** Absent for a root task. */
  parentTaskId?: string;
  spawnDepth: number;
}

/** The task's lineage, resolved: a task without one is its own root. */
export function lineageOf(taskId: string, given: LineageInput | undefined): Lineage {
  return given ? { ...given } : { rootTaskId: taskId, spawnDepth: 0 };
}

/** The lineage of a task started by `parent`. */
export function childLineage(parentTaskId: string, parent: Lineage): LineageInput {
  return { rootTaskId: parent.rootTaskId, parentTaskId, spawnDepth: parent.spawnDepth + 1 };
}
