import { PantheonError } from '../errors';
import type { Limits } from '../budget/limits';
import { limitsChanges } from '../budget/limits-patch';

/**
 * `pantheon budget limits`: a file's keys laid over the limits the ledger has, applied only if
 * those still stand when the change arrives (compare-and-set, the setLimits update's `ifLimits`).
 * Another operator's change in between is never undone: the read, the merge and the apply run
 * again over it, a few times, before giving up with limits_changed.
 */

/** Reads, merges and applies this many times at most while others keep changing the limits. */
export const LIMITS_APPLY_TRIES = 3;

export interface LimitsApplyDeps {
  /** The ledger's limits now. */
  read(): Promise<Limits>;
  /** The file's keys over `base` (throws for a bad file, naming the key). */
  lay(base: Limits): Limits;
  /** Sends the change; refused with limits_changed when the ledger's limits are no longer `ifLimits`. */
  apply(limits: Limits, ifLimits: Limits): Promise<void>;
}

export type LimitsApplied =
  | { applied: false; limits: Limits }
  | { applied: true; limits: Limits; changes: string[]; tries: number };

export async function applyLimitsOver(deps: LimitsApplyDeps, tries = LIMITS_APPLY_TRIES): Promise<LimitsApplied> {
  for (let attempt = 1; ; attempt++) {
    const before = await deps.read();
    const limits = deps.lay(before);
    const changes = limitsChanges(before, limits);
    if (changes.length === 0) return { applied: false, limits };
    try {
      await deps.apply(limits, before);
      return { applied: true, limits, changes, tries: attempt };
    } catch (err) {
      if (attempt < tries && err instanceof PantheonError && err.type === 'limits_changed') continue;
      throw err;
    }
  }
}
