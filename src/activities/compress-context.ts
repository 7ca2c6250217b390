import { Context, log } from '@temporalio/activity';
import { carryDecisions, declaredDecisions, pinnedFacts, presentFacts, promptText } from '../compression/pinned';
import { pinnedDecisionsOf, summaryOf } from '../compression/summary';
import { chargedFor, PantheonError } from '../errors';
import { parseStructured } from '../llm/client';
import { countPromptTokens } from '../llm/tokens';
import { totalTokens } from '../llm/usage';
import { CompressorAnswer } from '../specialists/protocol';
import type { ActivityDeps } from './deps';
import { fitMemoryLines } from '../memory/recall-for-prompt';
import { heartbeatWhile } from './heartbeat';
import { COMPRESSOR_PROMPT, specialistMessages, specialistSystemPrompt } from './prompts';
import type { CompressContextInput, CompressContextResult } from './types';
import { lineageOf } from '../tasks/lineage';

/**
 * Replaces a specialist's history with a summary in a fixed structure (goal, progress, current
 * state, open questions) written by the compressor model, plus the decisions the specialist
 * declared final, carried by this code verbatim. The compressor's answer is validated: one that
 * does not fit is an `invalid_output` failure (retryable), one that is not JSON `malformed_response`.
 */
export function createCompressContext({ llm, roster, models }: Pick<ActivityDeps, 'llm' | 'roster' | 'models'>) {
  return async function compressContext(input: CompressContextInput): Promise<CompressContextResult> {
    const { taskId, task, warnings, history } = input;
    await roster.refresh?.();
    const specialist = roster.get(input.specialist);
    if (!specialist) throw PantheonError.of('unknown_specialist', `no specialist named "${input.specialist}"`, { details: { specialist: input.specialist } });
    const { decisions, overflow } = carryDecisions(pinnedDecisionsOf(input.summary), declaredDecisions(history));
    if (overflow.length) log.warn('final decisions over the pinned limit are summarised, not pinned', { taskId, unpinned: overflow.length });
    const before = specialistMessages(task, warnings, input.summary, history);
    const transcript = before.map((m) => `${m.role.toUpperCase()}:\n${m.content}`).join('\n\n');
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
    // A failed compression still spent: what the ledger charged for a failed call, or what an
    // unusable answer cost, rides in the failure's details as a failed run's spend does, and the
    // task's books count it.
    const answer = await heartbeatWhile(call, () => ({ compressing: true })).catch((err: unknown) => {
      throw withSpend(err, chargedFor(err));
    });
    let summary;
    try {
      summary = summaryOf(parseStructured(answer, CompressorAnswer, 'compressor'), decisions);
    } catch (err) {
      throw withSpend(err, { usd: answer.costUsd, tokens: totalTokens(answer.usage) });
    }
    const system = specialistSystemPrompt(specialist.system_prompt);
    const after = specialistMessages(task, warnings, summary, []);
    // The memory lines the prompt shows (at most 5): those are what must survive compression.
    const pinned = pinnedFacts(task, fitMemoryLines(warnings), decisions);
    const pinnedKept = presentFacts(promptText(system, after), pinned).length;
    const promptTokensBefore = countPromptTokens(system, before);
    const promptTokensAfter = countPromptTokens(system, after);
    if (pinnedKept < pinned.length) log.error('a pinned fact is missing from the prompt after compression', { taskId, pinned: pinned.length, pinnedKept });
    log.info('context compressed', { taskId, promptTokensBefore, promptTokensAfter, pinned: pinned.length, decisions: decisions.length });
    return { summary, costUsd: answer.costUsd, tokens: totalTokens(answer.usage), promptTokensBefore, promptTokensAfter, pinnedFacts: pinned.length, pinnedKept };
  };
}

/** The error, with what the failed compression spent in its details (`runCostUsd`, `runTokens`). */
function withSpend(err: unknown, spent: { usd: number; tokens: number }): unknown {
  if (err instanceof PantheonError && (spent.usd > 0 || spent.tokens > 0)) Object.assign(err.details, { runCostUsd: spent.usd, runTokens: spent.tokens });
  return err;
}
