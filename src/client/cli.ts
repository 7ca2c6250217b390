#!/usr/bin/env node
import { exitOnError } from './exit';
import { HelpRequested } from './parse-args';
import { unknownSubcommand } from './unknown-subcommand';

/** A command as the CLI runs it: what it does, and its usage (`pantheon <command> --help`). */
interface Command {
  run: (argv: string[]) => Promise<void>;
  usage: string;
}

/**
 * Each command's module is loaded only when it runs: one command needs a fraction of what all of
 * them import (the worker SDK, both LLM SDKs, SQLite, the tokenizer), and loading everything made
 * every `pantheon status` spend about a second of CPU before it connected.
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  submit: async () => import('./commands/submit').then((m) => ({ run: m.submitCommand, usage: m.SUBMIT_USAGE })),
  status: async () => import('./commands/status').then((m) => ({ run: m.statusCommand, usage: m.STATUS_USAGE })),
  list: async () => import('./commands/list').then((m) => ({ run: m.listCommand, usage: m.LIST_USAGE })),
  dlq: async () => import('./commands/dlq').then((m) => ({ run: m.dlqCommand, usage: m.DLQ_USAGE })),
  budget: async () => import('./commands/budget').then((m) => ({ run: m.budgetCommand, usage: m.BUDGET_USAGE })),
  god: async () => import('./commands/god').then((m) => ({ run: m.godCommand, usage: m.GOD_USAGE })),
  review: async () => import('./commands/review').then((m) => ({ run: m.reviewCommand, usage: m.REVIEW_USAGE })),
  roster: async () => import('./commands/roster').then((m) => ({ run: m.rosterCommand, usage: m.ROSTER_USAGE })),
  routing: async () => import('./commands/routing').then((m) => ({ run: m.routingCommand, usage: m.ROUTING_USAGE })),
  constraints: async () => import('./commands/constraints').then((m) => ({ run: m.constraintsCommand, usage: m.CONSTRAINTS_USAGE })),
  memory: async () => import('./commands/memory').then((m) => ({ run: m.memoryCommand, usage: m.MEMORY_USAGE })),
  history: async () => import('./commands/history').then((m) => ({ run: m.historyCommand, usage: m.HISTORY_USAGE })),
};

/** Every command's usage, in the order above (this loads them all: only for help and mistakes). */
async function usage(): Promise<string> {
  const commands = await Promise.all(Object.values(COMMANDS).map((load) => load()));
  return `pantheon — run AI agent tasks as durable Temporal workflows

usage:
  ${commands.map((c) => c.usage.split('\n').join('\n  ')).join('\n  ')}

Environment: TEMPORAL_ADDRESS (default localhost:7233), TEMPORAL_NAMESPACE, TEMPORAL_PROFILE and TEMPORAL_TLS_* (temporal.toml), PANTHEON_TASK_QUEUE, PANTHEON_LEDGER_ID, PANTHEON_GOD_ID; history reads PANTHEON_MEMORY, PANTHEON_MEMORY_FILE, QDRANT_URL; see README.`;
}

exitOnError(async () => {
  const [name, ...argv] = process.argv.slice(2);
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    console.log(await usage());
    return;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) throw unknownSubcommand(undefined, name, Object.keys(COMMANDS), await usage());
  const command = await load();
  // Right after the command (where a subcommand would go) it cannot be a flag's value.
  if (argv[0] === '--help' || argv[0] === '-h') {
    console.log(command.usage);
    return;
  }
  try {
    await command.run(argv);
  } catch (err) {
    // `--help` or `-h` as a flag of the command (src/client/parse-args.ts): its usage, nothing run.
    if (!(err instanceof HelpRequested)) throw err;
    console.log(command.usage);
  }
});
