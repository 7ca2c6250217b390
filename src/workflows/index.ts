/** The workflow bundle's entry point: every workflow type Pantheon registers. */
export { agentTask } from './agent-task';
export { stateQuery } from './agent-task-api';
