import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { PantheonError } from '../errors';
import { DEFAULT_SYSTEM_MODELS, type ActivityDeps } from '../activities';
import { SYSTEM_MODEL_FALLBACKS, type SystemModels } from '../activities/deps';
import { createAlerter } from '../alerts/alerter';
import { activityCallKeys, budgetAlertSink, createBudgetGate, createBudgetedLlmClient, loadLimits, type BudgetGate, type Limits } from '../budget';
import { LANDING_PATIENCE_MS } from '../budget/until-landed';
import type { PantheonConfig } from '../config/env';
import { FAULTS_ENV, loadFaultsFromEnv, loadScenarioFromEnv, SCENARIO_ENV, startOfflineProvider, type FaultRule, type OfflineProvider, type Scenario } from '../llm/offline';
import { createConfiguredLlmClient } from '../llm/providers';
import { describePlan, effectiveModel, planProviders, type ModelUser, type ProviderPlan } from '../llm/provider-modes';
import { scopeMemoryToMode } from '../memory/mode-scoped';
import { openMemoryStore } from '../memory/open-store';
import { openEmbedder } from '../memory/open-embedder';
import { checkStoredEmbedder } from '../memory/stored-space';
import { gateEmbeddingBudget } from '../memory/embedding-budget';
import { loadRoster, remapRoster, type Roster } from '../specialists/roster';
import { createLiveRoster } from '../specialists/live-roster';
import { rosterWarnings } from '../specialists/focus';
import { godRosterFetcher } from './god-roster';
import type { Tracing } from '../tracing/types';
import { godConstraintBook } from './god-constraints';
import { godRoutingPolicy } from './god-policy';
import { checkLocalPaths } from './local-paths';

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

/** What the provider plan decided for this worker: the seed roster and system models as they will call. */
export interface ProviderSetup {
  plan: ProviderPlan;
  roster: Roster;
  models: SystemModels;
  /** limits.yaml (PANTHEON_LIMITS_FILE), read and checked before anything starts. */
  limits: Limits;
  /** The offline provider's settings, when this process will serve it (checked before anything starts). */
  offline?: { faults: FaultRule[]; scenario?: Scenario };
}

/**
 * The start-up check, before the worker connects anywhere (and before `npm start` starts a dev
 * server): loads the seed roster, decides each provider's mode (src/llm/provider-modes.ts) and
 * logs it as the worker's first line. A specialist or system model whose provider has no key and
 * no usable fallback stops the worker here, named; so do a malformed limits.yaml and, when this
 * process will serve the offline provider, malformed PANTHEON_OFFLINE_FAULTS or _SCENARIO.
 * Roster focus warnings (src/specialists/focus.ts) follow that first line; they never stop it.
 */
export function prepareProviders(config: PantheonConfig, logger: Logger, models: SystemModels = DEFAULT_SYSTEM_MODELS): ProviderSetup {
  // The local files opened only after connecting: a typo in their paths stops the start here.
  checkLocalPaths(config);
  // And an embedder of another space than the embedded store's, which its open would refuse later.
  checkStoredEmbedder(config);
  const seed = loadRoster(config.rosterDir);
  const systemNames = Object.keys(models) as (keyof SystemModels)[];
  const users: ModelUser[] = [
    ...seed.specialists.map((s) => ({ kind: 'specialist' as const, name: s.name, provider: s.provider, model: s.model, fallback: s.fallback_model })),
    ...systemNames.map((name) => ({ kind: 'system' as const, name, provider: models[name].provider, model: models[name].model, fallback: SYSTEM_MODEL_FALLBACKS[name] })),
  ];
  const plan = planProviders({
    mode: config.llm.mode,
    keys: { openai: Boolean(config.llm.openai.apiKey), anthropic: Boolean(config.llm.anthropic.apiKey) },
    users,
  });
  const { fields, message } = describePlan(plan);
  logger.info(fields, message);
  for (const w of rosterWarnings(seed)) logger.warn({ specialist: w.specialist, field: w.field, rule: w.rule }, `roster: ${w.message}`);
  const remapped = Object.fromEntries(
    systemNames.map((name) => [name, { ...models[name], ...effectiveModel(plan, { kind: 'system', name, ...models[name] }) }]),
  ) as unknown as SystemModels;
  const limits = loadLimits();
  const offline = plan.offline && !config.llm.offlineUrl ? { faults: loadFaultsFromEnv(), scenario: loadScenarioFromEnv() } : undefined;
  // The offline provider's own settings do nothing in a process that serves none: said, so a fault
  // meant for the shared provider (`npm run provider`) is not thought injected.
  if (!offline) {
    const unused = [FAULTS_ENV, SCENARIO_ENV, 'PANTHEON_OFFLINE_LATENCY_MS'].filter((name) => process.env[name]?.trim());
    const where = config.llm.offlineUrl ? `the offline provider at PANTHEON_OFFLINE_URL (${config.llm.offlineUrl}) is another process: set them there` : 'this process serves no offline provider (live providers)';
    if (unused.length > 0) logger.warn({ variables: unused }, `${unused.join(', ')} ignored: ${where}`);
  }
  return { plan, roster: remapRoster(seed, plan.remaps), models: remapped, limits, ...(offline && { offline }) };
}

