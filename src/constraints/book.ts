import type { ConstraintSpec, StandingConstraint } from './schema';

/** Where the validate activity reads the standing constraints and registers a task's own (God, in a worker: src/workers/god-constraints.ts). */
export interface ConstraintBook {
  /** The active standing constraints. Throws `god_unavailable` (retryable) when their holder does not answer. */
  active(): Promise<StandingConstraint[]>;
  /** Registers what a task sets, ids `${taskId}:c0`…; re-registering is a no-op. Undefined when
   * held; otherwise why not (God is not running to hold them, or refused one). */
  register(taskId: string, specs: readonly ConstraintSpec[]): Promise<string | undefined>;
}
