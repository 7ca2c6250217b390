import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { PantheonError } from '../errors';
import { repoRoot } from '../config/paths';
import { fromLimitsFile, LimitsFileSchema, type Limits } from './limits';
import { overLimits } from './limits-patch';

/** The limits file: PANTHEON_LIMITS_FILE, else limits.yaml at the repository root. */
export function limitsFilePath(env: NodeJS.ProcessEnv = process.env): string {
  return env.PANTHEON_LIMITS_FILE || path.join(repoRoot(), 'limits.yaml');
}

/** How a message names the limits file: as PANTHEON_LIMITS_FILE names it, else `limits.yaml`. */
export function limitsFileLabel(env: NodeJS.ProcessEnv = process.env): string {
  return env.PANTHEON_LIMITS_FILE || 'limits.yaml';
}

function invalid(file: string, key: string, message: string, named = file): PantheonError {
  return PantheonError.of('config_invalid', `${named}: ${key ? `${key}: ` : ''}${message}`, { details: { file, key } });
}

/** Describes a zod issue by the dotted key it concerns (an unknown key names itself, one entry each). */
function describeIssue(issue: z.core.$ZodIssue): Array<{ key: string; message: string }> {
  const at = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => ({ key: [at, k].filter(Boolean).join('.'), message: `unknown key (known keys are listed in the shipped limits.yaml)` }));
  }
  return [{ key: at, message: issue.message }];
}

/**
 * Reads and validates the limits file: by default the one this process is configured with
 * (PANTHEON_LIMITS_FILE, named as such in errors, else limits.yaml). A missing file is an error
 * too: a deployment that lost its limits must not silently run on defaults it never chose. So is
 * a file that sets no key (empty, or comments only), unless `requireKeys: false`: a truncated file
 * would seed a new ledger with the defaults, up to hundreds of times the limits meant.
 */
export function loadLimits(file?: string, options: LimitsFileOptions = {}): Limits {
  const fromEnv = file === undefined && Boolean(process.env.PANTHEON_LIMITS_FILE);
  // As every text setting (src/config/env.ts): spaces alone are no file name, and a read of one
  // would fail as a missing file, which it is not. (Empty means the default: limits.yaml.)
  if (fromEnv && process.env.PANTHEON_LIMITS_FILE!.trim() === '') {
    throw PantheonError.of('config_invalid', 'environment variable PANTHEON_LIMITS_FILE: must not be blank (set but only spaces): unset it for limits.yaml, or give a file', {
      details: { field: 'PANTHEON_LIMITS_FILE' },
    });
  }
  const source = file ?? limitsFilePath();
  const named = options.named ?? (fromEnv ? `environment variable PANTHEON_LIMITS_FILE: ${source}` : source);
  let text: string;
  try {
    text = fs.readFileSync(source, 'utf8');
  } catch (err) {
    throw invalid(source, '', `cannot read the limits file (${(err as NodeJS.ErrnoException).code ?? String(err)})`, named);
  }
  return parseLimits(text, source, { requireKeys: true, ...options, named });
}

export interface LimitsFileOptions {
  /** Refuse a file that sets no key (loadLimits: by default): applied to a running ledger
   * (`pantheon budget limits`), an empty file would put every limit back to its default, and
   * seeding a new one it would set the defaults, which nobody meant. */
  requireKeys?: boolean;
  /** The limits the keys the file does not name keep (a running ledger's); absent: the defaults. */
  over?: Limits;
  /** How errors name the file (default: `file`), e.g. by the variable that points at it. */
  named?: string;
}

/** Parses limits.yaml text; `file` names the source in errors. */
export function parseLimits(text: string, file = 'limits.yaml', options: LimitsFileOptions = {}): Limits {
  const { named = file } = options;
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw invalid(file, '', `not valid YAML: ${(err as Error).message.split('\n')[0]}`, named);
  }
  const empty = raw === null || raw === undefined || (typeof raw === 'object' && !Array.isArray(raw) && Object.keys(raw).length === 0);
  if (empty && options.requireKeys) throw invalid(file, '', 'sets no limit (empty, or comments only); nothing applied: write the keys to change, e.g. system_daily_usd: 20', named);
  // An empty file (or one of comments only) means "all defaults".
  const parsed = LimitsFileSchema.safeParse(options.over ? overLimits(raw ?? {}, options.over) : (raw ?? {}));
  if (!parsed.success) {
    // Every bad key at once: a file with three mistakes is fixed in one go, not three.
    const [first, ...more] = parsed.error.issues.flatMap(describeIssue);
    const error = invalid(file, first.key, [first.message, ...more.map(({ key, message }) => `${key}: ${message}`)].join('; '), named);
    if (more.length > 0) error.details.keys = [first.key, ...more.map(({ key }) => key)];
    throw error;
  }
  return fromLimitsFile(parsed.data);
}
