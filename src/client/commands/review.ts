import { operatorName } from '../login-name';
import { parseArgs } from '../parse-args';
import { unknownSubcommand } from '../unknown-subcommand';
import { loadConfig } from '../../config/env';
import { godReviewsQuery, reviewDecisionUpdate } from '../../workflows/god-api';
import { reviewFrom } from '../god-args';
import { godQuery, godUpdate, withGod } from '../god-client';
import { decisionLabel, renderReviews } from '../god-view';

export const REVIEW_USAGE = `pantheon review list [--json]              tasks God holds for a human decision, with why
pantheon review approve <task-id> [--reason TEXT] [--by NAME]   run it as God decided
pantheon review reject <task-id> [--reason TEXT] [--by NAME]    it does not run; God records why`;

const REVIEW_SUBCOMMANDS = ['list', 'approve', 'reject'];

export async function reviewCommand(argv: string[]): Promise<void> {
  const [sub = 'list', ...args] = argv;
  // The subcommand before the settings: a typo is told as such, not as a bad PANTHEON_ setting.
  if (!REVIEW_SUBCOMMANDS.includes(sub)) throw unknownSubcommand('review', sub, REVIEW_SUBCOMMANDS, REVIEW_USAGE);
  const config = loadConfig();
  if (sub === 'list') {
    const { values } = parseArgs({ args, options: { json: { type: 'boolean', default: false } } });
    await withGod(config, async (god) => {
      const reviews = await godQuery(god, godReviewsQuery);
      console.log(values.json ? JSON.stringify(reviews, null, 2) : renderReviews(reviews, Date.now()));
    });
    return;
  }
  if (sub === 'approve' || sub === 'reject') {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { reason: { type: 'string' }, by: { type: 'string' } } });
    const arg = reviewFrom(sub, positionals, values.reason, values.by ?? operatorName());
    await withGod(config, async (god) => {
      const item = await godUpdate(god, reviewDecisionUpdate, arg);
      const verdict = sub === 'approve' ? 'approved' : 'rejected';
      console.log(`${arg.taskId} ${verdict} by ${arg.by}${arg.reason ? `: "${arg.reason}"` : ''}`);
      if (sub === 'approve') console.log(`  it runs as decided${item.decision ? ` (${decisionLabel(item.decision)})` : ''} when the runway admits it; now ${item.status.replace(/_/g, ' ')}`);
      else console.log("  it leaves God's queue and will not run; the rejection and its reason are in pantheon god decisions");
    });
    return;
  }
  throw unknownSubcommand('review', sub, REVIEW_SUBCOMMANDS, REVIEW_USAGE);
}
