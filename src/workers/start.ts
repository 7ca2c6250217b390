import fs from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { NativeConnection, type WorkerOptions } from '@temporalio/worker';
import type { Logger } from 'pino';
import { connectClient, unreachable } from '../client/connection';
import { describeTemporalConnection, workerConnectionOptions } from '../config/temporal-connection';
import { ensureSweeperSchedule, sweeperScheduleId } from '../client/sweeper-schedule';
import { consolidationScheduleId, ensureConsolidationSchedule } from '../client/consolidation-schedule';
import type { PantheonConfig } from '../config/env';
import { limitsFileLabel } from '../budget/load-limits';
import { BUDGET_LEDGER_ID } from '../budget/ledger-defs';
import { checkEntitiesReadable } from './readable-entities';
import { buildWorkerDeps, prepareProviders, type ProviderSetup, type WorkerDeps } from './deps';
import { createDrain } from './drain';
import { createLedgerWorker, runWorkersInOrder } from './ledger-worker';
import { createTaskWorker } from './task-worker';
import { bundleWorkflows } from './workflow-bundle';
import { limitsDrift } from '../budget/limits-patch';
import { ensureSearchAttributes, isNotAllowed } from '../runtime/search-attributes';
import { isPantheonError, PantheonError } from '../errors';
import { dataConverterFor } from '../codec';
import { keyFileExposure } from '../codec/keys';
import { temporalLoggerFor } from '../logging/temporal-logger';
import { openTracing } from '../tracing/open';
import { bundleHoldsTracing, workflowTracingModule } from '../tracing/bundle';
import { describeEndpoint } from '../tracing/settings';
import type { Tracing } from '../tracing/types';

/** The sentence both the log and `npm start` say when the limits file and the running ledger differ. */
export function limitsDriftMessage(drift: readonly string[], file = 'limits.yaml'): string {
  const apply = file === 'limits.yaml' ? '' : ` --file ${file}`;
  return `${file} differs from the running budget ledger's limits, which are the ones enforced (apply the file with \`pantheon budget limits${apply} --who NAME --why TEXT\` or the setLimits update): ${drift.join('; ')}`;
}

/** The running ledger's limits rule; a different limits file here is worth a loud line. */
async function reportLimitsDrift(built: WorkerDeps, logger: Logger, onDrift?: (message: string) => void): Promise<void> {
  const ledger = (await built.gate.snapshot()).limits;
  const file = limitsFileLabel();
  const drift = limitsDrift(built.limits, ledger, path.basename(file));
  if (drift.length === 0) return;
  const message = limitsDriftMessage(drift, file);
  logger.warn({ ledger: built.gate.ledgerId, differences: drift }, message);
  onDrift?.(message);
}

/**
 * The limits comparison, off start-up's path: it asks the ledger (a query), and a ledger whose
 * worker is stalled (a paused process whose polls the server still holds) answers no query until
 * the server gives up on that worker. A worker that waited for the answer, or failed without it,
 * would not take over the stalled worker's tasks meanwhile. Advisory either way: the ledger's own
 * limits are the ones enforced.
 */
function compareLimitsInBackground(built: WorkerDeps, logger: Logger, onDrift?: (message: string) => void): void {
  reportLimitsDrift(built, logger, onDrift).catch((err: unknown) =>
    logger.warn(
      { ledger: built.gate.ledgerId, err: err instanceof Error ? err.message : String(err) },
      "could not compare limits.yaml with the running budget ledger's limits (see err); the ledger's own limits are the ones enforced",
    ),
  );
}

/**
 * The workflow code both workers run. Untraced: the prebuilt bundle, or undefined (each worker
 * bundles its own). Traced: the prebuilt bundle if it was built with the tracing interceptors,
 * else bundled here once with them.
 */
async function workflowBundleFor(config: PantheonConfig, tracing: Tracing | undefined, logger: Logger): Promise<WorkerOptions['workflowBundle']> {
  const prebuilt = config.workflowBundlePath;
  if (!tracing) return prebuilt ? { codePath: prebuilt } : undefined;
  if (prebuilt) {
    const code = await fs.readFile(prebuilt, 'utf8');
    if (bundleHoldsTracing(code)) return { code };
    logger.warn({ bundle: prebuilt }, 'PANTHEON_WORKFLOW_BUNDLE was built without the tracing interceptors: bundling the workflows with them instead');
  }
  return { code: await bundleWorkflows({ workflowInterceptorModules: [workflowTracingModule()], logger: temporalLoggerFor(logger) }) };
}

