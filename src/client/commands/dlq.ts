import { parseArgs } from '../parse-args';
import { loadConfig } from '../../config/env';
import { PantheonError } from '../../errors';
import { closedResult } from '../../tasks/closed-outcome';
import type { agentTask } from '../../workflows';
import { connectClient, workflowUrl } from '../connection';
import { formatUsd } from '../format';
import { lettersToRedrive, listDeadLetters, MAX_EXAMINED, redriveOfLetter, redriveTask } from '../redrive';

export const DLQ_USAGE = `pantheon dlq list [--limit N]          dead-lettered tasks with their failure chains (newest N, default 50)
pantheon dlq redrive <task-id>... | --all [--limit N]
                                       run dead letters again as new, linked tasks (--all: the newest N
                                       not redriven yet, default 50; it skips redrives that failed again)`;

export async function dlqCommand(argv: string[]): Promise<void> {
  // Like `budget`, `review` and `routing`: no subcommand (or a flag first) shows; here, the list.
  const [sub, ...rest] = argv[0] === undefined || argv[0].startsWith('-') ? ['list', ...argv] : argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { limit: { type: 'string', default: '50' }, all: { type: 'boolean', default: false } },
  });
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) throw PantheonError.of('invalid_input', `--limit: expected a positive integer, got "${values.limit}"`, { details: { field: '--limit' } });
  if (sub !== 'list' && sub !== 'redrive') throw PantheonError.of('invalid_input', `dlq: unknown subcommand "${sub ?? ''}"\n${DLQ_USAGE}`, { details: { field: 'subcommand' } });
  if (sub === 'redrive' && !values.all && positionals.length === 0) {
    throw PantheonError.of('invalid_input', `dlq redrive: give task ids or --all\n${DLQ_USAGE}`, { details: { field: 'task-id' } });
  }
  if (sub === 'list' && positionals.length > 0) {
    throw PantheonError.of('invalid_input', `dlq list: takes no task ids (got "${positionals[0]}"); \`pantheon status <task-id>\` shows one task`, { details: { field: 'task-id' } });
  }
  if (sub === 'redrive' && values.all && positionals.length > 0) {
    throw PantheonError.of('invalid_input', `dlq redrive: give task ids or --all, not both ("${positionals[0]}" with --all)`, { details: { field: 'task-id' } });
  }
  const config = loadConfig();
  const { client, close } = await connectClient(config);
  try {
    if (sub === 'list') {
      const letters = await listDeadLetters(client, limit);
      if (letters.length === 0) console.log('no dead-lettered tasks');
      for (const { id, redriveOf } of letters) {
        const outcome = await closedResult(client.workflow.getHandle<typeof agentTask>(id));
        const redriven = await redriveOfLetter(client, id);
        console.log(
          `${id}  ${formatUsd(outcome.costUsd)}  tried ${outcome.specialistsTried.join(' → ') || '-'}${redriveOf ? `  (a redrive of ${redriveOf})` : ''}` +
            (redriven ? `  (redriven as ${redriven.id}: ${redriven.status})` : ''),
        );
        console.log(`  reason: ${outcome.reasons.join('; ')}`);
        for (const f of outcome.failures) console.log(`  - ${f.specialist ?? '-'} ${f.activity}: ${f.type} (${f.retryState}${f.attempts ? `, attempt ${f.attempts}` : ''}): ${f.message}`);
      }
      return;
    }
    let ids = positionals;
    if (values.all) {
      const all = await lettersToRedrive(client, limit);
      for (const { id, redriveOf } of all.skipped) console.log(`${id}: skipped, a redrive of ${redriveOf} that dead-lettered again (name it to redrive it)`);
      if (all.alreadyRedriven > 0) console.log(`${all.alreadyRedriven} dead letter(s) already redriven, passed over (\`pantheon dlq list\` shows their redrives)`);
      if (!all.examinedAll) console.log(`looked at the newest ${MAX_EXAMINED} dead letters only; redrive older ones by id`);
      ids = all.ids;
      if (ids.length === 0) console.log(`no dead letters to redrive${all.skipped.length ? ' (the ones above dead-lettered again)' : ''}`);
    }
    for (const id of ids) {
      const result = await redriveTask(client, id);
      console.log(result.alreadyRedriven ? `${id}: already redriven as ${result.newId}` : `${id}: redriven as ${result.newId}  ${workflowUrl(config, result.newId)}`);
    }
  } finally {
    await close();
  }
}
