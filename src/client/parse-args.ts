import { parseArgs as nodeParseArgs, type ParseArgsConfig } from 'node:util';
import { nearestName } from '../config/unknown-variables';
import { PantheonError } from '../errors';

/** A value that is a negative number (`-1`, `-0.5`, `-.5`), not a flag. */
const NEGATIVE_NUMBER = /^-(\d|\.\d)/;

/**
 * `--usd -1` as `--usd=-1`: node's parseArgs refuses a value that starts with a dash as
 * "ambiguous", so a negative number never reached the command's own check, which names the flag
 * and the range it takes. Only for options that take a value; `--` ends the options.
 */
export function joinNegativeValues(args: readonly string[], options: NonNullable<ParseArgsConfig['options']>): string[] {
  const byShort = new Map<string, string>(Object.entries(options).flatMap(([name, option]) => (option.short ? [[`-${option.short}`, name] as [string, string]] : [])));
  const out: string[] = [];
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i];
    if (arg === '--') return [...out, ...args.slice(i)];
    const name = arg.startsWith('--') ? arg.slice(2) : byShort.get(arg);
    const next = args[i + 1];
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && NEGATIVE_NUMBER.test(next)) {
      out.push(`--${name}=${next}`);
      i += 1;
    } else {
      out.push(arg);
    }
  }
  return out;
}

/** `--help` or `-h` given to a command: the CLI prints the command's usage and runs nothing. */
export class HelpRequested extends Error {
  constructor() {
    super('help requested');
  }
}

/**
 * node's parseArgs, with negative numbers taken as the values they are (see
 * {@link joinNegativeValues}), and `--help`/`-h` known to every command: it throws
 * {@link HelpRequested} before the command does anything. Parsed as a flag, so a value that
 * reads "-h" (`--context -h`) is not taken for it.
 */
export function parseArgs<T extends ParseArgsConfig>(config: T): ReturnType<typeof nodeParseArgs<T>> {
  const options = { ...config.options, help: { type: 'boolean', short: 'h' } } as NonNullable<ParseArgsConfig['options']>;
  const joined = joinNegativeValues(config.args ?? process.argv.slice(2), options);
  // A negative number standing alone (`god share -0.1`) is an argument, not an unknown flag "-0":
  // hidden from node's parser and restored among the positionals, for the command's own range check.
  const args = config.allowPositionals ? hideNegativeArguments(joined) : joined;
  let parsed: ReturnType<typeof nodeParseArgs<T>>;
  try {
    parsed = nodeParseArgs({ ...config, options, args, tokens: true } as T);
  } catch (err) {
    throw asInvalidInput(err, Object.keys(options));
  }
  if ((parsed.values as Record<string, unknown>).help === true) throw new HelpRequested();
  const repeated = repeatedValueOption((parsed as { tokens?: ParseToken[] }).tokens ?? [], options);
  if (repeated) {
    throw PantheonError.of('invalid_input', `--${repeated}: given more than once; it takes one value (see --help)`, { details: { field: `--${repeated}` } });
  }
  delete (parsed as { tokens?: unknown }).tokens;
  if (config.allowPositionals) parsed.positionals = parsed.positionals.map((p) => (p.startsWith(HIDDEN) ? p.slice(HIDDEN.length) : p));
  return parsed;
}

type ParseToken = { kind: string; name?: string };

/**
 * The first option that takes one value and was given more than once. node's parser keeps the
 * last silently, so `--specialist A … --specialist B` ran on B with nothing said; a repeated
 * switch (`--wait --wait`) says the same thing twice and passes.
 */
function repeatedValueOption(tokens: readonly ParseToken[], options: NonNullable<ParseArgsConfig['options']>): string | undefined {
  const seen = new Set<string>();
  for (const token of tokens) {
    if (token.kind !== 'option' || token.name === undefined) continue;
    const option = options[token.name];
    if (option?.type !== 'string' || option.multiple) continue;
    if (seen.has(token.name)) return token.name;
    seen.add(token.name);
  }
  return undefined;
}

/** Marks a negative number as a positional for node's parser (no flag starts with it). */
const HIDDEN = '\u0000negative:';

function hideNegativeArguments(args: readonly string[]): string[] {
  const end = args.indexOf('--');
  return args.map((arg, i) => ((end < 0 || i < end) && NEGATIVE_NUMBER.test(arg) ? `${HIDDEN}${arg}` : arg));
}

/**
 * node's refusal of the arguments as the CLI's own: `invalid_input`, naming the flag or argument
 * ("--bogus: unknown option") and pointing at --help, like every other refusal of bad input. An
 * unknown long flag near one of the command's `flags` says which it likely meant, as a misspelt
 * PANTHEON_ variable or God setting does.
 */
function asInvalidInput(err: unknown, flags: readonly string[]): unknown {
  const code = (err as { code?: string }).code;
  const message = (err as Error).message ?? String(err);
  const quoted = /'([^']+)'/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && quoted) {
    return PantheonError.of('invalid_input', `${quoted}: unknown option${didYouMean(quoted, flags)} (see --help)`, { details: { field: quoted } });
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' && quoted) {
    return PantheonError.of('invalid_input', `"${quoted}": unexpected argument; this command takes none (see --help)`, { details: { field: 'argument' } });
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const flag = quoted?.split(' ')[0] ?? 'option';
    return PantheonError.of('invalid_input', `${flag}: ${message.replace(/^Option '[^']+' /, '')}`, { details: { field: flag } });
  }
  return err;
}

/**
 * "; did you mean --why?" for `--wyh`, else nothing; `flags` named with or without their `--` (the
 * benches' parsers use this too). Long flags only: a one-letter `-x` is within two edits of every
 * two-letter flag (`--by`, `--id`), so a guess at it would be noise.
 */
export function didYouMean(given: string, flags: readonly string[]): string {
  if (!given.startsWith('--')) return '';
  const near = nearestName(given.slice(2), flags.map((flag) => flag.replace(/^--/, '')));
  return near === undefined ? '' : `; did you mean --${near}?`;
}

/**
 * A flag's value as a positive integer (`--limit 20`), else `invalid_input` naming the flag: "abc"
 * is not all, nor are 0 and -5 one.
 *
 * @example positiveInteger('20', '--limit') // 20
 */
export function positiveInteger(text: string, field: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw PantheonError.of('invalid_input', `${field}: expected a positive integer, got "${text}"`, { details: { field } });
  return n;
}

/**
 * Refuses task ids given as arguments when one is blank (`pantheon status "$ID"` with
 * `ID` unset): a script would otherwise get the overview, or the server's "WorkflowId is not set".
 *
 * @example refuseBlankTaskIds(['a', ' ']) // throws invalid_input: task-id: an empty id (argument 2) …
 */
export function refuseBlankTaskIds(ids: readonly string[], field = 'task-id'): void {
  const blank = ids.findIndex((id) => id.trim() === '');
  if (blank >= 0) throw PantheonError.of('invalid_input', `${field}: an empty id (argument ${blank + 1}); an unset shell variable?`, { details: { field } });
}
