import type { z } from 'zod';
import { operatorName } from '../login-name';
import { parseArgs } from '../parse-args';
import { unknownSubcommand } from '../unknown-subcommand';
import { AddConstraintSchema, RemoveConstraintSchema, type StandingConstraint } from '../../constraints/schema';
import { loadConfig } from '../../config/env';
import { PantheonError } from '../../errors';
import { addConstraintUpdate, godConstraintsQuery, removeConstraintUpdate } from '../../workflows/god-api';
import { godQuery, godUpdate, withGod } from '../god-client';

export const CONSTRAINTS_USAGE = `pantheon constraints list [--json]         the active standing constraints (God holds them)
pantheon constraints add --text TEXT [--scope WHAT] [--until YYYY-MM-DD | --for-hours N] [--id ID] [--by NAME]
pantheon constraints remove <id> [--reason TEXT] [--by NAME]   (both audited in pantheon god decisions)`;

function invalid(field: string, message: string): PantheonError {
  return PantheonError.of('invalid_input', `constraints: ${field}: ${message}`, { details: { field } });
}

/** The flag each field of God's update input comes from, so a refusal names what the user typed. */
const FLAG_OF: Record<string, string> = { 'spec.text': '--text', 'spec.scope': '--scope', 'spec.expiresAt': '--until', 'spec.forHours': '--for-hours', 'setBy.id': '--by', id: '--id', reason: '--reason', by: '--by' };

/** The first issue of a refused input, named by its flag (`<id>` for remove's positional id). */
function invalidFlag(error: z.ZodError, idFlag = '--id'): PantheonError {
  const issue = error.issues[0];
  const path = issue.path.join('.');
  const flag = path === 'id' ? idFlag : FLAG_OF[path] ?? (path || '(input)');
  return invalid(flag, issue.message);
}

/** One line per constraint: id, text, scope, expiry, who set it. */
export function renderConstraints(list: readonly StandingConstraint[]): string {
  if (!list.length) return 'no active standing constraints';
  return list
    .map((c) => {
      const until = c.expiresAtMs === undefined ? 'until removed' : `until ${new Date(c.expiresAtMs).toISOString()}`;
      return `${c.id}  "${c.text}"${c.scope ? `  scope: ${c.scope}` : ''}  ${until}  set by ${c.setBy.kind} ${c.setBy.id}`;
    })
    .join('\n');
}

const CONSTRAINTS_SUBCOMMANDS = ['list', 'add', 'remove'];

export async function constraintsCommand(argv: string[]): Promise<void> {
  const [sub = 'list', ...args] = argv;
  // The subcommand before the settings: a typo is told as such, not as a bad PANTHEON_ setting.
  if (!CONSTRAINTS_SUBCOMMANDS.includes(sub)) throw unknownSubcommand('constraints', sub, CONSTRAINTS_SUBCOMMANDS, CONSTRAINTS_USAGE);
  const config = loadConfig();
  switch (sub) {
    case 'list': {
      const { values } = parseArgs({ args, options: { json: { type: 'boolean', default: false } } });
      await withGod(config, async (god) => {
        const list = await godQuery(god, godConstraintsQuery);
        console.log(values.json ? JSON.stringify(list, null, 2) : renderConstraints(list));
      });
      return;
    }
    case 'add': {
      const { values, positionals } = parseArgs({
        args,
        allowPositionals: true,
        options: { text: { type: 'string' }, scope: { type: 'string' }, until: { type: 'string' }, 'for-hours': { type: 'string' }, id: { type: 'string' }, by: { type: 'string' } },
      });
      if (positionals.length) throw invalid('add', `unexpected argument "${positionals[0]}" (give the constraint with --text TEXT)`);
      if (values.text === undefined) throw invalid('--text', 'required: what later tasks must not contradict');
      // Named by the flags here: the schema's own message speaks of its fields (expiresAt, forHours).
      if (values.until !== undefined && values['for-hours'] !== undefined) throw invalid('--for-hours', 'give --until or --for-hours, not both');
      const hours = values['for-hours'] === undefined ? undefined : Number(values['for-hours']);
      const input = AddConstraintSchema.safeParse({
        // A flag given empty reaches the schema (and is refused, named), rather than being dropped.
        spec: { text: values.text, ...(values.scope !== undefined && { scope: values.scope }), ...(values.until !== undefined && { expiresAt: values.until }), ...(hours !== undefined && { forHours: hours }) },
        setBy: { kind: 'operator', id: values.by ?? operatorName() },
        ...(values.id !== undefined && { id: values.id }),
      });
      if (!input.success) throw invalidFlag(input.error);
      // As `submit --id`: a padded id is a typo to name, not one to trim silently (the id God holds would differ from the one given).
      if (values.id !== undefined && values.id.trim() !== values.id) throw invalid('--id', `"${values.id}" must not start or end with spaces`);
      await withGod(config, async (god) => {
        const { constraint, added } = await godUpdate(god, addConstraintUpdate, input.data);
        if (added) console.log(`constraint added: ${renderConstraints([constraint])}`);
        // The id is held already: what God holds stands, and a different text given now is said to be ignored.
        else if (constraint.text !== input.data.spec.text) console.log(`constraint already held with another text; yours was not applied (remove ${constraint.id} first to change it): ${renderConstraints([constraint])}`);
        else console.log(`constraint already held: ${renderConstraints([constraint])}`);
      });
      return;
    }
    case 'remove': {
      const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { reason: { type: 'string' }, by: { type: 'string' } } });
      if (positionals.length !== 1) throw invalid('remove', 'give exactly one constraint id (see pantheon constraints list)');
      const input = RemoveConstraintSchema.safeParse({ id: positionals[0], ...(values.reason !== undefined && { reason: values.reason }), by: values.by ?? operatorName() });
      if (!input.success) throw invalidFlag(input.error, '<id>');
      await withGod(config, async (god) => {
        const { removed } = await godUpdate(god, removeConstraintUpdate, input.data);
        console.log(`constraint removed: ${removed.id} "${removed.text}" (set by ${removed.setBy.kind} ${removed.setBy.id})`);
      });
      return;
    }
    default:
      throw unknownSubcommand('constraints', sub, CONSTRAINTS_SUBCOMMANDS, CONSTRAINTS_USAGE);
  }
}
