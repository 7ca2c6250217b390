import { existsSync } from 'node:fs';
import { parseArgs } from '../parse-args';
import { unknownSubcommand } from '../unknown-subcommand';
import { loadConfig } from '../../config/env';
import { PantheonError } from '../../errors';
import { formatDuration, HISTORY_GROUPINGS, historyStats, latestPerTask, sinceTime, type HistoryGrouping } from '../../memory/history';
import { openMemoryStore } from '../../memory/open-store';
import { MEMORY_SIMILARITY_FLOOR } from '../../routing/memory-kind';
import { openCliEmbedder } from '../cli-embedder';
import type { MemoryStore } from '../../memory/types';
import { loadRoster } from '../../specialists/roster';
import { stripControl } from '../../tasks/control-chars';
import { formatUsd } from '../format';
import { checkMemoryFile } from '../../workers/local-paths';

export const HISTORY_USAGE = `pantheon history similar "<objective>" [--limit N] [--min-score S]   similar past tasks: who did them, how they ended, what they cost
pantheon history stats [--by specialist|kind] [--since 7d] [--limit N]   success rate, cost per success and duration, from memory`;

const invalid = (field: string, message: string) => PantheonError.of('invalid_input', `${field}: ${message}`, { details: { field } });

function positiveInt(text: string, field: string, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max) throw invalid(field, `expected an integer from 1 to ${max}, got "${text}"`);
  return n;
}

/** Task text is data from anywhere: one line, no escape codes, cut to fit a terminal. */
const oneLine = (text: string, max: number) => {
  const flat = stripControl(text).replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

/**
 * `pantheon history`: task history from the memory store (PANTHEON_MEMORY, PANTHEON_MEMORY_FILE or
 * QDRANT_URL), which keeps every task's record after Temporal's retention has dropped its workflow.
 * Needs no Temporal server, except `similar` with PANTHEON_EMBEDDER=openai (its embedding is paid
 * through the budget ledger).
 */
export async function historyCommand(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub === undefined) throw invalid('subcommand', `give a history subcommand, similar or stats\n${HISTORY_USAGE}`);
  if (sub !== 'similar' && sub !== 'stats') throw unknownSubcommand('history', sub, ['similar', 'stats'], HISTORY_USAGE);
  const config = loadConfig();
  const run = sub === 'similar' ? similar(rest) : stats(rest);
  checkMemoryFile(config.memory, 'read');
  if (config.memory.kind === 'sqlite' && !existsSync(config.memory.file)) {
    console.log(`no task history yet: no memory store at ${config.memory.file} (PANTHEON_MEMORY_FILE)`);
    return;
  }
  // The store's own embedder (PANTHEON_EMBEDDER): it refuses any other. Only `similar` embeds (its
  // objective), paid through the ledger like every embedding when it is OpenAI's.
  const { embedder, close } = await openCliEmbedder(config, HISTORY_OWNER, { embeds: sub === 'similar' });
  try {
    // Read-only: a reader never waits for a worker's write lock, nor migrates (or adds tables to) the file.
    const store = await openMemoryStore(config.memory, embedder, { readOnly: true });
    try {
      await run(store, config.rosterDir);
    } finally {
      await store.close();
    }
  } finally {
    await close();
  }
}

/** What `history similar`'s embedding is charged to in the budget ledger (PANTHEON_EMBEDDER=openai). */
export const HISTORY_OWNER = 'memory-history';

