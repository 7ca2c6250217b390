import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { describeIssues } from './issues';
import { deriveSeed, hashString } from './prng';
import { PantheonError } from '../../errors';

/**
 * A routing scenario: how well and how dearly each specialist does each kind of task, so a bench
 * can give Pantheon a world where some specialist is better at some work and watch routing learn
 * it. A failure is produced through the protocol (the specialist never delivers, so Pantheon's own
 * loop ends the run at its iteration limit); a cost factor scales the usage the provider bills.
 *
 * A task's kind is read from the task text the specialist is shown, never from Pantheon's routing:
 * first an explicit label `[kind: <name>]` anywhere in it (a bench puts it in a task input, which
 * the router does not read), else the first of the scenario's `kinds` patterns that matches.
 *
 * @example
 *   {"seed": 7, "kinds": {"database": "\\b(sql|postgres)\\b"},
 *    "rules": [{"specialist": "DatabaseAgent", "kind": "database", "successRate": 0.9, "costFactor": 1},
 *              {"specialist": "Generalist", "successRate": 0.4, "costFactor": 0.5}]}
 */

function isRegExp(source: string): boolean {
  try {
    new RegExp(source, 'i');
    return true;
  } catch {
    return false;
  }
}

const KIND = z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'must be lowercase letters, digits and "-" (at most 40)');

export const ScenarioRuleSchema = z.strictObject({
  specialist: z.string().min(1).max(100),
  /** Absent: every task of this specialist that no kind-specific rule covers. */
  kind: KIND.optional(),
  successRate: z.number().min(0).max(1),
  costFactor: z.number().gt(0).max(1000),
});
export type ScenarioRule = z.infer<typeof ScenarioRuleSchema>;

export const ScenarioSchema = z.strictObject({
  /** Seeds every verdict; the same seed and task give the same verdict in every run. */
  seed: z.number().int().optional(),
  /** kind → case-insensitive regular expression over the task text, tried in order when no label is present. */
  kinds: z.record(KIND, z.string().min(1).refine(isRegExp, { message: 'must be a valid regular expression' })).optional(),
  rules: z.array(ScenarioRuleSchema),
});
export type Scenario = z.infer<typeof ScenarioSchema>;

export const SCENARIO_ENV = 'PANTHEON_OFFLINE_SCENARIO';
export const DEFAULT_SCENARIO_SEED = 1;

export function parseScenario(value: unknown, source: string): Scenario {
  const parsed = ScenarioSchema.safeParse(value);
  if (!parsed.success) throw PantheonError.of('config_invalid', `${source} is invalid: ${describeIssues(parsed.error, source)}`, { details: { field: source } });
  return parsed.data;
}

/** PANTHEON_OFFLINE_SCENARIO: inline JSON (starts with "{") or the path of a JSON file; unset or blank means none. */
export function loadScenarioFromEnv(env: NodeJS.ProcessEnv = process.env): Scenario | undefined {
  const raw = env[SCENARIO_ENV]?.trim();
  if (!raw) return undefined;
  let text = raw;
  if (!raw.startsWith('{')) {
    try {
      text = readFileSync(raw, 'utf8');
    } catch (err) {
      throw PantheonError.of('config_invalid', `${SCENARIO_ENV} names a file that cannot be read: ${(err as Error).message}`, { details: { field: SCENARIO_ENV } });
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw PantheonError.of('config_invalid', `${SCENARIO_ENV} is not valid JSON: ${(err as Error).message}`, { details: { field: SCENARIO_ENV } });
  }
  return parseScenario(value, SCENARIO_ENV);
}

const LABEL = /\[kind:\s*([a-z0-9][a-z0-9-]{0,39})\s*\]/i;

/** The task's kind: its `[kind: …]` label, else the first matching pattern, else undefined. */
export function kindOfText(scenario: Scenario, text: string): string | undefined {
  const label = LABEL.exec(text);
  if (label) return label[1].toLowerCase();
  for (const [kind, pattern] of Object.entries(scenario.kinds ?? {})) {
    if (new RegExp(pattern, 'i').test(text)) return kind;
  }
  return undefined;
}

/** The rule for this specialist and kind: the kind's own rule first, then the specialist's kindless one. */
export function ruleFor(scenario: Scenario, specialist: string, kind: string | undefined): ScenarioRule | undefined {
  const mine = scenario.rules.filter((r) => r.specialist === specialist);
  return (kind === undefined ? undefined : mine.find((r) => r.kind === kind)) ?? mine.find((r) => r.kind === undefined);
}

export interface ScenarioVerdict {
  kind?: string;
  success: boolean;
  costFactor: number;
  /** The task's draw in [0, 1): it succeeds when the draw is below the rule's success rate. */
  draw: number;
}

/**
 * The verdict for one task run by one specialist. The draw hashes the seed, the task and the
 * specialist, so every call (and every retry) of that task by that specialist gets the same
 * verdict, another specialist gets its own, and a rate changed mid-run moves only the threshold.
 */
export function judge(scenario: Scenario, who: { specialist: string; task: string }, text: string): ScenarioVerdict | undefined {
  const kind = kindOfText(scenario, text);
  const rule = ruleFor(scenario, who.specialist, kind);
  if (!rule) return undefined;
  const draw = deriveSeed(scenario.seed ?? DEFAULT_SCENARIO_SEED, `${who.task}\u0000${who.specialist}`) / 4294967296;
  return { ...(kind !== undefined && { kind }), success: draw < rule.successRate, costFactor: rule.costFactor, draw };
}

/** A task's identity when the caller sent no task header: its text, so the same task draws the same. */
export function taskIdentity(task: string | null, text: string): string {
  return task ?? `text:${hashString(text).toString(16)}`;
}

/** The live scenario, replaceable through the admin API. */
export class ScenarioBook {
  private current: Scenario | undefined;

  constructor(initial?: Scenario) {
    this.current = initial;
  }

  get(): Scenario | undefined {
    return this.current;
  }

  set(scenario: Scenario | undefined): void {
    this.current = scenario === undefined ? undefined : parseScenario(scenario, 'scenario');
  }
}
