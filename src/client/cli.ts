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
import { statusCommand } from './commands/status';
import { submitCommand, SUBMIT_USAGE } from './commands/submit';
import { exitOnError } from './exit';
import { PantheonError } from '../errors';

const USAGE = `pantheon — run AI agent tasks as durable Temporal workflows

usage:
  ${SUBMIT_USAGE.split('\n').join('\n  ')}
  pantheon status [<task-id>]       one task's state, or counts per state and the tasks in progress
  pantheon list [--status S] [--specialist NAME] [--limit N]
  ${DLQ_USAGE.split('\n').join('\n  ')}
  ${BUDGET_USAGE.split('\n').join('\n  ')}
  ${GOD_USAGE.split('\n').join('\n  ')}
  ${REVIEW_USAGE.split('\n').join('\n  ')}
  ${ROSTER_USAGE}
  ${ROUTING_USAGE.split('\n').join('\n  ')}
  ${CONSTRAINTS_USAGE.split('\n').join('\n  ')}
  ${MEMORY_USAGE.split('\n').join('\n  ')}
  ${HISTORY_USAGE.split('\n').join('\n  ')}

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
  await command(argv);
});
