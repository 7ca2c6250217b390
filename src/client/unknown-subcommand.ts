import { nearestName } from '../config/unknown-variables';
import { PantheonError } from '../errors';

/**
 * The refusal of a command (`group` undefined) or a group's subcommand the CLI does not have,
 * naming it and then the one it likely misspells, with the same guess a misspelt flag gets
 * (src/client/parse-args.ts), else every one there is; the usage below. A typo got the usage
 * alone, in which to find the line that differs.
 *
 * @example unknownSubcommand('budget', 'restor', ['show', 'restore'], BUDGET_USAGE) // invalid_input: budget: unknown subcommand "restor"; did you mean restore? …
 */
export function unknownSubcommand(group: string | undefined, given: string, known: readonly string[], usage: string): PantheonError {
  const near = nearestName(given, known);
  const what = group === undefined ? 'unknown command' : `${group}: unknown subcommand`;
  const hint = near !== undefined ? `did you mean ${near}?` : `the ${group === undefined ? 'commands' : 'subcommands'} are ${known.join(', ')}`;
  return PantheonError.of('invalid_input', `${what} "${given}"; ${hint}\n${usage}`, { details: { field: group === undefined ? 'command' : 'subcommand' } });
}
