import { connectClient, workflowUrl } from './client/connection';
import { exitOnError } from './client/exit';
import { ensureGodWatchdogSchedule } from './client/god-watchdog-schedule';
import { startGod } from './client/god-start';
import { settingsOfRun } from './client/god-watchdog-settings';
import { checkTask } from './client/submit-task';
import { loadConfig, withDefaults } from './config/env';
import { DEMO_GOALS, DEMO_GOD_TASKS } from './demo/goals';
import { watchGod } from './demo/god-progress';
import { onStopSignals } from './runtime/stop-signals';
import { DEMO_TASKS } from './demo/tasks';
import { printSummary } from './demo/progress';
import { submitTaskUpdate } from './workflows/god-api';
import { describeTemporalConnection } from './config/temporal-connection';
import { createLogger } from './logging/logger';
import { installWorkerRuntime } from './workers/runtime';
import { ensureTemporal } from './runtime/temporal';
import { stoppedOrphanNotice } from './runtime/orphan-server';
import { startWorkers } from './workers/start';
import { prepareProviders } from './workers/deps';
import { updateRetryingUnaccepted } from './client/update-retry';

/** How far behind ours the server's clock (God's decisions carry workflow time) may be. */
const DECISION_CLOCK_SLACK_MS = 2_000;

/**
 * `npm start`: everything on embedded defaults. A local Temporal dev server (unless
 * TEMPORAL_ADDRESS or a temporal.toml profile names one), the offline LLM provider (unless API keys are set), a worker, and a
 * demo batch whose progress and results are printed. Keeps serving until Ctrl-C.
 */
async function main(): Promise<void> {
  const base = loadConfig(withDefaults(process.env, { PANTHEON_OFFLINE_LATENCY_MS: '150' }));
  const logger = createLogger({ ...base.log, level: process.env.LOG_LEVEL ?? 'error' });
  // Shutdown order is ours (runWorkersInOrder): the task worker drains first, then the ledger.
  // Opt-in (PANTHEON_METRICS_ADDRESS): the SDK's and Pantheon's metrics at http://ADDRESS/metrics.
  installWorkerRuntime(logger, base.metrics.address);
  if (base.metrics.address) console.log(`Prometheus metrics at http://${base.metrics.address}/metrics`);

  // Settings files first (the roster, limits.yaml, the offline provider's faults and scenario): a
  // malformed one stops here, before a dev server is started for nothing.
  const providers = prepareProviders(base, logger);
  // A server named by TEMPORAL_ADDRESS or a temporal.toml profile is used as it is; none: a dev server.
  const configured = base.temporal.connection;
  console.log(configured.address ? `using Temporal at ${describeTemporalConnection(configured)}` : 'starting a local Temporal dev server…');
  const temporal = await ensureTemporal({ connection: configured });
  const orphan = temporal.started?.stoppedOrphan;
  if (orphan !== undefined) console.log(stoppedOrphanNotice(orphan));
  const config = {
    ...base,
    temporal: { ...base.temporal, address: temporal.address, connection: temporal.connection, uiUrl: temporal.uiUrl || base.temporal.uiUrl },
  };
  try {
    // The demo logs only errors: a limits.yaml the running ledger does not follow gets a line of its own.
    const { client, built, running, close } = await startWorkers(config, logger, { providers, onLimitsDrift: (message) => console.log(`\nnote: ${message}\n`) });
    if (built.offline) console.log(`offline LLM provider at ${built.offline.url} (PANTHEON_LLM_MODE=${config.llm.mode}${config.llm.mode === 'auto' ? ', no API key set' : ''})`);

    const batch = `demo-${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}`;
    const { taskQueue } = config.temporal;
    const godId = config.god.id;
    const god = await startGod(client, { godId, taskQueue, goals: DEMO_GOALS });
    // The settings of the God that runs now, for the watchdog to start God afresh with.
    const { settings } = await settingsOfRun(client, godId, god.runId);
    await ensureGodWatchdogSchedule(client, { godId, taskQueue, goals: DEMO_GOALS, ...(settings && { settings }) });
    console.log(god.outcome === 'started' ? `God started (${godId}) with ${DEMO_GOALS.length} demo goals` : `God already running (${godId}); its goals stay as they are`);
    console.log(`\nTemporal Web UI: ${config.temporal.uiUrl}/namespaces/${config.temporal.namespace}/workflows`);
    const demo = [...DEMO_TASKS, ...DEMO_GOD_TASKS].map(({ slug, task }) => ({ slug, taskId: `${batch}-${slug}`, task: checkTask(task, built.deps.roster) }));
    console.log(`submitting ${demo.length} demo tasks to God (batch ${batch}); its decisions as it takes them:\n`);
    const handle = client.workflow.getHandle(godId);
    // God's decisions from here on (a little earlier, for a server clock slightly behind ours): a
    // God still running from an earlier start holds that run's decisions too.
    const since = Date.now() - DECISION_CLOCK_SLACK_MS;
    for (const { task, taskId } of demo) await updateRetryingUnaccepted(() => handle.executeUpdate(submitTaskUpdate, { args: [{ task, taskId }] }));
    // Ctrl-C before the batch is done: the watch ends quietly and the workers drain (the workers
    // hear the signal themselves; a second one a second later still stops at once through theirs).
    const stopping = new AbortController();
    const stopListening = onStopSignals(() => stopping.abort(), { force: () => undefined });
    // The watch has a connection of its own, without the SDK's retries, so Ctrl-C cancels its call
    // at once: the SDK's retry timer outlives a cancel and throws once the connection has closed.
    const watcher = await connectClient(config, { sdkRetries: false, traced: false });
    const watch = watchGod(watcher.client, godId, demo, since, { signal: stopping.signal });
    // Closed once its last call has ended, whatever the watch came to (a failed close is no news).
    const watcherClosed = watch.settled.then(() => watcher.close()).catch(() => undefined);
    const result = await watch.outcome.finally(stopListening);
    if (result) {
      printSummary(result.ended);
      for (const slug of result.awaitingReview) {
        console.log(`\n  ${slug} awaits review: npm run pantheon -- review approve ${batch}-${slug}   (or reject … --reason "…")`);
      }
      console.log(`\nGod in the Web UI:      ${workflowUrl(config, godId)}`);
      console.log('runway and queue:       npm run pantheon -- god status');
      console.log(`all demo tasks:         temporal workflow list --query "WorkflowId STARTS_WITH '${batch}'"`);
      console.log('\nserving: God keeps generating work for its goals; submit more with `npm run pantheon -- submit "<objective>"`; Ctrl-C to stop.');
    } else {
      console.log(`\nstopping before the demo batch ended: its tasks are durable and go on when a worker runs (npm start, or npm run worker); see them with temporal workflow list --query "WorkflowId STARTS_WITH '${batch}'"`);
    }
    await watcherClosed;
    // A worker that stopped unasked rejects `running`: what start-up opened is closed all the same.
    await running.finally(close);
  } finally {
    await temporal.stop();
  }
  console.log('stopped.');
}

exitOnError(main);
