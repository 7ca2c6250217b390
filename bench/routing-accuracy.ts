import path from 'node:path';
import { loadConfig } from '../src/config/env';
import { repoRoot } from '../src/config/paths';
import { startOfflineProvider } from '../src/llm/offline';
import { createConfiguredLlmClient } from '../src/llm/providers';
import { loadRoster } from '../src/specialists/roster';
import { learnedAccuracy, loadHistory, loadLabelled, rulesMiss, share, todaysAccuracy, type Accuracy } from './routing/evaluate';

/**
 * `npm run bench:routing-accuracy`: routing accuracy on the labelled set, today (keyword rules,
 * then the classifier answered by the offline provider, started here, over HTTP through the real
 * SDK) and after learning from the simulated history (memory-derived kinds and evidence, the
 * routing policy's choice with exploration off), and (b) again with an empty memory, so the
 * history's share of the gain shows. `--misses` lists the tasks each got wrong; `--file F.jsonl`
 * measures your own labelled rows (`{"objective", "context"?, "specialist"}` per line) instead.
 */

const USAGE = 'usage: npm run bench:routing-accuracy -- [--file LABELLED.jsonl] [--misses]';

function optionsFrom(argv: string[]): { file?: string; misses: boolean } {
  const out: { file?: string; misses: boolean } = { misses: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--misses') out.misses = true;
    else if (argv[i] === '--file') {
      const file = argv[++i];
      if (!file || file.startsWith('--')) throw new Error(`--file: expected a path\n${USAGE}`);
      out.file = file;
    } else throw new Error(`unknown option "${argv[i]}"\n${USAGE}`);
  }
  return out;
}
const pct = (a: Accuracy) => `${(share(a) * 100).toFixed(1)} % (${a.correct}/${a.total})`;

async function main(): Promise<void> {
  const options = optionsFrom(process.argv.slice(2));
  const rows = loadLabelled(options.file);
  const history = loadHistory();
  const roster = loadRoster(path.join(repoRoot(), 'agents'));
  const unknown = rows.find((r) => !roster.get(r.specialist));
  if (unknown) throw new Error(`${options.file ?? 'the labelled set'}: specialist "${unknown.specialist}" is not in the roster (${roster.specialists.map((s) => s.name).join(', ')}); objective: ${unknown.objective}`);
  const provider = await startOfflineProvider({ port: 0 });
  try {
    const config = loadConfig({ PANTHEON_LLM_MODE: 'offline', PANTHEON_OFFLINE_URL: provider.url });
    const today = await todaysAccuracy(rows, { llm: createConfiguredLlmClient(config), roster });
    const learned = await learnedAccuracy(rows, history, roster);
    const blank = await learnedAccuracy(rows, [], roster);
    const missed = rulesMiss(rows, roster);
    console.log(`labelled set: ${rows.length} tasks; the keyword rules alone do not route ${missed} (${((missed / rows.length) * 100).toFixed(0)} %) to their specialist`);
    console.log(`history: ${history.length} past tasks, ${history.reduce((n, h) => n + h.attempts.length, 0)} outcomes`);
    console.log(`(a) today, rules + offline classifier: ${pct(today)}; classifier asked for ${today.classifierCalls}`);
    console.log(`(b) after learning, memory kinds + policy (Thompson, exploration off): ${pct(learned.sampled)}; on its means (greedy): ${pct(learned.greedy)}; best guess (a directly started task): ${pct(learned.bestGuess)}; kind named by memory for ${learned.byMemory}`);
    console.log(`    the same with an empty memory (rules-only kinds, no evidence): ${pct(blank.sampled)} sampled, ${pct(blank.greedy)} greedy, ${pct(blank.bestGuess)} best guess`);
    if (options.misses) {
      for (const [name, a] of [['today', today], ['learned, sampled', learned.sampled], ['learned, greedy', learned.greedy], ['learned, best guess', learned.bestGuess]] as const) {
        console.log(`\nmisses, ${name}:`);
        for (const m of a.misses) console.log(`  ${m.expected} → ${m.picked}: ${m.objective}`);
      }
    }
  } finally {
    await provider.close();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
