import { Context } from '@temporalio/activity';
import { parseStructured } from '../llm/client';
import { totalTokens } from '../llm/usage';
import { RouterAnswer } from '../specialists/protocol';
import { describeRoster } from '../specialists/roster';
import { lineageOf } from '../tasks/lineage';
import type { Task } from '../tasks/task-input';
import type { ActivityDeps } from './deps';
import { ROUTER_PROMPT_HEADER, taskMessage } from './prompts';
import type { SpentSoFar } from './types';

export interface Classification {
  specialist: string;
  confidence: number;
  reason: string;
  /** False when the classifier named a specialist we do not have (the fallback stands in). */
  known: boolean;
  costUsd: number;
  tokens: number;
}

/**
 * The cheap classifier both routers use when the keyword rules are unsure: the task's route
 * activity, and God's assessment. Billed (reserve → call → settle) on the task's lane, to the task
 * or to `billTo` (God's assessment bills its own id), with the task's lineage either way.
 */
export function createClassifier({ llm, roster, models }: Pick<ActivityDeps, 'llm' | 'roster' | 'models'>) {
  return async function classify(taskId: string, task: Task, spent?: SpentSoFar, billTo?: string): Promise<Classification> {
    const answer = await llm.complete(
      {
        ...models.router,
        system: `${ROUTER_PROMPT_HEADER}\n${describeRoster(roster)}`,
        messages: [{ role: 'user', content: taskMessage(task, []) }],
        json: true,
        purpose: 'router',
        taskId: billTo ?? taskId,
        lineage: lineageOf(taskId, task.lineage),
        lane: task.lane,
        taskSpent: spent,
      },
      Context.current().cancellationSignal,
    );
    const pick = parseStructured(answer, RouterAnswer, 'router');
    const tokens = totalTokens(answer.usage);
    // The classifier's answer is data: a name we do not have falls back rather than being obeyed.
    if (!roster.get(pick.specialist)) {
      return { specialist: roster.fallback.name, confidence: 0.3, reason: `classifier named unknown "${pick.specialist}"; fallback`, known: false, costUsd: answer.costUsd, tokens };
    }
    return { specialist: pick.specialist, confidence: pick.confidence, reason: `classifier: ${pick.reason}`, known: true, costUsd: answer.costUsd, tokens };
  };
}