/** The task worker stopped polling and nobody signalled it (the SDK ended its run): a process
 * that exited 0 here would look deliberate to its supervisor, and its tasks would wait unserved. */
function unaskedStop(taskQueue: string): PantheonError {
  return PantheonError.of('worker_stopped', `the task worker of ${taskQueue} stopped polling without a SIGINT or SIGTERM; exiting non-zero so a supervisor restarts it (its tasks wait for a worker, none is lost)`, { details: { taskQueue } });
}

export interface RunningWorkers {
  client: Client;
  built: WorkerDeps;
  /** Settles when the workers have stopped (Ctrl-C/SIGTERM drains the task worker, then the
   * ledger); rejects with `worker_stopped` when the task worker stopped without a signal. */
  running: Promise<void>;
  /** Closes what start-up opened; call after `running` settles. */
  close(): Promise<void>;
}

/**
 * Everything a worker process runs: dependencies (roster, limits, memory, LLM behind the budget
 * ledger), the sweeper's Schedule, the ledger worker and the task worker. The client stays open
 * while they run: the budget gate and the sweeper use it.
 */
export interface StartOptions {
  /** Told, besides the log's warning, when limits.yaml differs from the running ledger's limits
   * (in the background, after start-up): `npm start` logs only errors, so it prints its own line. */
  onLimitsDrift?: (message: string) => void;
  /** The start-up check's result, when the caller ran it first (`npm start`, before it starts a dev server). */
  providers?: ProviderSetup;
}

export async function startWorkers(config: PantheonConfig, logger: Logger, options: StartOptions = {}): Promise<RunningWorkers> {
  // First: the provider modes, logged, or a refusal before anything connects.
  const providers = options.providers ?? prepareProviders(config, logger);
  // Opt-in (OTEL_EXPORTER_OTLP_*): the tasks' workflows, activities and LLM calls as traces. Opened
  // before the client, which joins it (one service name for the process).
  const traced = await openTracing(config.tracing, 'pantheon-worker', (message) => logger.warn(`tracing: ${message}`));
  const tracing = traced?.tracing;
  if (tracing) logger.info({ endpoint: describeEndpoint(tracing.endpoint), serviceName: tracing.serviceName }, `OpenTelemetry traces to ${describeEndpoint(tracing.endpoint)} as ${tracing.serviceName}`);
  // Where and how, never the key: "api key: set", "tls: on, client cert <path>".
  const { connection: target } = config.temporal;
  logger.info({ temporal: target.summary }, `connecting to Temporal at ${describeTemporalConnection(target)}`);
  const opened = new Opened();
  if (traced) opened.add(() => traced.release());
  try {
    return await startOpening(config, logger, providers, tracing, opened, options);
  } catch (err) {
    await opened.closeAll().catch((closeErr: unknown) => logger.warn({ error: String(closeErr) }, 'closing after a failed start failed too'));
    throw err;
  }
}

/**
 * What start-up has opened so far (client, deps, connection, span exporter): closed newest first,
 * on `close()` or when a later step of the start fails, so a refused start leaves nothing open.
 */
class Opened {
  private readonly closers: Array<() => Promise<void>> = [];

  add(close: () => Promise<void>): void {
    this.closers.push(close);
  }

  /** Runs every closer even when one fails; throws the first failure after all have run. */
  async closeAll(): Promise<void> {
    const failures: unknown[] = [];
    while (this.closers.length > 0) await this.closers.pop()!().catch((err: unknown) => failures.push(err));
    if (failures.length > 0) throw failures[0];
  }
}

