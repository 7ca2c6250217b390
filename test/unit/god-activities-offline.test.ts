import path from 'node:path';
import { assess } from '../../src/activities/assess-task';
import { DEFAULT_SYSTEM_MODELS } from '../../src/activities/deps';
import { acceptProposals } from '../../src/activities/generate-tasks';
import { GENERATOR_PROMPT, generatorMessage, SPAWNER_PROMPT, spawnerMessage } from '../../src/activities/god-prompts';
import type { RecentOutcome } from '../../src/activities/god-types';
import { checkProposal } from '../../src/activities/propose-specialist';
import { worstCaseOf } from '../../src/budget/estimate';
import { repoRoot } from '../../src/config/paths';
import { GeneratorAnswer, SpawnerAnswer } from '../../src/god/protocol';
import { createAnthropicProvider } from '../../src/llm/anthropic-provider';
import { createLlmClient, parseStructured } from '../../src/llm/client';
import { FaultRuleSchema, startOfflineProvider, type OfflineProvider } from '../../src/llm/offline';
import { topicOf } from '../../src/llm/offline/generator-answer';
import { meteredPromptTokens, meteredTokens } from '../../src/llm/offline/meter';
import { createOpenAiProvider } from '../../src/llm/openai-provider';
import type { ChatRequest, ChatResult, LlmClient } from '../../src/llm/types';
import { totalTokens } from '../../src/llm/usage';
import { describeRoster, loadRoster } from '../../src/specialists/roster';
import { TaskInputSchema } from '../../src/tasks/task-input';

/**
 * The offline provider's answers for God's generator and spawner, asked through the real openai
 * SDK exactly as the activities ask: valid, routable, varied, honestly billed, and broken on
 * demand by fault injection.
 */

let provider: OfflineProvider;
let llm: LlmClient;
const roster = loadRoster(path.join(repoRoot(), 'agents'));

beforeAll(async () => {
  provider = await startOfflineProvider({ seed: 11, latencyMs: 0 });
  const options = { apiKey: 'offline', baseURL: provider.url, timeoutMs: 10_000 };
  llm = createLlmClient({ openai: createOpenAiProvider(options), anthropic: createAnthropicProvider(options) });
});

afterAll(async () => {
  await provider.close();
});

function generatorRequest(callId: string, objective: string, count: number, recent: RecentOutcome[] = []): ChatRequest {
  return {
    ...DEFAULT_SYSTEM_MODELS.generator,
    system: `${GENERATOR_PROMPT}\n${describeRoster(roster)}`,
    messages: [{ role: 'user', content: generatorMessage({ callId, count, goal: { objective }, recent, lessons: [] }) }],
    json: true,
    purpose: 'generator',
    taskId: callId,
  };
}

function spawnerRequest(callId: string, kind: string, examples: string[], existing: string[]): ChatRequest {
  return {
    ...DEFAULT_SYSTEM_MODELS.spawner,
    system: SPAWNER_PROMPT,
    messages: [{ role: 'user', content: spawnerMessage({ kind, examples, existing }) }],
    json: true,
    purpose: 'spawner',
    taskId: callId,
  };
}

/** What the provider billed for a call equals its own meter on the request and the answer. */
function expectHonestUsage(request: ChatRequest, result: ChatResult): void {
  expect(result.usage.inputTokens).toBe(meteredPromptTokens(request.system, request.messages));
  expect(result.usage.outputTokens).toBe(meteredTokens(result.text));
  const worst = worstCaseOf(request);
  expect(totalTokens(result.usage)).toBeLessThanOrEqual(worst.tokens);
  expect(result.costUsd).toBeLessThanOrEqual(worst.usd);
}

const GOALS = [
  'Keep the billing database fast and its slow queries under control',
  'Understand the market for customer support chat tools',
  'Make the payments service code safer',
  'Keep operations documented for on-call engineers',
];

