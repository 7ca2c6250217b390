/** The workflow bundle's entry point: every workflow type Pantheon registers. */
import './sandbox-zod';
export { agentTask } from './agent-task';
export { staleTaskSweeper } from './stale-sweeper';
export { memoryConsolidation } from './memory-consolidation';
export { memoryBackfill } from './memory-backfill';
export { godWatchdog } from './god-watchdog';
export { stateQuery, flagStaleSignal, requeueSignal } from './agent-task-api';
export { taskChain } from './task-chain';
export { chainStateQuery, TASK_CHAIN_TYPE } from './task-chain-api';
export { budgetLedger, BUDGET_LEDGER_ID, BUDGET_LEDGER_TYPE, budgetQuery, reserveUpdate, settleUpdate, releaseUpdate, reserveBatchUpdate, finishBatchUpdate, ledgerBatchUpdate, closeBreakerUpdate, openBreakerUpdate, setOverrideUpdate, setLimitsUpdate } from './budget-ledger';
export { god } from './god';
