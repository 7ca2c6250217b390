import { PantheonError } from '../errors';
import { GoalInputSchema, type GoalInput } from './messages';
import { STATE_BOUNDS } from './state';
import type { GodState, GoalState } from './types';

/**
 * Standing goals: when each is due to generate tasks, adding and removing them, and the
 * fingerprints that keep a goal from generating the same task twice. Pure.
 *
 * @example
 *   state = addGoal(state, { id: 'docs', objective: 'Keep the runbooks current' }, nowMs);
 *   for (const goal of goalsDue(state.goals, nowMs, runway.budgetUsd)) ...
 */

export const MAX_GOALS = 20;

function bad(field: string, message: string): PantheonError {
  return PantheonError.of('invalid_input', `goal field "${field}": ${message}`, { details: { field } });
}

/**
 * Goals whose cadence has come round (never generated, or `cadenceMinutes` since the last time),
 * in the order they were added. With `budgetUsd`, a goal that has spent its share of the day is
 * not due: its tasks could not start today anyway.
 */
export function goalsDue(goals: readonly GoalState[], nowMs: number, budgetUsd?: number): GoalState[] {
  return goals.filter((g) => {
    const due = g.lastGeneratedAtMs === 0 || nowMs - g.lastGeneratedAtMs >= g.cadenceMinutes * 60_000;
    const spent = budgetUsd !== undefined && g.spentTodayUsd >= g.budgetShare * budgetUsd;
    return due && !spent;
  });
}

/**
 * Whether a goal may generate now: the generator call is spent before any admission, so pacing
 * must leave room for it. It runs only while the goal's lane has more headroom than the goal's
 * last generation cost (any headroom at all before its first).
 */
export function generationFits(goal: Pick<GoalState, 'lastGenerationCostUsd'>, laneHeadroomUsd: number): boolean {
  return laneHeadroomUsd > (goal.lastGenerationCostUsd ?? 0);
}

/**
 * Adds a goal (checked against GoalInputSchema, defaults filled) at the end of the list. Throws
 * `invalid_input` naming the field for a malformed goal, `id` for a duplicate, and `goals` when
 * there are already {@link MAX_GOALS}.
 */
export function addGoal(state: GodState, input: GoalInput, nowMs: number): GodState {
  const parsed = GoalInputSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw bad(issue.path.map(String).join('.') || '(goal)', issue.message);
  }
  // A goal's constraints are God's standing constraints (registered by the caller), not goal fields.
  const { constraints: _constraints, ...goal } = parsed.data;
  if (state.goals.some((g) => g.id === goal.id)) throw bad('id', `a goal "${goal.id}" already exists`);
  if (state.goals.length >= MAX_GOALS) throw PantheonError.of('invalid_input', `goals: at most ${MAX_GOALS}; remove one first`, { details: { field: 'goals' } });
  const added: GoalState = { ...goal, addedAtMs: nowMs, lastGeneratedAtMs: 0, generated: 0, spentTodayUsd: 0 };
  return { ...state, goals: [...state.goals, added] };
}

/**
 * Removes a goal; `invalid_input` naming `goalId` when there is none. Its tasks already queued or
 * running stay (generated ones not started by the day's end are dropped then).
 */
export function removeGoal(state: GodState, goalId: string): GodState {
  if (!state.goals.some((g) => g.id === goalId)) {
    throw PantheonError.of('invalid_input', `goalId: no goal "${goalId}" (goals: ${state.goals.map((g) => g.id).join(', ') || 'none'})`, { details: { field: 'goalId' } });
  }
  return { ...state, goals: state.goals.filter((g) => g.id !== goalId) };
}

/** Marks a goal as having generated `count` tasks at `nowMs` (its cadence restarts from there). */
export function markGenerated(state: GodState, goalId: string, count: number, nowMs: number): GodState {
  return { ...state, goals: state.goals.map((g) => (g.id === goalId ? { ...g, lastGeneratedAtMs: nowMs, generated: g.generated + count } : g)) };
}

/**
 * A task's identity for deduplication: its objective lower-cased, with punctuation and runs of
 * whitespace folded to single spaces, hashed with 32-bit FNV-1a (hex). Deterministic everywhere.
 */
export function taskFingerprint(objective: string): string {
  const text = objective
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}

/** Whether the fingerprint was seen among the recently generated tasks. */
export function knownFingerprint(state: GodState, fingerprint: string): boolean {
  return state.fingerprints.includes(fingerprint);
}

/** Forgets fingerprints of generated tasks that never ran (dropped when their day ended): the
 * goal may propose them again. */
export function forgetFingerprints(state: GodState, fingerprints: readonly string[]): GodState {
  const forget = new Set(fingerprints);
  if (!state.fingerprints.some((f) => forget.has(f))) return state;
  return { ...state, fingerprints: state.fingerprints.filter((f) => !forget.has(f)) };
}

/** Remembers a generated task's fingerprint (newest last; the oldest fall off past the bound). */
export function rememberFingerprint(state: GodState, fingerprint: string): GodState {
  if (state.fingerprints.includes(fingerprint)) return state;
  return { ...state, fingerprints: [...state.fingerprints, fingerprint].slice(-STATE_BOUNDS.fingerprints) };
}
