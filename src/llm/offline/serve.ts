import { FAULTS_ENV, loadFaultsFromEnv, loadScenarioFromEnv, SCENARIO_ENV, startOfflineProvider } from './index';
import { onStopSignals } from '../../runtime/stop-signals';

/**
 * `npm run provider`: runs the offline provider as its own process, configured from the
 * environment, so workers and the CLI can point at it like at a real provider.
 */

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer; got "${raw}"`);
  return value;
}

async function main(): Promise<void> {
  const faults = loadFaultsFromEnv();
  const scenario = loadScenarioFromEnv();
  const provider = await startOfflineProvider({
    port: intFromEnv('PANTHEON_OFFLINE_PORT', 8787),
    host: process.env.PANTHEON_OFFLINE_HOST || '127.0.0.1',
    latencyMs: intFromEnv('PANTHEON_OFFLINE_LATENCY_MS', 0),
    jitterMs: intFromEnv('PANTHEON_OFFLINE_JITTER_MS', 0),
    seed: intFromEnv('PANTHEON_OFFLINE_SEED', 1),
    faults,
    scenario,
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

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
