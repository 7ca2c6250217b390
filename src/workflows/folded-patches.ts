import { patched } from '@temporalio/workflow';

/**
 * Patches folded into one marker. Each `patched()` that answers true in a new execution records a
 * marker and upserts the TemporalChangeVersion search attribute: two history events and a
 * visibility write, per patch, per task, forever. A workflow whose code has gathered patches asks
 * one marker instead, once, before its first command: an execution that records it runs every
 * patch in `ids` without asking each one. A history from before has no such marker, so each patch
 * is asked on its own, as it ran.
 *
 * Only patches that exist when the marker is introduced belong in `ids`: a history recorded under
 * the marker did not run a later one, so a later patch is asked with `patched` as usual.
 *
 * @example
 *   const patches = foldPatches('agent-task-patches-folded', [REQUEUE_WAIT_PATCH, BILL_WITH_RECORD_PATCH]);
 *   if (patches.patched(REQUEUE_WAIT_PATCH)) …   // true without a marker of its own in a new execution
 */
export interface FoldedPatches {
  /** Whether this execution recorded the folded marker (it runs every folded patch). */
  folded: boolean;
  /** `patched` for this workflow: true for a folded patch under the marker, else asked as usual. */
  patched(id: string): boolean;
}

export function foldPatches(marker: string, ids: readonly string[]): FoldedPatches {
  const folded = patched(marker);
  const inFold = new Set(ids);
  return { folded, patched: (id) => (folded && inFold.has(id)) || patched(id) };
}
