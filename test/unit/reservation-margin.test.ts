import path from 'node:path';
import { COMPRESSOR_PROMPT, CONTINUE_MESSAGE, ROUTER_PROMPT_HEADER, specialistMessages, specialistSystemPrompt, taskMessage } from '../../src/activities/prompts';
import { DEFAULT_SYSTEM_MODELS } from '../../src/activities/deps';
import { worstCaseOf } from '../../src/budget/estimate';
import { repoRoot } from '../../src/config/paths';
import { createAnthropicProvider } from '../../src/llm/anthropic-provider';
import { createLlmClient } from '../../src/llm/client';
import { startOfflineProvider, type OfflineProvider } from '../../src/llm/offline';
import { createOpenAiProvider } from '../../src/llm/openai-provider';
import { totalTokens } from '../../src/llm/usage';
import type { ChatMessage, ChatRequest, LlmClient } from '../../src/llm/types';
import { CompressorAnswer, SpecialistStep } from '../../src/specialists/protocol';
import { describeRoster, loadRoster } from '../../src/specialists/roster';
import { summaryOf, type ContextSummary } from '../../src/compression/summary';
import { TaskInputSchema } from '../../src/tasks/task-input';

/**
 * The offline provider bills with its own meter (bytes / 4), not with the tokenizer the budget
 * reserves with, so a test can catch an under-reservation. This checks the other side: in ordinary
 * use (Pantheon's real prompts, the provider's real answers, through the real SDKs) what it bills
 * stays within the worst case reserved, so settles above a reservation are the exception they
 * should be, not the rule.
 */

let provider: OfflineProvider;
let llm: LlmClient;
const roster = loadRoster(path.join(repoRoot(), 'agents'));

beforeAll(async () => {
  provider = await startOfflineProvider({ seed: 3, latencyMs: 0 });
  const options = { apiKey: 'offline', baseURL: provider.url, timeoutMs: 10_000 };
  llm = createLlmClient({ openai: createOpenAiProvider(options), anthropic: createAnthropicProvider(options) });
});

afterAll(async () => {
  await provider.close();
});

const OBJECTIVES = [
  'Add a unique index on users.email in the Postgres database',
  `Migrate these Postgres tables to the new schema:\n${Array.from({ length: 14 }, (_, i) => `- table_${i}`).join('\n')}`,
  'Research the trade-offs of event sourcing for an order service, with sources',
  'Review this pull request for security issues: the login handler stores passwords with md5 and logs the session token',
];

interface Checked {
  purpose: string;
  model: string;
  reservedTokens: number;
  billedTokens: number;
  reservedUsd: number;
  billedUsd: number;
}

async function callAndCheck(request: ChatRequest, seen: Checked[]): Promise<string> {
  const worst = worstCaseOf(request);
  const result = await llm.complete(request);
  seen.push({ purpose: request.purpose, model: request.model, reservedTokens: worst.tokens, billedTokens: totalTokens(result.usage), reservedUsd: worst.usd, billedUsd: result.costUsd });
  return result.text;
}

/** A task as the workflow runs it: route, then the specialist's loop, compressing every 10 steps. */
async function runTask(specialistName: string, objective: string, seen: Checked[]): Promise<void> {
  const task = TaskInputSchema.parse({ objective });
  const specialist = roster.get(specialistName)!;
  const base = { json: true, taskId: `t-${specialistName}`, agent: specialist.name } as const;
  await callAndCheck({ ...DEFAULT_SYSTEM_MODELS.router, ...base, system: `${ROUTER_PROMPT_HEADER}\n${describeRoster(roster)}`, messages: [{ role: 'user', content: taskMessage(task, []) }], purpose: 'router' }, seen);
  const system = specialistSystemPrompt(specialist.system_prompt);
  let summary: ContextSummary | undefined;
  let history: ChatMessage[] = [];
  for (let iteration = 0; iteration < task.maxIterations; iteration++) {
    if (history.length / 2 >= task.compressEvery) {
      const transcript = specialistMessages(task, [], summary, history)
        .map((m) => `${m.role.toUpperCase()}:\n${m.content}`)
        .join('\n\n');
      const text = await callAndCheck({ ...DEFAULT_SYSTEM_MODELS.compressor, ...base, system: COMPRESSOR_PROMPT, messages: [{ role: 'user', content: transcript }], purpose: 'compressor' }, seen);
      summary = summaryOf(CompressorAnswer.parse(JSON.parse(text)), []);
      history = [];
    }
    const messages = specialistMessages(task, [], summary, history);
    const request = { ...base, provider: specialist.provider, model: specialist.model, system, messages, maxOutputTokens: specialist.max_output_tokens, purpose: 'specialist' as const };
    const step = SpecialistStep.parse(JSON.parse(await callAndCheck(request, seen)));
    if (step.status === 'done') return;
    history.push({ role: 'assistant', content: JSON.stringify(step) }, { role: 'user', content: CONTINUE_MESSAGE });
  }
}

describe('reservations against what the offline provider bills', () => {
  it('cover every call of ordinary tasks, for every specialist, router and compressor call', async () => {
    const seen: Checked[] = [];
    for (const specialist of roster.specialists) for (const objective of OBJECTIVES) await runTask(specialist.name, objective, seen);

    expect(seen.length).toBeGreaterThan(100);
    expect(new Set(seen.map((c) => c.purpose))).toEqual(new Set(['router', 'specialist', 'compressor']));
    expect(new Set(seen.map((c) => c.model)).size).toBeGreaterThanOrEqual(5);
    const over = seen.filter((c) => c.billedTokens > c.reservedTokens || c.billedUsd > c.reservedUsd);
    expect(over).toEqual([]);
  });
});
