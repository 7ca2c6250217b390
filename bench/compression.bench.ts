/**
 * Compression retention benchmark (issue 10): plants N checkable facts in a long task (half of
 * them pinned: constraints, inputs, final decisions, memory warnings; the rest stated only in an
 * intermediate step's note), compresses K times every E steps through the real compressContext
 * activity against the offline provider (real SDK clients over HTTP), and prints, after each
 * compression, the specialist's prompt tokens before and after and the share of facts still
 * verbatim in its next prompt, pinned and unpinned.
 *
 *   npm run bench:compression                                  (40 facts, 3 compressions every 10 steps)
 *   npm run bench:compression -- --facts 80 --compressions 5 --every 10 [--json]
 *
 * The specialist's turns are scripted (that is where the facts are planted); the compressor is the
 * offline provider's, a terse one that keeps progress and the last step's first words. Pinned
 * facts never depend on it. Calls go straight to the offline provider, not through a budget
 * ledger: nothing is billed. Exit 1 when pinned retention falls under 95 %.
 */
import path from 'node:path';
import type { Logger } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createCompressContext } from '../src/activities/compress-context';
import { DEFAULT_SYSTEM_MODELS } from '../src/activities/deps';
import { specialistSystemPrompt } from '../src/activities/prompts';
import type { CompressContextInput, CompressContextResult } from '../src/activities/types';
import { loadConfig } from '../src/config/env';
import { repoRoot } from '../src/config/paths';
import { startOfflineProvider } from '../src/llm/offline';
import { createConfiguredLlmClient } from '../src/llm/providers';
import { loadRoster } from '../src/specialists/roster';
import { measureRetention, PINNED_TARGET, share, type CompressionRow, type Kept, type RetentionOptions } from './compression/measure';
import { renderJson, renderText, type Report } from './report';

const USAGE = `usage: npm run bench:compression -- [--facts N] [--compressions K] [--every E] [--json]
  --facts N         facts planted, half of them pinned (default 40, at least 4)
  --compressions K  compressions (default 3)
  --every E         steps between compressions (default 10)
  --json            one JSON object instead of tables`;

const SPECIALIST = 'DatabaseAgent';
const silent: Logger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

function parse(argv: readonly string[]): (RetentionOptions & { json: boolean }) | undefined {
  const options = { facts: 40, compressions: 3, every: 10, json: false };
  const mins = { facts: 4, compressions: 1, every: 2 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return undefined;
    if (arg === '--json') {
      options.json = true;
      continue;
    }
    const key = ({ '--facts': 'facts', '--compressions': 'compressions', '--every': 'every' } as const)[arg as '--facts'];
    const value = Number(argv[++i]);
    if (!key || !Number.isInteger(value) || value < mins[key]) throw new Error(`${arg} ${argv[i] ?? ''}: expected ${key ? `a whole number of at least ${mins[key]}` : 'a known flag'}\n${USAGE}`);
    options[key] = value;
  }
  return options;
}

const pct = (k: Kept) => `${k.kept}/${k.planted} (${(100 * share(k)).toFixed(0)} %)`;

function report(options: RetentionOptions, rows: CompressionRow[]): Report {
  const last = rows[rows.length - 1];
  return {
    title: `Compression retention: ${options.facts} facts, ${options.compressions} compressions every ${options.every} steps (offline compressor)`,
    sections: [
      {
        key: 'compressions',
        title: 'After each compression (facts stated so far, verbatim in the next prompt)',
        columns: ['at iteration', 'prompt before', 'after', 'compressor', 'pinned kept', 'unpinned kept'],
        rows: rows.map((r) => [String(r.atIteration), String(r.promptTokensBefore), String(r.promptTokensAfter), String(r.compressorTokens), pct(r.pinned), pct(r.unpinned)]),
        notes: ['prompt tokens: the specialist\'s next prompt without and with this compression; compressor: tokens the compressor call billed'],
        data: rows.map(({ lost, ...r }) => ({ ...r, lost: lost.map((f) => f.text) })),
      },
      {
        key: 'final',
        title: `After the last compression, by kind (pinned target ≥ ${PINNED_TARGET * 100} %)`,
        rows: Object.entries(last.byKind).map(([kind, k]) => [kind === 'note' ? 'unpinned (notes)' : `pinned ${kind}s`, pct(k)]),
        data: { pinned: share(last.pinned), unpinned: share(last.unpinned), byKind: last.byKind, target: PINNED_TARGET },
      },
    ],
  };
}

async function main(): Promise<number> {
  const options = parse(process.argv.slice(2));
  if (!options) {
    console.log(USAGE);
    return 0;
  }
  const provider = await startOfflineProvider({ port: 0 });
  try {
    const config = loadConfig({ PANTHEON_LLM_MODE: 'offline', PANTHEON_OFFLINE_URL: provider.url, PANTHEON_ROSTER_DIR: path.join(repoRoot(), 'agents') });
    const roster = loadRoster(config.rosterDir);
    const activity = createCompressContext({ llm: createConfiguredLlmClient(config), roster, models: DEFAULT_SYSTEM_MODELS });
    const compress = (input: CompressContextInput): Promise<CompressContextResult> =>
      new MockActivityEnvironment({ heartbeatTimeoutMs: 60_000 }, { logger: silent }).run(activity, input);
    const specialist = roster.get(SPECIALIST)!;
    const rows = await measureRetention(options, compress, { name: specialist.name, system: specialistSystemPrompt(specialist.system_prompt) });
    const out = report(options, rows);
    process.stdout.write(options.json ? renderJson(out) : renderText(out));
    const pinned = share(rows[rows.length - 1].pinned);
    if (pinned < PINNED_TARGET) {
      process.stderr.write(`pinned retention ${(pinned * 100).toFixed(1)} % is under the ${PINNED_TARGET * 100} % target\n`);
      return 1;
    }
    return 0;
  } finally {
    await provider.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
