import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { DEFAULT_SYSTEM_MODELS, type ActivityDeps } from '../activities';
import { createAlerter } from '../alerts/alerter';
import { activityCallKeys, budgetAlertSink, createBudgetGate, createBudgetedLlmClient, loadLimits, type BudgetGate, type Limits } from '../budget';
import type { PantheonConfig } from '../config/env';
import { needsOfflineProvider } from '../config/env';
import { loadFaultsFromEnv, startOfflineProvider, type OfflineProvider } from '../llm/offline';
import { createConfiguredLlmClient } from '../llm/providers';
import { openMemoryStore } from '../memory/open-store';
import { loadRoster } from '../specialists/roster';
import { createLiveRoster } from '../specialists/live-roster';
import { godRosterFetcher } from './god-roster';

/** How long a worker uses God's roster before asking again: a spawned specialist is routable within this. */
export const ROSTER_TTL_MS = 10_000;

export interface WorkerDeps {
  deps: ActivityDeps;
  config: PantheonConfig;
  gate: BudgetGate;
  /** limits.yaml as this process read it (the ledger's own limits rule; see checkLimitsDrift). */
  limits: Limits;
  /** The offline provider this process started, if it had to. */
  offline?: OfflineProvider;
  close(): Promise<void>;
}

/**
 * Builds what the activities need from the configuration. The roster and limits.yaml are loaded
 * first: a malformed file stops the worker before anything else starts. When some provider has no
 * API key and no PANTHEON_OFFLINE_URL is given, this process serves the offline provider itself.
 * Every LLM call goes through the budget ledger: reserve the worst case, call, settle.
 */
export async function buildWorkerDeps(config: PantheonConfig, logger: Logger, client: Client): Promise<WorkerDeps> {
  // The seed roster's files first: a malformed one stops the worker. Spawned specialists join from
  // God's roster query while the worker runs.
  const roster = createLiveRoster(loadRoster(config.rosterDir), godRosterFetcher(client, config.god.id), {
    ttlMs: ROSTER_TTL_MS,
    warn: (message, details) => logger.warn(details, message),
  });
  const limits = loadLimits();
  const alerter = createAlerter({ logger, webhookUrl: config.alertWebhookUrl });
  const gate = createBudgetGate({ client, taskQueue: config.temporal.budgetTaskQueue, limits, ledgerId: config.budget.ledgerId, onAlert: budgetAlertSink(alerter) });
  let offline: OfflineProvider | undefined;
  if (needsOfflineProvider(config) && !config.llm.offlineUrl) {
    offline = await startOfflineProvider({ port: 0, latencyMs: config.llm.offlineLatencyMs, faults: loadFaultsFromEnv() });
    config = { ...config, llm: { ...config.llm, offlineUrl: offline.url } };
    logger.info({ url: offline.url }, 'offline LLM provider started (no API key set)');
  }
  const llm = createBudgetedLlmClient(createConfiguredLlmClient(config), gate, activityCallKeys(), {
    onLedgerError: (err) => logger.error({ error: String(err) }, 'budget ledger settle failed; the reservation will expire at its worst case'),
  });
  const memory = await openMemoryStore(config.memory);
  logger.info(
    { specialists: roster.specialists.map((s) => s.name), memory: config.memory.kind, llmMode: config.llm.mode, ledger: gate.ledgerId },
    'worker dependencies ready',
  );
  return {
    deps: { llm, roster, memory, models: DEFAULT_SYSTEM_MODELS, alerter, bills: gate },
    config,
    gate,
    limits,
    offline,
    async close() {
      await memory.close();
      await offline?.close();
    },
  };
}
