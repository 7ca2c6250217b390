import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { PantheonError } from '../errors';
import { priceOf } from '../llm/pricing';
import { countTokens } from '../llm/tokens';

/** At most this many tokens of system prompt: specialists stay narrow and cheap to prime. */
export const MAX_PROMPT_TOKENS = 1000;

/** One specialist, as its file in agents/ defines it. The file is the single source of truth. */
export const SpecialistSchema = z.object({
  name: z.string().regex(/^[A-Z][A-Za-z0-9]+$/, 'must be PascalCase letters and digits'),
  description: z.string().min(20).max(600),
  provider: z.enum(['openai', 'anthropic']),
  model: z.string().min(1),
  /** Words that, found in a task, make the routing rules pick this specialist. */
  keywords: z.array(z.string().min(2)).default([]),
  system_prompt: z.string().min(50),
  expected_duration_minutes: z.number().positive().max(24 * 60),
  max_output_tokens: z.number().int().min(64).max(8192).default(700),
  fallback: z.boolean().default(false),
  /** Where this specialist goes when its provider has no API key while another has one (see
   * src/llm/provider-modes.ts). Without it, such a worker refuses to start. */
  fallback_model: z.strictObject({ provider: z.enum(['openai', 'anthropic']), model: z.string().min(1) }).optional(),
});
export type Specialist = z.infer<typeof SpecialistSchema>;

/** A roster file: a person wrote it, so a key the schema does not know is a typo to name, not to
 * ignore (`max_output_token: 300` would otherwise leave the default in force without a word). A
 * model's proposal (propose-specialist.ts) is parsed with the lenient schema. */
const SpecialistFileSchema = SpecialistSchema.strict();

export interface Roster {
  readonly specialists: readonly Specialist[];
  get(name: string): Specialist | undefined;
  /** The specialist that takes what nobody else fits. */
  readonly fallback: Specialist;
  /** Brings in specialists added since the roster was built (spawned ones); cached, cheap to call
   * before every read. Absent on a fixed roster. */
  refresh?(): Promise<void>;
}

/** One thing wrong with a specialist definition, by field. */
export interface DefinitionProblem {
  field: string;
  message: string;
}

/**
 * What a definition that fits {@link SpecialistSchema} may still get wrong: a model without a
 * pinned price, a provider that does not serve the model, a system prompt over
 * {@link MAX_PROMPT_TOKENS}. Shared by roster files and spawned specialists' proposals. A roster
 * file's long prompt is a warning instead (`promptSize: 'warn'`, src/specialists/focus.ts): a
 * person wrote it and decides; a model's proposal is held to the limit.
 */
export function specialistProblems(specialist: Specialist, options: { promptSize?: 'refuse' | 'warn' } = {}): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  try {
    const price = priceOf(specialist.model);
    if (price.provider !== specialist.provider) problems.push({ field: 'provider', message: `is ${specialist.provider} but ${specialist.model} is a ${price.provider} model` });
  } catch (err) {
    if (!(err instanceof PantheonError && err.type === 'unknown_price')) throw err;
    problems.push({ field: 'model', message: `"${specialist.model}" has no pinned price in src/llm/prices.json` });
  }
  if (specialist.fallback_model) problems.push(...modelProblems('fallback_model', specialist.fallback_model));
  const promptTokens = countTokens(specialist.system_prompt);
  if (promptTokens > MAX_PROMPT_TOKENS && options.promptSize !== 'warn') problems.push({ field: 'system_prompt', message: `is ${promptTokens} tokens; the limit is ${MAX_PROMPT_TOKENS}` });
  return problems;
}

/** The fallback model is held to the same rules as `model`: a pinned price, served by its provider. */
function modelProblems(field: string, ref: { provider: string; model: string }): DefinitionProblem[] {
  try {
    const price = priceOf(ref.model);
    return price.provider === ref.provider ? [] : [{ field, message: `names provider ${ref.provider} but ${ref.model} is a ${price.provider} model` }];
  } catch (err) {
    if (!(err instanceof PantheonError && err.type === 'unknown_price')) throw err;
    return [{ field, message: `model "${ref.model}" has no pinned price in src/llm/prices.json` }];
  }
}

