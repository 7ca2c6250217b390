import { Context, log } from '@temporalio/activity';
import { PantheonError } from '../errors';
import { parseStructured } from '../llm/client';
import { countPromptTokens } from '../llm/tokens';
import { totalTokens } from '../llm/usage';
import { CompressorAnswer } from '../specialists/protocol';
import type { ActivityDeps } from './deps';
import { heartbeatWhile } from './heartbeat';
import { COMPRESSOR_PROMPT, specialistMessages, specialistSystemPrompt } from './prompts';
import type { CompressContextInput, CompressContextResult } from './types';
import { lineageOf } from '../tasks/lineage';

/** Replaces a specialist's history with an LLM-written summary of progress and state. */
export function createCompressContext({ llm, roster, models }: Pick<ActivityDeps, 'llm' | 'roster' | 'models'>) {
  return async function compressContext(input: CompressContextInput): Promise<CompressContextResult> {
    const { taskId, task, warnings, history } = input;
    await roster.refresh?.();
    const specialist = roster.get(input.specialist);
    if (!specialist) throw PantheonError.of('unknown_specialist', `no specialist named "${input.specialist}"`, { details: { specialist: input.specialist } });
    const transcript = specialistMessages(task, warnings, input.summary, history)
      .map((m) => `${m.role.toUpperCase()}:\n${m.content}`)
      .join('\n\n');
    const call = llm.complete(
      {
        ...models.compressor,
        system: COMPRESSOR_PROMPT,
        messages: [{ role: 'user', content: transcript }],
        json: true,
        purpose: 'compressor',
        agent: specialist.name,
        taskId,
        lineage: lineageOf(taskId, task.lineage),
        lane: task.lane,
        taskSpent: input.spent,
      },
      Context.current().cancellationSignal,
    );
    const answer = await heartbeatWhile(call, () => ({ compressing: true }));
    const { summary } = parseStructured(answer, CompressorAnswer, 'compressor');
    const system = specialistSystemPrompt(specialist.system_prompt);
    const promptTokensBefore = countPromptTokens(system, specialistMessages(task, warnings, input.summary, history));
    const promptTokensAfter = countPromptTokens(system, specialistMessages(task, warnings, summary, []));
    log.info('context compressed', { taskId, promptTokensBefore, promptTokensAfter });
    return { summary, costUsd: answer.costUsd, tokens: totalTokens(answer.usage), promptTokensBefore, promptTokensAfter };
  };
}
