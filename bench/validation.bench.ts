import { startOfflineProvider } from '../src/llm/offline';
import { BLIND_FILE, LABELLED_FILE, evaluate, loadLabelled, offlineJudge, report } from './validation/evaluate';

/**
 * `npm run bench:validation [-- --file F.jsonl ...]`: precision and recall of rejection, rules alone
 * and two-stage, with the offline provider (started here, spoken to through the real SDKs). By
 * default on the labelled set (test/fixtures/validation-labelled.jsonl) and the blind sets
 * (validation-blind.jsonl), each reported on its own; `--file` measures your own rows instead (the
 * same JSON lines). Live figures need the budget ledger around the calls (Invariant 2), so they are
 * not taken here.
 */

const USAGE = 'usage: npm run bench:validation -- [--file LABELLED.jsonl]...';

function filesFrom(argv: string[]): string[] {
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--help' || argv[i] === '-h') {
      console.log(USAGE);
      process.exit(0);
    }
    if (argv[i] !== '--file') throw new Error(`unknown option "${argv[i]}"\n${USAGE}`);
    const file = argv[++i];
    if (!file || file.startsWith('--')) throw new Error(`--file: expected a path\n${USAGE}`);
    files.push(file);
  }
  return files.length ? files : [LABELLED_FILE, BLIND_FILE];
}

async function main(): Promise<void> {
  const sets = filesFrom(process.argv.slice(2)).map((file) => ({ file, rows: loadLabelled(file) }));
  const provider = await startOfflineProvider({ port: 0 });
  try {
    const judge = offlineJudge(provider.url);
    for (const { file, rows } of sets) {
      provider.resetCalls();
      const result = await evaluate(rows, judge);
      console.log(report(`${file}, offline provider`, result));
      const calls = provider.calls().filter((c) => c.purpose === 'validator').length;
      console.log(`  offline provider's call log: ${calls} validator calls`);
    }
  } finally {
    await provider.close();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