/** Flags are checked before the store is opened: a typo never waits on a store. */
function similar(argv: string[]) {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { limit: { type: 'string', default: '10' }, 'min-score': { type: 'string', default: String(MEMORY_SIMILARITY_FLOOR) } } });
  const objective = positionals.join(' ').trim();
  if (!objective) throw invalid('objective', `give the objective to compare, e.g. pantheon history similar "Add an index to the orders table"`);
  const limit = positiveInt(values.limit, '--limit', 100);
  const minScore = Number(values['min-score']);
  if (!Number.isFinite(minScore) || minScore < 0 || minScore >= 1) throw invalid('--min-score', `expected a number from 0 to below 1, got "${values['min-score']}"`);
  return async (store: MemoryStore) => {
    // The recall routing and prompts use: vector similarity fused with keyword relevance.
    const hits = await store.recall({ text: objective, limit, minScore, hybrid: true });
    if (hits.length === 0) {
      console.log('no similar past tasks');
      return;
    }
    for (const { record: r, score, parts } of hits) {
      const ended = r.success ? 'completed' : 'failed';
      const extra = [r.durationMs === undefined ? undefined : formatDuration(r.durationMs), r.tokens === undefined ? undefined : `${r.tokens} tokens`, r.offline ? 'offline' : undefined].filter(Boolean).join(', ');
      console.log(`${score.toFixed(2)}  ${r.createdAt.slice(0, 16).replace('T', ' ')}  ${r.specialist}  ${ended}  ${formatUsd(r.costUsd)}${extra ? ` (${extra})` : ''}  ${r.taskId}`);
      if (parts) console.log(`      relevance: vector ${parts.vector.toFixed(2)}, keywords ${parts.keyword.toFixed(2)}`);
      console.log(`      objective: ${oneLine(r.objective, 160)}`);
      console.log(`      ${r.success ? 'result' : 'failure'}: ${oneLine(r.result, 160)}`);
      if (r.lessons.length > 0) console.log(`      lessons: ${oneLine(r.lessons.join('; '), 160)}`);
    }
  };
}

function stats(argv: string[]) {
  const { values } = parseArgs({ args: argv, options: { by: { type: 'string', default: 'specialist' }, since: { type: 'string', default: '7d' }, limit: { type: 'string', default: '100000' } } });
  if (!(HISTORY_GROUPINGS as readonly string[]).includes(values.by)) throw invalid('--by', `expected one of ${HISTORY_GROUPINGS.join(', ')}, got "${values.by}"`);
  const by = values.by as HistoryGrouping;
  const since = sinceTime(values.since, Date.now());
  const limit = positiveInt(values.limit, '--limit', 100_000);
  return async (store: MemoryStore, rosterDir: string) => {
    const listed = await store.list({ since, limit });
    // Whether the limit was reached is a question about records read, not tasks: a task can hold
    // two (a failure, then an outcome after a reset).
    const reachedLimit = listed.length >= limit;
    const records = latestPerTask(listed);
    if (records.length === 0) {
      console.log(`no tasks in memory since ${since}`);
      return;
    }
    // Older records hold no kind: it is read off the specialist, as God does (the fallback is "general").
    const fallback = by === 'kind' ? loadRoster(rosterDir).fallback.name : undefined;
    const rows = historyStats(records, by, fallback);
    const width = Math.max(by.length, ...rows.map((r) => r.key.length)) + 2;
    console.log(`${records.length} task${records.length === 1 ? '' : 's'} since ${since}${reachedLimit ? ` (from the newest ${limit} records; raise --limit for more)` : ''}`);
    console.log(`${by.padEnd(width)}${'tasks'.padStart(6)}${'ok'.padStart(6)}${'success'.padStart(9)}${'cost/success'.padStart(14)}${'median time'.padStart(13)}${'cost'.padStart(12)}`);
    for (const r of rows) {
      console.log(
        `${r.key.padEnd(width)}${String(r.tasks).padStart(6)}${String(r.successes).padStart(6)}${`${Math.round(100 * r.successRate)} %`.padStart(9)}` +
          `${(r.costPerSuccessUsd === undefined ? '-' : formatUsd(r.costPerSuccessUsd)).padStart(14)}${formatDuration(r.medianDurationMs).padStart(13)}${formatUsd(r.costUsd).padStart(12)}`,
      );
    }
  };
}
