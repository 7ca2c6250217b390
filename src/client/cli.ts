#!/usr/bin/env node
import { budgetCommand, BUDGET_USAGE } from './commands/budget';
import { constraintsCommand, CONSTRAINTS_USAGE } from './commands/constraints';
import { dlqCommand, DLQ_USAGE } from './commands/dlq';
import { godCommand, GOD_USAGE } from './commands/god';
import { historyCommand, HISTORY_USAGE } from './commands/history';
import { listCommand } from './commands/list';
import { memoryCommand, MEMORY_USAGE } from './commands/memory';
import { reviewCommand, REVIEW_USAGE } from './commands/review';
import { rosterCommand, ROSTER_USAGE } from './commands/roster';
import { routingCommand, ROUTING_USAGE } from './commands/routing';
import { OVERVIEW_LIMIT, statusCommand } from './commands/status';
import { submitCommand, SUBMIT_USAGE } from './commands/submit';
import { exitOnError } from './exit';
import { HelpRequested } from './parse-args';
import { PantheonError } from '../errors';

const STATUS_USAGE = `pantheon status <task-id> [--json]     one task's state
pantheon status [--limit N] [--json]   counts per state over the most recent N tasks (default ${OVERVIEW_LIMIT}), and the tasks in progress`;
const LIST_USAGE = 'pantheon list [--status S] [--specialist NAME] [--limit N]';

/** Each command's usage: `pantheon <command> --help` prints its own. */
const COMMAND_USAGE: Record<string, string> = {
  submit: SUBMIT_USAGE,
  status: STATUS_USAGE,
  list: LIST_USAGE,
  dlq: DLQ_USAGE,
  budget: BUDGET_USAGE,
  god: GOD_USAGE,
  review: REVIEW_USAGE,
  roster: ROSTER_USAGE,
  routing: ROUTING_USAGE,
  constraints: CONSTRAINTS_USAGE,
  memory: MEMORY_USAGE,
  history: HISTORY_USAGE,
};

const USAGE = `pantheon — run AI agent tasks as durable Temporal workflows

usage:
  ${Object.values(COMMAND_USAGE)
    .map((usage) => usage.split('\n').join('\n  '))
    .join('\n  ')}

Environment: TEMPORAL_ADDRESS (default localhost:7233), TEMPORAL_NAMESPACE, TEMPORAL_PROFILE and TEMPORAL_TLS_* (temporal.toml), PANTHEON_TASK_QUEUE, PANTHEON_LEDGER_ID, PANTHEON_GOD_ID; history reads PANTHEON_MEMORY, PANTHEON_MEMORY_FILE, QDRANT_URL; see README.`;

const COMMANDS: Record<string, (argv: string[]) => Promise<void>> = {
  submit: submitCommand,
  status: statusCommand,
  list: listCommand,
  dlq: dlqCommand,
  budget: budgetCommand,
  god: godCommand,
  review: reviewCommand,
  roster: rosterCommand,
  routing: routingCommand,
  constraints: constraintsCommand,
  memory: memoryCommand,
  history: historyCommand,
};

exitOnError(async () => {
  const [name, ...argv] = process.argv.slice(2);
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    console.log(USAGE);
    return;
  }
  const command = COMMANDS[name];
  if (!command) throw PantheonError.of('invalid_input', `unknown command "${name}"\n${USAGE}`, { details: { field: 'command' } });
  // Right after the command (where a subcommand would go) it cannot be a flag's value.
  if (argv[0] === '--help' || argv[0] === '-h') {
    console.log(COMMAND_USAGE[name]);
    return;
  }
  try {
    await command(argv);
  } catch (err) {
    // `--help` or `-h` as a flag of the command (src/client/parse-args.ts): its usage, nothing run.
    if (!(err instanceof HelpRequested)) throw err;
    console.log(COMMAND_USAGE[name]);
  }
});