/**
 * Builds what the activities need from the configuration. The roster and limits.yaml are loaded
 * first: a malformed file stops the worker before anything else starts. When the offline provider
 * answers (PANTHEON_LLM_MODE=offline, or auto with no key at all) and no PANTHEON_OFFLINE_URL is
 * given, this process serves it itself.
 * Every LLM call goes through the budget ledger: reserve the worst case, call, settle.
 */
export async function buildWorkerDeps(
  config: PantheonConfig,
  logger: Logger,
  client: Client,
  setup: ProviderSetup = prepareProviders(config, logger),
  /** Tracing on: every LLM call is a span. */
  tracing?: Tracing,
): Promise<WorkerDeps> {
  const { plan, models } = setup;
  // The seed roster (checked and remapped by prepareProviders). Spawned specialists join from
  // God's roster query while the worker runs.
  const roster = createLiveRoster(setup.roster, godRosterFetcher(client, config.god.id), {
    ttlMs: ROSTER_TTL_MS,
    warn: (message, details) => logger.warn(details, message),
  });
  const { limits } = setup;
  const alerter = createAlerter({ logger, webhookUrl: config.alertWebhookUrl });
  const gate = createBudgetGate({
    client,
    taskQueue: config.temporal.budgetTaskQueue,
    limits,
    ledgerId: config.budget.ledgerId,
    onAlert: budgetAlertSink(alerter),
    leases: config.budget.leases,
    // One line per request when it is first sent again: the rest of its retries are quiet.
    onResend: (err, attempt) => {
      if (attempt === 1) logger.warn({ error: String(err), patienceMs: LANDING_PATIENCE_MS }, 'budget ledger did not answer a settle or booking; sending it again until it lands');
    },
  });
  let offline: OfflineProvider | undefined;
  if (setup.offline) {
    offline = await startOfflineProvider({ port: 0, latencyMs: config.llm.offlineLatencyMs, faults: setup.offline.faults, scenario: setup.offline.scenario });
    config = { ...config, llm: { ...config.llm, offlineUrl: offline.url } };
    logger.info({ url: offline.url }, `offline LLM provider started (PANTHEON_LLM_MODE=${config.llm.mode})`);
  }
  const llm = createBudgetedLlmClient(createConfiguredLlmClient(config, plan), gate, activityCallKeys(), {
    onLedgerError: (err) => logger.error({ error: String(err) }, 'budget ledger settle failed (sent again while the server did not answer, for up to 2 minutes); the reservation is charged at its worst case when its task closes'),
    tracing,
  });
  // One bad record in a shared store must not cost every task that recalls near it its memory:
  // recall leaves it out, and the operator hears of it once an hour per record.
  const onMalformed = (problem: PantheonError) =>
    void alerter.alert({ id: problem.message, kind: 'memory_malformed', message: `${problem.message} (recall leaves it out until it is rewritten or deleted)`, details: {} });
  const memory = scopeMemoryToMode(await openMemoryStore(config.memory, openEmbedder(config, gateEmbeddingBudget(gate)), { onMalformed }), plan.offline);
  logger.info(
    { specialists: roster.specialists.map((s) => s.name), memory: config.memory.kind, embedder: config.embedding.kind, llmMode: config.llm.mode, providers: plan.providers, ledger: gate.ledgerId },
    'worker dependencies ready',
  );
  return {
    deps: { llm, roster, memory, models, alerter, bills: gate, constraints: godConstraintBook(client, config.god.id), routingPolicy: godRoutingPolicy(client, config.god.id) },
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
