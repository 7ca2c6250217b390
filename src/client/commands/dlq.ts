import { isUnreadablePayload } from '../../codec/unreadable';
import { parseArgs, positiveInteger, refuseBlankTaskIds } from '../parse-args';
import { unknownSubcommand } from '../unknown-subcommand';
import { loadConfig } from '../../config/env';
import { isPantheonError, PantheonError } from '../../errors';
import { closedResult } from '../../tasks/closed-outcome';
import type { agentTask } from '../../workflows';
import { connectClient, workflowUrl } from '../connection';
import { formatUsd } from '../format';
import { lettersToRedrive, listDeadLetters, MAX_EXAMINED, redrivable, redriveOfLetter, redriveTask } from '../redrive';
import type { Client } from '@temporalio/client';

export const DLQ_USAGE = `pantheon dlq list [--limit N]          dead-lettered tasks with their failure chains (newest N, default 50)
pantheon dlq redrive <task-id>... | --all [--limit N]
                                       run dead letters again as new, linked tasks (--all: the newest N
                                       not redriven yet, default 50; it skips redrives that failed again)`;

export async function dlqCommand(argv: string[]): Promise<void> {
  // Like `budget`, `review` and `routing`: no subcommand (or a flag first) shows; here, the list.
  const [sub, ...rest] = argv[0] === undefined || argv[0].startsWith('-') ? ['list', ...argv] : argv;
  // Before the flags: `dlq redrve --al` is told its subcommand first, the flags it takes depend on it.
  if (sub !== 'list' && sub !== 'redrive') throw unknownSubcommand('dlq', sub, ['list', 'redrive'], DLQ_USAGE);
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { limit: { type: 'string', default: '50' }, all: { type: 'boolean', default: false } },
  });
  const limit = positiveInteger(values.limit, '--limit');
  refuseBlankTaskIds(positionals);
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
        const redriven = await redriveOfLetter(client, id);
        const links = `${redriveOf ? `  (a redrive of ${redriveOf})` : ''}${redriven ? `  (redriven as ${redriven.id}: ${redriven.status})` : ''}`;
        const outcome = await closedResult(client.workflow.getHandle<typeof agentTask>(id)).catch((err: unknown) => {
          // One task written with keys this shell lacks must not hide the other dead letters.
          if (isUnreadablePayload(err)) return undefined;
          throw err;
        });
        if (outcome === undefined) {
          console.log(`${id}  (its outcome is encrypted with a key this shell lacks: set PANTHEON_CODEC_KEYS or PANTHEON_CODEC_KEY_FILE to the keys the workers use)${links}`);
          continue;
        }
        console.log(`${id}  ${formatUsd(outcome.costUsd)}  tried ${outcome.specialistsTried.join(' → ') || '-'}${links}`);
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
    // Ids named on the line are all checked first: one that cannot be redriven starts nothing.
    if (!values.all) await refuseUnredrivable(client, ids);
    const unreadable: string[] = [];
    for (const id of ids) {
      const result = await redriveTask(client, id).catch((err: unknown) => {
        // A redrive runs the letter's own input; written with a key this shell lacks, it cannot be
        // read here. The other letters still go; the command fails at the end, naming these.
        if (!isUnreadablePayload(err)) throw err;
        unreadable.push(id);
        console.log(`${id}: not redriven, its input is encrypted with a key this shell lacks`);
        return undefined;
      });
      if (!result) continue;
      if (result.alreadyRedriven) console.log(`${id}: already redriven as ${result.newId}`);
      else console.log(`${id}: redriven as ${result.newId}${result.replaced ? ` (its earlier redrive was ${result.replaced})` : ''}  ${workflowUrl(config, result.newId)}`);
    }
    if (unreadable.length > 0) {
      throw PantheonError.of(
        'config_invalid',
        `${unreadable.length} dead letter(s) not redriven (${unreadable.join(', ')}): their input is encrypted; set PANTHEON_CODEC_KEYS or PANTHEON_CODEC_KEY_FILE to the keys the workers use and redrive them again`,
        { details: { taskIds: unreadable } },
      );
    }
  } finally {
    await close();
  }
}

/** Every id that cannot be redriven, named in one invalid_input (its field task-id); nothing is started then. */
async function refuseUnredrivable(client: Client, ids: string[]): Promise<void> {
  const refusals: PantheonError[] = [];
  for (const id of ids) {
    await redrivable(client, id).catch((err: unknown) => {
      if (!isPantheonError(err) || err.type !== 'invalid_input') throw err;
      refusals.push(err);
    });
  }
  if (refusals.length === 0) return;
  // One id, one reason: as it was said.
  if (ids.length === 1) throw refusals[0];
  throw PantheonError.of('invalid_input', `task-id: nothing redriven: ${refusals.map((r) => r.message.replace(/^task-id: /, '')).join('; ')}`, { details: { field: 'task-id' } });
}
