import { Context } from '@temporalio/activity';
import { PantheonError } from '../errors';
import type { BudgetGate } from '../budget/gate';
import type { EmbeddingBudget } from './openai-embedder';
import { currentTaskLineage } from '../tasks/lineage-context';

/** The agent scope embedding calls are charged to: one line in `pantheon budget`. */
export const EMBEDDER_AGENT = 'memory-embedder';

/**
 * Embedding calls paid through the budget ledger. Inside an activity (a task's store-memory or
 * route step) the call is the task's: charged to its workflow id, keyed per attempt like every
 * other call (src/budget/call-key.ts). Outside one (`pantheon memory reembed`, a bench) it is
 * charged to `outside.taskId`; with no such owner the call is refused, never made unattributed.
 */
export function gateEmbeddingBudget(gate: Pick<BudgetGate, 'reserveAmount' | 'settle' | 'release'>, outside?: { taskId: string }): EmbeddingBudget {
  const calls = new WeakMap<object, number>();
  let outsideCalls = 0;
  const attribution = (): { key: string; taskId: string } => {
    let ctx: Context | undefined;
    try {
      ctx = Context.current();
    } catch {
      ctx = undefined;
    }
    if (ctx) {
      const n = calls.get(ctx) ?? 0;
      calls.set(ctx, n + 1);
      const { workflowExecution, activityRunId, activityId, attempt } = ctx.info;
      const taskId = workflowExecution?.workflowId ?? `activity:${activityRunId}`;
      const owner = workflowExecution ? `${workflowExecution.workflowId}:${workflowExecution.runId}` : `activity:${activityRunId}`;
      return { key: `${owner}:${activityId}:${attempt}:embed:${n}`, taskId };
    }
    if (!outside) throw PantheonError.of('config_invalid', 'an embedding call outside an activity needs an owner to charge (gateEmbeddingBudget outside.taskId)');
    return { key: `${outside.taskId}:${process.pid}:${Date.now()}:embed:${outsideCalls++}`, taskId: outside.taskId };
  };
  return {
    async reserve({ usd, tokens }) {
      const { key, taskId } = attribution();
      // A spawned task's embeddings are held to max_spawn_depth like its chat calls.
      const lineage = currentTaskLineage();
      const granted = await gate.reserveAmount({ key, taskId, agent: EMBEDDER_AGENT, usd, tokens, ...lineage });
      // A ledger that cannot be reached after the call leaves the reservation to expire at its
      // worst case (as for chat calls); the vectors are good either way.
      const quietly = async (finish: () => Promise<unknown>) => {
        try {
          await finish();
        } catch {
          /* charged at its worst case when the reservation expires */
        }
      };
      return {
        settle: (actual) => quietly(() => gate.settle(granted.id, actual)),
        release: () => quietly(() => gate.release(granted.id)),
      };
    },
  };
}
