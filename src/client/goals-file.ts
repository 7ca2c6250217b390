import fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { LimitsFileSchema } from '../budget/limits';
import { nearestName } from '../config/unknown-variables';
import { ConstraintSpecSchema } from '../constraints/schema';
import { PantheonError } from '../errors';
import { GoalInputSchema, GoalsFileSchema, type GoalInput } from '../god/messages';

/**
 * Goals files: `goals:` and a list of goals (objective, value, cadenceMinutes, budgetShare, lane,
 * tasksPerRun), in YAML or JSON (JSON is YAML). Checked completely before anything is sent, so a
 * bad file starts nothing; the error names the file and the field.
 *
 * @example
 *   const goals = loadGoalsFile('goals.example.yaml'); // GoalInput[]
 */

function invalid(file: string, field: string, message: string): PantheonError {
  return PantheonError.of('invalid_input', `goals file ${file}: ${field ? `${field}: ` : ''}${message}`, { details: { file, field } });
}

/**
 * The fields the object at `path` takes: `top` at the top level (a goals file's `goals`, or a
 * goal's fields when the file is one goal), a goal's in the list, a constraint's in a goal's.
 * A goals file's unknown top-level key was told a goal's fields, which it could not have meant.
 */
function fieldsAt(path: readonly PropertyKey[], top: readonly string[]): readonly string[] {
  if (path.length === 0) return top;
  if (path.at(-2) === 'constraints') return Object.keys(ConstraintSpecSchema.shape);
  return Object.keys(GoalInputSchema.shape);
}

/** Every zod issue as field and message (an unknown key names itself, the fields known there and
 * the one it likely misspells), as one error: a file with three mistakes is fixed in one go, not
 * three. The error's field is the first one's. */
function issuesError(error: z.ZodError, file: string, top: readonly string[]): PantheonError {
  const all = error.issues.flatMap((issue) => {
    const at = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      const known = fieldsAt(issue.path, top);
      return issue.keys.map((key) => {
        const near = nearestName(key, known);
        return { field: [at, key].filter(Boolean).join('.'), message: `unknown field (known: ${known.join(', ')}${near === undefined ? '' : `; did you mean ${near}?`})` };
      });
    }
    return [{ field: at, message: issue.message }];
  });
  const [first, ...more] = all;
  return invalid(file, first.field, [first.message, ...more.map(({ field, message }) => `${field}: ${message}`)].join('; '));
}

function parseText(text: string, file: string): unknown {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw invalid(file, '', `not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}`);
  }
  refuseLimitsFile(raw, file);
  return raw;
}

/**
 * limits.yaml given for goals (`god start --goals limits.yaml`, the files side by side) is told so:
 * each of its keys was listed as an unknown goal field, which pointed at the file's fields rather
 * than at the file.
 */
function refuseLimitsFile(raw: unknown, file: string): void {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return;
  const keys = Object.keys(raw);
  const limitsKeys = Object.keys(LimitsFileSchema.shape);
  if (keys.length === 0 || !keys.every((key) => limitsKeys.includes(key))) return;
  throw invalid(
    file,
    '',
    'this looks like a limits file (its keys are limits.yaml\'s), not goals: a goals file is "goals:" and a list of goals, each with an id and an objective (see goals.example.yaml)',
  );
}

function uniqueIds(goals: GoalInput[], file: string, prefix: string): GoalInput[] {
  const seen = new Set<string>();
  goals.forEach((goal, i) => {
    if (seen.has(goal.id)) throw invalid(file, `${prefix}${i}.id`, `duplicate id "${goal.id}"`);
    seen.add(goal.id);
  });
  return goals;
}

/** Parses a goals file's text (`{ goals: [...] }`); `file` names the source in errors. */
export function parseGoalsFile(text: string, file: string): GoalInput[] {
  const raw = parseText(text, file);
  if (raw === null || raw === undefined) throw invalid(file, 'goals', 'the file is empty: expected "goals:" and a list of goals');
  const parsed = GoalsFileSchema.safeParse(raw);
  if (!parsed.success) throw issuesError(parsed.error, file, Object.keys(GoalsFileSchema.shape));
  return uniqueIds(parsed.data.goals, file, 'goals.');
}

/**
 * One goal or several, for `pantheon god add-goal --file`: a goals file, or a single goal object.
 */
export function parseGoalOrGoals(text: string, file: string): GoalInput[] {
  const raw = parseText(text, file);
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw) && 'goals' in raw) return parseGoalsFile(text, file);
  const parsed = GoalInputSchema.safeParse(raw);
  if (!parsed.success) throw issuesError(parsed.error, file, Object.keys(GoalInputSchema.shape));
  return [parsed.data];
}

export function readGoalsText(file: string): string {
  try {
    return file === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw invalid(file, '', `cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

/** Reads and validates a goals file. */
export function loadGoalsFile(file: string): GoalInput[] {
  return parseGoalsFile(readGoalsText(file), file);
}
