import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { DataConverter } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import { createActivities, type ActivityDeps } from '../activities';
import { createSweeperActivities } from '../activities/sweeper';
import { createBackfillActivities } from '../activities/backfill-memory';
import { createStoreMemory } from '../activities/store-memory';
import { createGodActivities } from '../activities/god';
import { createGodWatchdogActivities } from '../activities/ensure-god';
import { createRunwayActivities, type RunwayDeps } from '../activities/runway';
import { HEARTBEAT_THROTTLE_MS } from '../activities/heartbeat';
import type { Tracing } from '../tracing/types';
import { workflowSource } from './workflow-bundle';

export interface TaskWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** For the stale-task sweeper's visibility queries and signals. */
  client: Client;
  /** The budget ledger God's runway activities read and update (the worker's budget gate). */
  ledger: RunwayDeps['ledger'];
  /** A prebuilt bundle (tests and benchmarks build once); otherwise the workflows are bundled now. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Payload encryption (codecs run outside the workflow sandbox); the client must use the same. */
  dataConverter?: DataConverter;
  /** Tracing on: activity spans and the workflow span sink (a prebuilt bundle must hold the workflow interceptors). */
  tracing?: Tracing;
}

/** A worker for Pantheon's workflows (agentTask, the stale-task sweeper, the memory backfill) and their activities. */
export function createTaskWorker(options: TaskWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: {
      ...createActivities(options.deps),
      ...createSweeperActivities({ client: options.client, roster: options.deps.roster, alerter: options.deps.alerter }),
      ...createBackfillActivities({ client: options.client, storeMemory: createStoreMemory(options.deps) }),
      ...createGodActivities({ ...options.deps, client: options.client }),
      ...createGodWatchdogActivities({ client: options.client }),
      ...createRunwayActivities({ ledger: options.ledger }),
    },
    ...workflowSource(options.workflowBundle),
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
    ...options.tracing?.workerOptions(Boolean(options.workflowBundle)),
    // In-flight LLM calls get this long to finish on Ctrl-C before their activities are abandoned
    // to the retry policy (another worker picks them up).
    shutdownGraceTime: '20s',
    // A specialist's per-iteration checkpoint must reach the server within a second, not 12 s.
    maxHeartbeatThrottleInterval: HEARTBEAT_THROTTLE_MS,
  });
}
