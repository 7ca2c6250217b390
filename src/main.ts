import { Runtime } from '@temporalio/worker';
import { workflowUrl } from './client/connection';
import { exitOnError } from './client/exit';
import { checkTask, startTask } from './client/submit-task';
import { loadConfig } from './config/env';
import { DEMO_TASKS } from './demo/tasks';
import { printSummary, watchTasks } from './demo/progress';
import { createLogger } from './logging/logger';
import { temporalLoggerFor } from './logging/temporal-logger';
import { ensureTemporal } from './runtime/temporal';
import { startWorkers } from './workers/start';

/**
 * `npm start`: everything on embedded defaults. A local Temporal dev server (unless
 * TEMPORAL_ADDRESS names one), the offline LLM provider (unless API keys are set), a worker, and a
 * demo batch whose progress and results are printed. Keeps serving until Ctrl-C.
 */
async function main(): Promise<void> {
  const base = loadConfig({ PANTHEON_OFFLINE_LATENCY_MS: '150', ...process.env });
  const logger = createLogger({ ...base.log, level: process.env.LOG_LEVEL ?? 'error' });
  // Shutdown order is ours (runWorkersInOrder): the task worker drains first, then the ledger.
  Runtime.install({ logger: temporalLoggerFor(logger), shutdownSignals: [] });

  console.log(base.temporal.address ? `using Temporal at ${base.temporal.address}` : 'starting a local Temporal dev server…');
  const temporal = await ensureTemporal({ address: base.temporal.address, namespace: base.temporal.namespace });
  const config = {
    ...base,
    temporal: { ...base.temporal, address: temporal.address, uiUrl: temporal.uiUrl || base.temporal.uiUrl },
  };
  try {
    const { client, built, running, close } = await startWorkers(config, logger);
    if (built.offline) console.log(`offline LLM provider at ${built.offline.url} (no API key set)`);

    const batch = `demo-${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}`;
    console.log(`\nTemporal Web UI: ${config.temporal.uiUrl}/namespaces/${config.temporal.namespace}/workflows`);
    console.log(`submitting ${DEMO_TASKS.length} demo tasks (batch ${batch})…\n`);
    const watched = await Promise.all(
      DEMO_TASKS.map(async ({ slug, task }) => ({
        slug,
        handle: await startTask(client, config.temporal.taskQueue, checkTask(task, built.deps.roster), `${batch}-${slug}`),
      })),
    );
    const states = await watchTasks(client, watched);
    printSummary(states);
    console.log(`\none task in the Web UI: ${workflowUrl(config, watched[0].handle.workflowId)}`);
    console.log(`all demo tasks:        temporal workflow list --query "WorkflowId STARTS_WITH '${batch}'"`);
    console.log('\nserving: submit more with `npm run pantheon -- submit "<objective>"`; Ctrl-C to stop.');
    await running;
    await close();
  } finally {
    await temporal.stop();
  }
  console.log('stopped.');
}

exitOnError(main);