describe('offline generator', () => {
  it.each(GOALS)('proposes valid tasks for %p that the rules route to a real specialist', async (objective) => {
    for (const count of [1, 3, 5]) {
      const request = generatorRequest(`god:generate:g:${count}`, objective, count);
      const result = await llm.complete(request);
      expectHonestUsage(request, result);
      const { tasks: proposals } = parseStructured(result, GeneratorAnswer, 'generator');
      const { tasks, rejected } = acceptProposals(proposals, { id: 'g', lane: 'main' }, count);
      expect(rejected).toEqual([]);
      expect(tasks).toHaveLength(count);
      for (const t of tasks) {
        const a = assess(TaskInputSchema.parse(t), roster);
        expect({ objective: t.objective, ok: a.ok, method: a.method, irreversible: a.irreversible }).toEqual({ objective: t.objective, ok: true, method: 'rules', irreversible: [] });
        expect(a.confidence).toBeGreaterThanOrEqual(0.6);
      }
    }
  });

  it('starts with the specialist the goal is about', async () => {
    const first = async (objective: string) => {
      const result = await llm.complete(generatorRequest('god:generate:g:1', objective, 1));
      return assess(TaskInputSchema.parse(parseStructured(result, GeneratorAnswer, 'generator').tasks[0]), roster).specialist;
    };
    expect(await first(GOALS[0])).toBe('DatabaseAgent');
    expect(await first(GOALS[1])).toBe('ResearchAgent');
    expect(await first(GOALS[2])).toBe('CodeReviewAgent');
    expect(await first(GOALS[3])).toBe('Generalist');
  });

  it('varies between generations of one goal and never repeats a recent objective', async () => {
    const seen = new Set<string>();
    const recent: RecentOutcome[] = [];
    for (let call = 1; call <= 6; call++) {
      const result = await llm.complete(generatorRequest(`god:generate:g:${call}`, GOALS[0], 2, recent));
      const { tasks } = parseStructured(result, GeneratorAnswer, 'generator') as { tasks: Array<{ objective: string }> };
      for (const t of tasks) {
        expect(recent.map((r) => r.objective)).not.toContain(t.objective);
        seen.add(t.objective);
        recent.push({ objective: t.objective, status: 'completed', reason: 'done' });
      }
    }
    expect(seen.size).toBe(12);
  });

  it('answers the same request the same way (deterministic)', async () => {
    const a = await llm.complete(generatorRequest('god:generate:g:9', GOALS[1], 3));
    const b = await llm.complete(generatorRequest('god:generate:g:9', GOALS[1], 3));
    expect(a.text).toBe(b.text);
  });

  it('keeps destructive goal words out of its objectives', () => {
    expect(topicOf('Delete the production billing database')).toBe('billing database');
    expect(topicOf('Purge old sessions and drop tables in production')).not.toMatch(/purge|drop|production/);
    expect(topicOf('Understand the market for customer support chat tools')).toBe('support chat tools');
    expect(topicOf('Be better')).toBe('main service');
  });
});

describe('offline spawner', () => {
  it('defines a valid specialist named from the kind, keyed by the examples, that those tasks then route to', async () => {
    const examples = ['Check the supplier contract for risky GDPR clause wording', 'Summarise the liability clause of the hosting contract'];
    const request = spawnerRequest('god:spawn:1', 'legal', examples, ['Generalist', 'DatabaseAgent']);
    const result = await llm.complete(request);
    expectHonestUsage(request, result);
    const raw = parseStructured(result, SpawnerAnswer, 'spawner');
    const { definition, reasons } = checkProposal(raw, (n) => roster.get(n) !== undefined);
    expect(reasons).toEqual([]);
    expect(definition).toMatchObject({ name: 'LegalAgent', provider: 'openai', model: 'gpt-4.1-mini' });
    expect(definition!.keywords).toEqual(expect.arrayContaining(['legal', 'contract', 'clause']));
  });

  it('picks a free name when the kind\'s name is taken', async () => {
    const result = await llm.complete(spawnerRequest('god:spawn:2', 'legal', ['Check the supplier contract terms'], ['LegalAgent', 'Legal2Agent']));
    expect(parseStructured(result, SpawnerAnswer, 'spawner').name).toBe('Legal3Agent');
  });
});

describe('fault injection for God\'s purposes', () => {
  afterEach(() => provider.clearFaults());

  it('accepts generator and spawner as a fault rule\'s purpose', () => {
    expect(FaultRuleSchema.safeParse({ kind: 'invalid_output', match: { purpose: 'generator' } }).success).toBe(true);
    expect(FaultRuleSchema.safeParse({ kind: 'invalid_output', match: { purpose: 'spawner' } }).success).toBe(true);
  });

  it('invalid_output breaks the generator\'s schema (a retryable invalid_output)', async () => {
    provider.addFault({ kind: 'invalid_output', match: { purpose: 'generator' }, times: 1 });
    const bad = await llm.complete(generatorRequest('god:generate:f:1', GOALS[0], 2));
    expect(() => parseStructured(bad, GeneratorAnswer, 'generator')).toThrow(expect.objectContaining({ type: 'invalid_output' }));
    const good = await llm.complete(generatorRequest('god:generate:f:1', GOALS[0], 2));
    expect(parseStructured(good, GeneratorAnswer, 'generator').tasks).toHaveLength(2);
  });

  it('invalid_output gives the spawner a definition the validator refuses, fields named', async () => {
    provider.addFault({ kind: 'invalid_output', match: { purpose: 'spawner' } });
    const result = await llm.complete(spawnerRequest('god:spawn:f', 'legal', ['Check the supplier contract terms'], []));
    const { definition, reasons } = checkProposal(parseStructured(result, SpawnerAnswer, 'spawner'), () => false);
    expect(definition).toBeUndefined();
    expect(reasons.join('\n')).toMatch(/^name: /m);
  });

  it('malformed_json cuts the generator\'s answer (a retryable malformed_response)', async () => {
    provider.addFault({ kind: 'malformed_json', match: { purpose: 'generator' } });
    const result = await llm.complete(generatorRequest('god:generate:f:2', GOALS[0], 2));
    expect(() => parseStructured(result, GeneratorAnswer, 'generator')).toThrow(expect.objectContaining({ type: 'malformed_response' }));
  });

  it('rate_limit on the spawner reaches the client as a 429', async () => {
    provider.addFault({ kind: 'rate_limit', match: { purpose: 'spawner' }, retryAfterSeconds: 2 });
    await expect(llm.complete(spawnerRequest('god:spawn:r', 'legal', ['Check the contract'], []))).rejects.toMatchObject({ type: 'rate_limited' });
  });
});
