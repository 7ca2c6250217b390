import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';

export interface TaskWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** A prebuilt bundle (tests and benchmarks build once); otherwise the workflows are bundled now. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

/** The path the workflow bundler starts from: the one export file of all workflows. */
export const WORKFLOWS_PATH = require.resolve('../workflows');

/** A worker for agentTask workflows and their activities on one task queue. */
export function createTaskWorker(options: TaskWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: createActivities(options.deps),
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    // In-flight LLM calls get this long to finish on Ctrl-C before their activities are abandoned
    // to the retry policy (another worker picks them up).
    shutdownGraceTime: '20s',
  });
}
