import fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { nearestName } from '../config/unknown-variables';
import { PantheonError } from '../errors';
import { GodConfigSchema } from '../god/messages';
import type { GodConfig } from '../god/types';

/**
 * God's settings as `pantheon god start` (and `npm run god`) take them: `--config '<json>'` or
 * `--config-file FILE`, in JSON or YAML (one parser, as goals files: JSON is YAML). Checked with the
 * schema God checks its own input with, strictly, before anything is started: every bad field is
 * named under the flag that gave it (`--config: tickSeconds: …`), exit 1.
 *
 * @example
 *   godSettingsFrom({ config: '{"tickSeconds":7}' }) // { tickSeconds: 7 }
 *   godSettingsFrom({ config: 'tickSeconds: 7' })    // { tickSeconds: 7 }
 */

/** God's settings an operator gives: where God runs (taskQueue) is PANTHEON_TASK_QUEUE's, not one of them. */
export type GodSettings = Partial<Omit<GodConfig, 'taskQueue'>>;

export interface GodSettingsFlags {
  config?: string;
  'config-file'?: string;
}

/** Why a key that is no setting was given, when it is a known mistake (else a nearby setting's name, or the list). */
const NOT_SETTINGS: Record<string, string> = {
  config: 'give the settings themselves, without the workflow input\'s "config" wrapper: --config \'{"tickSeconds":30}\'',
  goals: 'goals come with --goals FILE',
  state: "God's state is resumed from a killed run, never given",
  taskQueue: 'where God runs is PANTHEON_TASK_QUEUE, not a setting here',
};

const settingNames = (): string[] => Object.keys(GodConfigSchema.shape).filter((key) => key !== 'taskQueue');
/** Own keys only: "constructor" or "toString" is no setting. */
const isSetting = (key: string): boolean => key !== 'taskQueue' && Object.hasOwn(GodConfigSchema.shape, key);

function refusal(source: string, problems: string[], setting?: string): PantheonError {
  const field = source.split(' ')[0];
  return PantheonError.of('invalid_input', `${source}: ${problems.join('; ')}`, { details: { field, ...(setting !== undefined && { setting }) } });
}

/** "colour: unknown field (…)", saying what was likely meant. */
function unknownField(key: string): string {
  if (Object.hasOwn(NOT_SETTINGS, key)) return `${key}: unknown field (${NOT_SETTINGS[key]})`;
  const names = settingNames();
  const near = nearestName(key, names);
  return `${key}: unknown field (${near ? `did you mean ${near}?` : `God's settings: ${names.join(', ')}`})`;
}

/**
 * Settings parsed from `text`; `source` names where they came from in a refusal (`--config`,
 * `--config-file god.yaml`). Only the fields given are returned, not the defaults: given over a
 * killed run's settings, an omitted one keeps that run's value.
 */
export function parseGodSettings(text: string, source: string): GodSettings {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw refusal(source, [`not valid JSON or YAML: ${(err as Error).message.split('\n')[0]}`]);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    const got = raw === null || raw === undefined ? 'nothing' : Array.isArray(raw) ? 'a list' : `${typeof raw} ${JSON.stringify(raw)}`;
    throw refusal(source, [`expected an object of God's settings, e.g. {"tickSeconds":30,"pacing":"none"}, got ${got}`]);
  }
  const given = raw as Record<string, unknown>;
  const problems: Array<{ setting: string; text: string }> = [];
  // Named here, not by the schema: the schema knows taskQueue (God's input carries it) and zod
  // names only the first unknown key's path; each unknown one gets its hint.
  for (const key of Object.keys(given)) {
    if (!isSetting(key)) problems.push({ setting: key, text: unknownField(key) });
  }
  const parsed = GodConfigSchema.safeParse(Object.fromEntries(Object.entries(given).filter(([key]) => isSetting(key))));
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push({ setting: issue.path.map(String).join('.'), text: `${issue.path.map(String).join('.') || '(settings)'}: ${issue.message}` });
  }
  if (problems.length) throw refusal(source, problems.map((p) => p.text), problems[0].setting);
  const settings = parsed.data as Record<string, unknown>;
  return Object.fromEntries(Object.keys(given).map((key) => [key, settings[key]])) as GodSettings;
}

/** A settings file's text ('-': standard input), refused naming the file when it cannot be read. */
function readSettingsFile(file: string): string {
  try {
    return fs.readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw refusal(`--config-file ${file}`, [`cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`]);
  }
}

/** The settings `--config` or `--config-file` give, checked; undefined when neither is given (or `{}`, which gives none). */
export function godSettingsFrom(flags: GodSettingsFlags): GodSettings | undefined {
  const { config, 'config-file': file } = flags;
  if (config !== undefined && file !== undefined) throw refusal('--config', ['give either --config or --config-file, not both']);
  const settings = config !== undefined ? parseGodSettings(config, '--config') : file !== undefined ? parseGodSettings(readSettingsFile(file), `--config-file ${file}`) : undefined;
  return settings && Object.keys(settings).length ? settings : undefined;
}

/** "tickSeconds 7, pacing none": settings as a line prints them. */
export function describeSettings(settings: Readonly<Record<string, unknown>>): string {
  return Object.entries(settings)
    .map(([key, value]) => `${key} ${value === undefined ? '(unset)' : String(value)}`)
    .join(', ');
}

/** The given settings a running God holds another value of: each with the running value. */
export function settingsDifferences(running: Readonly<Record<string, unknown>>, given: GodSettings): Array<{ setting: string; running: unknown; given: unknown }> {
  return Object.entries(given)
    .filter(([key, value]) => running[key] !== value)
    .map(([setting, value]) => ({ setting, running: running[setting], given: value }));
}
