import { DEFAULT_SYSTEM_MODELS } from '../src/activities/deps';
import { askValidator } from '../src/activities/second-stage';
import { loadConfig } from '../src/config/env';
import { startOfflineProvider } from '../src/llm/offline';
import { createConfiguredLlmClient } from '../src/llm/providers';
import { evaluate, loadLabelled, report } from './validation/evaluate';

/**
 * `npm run bench:validation`: precision and recall of rejection on the labelled set
 * (test/fixtures/validation-labelled.jsonl), rules alone and two-stage, with the offline provider
 * (started here, spoken to through the real SDKs). Live figures need the budget ledger around the
 * calls (Invariant 2), so they are not taken here.
 */
async function main(): Promise<void> {
  const rows = loadLabelled();
  const provider = await startOfflineProvider({ port: 0 });
  try {
    const config = loadConfig({ PANTHEON_LLM_MODE: 'offline', PANTHEON_OFFLINE_URL: provider.url });
    const llm = createConfiguredLlmClient(config);
    const result = await evaluate(rows, (taskId, task, first) => askValidator({ llm, models: DEFAULT_SYSTEM_MODELS }, { taskId, task, first }));
    console.log(report('offline provider', result));
    const calls = provider.calls().filter((c) => c.purpose === 'validator').length;
    console.log(`  offline provider's call log: ${calls} validator calls`);
  } finally {
    await provider.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
