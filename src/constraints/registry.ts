import { activeConstraints, expiryMs, MAX_CONSTRAINTS, type AddConstraintSchema, type StandingConstraint } from './schema';
import type { z } from 'zod';

/**
 * The list of standing constraints as God changes it: add (idempotent by id), remove, prune the
 * expired. Pure (runs in the workflow sandbox); times come in as arguments.
 *
 * @example
 *   const { list, constraint } = addConstraint(state.constraints ?? [], AddConstraintSchema.parse(raw), 'c-7', nowMs);
 */

type AddInput = z.output<typeof AddConstraintSchema>;

/** The id a task's n-th declared constraint gets: stable, so a retried registration is a no-op. */
export function taskConstraintId(taskId: string, index: number): string {
  const safe = taskId.replace(/[^A-Za-z0-9._:-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 100) || 'task';
  return `${safe}:c${index}`;
}

export type AddOutcome = { list: StandingConstraint[]; constraint: StandingConstraint; added: boolean };

/**
 * Adds a constraint; an id already held returns the held one unchanged (added: false). Expired
 * ones are pruned first; if the list is still full, the error names the bound.
 */
export function addConstraint(list: readonly StandingConstraint[], input: AddInput, fallbackId: string, nowMs: number): AddOutcome {
  const id = input.id ?? fallbackId;
  const held = list.find((c) => c.id === id);
  if (held) return { list: [...list], constraint: held, added: false };
  const live = activeConstraints(list, nowMs);
  if (live.length >= MAX_CONSTRAINTS) throw new Error(`at most ${MAX_CONSTRAINTS} active constraints; remove one first (pantheon constraints remove <id>)`);
  const expiresAtMs = expiryMs(input.spec, nowMs);
  const constraint: StandingConstraint = {
    id,
    text: input.spec.text,
    ...(input.spec.scope && { scope: input.spec.scope }),
    ...(expiresAtMs !== undefined && { expiresAtMs }),
    setBy: input.setBy,
    addedAtMs: nowMs,
  };
  return { list: [...live, constraint], constraint, added: true };
}

/** Why an add would be refused (an update validator's check), or undefined. */
export function addRefusal(list: readonly StandingConstraint[], input: AddInput, nowMs: number): string | undefined {
  if (input.id && list.some((c) => c.id === input.id)) return undefined; // idempotent re-add
  const expiresAtMs = expiryMs(input.spec, nowMs);
  if (expiresAtMs !== undefined && expiresAtMs <= nowMs) return `spec.expiresAt: ${input.spec.expiresAt} is already past`;
  if (activeConstraints(list, nowMs).length >= MAX_CONSTRAINTS) return `at most ${MAX_CONSTRAINTS} active constraints; remove one first`;
  return undefined;
}

export function removeConstraint(list: readonly StandingConstraint[], id: string): { list: StandingConstraint[]; removed?: StandingConstraint } {
  const removed = list.find((c) => c.id === id);
  return { list: list.filter((c) => c.id !== id), removed };
}

/** The active ones only: what compaction keeps. */
export function pruneConstraints(list: readonly StandingConstraint[] | undefined, nowMs: number): StandingConstraint[] {
  return activeConstraints(list ?? [], nowMs).slice(-MAX_CONSTRAINTS);
}