async function startOpening(
  config: PantheonConfig,
  logger: Logger,
  providers: ProviderSetup,
  tracing: Tracing | undefined,
  opened: Opened,
  options: StartOptions,
): Promise<RunningWorkers> {
  const target = config.temporal.connection;
  const { client, connection: clientConnection, close: closeClient } = await connectClient(config);
  opened.add(closeClient);
  // A server Pantheon did not start has none of its search attributes, and without them every
  // task start fails: register what is missing (idempotent; one list call when all are there).
  const registered = await ensureSearchAttributes(clientConnection, config.temporal.namespace).catch((err: unknown) => {
    // A server that does not let this key list them (a narrow Cloud role): the namespace's operator
    // set them up, or task starts will say which is missing.
    if (isPantheonError(err) || !isNotAllowed(err)) throw err;
    logger.warn({ error: (err as Error).message }, 'cannot list the namespace\'s search attributes; assuming an operator registered Pantheon\'s');
    return [];
  });
  if (registered.length > 0) logger.info({ namespace: config.temporal.namespace, registered }, `registered Pantheon's search attributes in namespace ${config.temporal.namespace}`);
  await checkEntitiesReadable(client, [
    { workflowId: config.budget.ledgerId ?? BUDGET_LEDGER_ID, name: 'the budget ledger' },
    { workflowId: config.god.id, name: 'God' },
  ]);
  const built = await buildWorkerDeps(config, logger, client, providers, tracing);
  opened.add(() => built.close());
  // Asked to stop, a specialist run ends at its next call's boundary instead of calling on until the drain cuts it.
  const drain = createDrain();
  built.deps.draining = drain.requested;
  const connection = await NativeConnection.connect(workerConnectionOptions(target)).catch((err: unknown) => {
    throw unreachable(target, err);
  });
  opened.add(() => connection.close());
  // Settles sent off the calls' path must reach the ledger before the client closes.
  opened.add(() => built.gate.flush());
  // This queue's own sweeper: workers of other queues have theirs, and never touch this one.
  const sweeper = await ensureSweeperSchedule(client, { taskQueue: config.temporal.taskQueue, ...config.sweeper });
  const sweeperId = sweeperScheduleId(config.temporal.taskQueue);
  logger.info({ schedule: sweeper.schedule, scheduleId: sweeperId, ...config.sweeper }, 'stale-task sweeper schedule ready');
  if (sweeper.overrode.length > 0) {
    // One Schedule per queue, set by whichever worker started last: a fleet with mixed settings flips it.
    logger.warn(
      { scheduleId: sweeperId, overrode: sweeper.overrode },
      `this worker changed the stale-task sweeper another worker of the queue had set (${sweeper.overrode.join(', ')}): start every worker of ${config.temporal.taskQueue} with the same PANTHEON_STALE_POLICY and PANTHEON_SWEEP_EVERY`,
    );
  }
  const consolidation = await ensureConsolidationSchedule(client, { taskQueue: config.temporal.taskQueue, ...config.consolidation });
  logger.info({ schedule: consolidation, scheduleId: consolidationScheduleId(config.temporal.taskQueue), ...config.consolidation }, 'memory consolidation schedule ready');
  const { namespace, taskQueue, budgetTaskQueue } = config.temporal;
  const workflowBundle = await workflowBundleFor(config, tracing, logger);
  const dataConverter = dataConverterFor(config.codec.keys);
  if (config.codec.keys) logger.info({ keyIds: config.codec.keys.ids, encryptsWith: config.codec.keys.currentId }, 'payloads encrypted (AES-256-GCM)');
  const exposed = keyFileExposure(process.env);
  if (exposed) logger.warn({ variable: 'PANTHEON_CODEC_KEY_FILE' }, exposed);
  const ledgerWorker = await createLedgerWorker({ connection, namespace, taskQueue: budgetTaskQueue, workflowBundle, dataConverter, tracing });
  // The ledger worker runs first: succeeding an ended ledger run reads its state through a worker.
  const ledgerRun = ledgerWorker.run();
  let worker: Awaited<ReturnType<typeof createTaskWorker>>;
  try {
    await built.gate.ensureLedger();
    compareLimitsInBackground(built, logger, options.onLimitsDrift);
    worker = await createTaskWorker({ connection, client, namespace, taskQueue, deps: built.deps, ledger: built.gate, workflowBundle, dataConverter, tracing });
  } catch (err) {
    ledgerWorker.shutdown();
    await ledgerRun;
    throw err;
  }
  logger.info({ address: workerConnectionOptions(target).address, taskQueue }, 'worker running; Ctrl-C to drain and stop');
  return {
    client,
    built,
    running: runWorkersInOrder(worker, ledgerWorker, undefined, ledgerRun, () => built.gate.flush(), drain.request).then(({ signalled }) => {
      if (!signalled) throw unaskedStop(taskQueue);
    }),
    // Newest first: pending settles, the connection, the deps, the client, and last the span
    // exporter (it flushes every span the workers ended, workflow spans included).
    close: () => opened.closeAll(),
  };
}
