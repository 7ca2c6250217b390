import { operatorName } from '../login-name';
import { parseArgs } from '../parse-args';
import { unknownSubcommand } from '../unknown-subcommand';
import { z } from 'zod';
import { loadConfig } from '../../config/env';
import { RoutingRollbackSchema } from '../../god/messages';
import { routingHistoryQuery, routingPolicyQuery, routingRollbackUpdate } from '../../workflows/god-api';
import { invalid } from '../god-args';
import { godQuery, godUpdate, withGod } from '../god-client';
import { diffVersions, renderDiff, renderHistory, renderPolicy } from '../routing-view';

export const ROUTING_USAGE = `pantheon routing show [--json]            the active routing policy: version, arms and their statistics, rules
pantheon routing history [--json]         every kept version and the audit (derived, promoted, rolled back)
pantheon routing diff <a> <b> [--json]    rules and settings changed between two versions
pantheon routing rollback <version> --reason TEXT [--by NAME]  make an earlier version active (audited)`;

const VersionArg = z.coerce.number().int('must be a whole number').min(1, 'must be 1 or more');

function version(field: string, raw: string | undefined): number {
  if (raw === undefined) throw invalid(field, `missing (usage: ${field === '<version>' ? 'pantheon routing rollback <version> --reason TEXT' : 'pantheon routing diff <a> <b>'})`);
  const parsed = VersionArg.safeParse(raw.replace(/^v/i, ''));
  if (!parsed.success || raw.trim() === '') throw invalid(field, `expected a policy version such as 3 or v3, got "${raw}"`);
  return parsed.data;
}

const ROUTING_SUBCOMMANDS = ['show', 'history', 'diff', 'rollback'];

/** `pantheon routing …`: God's routing policy through its routingPolicy/routingHistory queries and its routingRollback update. */
export async function routingCommand(argv: string[]): Promise<void> {
  const [sub = 'show', ...args] = argv;
  // The subcommand before the settings: a typo is told as such, not as a bad PANTHEON_ setting.
  if (!ROUTING_SUBCOMMANDS.includes(sub)) throw unknownSubcommand('routing', sub, ROUTING_SUBCOMMANDS, ROUTING_USAGE);
  const config = loadConfig();
  const json = { json: { type: 'boolean', default: false } } as const;
  switch (sub) {
    case 'show': {
      const { values } = parseArgs({ args, options: json });
      await withGod(config, async (god) => {
        const view = await godQuery(god, routingPolicyQuery);
        console.log(values.json ? JSON.stringify(view, null, 2) : renderPolicy(view));
      });
      return;
    }
    case 'history': {
      const { values } = parseArgs({ args, options: json });
      await withGod(config, async (god) => {
        const view = await godQuery(god, routingHistoryQuery);
        console.log(values.json ? JSON.stringify(view, null, 2) : renderHistory(view));
      });
      return;
    }
    case 'diff': {
      const { values, positionals } = parseArgs({ args, options: json, allowPositionals: true });
      if (positionals.length > 2) throw invalid('diff', `unexpected argument "${positionals[2]}"`);
      const [a, b] = [version('<a>', positionals[0]), version('<b>', positionals[1])];
      await withGod(config, async (god) => {
        const d = diffVersions(await godQuery(god, routingHistoryQuery), a, b);
        console.log(values.json ? JSON.stringify(d, null, 2) : renderDiff(d));
      });
      return;
    }
    case 'rollback': {
      const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { reason: { type: 'string' }, by: { type: 'string' } } });
      if (positionals.length > 1) throw invalid('rollback', `unexpected argument "${positionals[1]}"`);
      const v = version('<version>', positionals[0]);
      if (values.reason === undefined) throw invalid('--reason', 'required: say why the version is rolled back (it is audited)');
      const input = RoutingRollbackSchema.safeParse({ version: v, reason: values.reason, by: values.by ?? operatorName() });
      if (!input.success) {
        const issue = input.error.issues[0];
        throw invalid(issue.path[0] === 'by' ? '--by' : issue.path[0] === 'reason' ? '--reason' : '<version>', issue.message);
      }
      await withGod(config, async (god) => {
        const from = (await godQuery(god, routingPolicyQuery)).active.version;
        const view = await godUpdate(god, routingRollbackUpdate, input.data);
        console.log(`routing policy v${from} rolled back to v${view.active.version} by ${input.data.by}: ${input.data.reason}`);
        console.log('workers pick it up within God\'s tick; the next routing decision uses it');
      });
      return;
    }
    default:
      throw unknownSubcommand('routing', sub, ROUTING_SUBCOMMANDS, ROUTING_USAGE);
  }
}
