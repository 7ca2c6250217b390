import type { Logger } from 'pino';
import { DEFAULT_SYSTEM_MODELS, type ActivityDeps } from '../activities';
import { createAlerter } from '../alerts/alerter';
import type { PantheonConfig } from '../config/env';
import { needsOfflineProvider } from '../config/env';
import { loadFaultsFromEnv, startOfflineProvider, type OfflineProvider } from '../llm/offline';
import { createConfiguredLlmClient } from '../llm/providers';
import { openMemoryStore } from '../memory/open-store';
import { loadRoster } from '../specialists/roster';

export interface WorkerDeps {
  deps: ActivityDeps;
  config: PantheonConfig;
  /** The offline provider this process started, if it had to. */
  offline?: OfflineProvider;
  close(): Promise<void>;
}

/**
 * Builds what the activities need from the configuration. The roster is loaded first: a malformed
 * roster file stops the worker before anything else starts. When some provider has no API key and
 * no PANTHEON_OFFLINE_URL is given, this process serves the offline provider itself.
 */
export async function buildWorkerDeps(config: PantheonConfig, logger: Logger): Promise<WorkerDeps> {
  const roster = loadRoster(config.rosterDir);
  let offline: OfflineProvider | undefined;
  if (needsOfflineProvider(config) && !config.llm.offlineUrl) {
    offline = await startOfflineProvider({ port: 0, latencyMs: config.llm.offlineLatencyMs, faults: loadFaultsFromEnv() });
    config = { ...config, llm: { ...config.llm, offlineUrl: offline.url } };
    logger.info({ url: offline.url }, 'offline LLM provider started (no API key set)');
  }
  const llm = createConfiguredLlmClient(config);
  const memory = await openMemoryStore(config.memory);
  logger.info(
    { specialists: roster.specialists.map((s) => s.name), memory: config.memory.kind, llmMode: config.llm.mode },
    'worker dependencies ready',
  );
  return {
    deps: { llm, roster, memory, models: DEFAULT_SYSTEM_MODELS, alerter: createAlerter({ logger, webhookUrl: config.alertWebhookUrl }) },
    config,
    offline,
    async close() {
      await memory.close();
      await offline?.close();
    },
  };
}