/** The same roster with each remapped specialist on its fallback model (a worker's provider plan). */
export function remapRoster(roster: Roster, remaps: readonly { kind: string; name: string; to: { provider: 'openai' | 'anthropic'; model: string } }[]): Roster {
  const moved = (s: Specialist): Specialist => {
    const remap = remaps.find((r) => r.kind === 'specialist' && r.name === s.name);
    return remap ? { ...s, provider: remap.to.provider, model: remap.to.model } : s;
  };
  return createRoster(roster.specialists.map(moved));
}

function fail(file: string, field: string, message: string): never {
  throw PantheonError.of('config_invalid', `roster file ${file}: field "${field}" ${message}`, {
    details: { file, field },
  });
}

export function parseSpecialistFile(file: string, text: string): Specialist {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    fail(file, '(file)', `is not valid YAML: ${(err as Error).message}`);
  }
  const parsed = SpecialistFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue.code === 'unrecognized_keys') {
      // At the top level, or inside fallback_model (the one nested object).
      const [where, fields] = issue.path.length ? [`${issue.path.join('.')}.`, 'provider, model'] : ['', Object.keys(SpecialistSchema.shape).join(', ')];
      fail(file, `${where}${issue.keys[0]}`, `is not a specialist field (a typo?); the fields are ${fields}`);
    }
    fail(file, issue.path.join('.') || '(root)', issue.message);
  }
  const specialist = parsed.data;
  const expectedName = path.basename(file).replace(/\.ya?ml$/, '');
  if (specialist.name !== expectedName) fail(file, 'name', `must match the file name (${expectedName})`);
  const [problem] = specialistProblems(specialist, { promptSize: 'warn' });
  if (problem) fail(file, problem.field, problem.message);
  return specialist;
}

export function createRoster(specialists: Specialist[], source = 'roster'): Roster {
  const byName = new Map<string, Specialist>();
  for (const s of specialists) {
    if (byName.has(s.name)) fail(source, 'name', `"${s.name}" is defined twice`);
    byName.set(s.name, s);
  }
  const fallbacks = specialists.filter((s) => s.fallback);
  if (fallbacks.length !== 1) fail(source, 'fallback', `must be true for exactly one specialist (found ${fallbacks.length})`);
  return { specialists, get: (name) => byName.get(name), fallback: fallbacks[0] };
}

/** Loads every *.yaml in the folder; the first malformed file stops everything, named. */
export function loadRoster(dir: string, setBy = 'PANTHEON_ROSTER_DIR'): Roster {
  if (dir.trim() === '') fail(dir, '(folder)', `is empty: name the roster folder (${setBy})`);
  if (!fs.existsSync(dir)) fail(dir, '(folder)', `does not exist (${setBy})`);
  if (!fs.statSync(dir).isDirectory()) fail(dir, '(folder)', `is a file, not a folder of specialist *.yaml files (${setBy})`);
  const files = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
  if (files.length === 0) fail(dir, '(folder)', 'holds no specialist *.yaml files');
  const specialists = files.map((f) => parseSpecialistFile(path.join(dir, f), readSpecialistFile(path.join(dir, f))));
  return createRoster(specialists, dir);
}

/** A roster entry's text; one that is no readable file (a folder named *.yaml, a dangling link) is named, not a bare EISDIR or ENOENT. */
function readSpecialistFile(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EISDIR' ? 'is a folder, not a specialist file' : code === 'ENOENT' ? 'cannot be read: a link to a file that does not exist' : `cannot be read (${code ?? String(err)})`;
    return fail(file, '(file)', why);
  }
}

/** What the router and the CLI need to know of a specialist, small enough for a payload. */
export function describeRoster(roster: Roster): string {
  return roster.specialists.map((s) => `- ${s.name}: ${s.description.replace(/\s+/g, ' ').trim()}${s.keywords.length ? ` Keywords: ${s.keywords.join(', ')}.` : ''}`).join('\n');
}
