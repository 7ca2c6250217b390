import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { PantheonError } from '../errors';
import {
  GoalInputSchema,
  PauseSchema,
  RemoveGoalSchema,
  ReviewDecisionSchema,
  SetExperimentalShareSchema,
  type GoalInput,
  type PauseInput,
  type ReviewDecisionInput,
  type SetExperimentalShareInput,
} from '../god/messages';

/**
 * Command-line arguments of `pantheon god …` and `pantheon review …` turned into God's update
 * arguments, checked with the same schemas God's validators use, so bad input is refused here
 * (naming the flag) and nothing is sent.
 */

export const invalid = (field: string, message: string) => PantheonError.of('invalid_input', `${field}: ${message}`, { details: { field } });

/** Checks `raw` with `schema`; the first issue is reported under the flag that supplied its field. */
function check<S extends z.ZodType>(schema: S, raw: unknown, flags: Record<string, string>): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const key = String(issue.path[0] ?? (issue.code === 'unrecognized_keys' ? issue.keys[0] : ''));
  throw invalid(flags[key] ?? (key || 'input'), issue.message);
}

/** A number flag: absent stays absent (the schema's default applies); anything else must be a number. */
export function numberFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw invalid(flag, `expected a number, got "${value}"`);
  return n;
}

/** A goal id from its objective: `Keep the docs current` → `keep-the-docs-current-3f2a`. Stable, so adding the same goal twice is refused as a duplicate. */
export function goalIdFrom(objective: string): string {
  const slug = objective.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40).replace(/-+$/, '');
  const hash = createHash('sha256').update(objective.trim()).digest('hex').slice(0, 4);
  return `${slug || 'goal'}-${hash}`;
}

const GOAL_FLAGS: Record<string, string> = {
  id: '--id',
  objective: '--objective',
  value: '--value',
  cadenceMinutes: '--cadence',
  budgetShare: '--share',
  lane: '--lane',
  tasksPerRun: '--tasks-per-run',
};

export interface GoalFlags {
  id?: string;
  objective?: string;
  value?: string;
  cadence?: string;
  share?: string;
  lane?: string;
  'tasks-per-run'?: string;
}

/** `add-goal --objective … [--id --value --cadence --share --lane --tasks-per-run]` as a checked goal. */
export function goalFromFlags(flags: GoalFlags): GoalInput {
  if (flags.objective === undefined) throw invalid('--objective', 'required (or give --file FILE)');
  const raw: Record<string, unknown> = { id: flags.id ?? goalIdFrom(flags.objective), objective: flags.objective };
  const numbers: Array<[keyof GoalFlags, string]> = [
    ['value', 'value'],
    ['cadence', 'cadenceMinutes'],
    ['share', 'budgetShare'],
    ['tasks-per-run', 'tasksPerRun'],
  ];
  for (const [flag, field] of numbers) {
    const n = numberFlag(`--${flag}`, flags[flag]);
    if (n !== undefined) raw[field] = n;
  }
  if (flags.lane !== undefined) raw.lane = flags.lane;
  return check(GoalInputSchema, raw, GOAL_FLAGS);
}

export function removeGoalFrom(positionals: string[]): { goalId: string } {
  if (positionals.length !== 1) throw invalid('goal-id', `expected one goal id, got ${positionals.length}`);
  return check(RemoveGoalSchema, { goalId: positionals[0] }, { goalId: 'goal-id' });
}

/** `pause|resume [--reason R] [--by NAME]`. */
export function pauseFrom(reason: string | undefined, by?: string): PauseInput {
  return check(PauseSchema, { ...(reason !== undefined && { reason }), ...(by !== undefined && { by }) }, { reason: '--reason', by: '--by' });
}

/** `share <0..0.5> --reason R [--by NAME]`. */
export function shareFrom(positionals: string[], reason: string | undefined, by: string | undefined): SetExperimentalShareInput {
  if (positionals.length !== 1) throw invalid('share', `expected one share between 0 and 0.5 (e.g. 0.15), got ${positionals.length} arguments`);
  if (reason === undefined) throw invalid('--reason', "required: why you change the experimental lane's share (God's audit trail)");
  const share = numberFlag('share', positionals[0]);
  return check(SetExperimentalShareSchema, { share, reason, ...(by !== undefined && { by }) }, { share: 'share', reason: '--reason', by: '--by' });
}

/** `review approve|reject <task-id> [--reason R] [--by NAME]`. */
export function reviewFrom(decision: 'approve' | 'reject', positionals: string[], reason: string | undefined, by: string | undefined): ReviewDecisionInput {
  if (positionals.length !== 1) throw invalid('task-id', `expected one task id, got ${positionals.length}`);
  return check(
    ReviewDecisionSchema,
    { taskId: positionals[0], decision, ...(reason !== undefined && { reason }), ...(by !== undefined && { by }) },
    { taskId: 'task-id', reason: '--reason', by: '--by', decision: 'decision' },
  );
}
