import { Context } from '@temporalio/activity';
import { chargedFor, PantheonError } from '../errors';
import { parseStructured } from '../llm/client';
import { totalTokens } from '../llm/usage';
import { lineageOf } from '../tasks/lineage';
import type { Task } from '../tasks/task-input';
import type { SecondStageOutcome, StageOneVerdict } from '../tasks/validation-stages';
import { VALIDATOR_PROMPT_HEADER, ValidatorAnswer, validatorMessage } from '../tasks/validator-protocol';
import type { ActivityDeps } from './deps';
import type { SpentSoFar } from './types';

/**
 * Validation's second stage: one cheap model call (the `validator` system model), billed to the
 * task through the budget ledger like any call, asked only what the rules left undecided. Any
 * failure, a budget refusal included, is an outcome (the rules' verdict then stands), never an
 * "accept all"; only a cancelled activity is thrown.
 */
export function createSecondStage(deps: Pick<ActivityDeps, 'llm' | 'models'>) {
  return (taskId: string, task: Task, first: StageOneVerdict, spent?: SpentSoFar) => askValidator(deps, { taskId, task, first, spent }, Context.current().cancellationSignal);
}

/** The call itself, outside any activity too (the validation bench uses it). Billed to the task,
 * or to `billTo` (God's assessment bills its own id), with the task's lineage either way. */
export async function askValidator(
  { llm, models }: Pick<ActivityDeps, 'llm' | 'models'>,
  { taskId, task, first, spent, billTo }: { taskId: string; task: Task; first: StageOneVerdict; spent?: SpentSoFar; billTo?: string },
  signal?: AbortSignal,
): Promise<SecondStageOutcome & { costUsd: number; tokens: number }> {
    // What an answered call cost stays on the books even when its answer cannot be used.
    let spend = { costUsd: 0, tokens: 0 };
    try {
      const answer = await llm.complete(
        {
          ...models.validator,
          system: VALIDATOR_PROMPT_HEADER,
          messages: [{ role: 'user', content: validatorMessage(task, first.constraints, first.questions) }],
          json: true,
          purpose: 'validator',
          taskId: billTo ?? taskId,
          lineage: lineageOf(taskId, task.lineage),
          lane: task.lane,
          taskSpent: spent,
        },
        signal,
      );
      spend = { costUsd: answer.costUsd, tokens: totalTokens(answer.usage) };
      return { answer: parseStructured(answer, ValidatorAnswer, 'validator'), ...spend };
    } catch (err) {
      if (err instanceof PantheonError && err.type === 'cancelled') throw err;
      const type = err instanceof PantheonError ? err.type : 'error';
      // A call that failed after it may have been billed: the ledger charged its worst case.
      const charged = chargedFor(err);
      if (charged.usd > 0 || charged.tokens > 0) spend = { costUsd: spend.costUsd + charged.usd, tokens: spend.tokens + charged.tokens };
      return { failed: `${type}: ${(err as Error).message?.slice(0, 200) ?? String(err)}`, ...spend };
    }
}
