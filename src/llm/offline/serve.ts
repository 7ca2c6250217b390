import { exitOnError } from '../../client/exit';
import { checkVariableNames } from '../../config/env';
import { listenFailure } from '../../runtime/listen-error';
import { onStopSignals } from '../../runtime/stop-signals';
import { FAULTS_ENV, loadFaultsFromEnv, loadScenarioFromEnv, SCENARIO_ENV, startOfflineProvider } from './index';
import { intFromEnv } from './serve-env';

/**
 * `npm run provider`: runs the offline provider as its own process, configured from the
 * environment, so workers and the CLI can point at it like at a real provider.
 */

async function main(): Promise<void> {
  const env = process.env;
  // This process reads its settings without loadConfig; a misspelt one must not pass unnoticed either.
  checkVariableNames(env);
  const faults = loadFaultsFromEnv();
  const scenario = loadScenarioFromEnv();
  const host = env.PANTHEON_OFFLINE_HOST || '127.0.0.1';
  const port = intFromEnv(env, 'PANTHEON_OFFLINE_PORT', 8787, 65535);
  const provider = await startOfflineProvider({
    port,
    host,
    latencyMs: intFromEnv(env, 'PANTHEON_OFFLINE_LATENCY_MS', 0),
    jitterMs: intFromEnv(env, 'PANTHEON_OFFLINE_JITTER_MS', 0),
    seed: intFromEnv(env, 'PANTHEON_OFFLINE_SEED', 1),
    faults,
    scenario,
  }).catch((err: unknown) => {
    throw listenFailure(err, { host, port, hostVariable: 'PANTHEON_OFFLINE_HOST', portVariable: 'PANTHEON_OFFLINE_PORT' }) ?? err;
  });
  console.log(`Pantheon offline LLM provider listening on ${provider.url}`);
  console.log(`  OpenAI base URL:    ${provider.url}/v1`);
  console.log(`  Anthropic base URL: ${provider.url}`);
  if (faults.length > 0) console.log(`  ${faults.length} fault rule(s) from ${FAULTS_ENV}`);
  if (scenario) console.log(`  scenario with ${scenario.rules.length} rule(s) from ${SCENARIO_ENV}`);

  const stop = (signal: NodeJS.Signals): void => {
    console.log(`${signal} received, closing the offline provider`);
    provider.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  onStopSignals(stop);
}

exitOnError(main);
