/** The workflow bundle's entry point: every workflow type Pantheon registers. */
export { agentTask } from './agent-task';
export { staleTaskSweeper } from './stale-sweeper';
export { stateQuery, flagStaleSignal, requeueSignal } from './agent-task-api';
