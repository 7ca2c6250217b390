import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import {
  FaultRuleSchema,
  loadFaultsFromEnv,
  startOfflineProvider,
  type FaultRule,
  type OfflineProvider,
} from '../../src/llm/offline';
import { meteredPromptTokens, meteredTokens } from '../../src/llm/offline/meter';
import type { CallPurpose, ChatMessage } from '../../src/llm/types';
import { CompressorAnswer, RouterAnswer, SpecialistStep } from '../../src/specialists/protocol';
import { sandboxFetch } from '../support/sandbox-fetch';

const SYSTEM = 'You are a Pantheon specialist. Answer with one JSON object.';

const ROSTER = [
  'You route tasks to one specialist. Roster:',
  '- DatabaseAgent: designs database schemas, tables, indexes and migrations',
  '- CodeReviewAgent: reviews pull requests and source code for bugs and security issues',
  '- ResearchAgent: researches questions, gathers sources and verifies claims',
  '- Generalist: handles anything else',
].join('\n');

function pantheonHeaders(purpose: CallPurpose, agent?: string, task?: string): Record<string, string> {
  return {
    'x-pantheon-purpose': purpose,
    ...(agent ? { 'x-pantheon-agent': agent } : {}),
    ...(task ? { 'x-pantheon-task': task } : {}),
  };
}

function taskMessage(items: string[], title = 'Build the billing backend', tail = ''): string {
  return ['TASK', title, ...items.map((item) => `- ${item}`), tail].join('\n').trimEnd();
}

const TWELVE_ITEMS = Array.from({ length: 12 }, (_, i) => `Create the ledger${i} table with account and amount`);

let provider: OfflineProvider;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  provider = await startOfflineProvider({ seed: 7 });
  openai = new OpenAI({ apiKey: 'offline', baseURL: `${provider.url}/v1`, maxRetries: 0 });
  anthropic = new Anthropic({ apiKey: 'offline', baseURL: provider.url, maxRetries: 0 });
});

/** Clients for timeout tests only; see sandboxFetch. */
function timeoutClients(): { openai: OpenAI; anthropic: Anthropic } {
  return {
    openai: new OpenAI({ apiKey: 'offline', baseURL: `${provider.url}/v1`, maxRetries: 0, fetch: sandboxFetch }),
    anthropic: new Anthropic({ apiKey: 'offline', baseURL: provider.url, maxRetries: 0, fetch: sandboxFetch }),
  };
}

afterAll(async () => {
  await provider.close();
});

beforeEach(() => {
  provider.clearFaults();
  provider.resetCalls();
  provider.setLatency(0);
});

interface Asked {
  text: string;
  inputTokens: number;
  outputTokens: number;
}

async function askOpenAI(
  messages: ChatMessage[],
  headers: Record<string, string> = pantheonHeaders('specialist', 'Generalist'),
  options: { system?: string; maxTokens?: number; timeout?: number } = {},
): Promise<Asked> {
  const completion = await openai.chat.completions.create(
    {
      model: 'gpt-offline',
      messages: [{ role: 'system', content: options.system ?? SYSTEM }, ...messages],
      ...(options.maxTokens ? { max_completion_tokens: options.maxTokens } : {}),
    },
    { headers, ...(options.timeout ? { timeout: options.timeout } : {}) },
  );
  return {
    text: completion.choices[0].message.content ?? '',
    inputTokens: completion.usage?.prompt_tokens ?? -1,
    outputTokens: completion.usage?.completion_tokens ?? -1,
  };
}

async function askAnthropic(
  messages: ChatMessage[],
  headers: Record<string, string> = pantheonHeaders('specialist', 'Generalist'),
  options: { system?: string; maxTokens?: number; timeout?: number } = {},
): Promise<Asked> {
  const message = await anthropic.messages.create(
    { model: 'claude-offline', max_tokens: options.maxTokens ?? 4096, system: options.system ?? SYSTEM, messages },
    { headers, ...(options.timeout ? { timeout: options.timeout } : {}) },
  );
  const block = message.content[0];
  return {
    text: block.type === 'text' ? block.text : '',
    inputTokens: message.usage.input_tokens,
    outputTokens: message.usage.output_tokens,
  };
}

function step(text: string): SpecialistStep {
  return SpecialistStep.parse(JSON.parse(text));
}

/** Raw HTTP, for what the SDKs refuse to send (bad bodies) and for the admin endpoints. */
async function http(method: string, route: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${provider.url}${route}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json: json as Record<string, any> };
}

describe('wire formats through the official SDKs', () => {
  const messages: ChatMessage[] = [{ role: 'user', content: taskMessage(['Add an invoices table']) }];

  it('OpenAI: a chat.completion with honest usage', async () => {
    const { data, response, request_id } = await openai.chat.completions
      .create({ model: 'gpt-offline', messages: [{ role: 'system', content: SYSTEM }, ...messages] })
      .withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.id).toMatch(/^chatcmpl-/);
    expect(data.model).toBe('gpt-offline');
    expect(data.choices).toHaveLength(1);
    expect(data.choices[0].finish_reason).toBe('stop');
    expect(data.choices[0].message.role).toBe('assistant');
    const content = data.choices[0].message.content ?? '';
    expect(data.usage).toMatchObject({
      prompt_tokens: meteredPromptTokens(SYSTEM, messages),
      completion_tokens: meteredTokens(content),
      total_tokens: meteredPromptTokens(SYSTEM, messages) + meteredTokens(content),
      prompt_tokens_details: { cached_tokens: 0 },
    });
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
    expect(request_id).toBe(response.headers.get('x-request-id'));
    expect(SpecialistStep.safeParse(JSON.parse(content)).success).toBe(true);
  });

  it('OpenAI: developer role and text-part arrays count as the system prompt and messages', async () => {
    const completion = await openai.chat.completions.create({
      model: 'gpt-offline',
      messages: [
        { role: 'developer', content: [{ type: 'text', text: SYSTEM }] },
        { role: 'user', content: [{ type: 'text', text: messages[0].content }] },
      ],
    });
    expect(completion.usage?.prompt_tokens).toBe(meteredPromptTokens(SYSTEM, messages));
  });

  it('Anthropic: a message with honest usage and zero cache fields', async () => {
    const { data, response } = await anthropic.messages
      .create({ model: 'claude-offline', max_tokens: 1024, system: SYSTEM, messages })
      .withResponse();
    expect(data.type).toBe('message');
    expect(data.role).toBe('assistant');
    expect(data.id).toMatch(/^msg_/);
    expect(data.model).toBe('claude-offline');
    expect(data.stop_reason).toBe('end_turn');
    const block = data.content[0];
    expect(block.type).toBe('text');
    const text = block.type === 'text' ? block.text : '';
    expect(data.usage).toMatchObject({
      input_tokens: meteredPromptTokens(SYSTEM, messages),
      output_tokens: meteredTokens(text),
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    });
    expect(response.headers.get('request-id')).toMatch(/^req_/);
    expect(SpecialistStep.safeParse(JSON.parse(text)).success).toBe(true);
  });

  it('Anthropic: a system prompt given as text blocks counts the same as a string', async () => {
    const data = await anthropic.messages.create({
      model: 'claude-offline',
      max_tokens: 1024,
      system: [{ type: 'text', text: SYSTEM, cache_control: { type: 'ephemeral' } }],
      messages,
    });
    expect(data.usage.input_tokens).toBe(meteredPromptTokens(SYSTEM, messages));
  });

  it('both providers give the same answer to the same conversation, every time', async () => {
    const headers = pantheonHeaders('specialist', 'DatabaseAgent', 'task-1');
    const a = await askOpenAI(messages, headers);
    const b = await askOpenAI(messages, headers);
    const c = await askAnthropic(messages, headers);
    expect(b.text).toBe(a.text);
    expect(c.text).toBe(a.text);
    expect(c.inputTokens).toBe(a.inputTokens);
  });

  it('stops at max_tokens and says so in each format', async () => {
    const full = await askOpenAI(messages);
    const openaiCut = await openai.chat.completions.create({
      model: 'gpt-offline',
      max_tokens: 10,
      messages: [{ role: 'system', content: SYSTEM }, ...messages],
    });
    expect(openaiCut.choices[0].finish_reason).toBe('length');
    expect(openaiCut.usage?.completion_tokens).toBe(10);
    expect(full.text.startsWith(openaiCut.choices[0].message.content ?? '-')).toBe(true);

    const anthropicCut = await anthropic.messages.create({ model: 'c', max_tokens: 7, system: SYSTEM, messages });
    expect(anthropicCut.stop_reason).toBe('max_tokens');
    expect(anthropicCut.usage.output_tokens).toBe(7);
  });

  it('rejects stream: true with a 400 in each format', async () => {
    await expect(
      openai.chat.completions.create({ model: 'gpt-offline', messages, stream: true }),
    ).rejects.toMatchObject({ status: 400, type: 'invalid_request_error', param: 'stream' });
    await expect(
      anthropic.messages.create({ model: 'claude-offline', max_tokens: 10, messages, stream: true }),
    ).rejects.toBeInstanceOf(Anthropic.BadRequestError);
  });

  it('rejects a bad body in each provider’s error format, naming the field', async () => {
    const anthropicBad = await http('POST', '/v1/messages', { model: 'claude-offline', messages });
    expect(anthropicBad.status).toBe(400);
    expect(anthropicBad.json).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect(anthropicBad.json.error.message).toContain('max_tokens');

    const openaiBad = await http('POST', '/v1/chat/completions', {
      model: 'gpt-offline',
      messages: [{ role: 'wizard', content: 'hi' }],
    });
    expect(openaiBad.status).toBe(400);
    expect(openaiBad.json.error).toMatchObject({ type: 'invalid_request_error', param: 'messages[0].role' });

    const notJson = await http('POST', '/v1/chat/completions', '{"model":');
    expect(notJson.status).toBe(400);
    expect(notJson.json.error.message).toMatch(/not valid JSON/);
  });

  it('rejects an unknown purpose header, naming the header', async () => {
    await expect(askOpenAI(messages, { 'x-pantheon-purpose': 'poetry' })).rejects.toMatchObject({
      status: 400,
      param: 'x-pantheon-purpose',
    });
  });

  it('answers GET /health and 404s unknown routes', async () => {
    const health = await http('GET', '/health');
    expect(health.status).toBe(200);
    expect(health.json).toEqual({ ok: true });
    const missing = await http('POST', '/v1/images/generations', {});
    expect(missing.status).toBe(404);
    // Embeddings are served (src/llm/offline/embeddings.ts): a request without a model is refused as invalid.
    expect((await http('POST', '/v1/embeddings', {})).status).toBe(400);
  });
});

describe('specialist answers', () => {
  it('takes 13 steps for a 12-item task when answers are fed back', async () => {
    const history: ChatMessage[] = [{ role: 'user', content: taskMessage(TWELVE_ITEMS) }];
    const steps: SpecialistStep[] = [];
    for (let i = 0; i < 13; i++) {
      const ask = i % 2 === 0 ? askOpenAI : askAnthropic;
      const answer = await ask(history, pantheonHeaders('specialist', 'Generalist', 'task-12'));
      const parsed = step(answer.text);
      steps.push(parsed);
      history.push({ role: 'assistant', content: answer.text }, { role: 'user', content: 'Continue.' });
    }
    expect(steps.map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    expect(steps.every((s) => s.of === 13)).toBe(true);
    expect(steps.slice(0, 12).every((s) => s.status === 'continue' && s.result === undefined)).toBe(true);
    expect(steps[12].status).toBe('done');
    expect(steps[12].result).toContain('Done: Create the ledger11 table');
    for (const s of steps) {
      expect(meteredTokens(s.note)).toBeGreaterThanOrEqual(40);
      expect(meteredTokens(s.note)).toBeLessThanOrEqual(120);
    }
    // Each step works on its own item.
    expect(steps[4].note).toContain('ledger4');
  });

  it('resumes from a progress summary: "Completed step 10 of 13." makes the next step 11', async () => {
    const history: ChatMessage[] = [
      { role: 'user', content: taskMessage(TWELVE_ITEMS) },
      { role: 'user', content: 'PROGRESS SUMMARY\nCompleted step 10 of 13.\nStep 1: created table ledger0.' },
    ];
    const answer = step((await askAnthropic(history, pantheonHeaders('specialist', 'DatabaseAgent'))).text);
    expect(answer).toMatchObject({ step: 11, of: 13, status: 'continue' });
    expect(answer.note).toContain('ledger10');
  });

  it('keeps the total from a summary when the task is no longer in view', async () => {
    const answer = step((await askOpenAI([{ role: 'user', content: 'completed STEP 12 of 13' }])).text);
    expect(answer).toMatchObject({ step: 13, of: 13, status: 'done' });
  });

  it('counts items in TASK and CONTEXT only, in all bullet styles', async () => {
    const content = [
      'TASK',
      'Tidy the reporting module',
      '- first item',
      '* second item',
      '1. third item',
      '2) fourth item',
      'CONSTRAINTS',
      '- not a work item',
      '- nor this',
      'CONTEXT',
      '- a context item',
      'WARNINGS',
      '- not counted either',
    ].join('\n');
    const answer = step((await askOpenAI([{ role: 'user', content }])).text);
    expect(answer).toMatchObject({ step: 1, of: 6, status: 'continue' });
  });

  it('gives a task without items two steps', async () => {
    const first = await askOpenAI([{ role: 'user', content: 'TASK\nExplain the retry policy' }]);
    expect(step(first.text)).toMatchObject({ step: 1, of: 2, status: 'continue' });
    const second = step(
      (
        await askOpenAI([
          { role: 'user', content: 'TASK\nExplain the retry policy' },
          { role: 'assistant', content: first.text },
          { role: 'user', content: 'Continue.' },
        ])
      ).text,
    );
    expect(second).toMatchObject({ step: 2, of: 2, status: 'done' });
    expect(second.result).toContain('Explain the retry policy');
  });

  it('DatabaseAgent answers with SQL and a migration as its result', async () => {
    const items = ['Create an orders table with customer and total', 'Add an index on orders customer'];
    const history: ChatMessage[] = [{ role: 'user', content: taskMessage(items, 'Design the orders schema') }];
    const headers = pantheonHeaders('specialist', 'DatabaseAgent');
    const first = step((await askOpenAI(history, headers)).text);
    expect(first.note).toContain('CREATE TABLE orders (id BIGSERIAL PRIMARY KEY, customer TEXT NOT NULL, total TEXT NOT NULL);');
    history.push({ role: 'assistant', content: JSON.stringify(first) });
    const second = step((await askOpenAI(history, headers)).text);
    expect(second.note).toContain('CREATE INDEX idx_orders_customer ON orders (customer);');
    history.push({ role: 'assistant', content: JSON.stringify(second) });
    const last = step((await askOpenAI(history, headers)).text);
    expect(last.status).toBe('done');
    expect(last.result).toMatch(/^-- Migration: Design the orders schema\nBEGIN;\nCREATE TABLE orders .*\nCREATE INDEX .*\nCOMMIT;$/s);
  });

  it('DatabaseAgent takes a bare item’s intent from the task title', async () => {
    const content = 'TASK\nMigrate these Postgres tables to the new tenant-aware schema:\n- users\n- orders';
    const answer = step((await askOpenAI([{ role: 'user', content }], pantheonHeaders('specialist', 'DatabaseAgent'))).text);
    expect(answer.note).toContain('altered users');
    expect(answer.note).toContain('ALTER TABLE users ADD COLUMN tenant TEXT;');
  });

  it('shapes a long final deliverable to fit max_tokens instead of cutting it off', async () => {
    const items = Array.from({ length: 40 }, (_, i) => `Create the archive${i} table with owner and payload`);
    const history: ChatMessage[] = [
      { role: 'user', content: taskMessage(items, 'Archive everything') },
      { role: 'user', content: 'PROGRESS SUMMARY\nCompleted step 40 of 41.' },
    ];
    const headers = pantheonHeaders('specialist', 'DatabaseAgent');
    const unlimited = await askOpenAI(history, headers);
    expect(unlimited.outputTokens).toBeGreaterThan(700);

    const completion = await openai.chat.completions.create(
      { model: 'gpt-offline', max_completion_tokens: 700, messages: [{ role: 'system', content: SYSTEM }, ...history] },
      { headers },
    );
    expect(completion.choices[0].finish_reason).toBe('stop');
    expect(completion.usage?.completion_tokens).toBeLessThanOrEqual(700);
    const answer = step(completion.choices[0].message.content ?? '');
    expect(answer).toMatchObject({ step: 41, of: 41, status: 'done' });
    expect(answer.result).toMatch(/^-- Migration: Archive everything\nBEGIN;\nCREATE TABLE archive0 /);
    expect(answer.result).toMatch(/\n-- \d+ more statement\(s\) omitted for length\nCOMMIT;$/);
  });

  it('CodeReviewAgent answers with located, rated findings', async () => {
    const content = taskMessage(['Check the login handler for SQL injection', 'Tidy helper naming'], 'Review PR 42');
    const answer = step((await askOpenAI([{ role: 'user', content }], pantheonHeaders('specialist', 'CodeReviewAgent'))).text);
    expect(answer.note).toMatch(/Finding \[HIGH\] src\/\w+\/\w+\.ts:\d+: .+\. Recommendation: .+\./);
  });

  it('ResearchAgent answers with a claim, a way to verify it and sources', async () => {
    const content = taskMessage(['Compare vector database recall benchmarks']);
    const answer = step((await askOpenAI([{ role: 'user', content }], pantheonHeaders('specialist', 'ResearchAgent'))).text);
    expect(answer.note).toMatch(/Claim: .+\. Verify by: .+\. Sources to check: .+\./);
  });

  it('unknown specialists and missing headers get the Generalist’s plan', async () => {
    const messages: ChatMessage[] = [{ role: 'user', content: taskMessage(['Plan the offsite']) }];
    const generalist = await askOpenAI(messages, pantheonHeaders('specialist', 'Generalist'));
    const unknown = await askOpenAI(messages, pantheonHeaders('specialist', 'PoetAgent'));
    const bare = await askOpenAI(messages, {});
    expect(step(generalist.text).note).toMatch(/Plan: .+ Actions: /);
    expect(unknown.text).toBe(generalist.text);
    expect(bare.text).toBe(generalist.text);
    const record = provider.calls()[2];
    expect(record).toMatchObject({ purpose: 'specialist', agent: 'Generalist', task: null });
  });
});

describe('router answers', () => {
  async function route(task: string, system = ROSTER): Promise<RouterAnswer> {
    const answer = await askAnthropic([{ role: 'user', content: task }], pantheonHeaders('router'), { system });
    return RouterAnswer.parse(JSON.parse(answer.text));
  }

  it('picks the roster entry sharing the most words with the task, in stem form, with confidence 0.4 + 0.1 per shared word', async () => {
    // Shared with DatabaseAgent's description: database, tables, indexes.
    const answer = await route('Set up the database with tables for orders and indexes for fast lookups');
    expect(answer.specialist).toBe('DatabaseAgent');
    expect(answer.confidence).toBe(0.7);
    expect(answer.reason).toContain('database, tables, indexes');
  });

  it('routes a security review to CodeReviewAgent', async () => {
    // "pull", "request" (of "requests"), "bugs" and "security": 4 words, none elsewhere.
    const answer = await route('Please look at this pull request for security bugs');
    expect(answer).toMatchObject({ specialist: 'CodeReviewAgent', confidence: 0.8 });
  });

  it('counts a keyword the task names, in any form, twice a description word', async () => {
    const system = ['- Alpha: looks after ledgers and invoices. Keywords: refund, chargeback.', '- Beta: looks after ledgers, invoices and payments.'].join('\n');
    // Alpha: "refunding" meets the keyword refund (2) + ledgers (1) = 3; Beta: ledgers, payments = 2.
    const answer = await route('Check the ledgers and the payments before refunding anyone', system);
    expect(answer).toMatchObject({ specialist: 'Alpha', confidence: 0.6 });
    expect(answer.reason).toContain('refund');
  });

  it('breaks ties by roster order and caps confidence at 0.95', async () => {
    const system = '- Alpha: invoices ledgers refunds payments taxes currency audits\n- Beta: invoices ledgers refunds payments taxes currency audits';
    const answer = await route('invoices ledgers refunds payments taxes currency audits', system);
    expect(answer).toMatchObject({ specialist: 'Alpha', confidence: 0.95 });
  });

  it('falls back to the Generalist with confidence 0.3 when nothing overlaps', async () => {
    const answer = await route('Bake a cake');
    expect(answer).toMatchObject({ specialist: 'Generalist', confidence: 0.3 });
  });
});

describe('compressor answers', () => {
  it('summarises a 12-step history far shorter than the input, and the specialist resumes from it', async () => {
    const history: ChatMessage[] = [{ role: 'user', content: taskMessage(TWELVE_ITEMS) }];
    for (let i = 0; i < 12; i++) {
      const answer = await askOpenAI(history, pantheonHeaders('specialist', 'DatabaseAgent'));
      history.push({ role: 'assistant', content: answer.text }, { role: 'user', content: 'Continue.' });
    }
    const transcript = history.map((m) => `[${m.role}]\n${m.content}`).join('\n\n');
    const request: ChatMessage[] = [{ role: 'user', content: `Summarise this specialist history.\n\n${transcript}` }];
    const answer = await askAnthropic(request, pantheonHeaders('compressor', 'DatabaseAgent'), {
      system: 'You compress specialist histories.',
    });
    const { goal, progress: summary, current_state, open_questions } = CompressorAnswer.parse(JSON.parse(answer.text));
    expect(goal).toBe('Build the billing backend');
    expect(current_state).toMatch(/^Next: step 13 of 13, the final result\. Last step: /);
    expect(open_questions).toEqual([]);

    const lines = summary.split('\n');
    expect(lines[0]).toBe('Completed step 12 of 13.');
    expect(lines).toHaveLength(13);
    lines.slice(1).forEach((line, i) => {
      expect(line.startsWith(`Step ${i + 1}: `)).toBe(true);
      expect(line.split(/\s+/).length).toBeLessThanOrEqual(12);
    });
    expect(lines[3]).toContain('ledger2');
    expect(meteredTokens(summary) * 4).toBeLessThan(meteredTokens(transcript));

    const resumed = await askOpenAI(
      [history[0], { role: 'user', content: `PROGRESS SUMMARY\n${summary}` }],
      pantheonHeaders('specialist', 'DatabaseAgent'),
    );
    expect(step(resumed.text)).toMatchObject({ step: 13, of: 13, status: 'done' });
  });

  it('reads the transcript format of the compress-context activity (ROLE: lines, summary in the TASK message)', async () => {
    const tables = ['users', 'orders', 'invoices', 'payments', 'refunds'];
    const first = `TASK\nMigrate these Postgres tables to the new tenant-aware schema:\n${tables.map((t) => `- ${t}`).join('\n')}`;
    const history: ChatMessage[] = [{ role: 'user', content: first }];
    for (let i = 0; i < 3; i++) {
      const answer = await askOpenAI(history, pantheonHeaders('specialist', 'DatabaseAgent'));
      history.push({ role: 'assistant', content: answer.text }, { role: 'user', content: 'Continue with the next step.' });
    }
    const transcript = history.map((m) => `${m.role.toUpperCase()}:\n${m.content}`).join('\n\n');
    const answer = await askOpenAI([{ role: 'user', content: transcript }], pantheonHeaders('compressor'));
    const { progress: summary, current_state } = CompressorAnswer.parse(JSON.parse(answer.text));
    expect(current_state).toMatch(/^Next: step 4 of 6, payments\. Last step: /);
    expect(summary.split('\n')).toEqual([
      'Completed step 3 of 6.',
      'Step 1: finished users.',
      'Step 2: finished orders.',
      'Step 3: finished invoices.',
    ]);
    // The activity puts the summary back into the first user message, after the task.
    const resumed = await askOpenAI(
      [{ role: 'user', content: `${first}\n\nPROGRESS SUMMARY\n${summary}\nContinue from the next step.` }],
      pantheonHeaders('specialist', 'DatabaseAgent'),
    );
    expect(step(resumed.text)).toMatchObject({ step: 4, of: 6 });
    expect(step(resumed.text).note).toContain('ALTER TABLE payments ADD COLUMN tenant TEXT;');
  });

  it('folds the oldest steps together when the summary would not fit max_tokens', async () => {
    const notes = Array.from({ length: 30 }, (_, i) =>
      JSON.stringify({ step: i + 1, of: 31, status: 'continue', note: `Step ${i + 1} of 31: handled shard ${i} of the backfill.` }),
    );
    const request: ChatMessage[] = [{ role: 'user', content: notes.map((n) => `ASSISTANT:\n${n}`).join('\n\n') }];
    const full = CompressorAnswer.parse(JSON.parse((await askOpenAI(request, pantheonHeaders('compressor'))).text));
    expect(full.progress.split('\n')).toHaveLength(31);
    const completion = await openai.chat.completions.create(
      { model: 'gpt-offline', max_completion_tokens: 150, messages: request },
      { headers: pantheonHeaders('compressor') },
    );
    expect(completion.choices[0].finish_reason).toBe('stop');
    const { progress } = CompressorAnswer.parse(JSON.parse(completion.choices[0].message.content ?? ''));
    const lines = progress.split('\n');
    expect(lines[0]).toBe('Completed step 30 of 31.');
    expect(lines[1]).toMatch(/^Steps 1-\d+: finished earlier\.$/);
    expect(lines[lines.length - 1]).toBe('Step 30: handled shard 29 of the backfill.');
  });

  it('carries an earlier summary forward when compressing again', async () => {
    const text = 'PROGRESS SUMMARY\nCompleted step 2 of 5.\nStep 1: created table alpha.\nStep 2: created table beta.';
    const answer = await askOpenAI([{ role: 'user', content: text }], pantheonHeaders('compressor'));
    expect(CompressorAnswer.parse(JSON.parse(answer.text)).progress).toBe(
      'Completed step 2 of 5.\nStep 1: created table alpha.\nStep 2: created table beta.',
    );
  });
});

describe('faults as the SDKs see them', () => {
  const messages: ChatMessage[] = [{ role: 'user', content: taskMessage(['Add an invoices table']) }];

  it('rate_limit: RateLimitError with status 429 and retry-after', async () => {
    provider.setFaults([{ kind: 'rate_limit', retryAfterSeconds: 3 }]);
    const openaiError = await askOpenAI(messages).catch((err: unknown) => err);
    expect(openaiError).toBeInstanceOf(OpenAI.RateLimitError);
    expect(openaiError).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
    expect((openaiError as InstanceType<typeof OpenAI.RateLimitError>).headers.get('retry-after')).toBe('3');

    provider.setFaults([{ kind: 'rate_limit' }]);
    const anthropicError = await askAnthropic(messages).catch((err: unknown) => err);
    expect(anthropicError).toBeInstanceOf(Anthropic.RateLimitError);
    expect(anthropicError).toMatchObject({ status: 429, type: 'rate_limit_error' });
    expect((anthropicError as InstanceType<typeof Anthropic.RateLimitError>).headers.get('retry-after')).toBe('1');
  });

  it('quota_exhausted: 429 with insufficient_quota / billing_error and no retry-after', async () => {
    provider.setFaults([{ kind: 'quota_exhausted' }]);
    const openaiError = (await askOpenAI(messages).catch((err: unknown) => err)) as InstanceType<typeof OpenAI.APIError>;
    expect(openaiError).toBeInstanceOf(OpenAI.RateLimitError);
    expect(openaiError).toMatchObject({ status: 429, code: 'insufficient_quota', type: 'insufficient_quota' });
    expect(openaiError.headers?.get('retry-after')).toBeNull();

    const anthropicError = (await askAnthropic(messages).catch((err: unknown) => err)) as InstanceType<
      typeof Anthropic.APIError
    >;
    expect(anthropicError).toBeInstanceOf(Anthropic.RateLimitError);
    expect(anthropicError).toMatchObject({ status: 429, type: 'billing_error', errorCode: 'enforced_spend_limit_reached' });
    expect(anthropicError.headers?.get('retry-after')).toBeNull();
  });

  it('server_error and unavailable: 500 and 503 APIErrors', async () => {
    provider.setFaults([{ kind: 'server_error', calls: [1] }, { kind: 'unavailable', calls: [2] }]);
    await expect(askOpenAI(messages)).rejects.toMatchObject({ status: 500, type: 'server_error' });
    await expect(askOpenAI(messages)).rejects.toBeInstanceOf(OpenAI.InternalServerError);

    provider.setFaults([{ kind: 'server_error', calls: [1] }, { kind: 'unavailable', calls: [2] }]);
    await expect(askAnthropic(messages)).rejects.toMatchObject({ status: 500, type: 'api_error' });
    const unavailable = await askAnthropic(messages).catch((err: unknown) => err);
    expect(unavailable).toBeInstanceOf(Anthropic.ServiceUnavailableError);
    expect(unavailable).toMatchObject({ status: 503 });
  });

  it('malformed_json: a valid response whose content is cut-off JSON, still honestly counted', async () => {
    const whole = await askOpenAI(messages);
    provider.setFaults([{ kind: 'malformed_json' }]);
    const broken = await askOpenAI(messages);
    expect(() => JSON.parse(broken.text)).toThrow();
    expect(broken.text.length).toBeGreaterThan(0);
    expect(whole.text.startsWith(broken.text)).toBe(true);
    expect(broken.outputTokens).toBe(meteredTokens(broken.text));
    const viaAnthropic = await askAnthropic(messages);
    expect(() => JSON.parse(viaAnthropic.text)).toThrow();
  });

  it('malformed_body: a 200 whose body is not JSON makes the SDK call fail', async () => {
    provider.setFaults([{ kind: 'malformed_body' }]);
    await expect(askOpenAI(messages)).rejects.toMatchObject({ name: 'SyntaxError' });
    await expect(askAnthropic(messages)).rejects.toMatchObject({ name: 'SyntaxError' });
  });

  it('invalid_output: valid JSON that fails each purpose’s schema', async () => {
    provider.setFaults([{ kind: 'invalid_output' }]);
    const specialist = await askOpenAI(messages);
    expect(SpecialistStep.safeParse(JSON.parse(specialist.text)).success).toBe(false);
    const router = await askAnthropic([{ role: 'user', content: 'database tables' }], pantheonHeaders('router'), {
      system: ROSTER,
    });
    expect(RouterAnswer.safeParse(JSON.parse(router.text)).success).toBe(false);
    const compressor = await askOpenAI(messages, pantheonHeaders('compressor'));
    expect(CompressorAnswer.safeParse(JSON.parse(compressor.text)).success).toBe(false);
  });

  it('slow: answers normally after the extra delay', async () => {
    provider.setFaults([{ kind: 'slow', delayMs: 250 }]);
    const started = Date.now();
    const answer = await askOpenAI(messages);
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
    expect(SpecialistStep.safeParse(JSON.parse(answer.text)).success).toBe(true);

    const clients = timeoutClients();
    await expect(
      clients.openai.chat.completions.create({ model: 'm', messages }, { timeout: 100 }),
    ).rejects.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
  });

  it('hang: the SDK gives up with its timeout error', async () => {
    provider.setFaults([{ kind: 'hang' }]);
    const clients = timeoutClients();
    const started = Date.now();
    await expect(
      clients.openai.chat.completions.create({ model: 'm', messages }, { timeout: 200 }),
    ).rejects.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    await expect(
      clients.anthropic.messages.create({ model: 'c', max_tokens: 100, messages }, { timeout: 200 }),
    ).rejects.toBeInstanceOf(Anthropic.APIConnectionTimeoutError);
    expect(provider.calls().map((c) => [c.fault, c.status])).toEqual([
      ['hang', 0],
      ['hang', 0],
    ]);
  });

  it('reset: the socket dies without a response, a connection error (not a timeout)', async () => {
    provider.setFaults([{ kind: 'reset' }]);
    const openaiError = await askOpenAI(messages).catch((err: unknown) => err);
    expect(openaiError).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(openaiError).not.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    const anthropicError = await askAnthropic(messages).catch((err: unknown) => err);
    expect(anthropicError).toBeInstanceOf(Anthropic.APIConnectionError);
    expect(anthropicError).not.toBeInstanceOf(Anthropic.APIConnectionTimeoutError);
  });

  it('usage_inflate: a normal answer reporting (and logging) factor times the metered usage', async () => {
    provider.setFaults([{ kind: 'usage_inflate', factor: 3, calls: [1] }, { kind: 'usage_inflate', calls: [2] }]);
    const inflated = await askOpenAI(messages);
    expect(SpecialistStep.safeParse(JSON.parse(inflated.text)).success).toBe(true);
    expect(inflated.inputTokens).toBe(3 * meteredPromptTokens(SYSTEM, messages));
    expect(inflated.outputTokens).toBe(3 * meteredTokens(inflated.text));
    const byDefault = await askAnthropic(messages);
    expect(byDefault.inputTokens).toBe(10 * meteredPromptTokens(SYSTEM, messages));
    expect(provider.calls().map((c) => [c.fault, c.inputTokens, c.outputTokens])).toEqual([
      ['usage_inflate', inflated.inputTokens, inflated.outputTokens],
      ['usage_inflate', byDefault.inputTokens, byDefault.outputTokens],
    ]);
    expect(() => provider.setFaults([{ kind: 'usage_inflate', factor: 0.5 }])).toThrow(/factor/);
  });
});

describe('fault selection', () => {
  const messages: ChatMessage[] = [{ role: 'user', content: taskMessage(['Add an invoices table']) }];

  /** Which of `n` requests failed, as 1-based positions. */
  async function failures(n: number, ask: () => Promise<unknown> = () => askOpenAI(messages)): Promise<number[]> {
    const failed: number[] = [];
    for (let i = 1; i <= n; i++) {
      if (await ask().then(() => false, () => true)) failed.push(i);
    }
    return failed;
  }

  it('calls: faults exactly the listed requests', async () => {
    provider.setFaults([{ kind: 'server_error', calls: [2, 4] }]);
    expect(await failures(5)).toEqual([2, 4]);
  });

  it('times: faults the first N requests, then heals', async () => {
    provider.setFaults([{ kind: 'rate_limit', times: 2 }]);
    expect(await failures(4)).toEqual([1, 2]);
  });

  it('counts only requests that satisfy match', async () => {
    provider.setFaults([{ kind: 'server_error', match: { agent: 'DatabaseAgent', provider: 'openai' }, calls: [2] }]);
    const db = () => askOpenAI(messages, pantheonHeaders('specialist', 'DatabaseAgent'));
    const other = () => askOpenAI(messages, pantheonHeaders('specialist', 'ResearchAgent'));
    const viaAnthropic = () => askAnthropic(messages, pantheonHeaders('specialist', 'DatabaseAgent'));
    await expect(other()).resolves.toBeDefined();
    await expect(db()).resolves.toBeDefined();
    await expect(viaAnthropic()).resolves.toBeDefined();
    await expect(other()).resolves.toBeDefined();
    await expect(db()).rejects.toMatchObject({ status: 500 });
    await expect(db()).resolves.toBeDefined();
  });

  it('matches purpose, task and a regex over the request text', async () => {
    provider.setFaults([
      { kind: 'unavailable', match: { purpose: 'router' } },
      { kind: 'server_error', match: { task: 'task-9' } },
      { kind: 'rate_limit', match: { pattern: 'ledger\\d+' } },
    ]);
    await expect(askOpenAI(messages, pantheonHeaders('router'))).rejects.toMatchObject({ status: 503 });
    await expect(askOpenAI(messages, pantheonHeaders('specialist', 'Generalist', 'task-9'))).rejects.toMatchObject({
      status: 500,
    });
    await expect(askOpenAI([{ role: 'user', content: 'TASK\n- touch ledger12' }])).rejects.toMatchObject({ status: 429 });
    await expect(askOpenAI(messages)).resolves.toBeDefined();
  });

  it('each rule keeps its own count, and the first rule that fires wins', async () => {
    provider.setFaults([
      { kind: 'server_error', times: 1 },
      { kind: 'unavailable', calls: [1, 2] },
    ]);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      statuses.push(await askOpenAI(messages).then(() => 200, (err: { status: number }) => err.status));
    }
    expect(statuses).toEqual([500, 503, 200]);
  });

  it('probability: a seeded pattern that replays exactly', async () => {
    const rule: FaultRule = { kind: 'server_error', probability: 0.5 };
    provider.setFaults([rule]);
    const first = await failures(24);
    provider.setFaults([rule]);
    const replay = await failures(24);
    expect(replay).toEqual(first);
    expect(first.length).toBeGreaterThan(4);
    expect(first.length).toBeLessThan(20);

    provider.setFaults([{ ...rule, seed: 12345 }]);
    const seeded = await failures(24);
    expect(seeded).not.toEqual(first);
    provider.setFaults([{ ...rule, seed: 12345 }]);
    expect(await failures(24)).toEqual(seeded);
  });

  it('probability: another server with the same seed replays the same pattern', async () => {
    const other = await startOfflineProvider({ seed: 7, faults: [{ kind: 'server_error', probability: 0.5 }] });
    try {
      const client = new OpenAI({ apiKey: 'offline', baseURL: `${other.url}/v1`, maxRetries: 0 });
      const ask = () => client.chat.completions.create({ model: 'm', messages });
      provider.setFaults([{ kind: 'server_error', probability: 0.5 }]);
      expect(await failures(16, ask)).toEqual(await failures(16));
    } finally {
      await other.close();
    }
  });

  it('probability 0 never fires and probability 1 always does', async () => {
    provider.setFaults([{ kind: 'server_error', probability: 0 }]);
    expect(await failures(5)).toEqual([]);
    provider.setFaults([{ kind: 'server_error', probability: 1, times: 3 }]);
    expect(await failures(5)).toEqual([1, 2, 3]);
  });
});

describe('call log', () => {
  it('records every request with attribution, usage and fault', async () => {
    const messages: ChatMessage[] = [{ role: 'user', content: taskMessage(['Add an invoices table']) }];
    const ok = await askOpenAI(messages, pantheonHeaders('specialist', 'DatabaseAgent', 'task-7'));
    provider.setFaults([{ kind: 'rate_limit', match: { provider: 'anthropic' } }]);
    await askAnthropic(messages, pantheonHeaders('router', 'Router', 'task-7')).catch(() => undefined);
    provider.setFaults([{ kind: 'invalid_output' }]);
    const invalid = await askAnthropic(messages, pantheonHeaders('compressor', undefined, 'task-8'));

    const calls = provider.calls();
    expect(calls).toHaveLength(3);
    expect(calls[1].seq).toBe(calls[0].seq + 1);
    expect(new Date(calls[0].at).toISOString()).toBe(calls[0].at);
    expect(calls[0]).toMatchObject({
      provider: 'openai',
      model: 'gpt-offline',
      purpose: 'specialist',
      agent: 'DatabaseAgent',
      task: 'task-7',
      inputTokens: ok.inputTokens,
      outputTokens: ok.outputTokens,
      status: 200,
    });
    expect(calls[0].fault).toBeUndefined();
    expect(calls[1]).toMatchObject({
      provider: 'anthropic',
      model: 'claude-offline',
      purpose: 'router',
      agent: 'Router',
      fault: 'rate_limit',
      status: 429,
      inputTokens: 0,
      outputTokens: 0,
    });
    expect(calls[2]).toMatchObject({
      purpose: 'compressor',
      agent: 'Generalist',
      task: 'task-8',
      fault: 'invalid_output',
      status: 200,
      outputTokens: invalid.outputTokens,
    });
    expect(calls[2].outputTokens).toBeGreaterThan(0);

    provider.resetCalls();
    expect(provider.calls()).toEqual([]);
  });

  it('records rejected requests too', async () => {
    await http('POST', '/v1/messages', { model: 'claude-offline', messages: [] });
    expect(provider.calls()).toMatchObject([{ provider: 'anthropic', model: '', status: 400 }]);
  });
});

describe('admin endpoints', () => {
  const messages: ChatMessage[] = [{ role: 'user', content: taskMessage(['Add an invoices table']) }];

  it('PUT/POST/GET/DELETE faults drive the provider', async () => {
    expect((await http('PUT', '/_pantheon/faults', [{ kind: 'server_error', times: 1 }])).status).toBe(200);
    expect((await http('POST', '/_pantheon/faults', { kind: 'unavailable', calls: [2] })).json).toMatchObject({
      ok: true,
      faults: 2,
    });
    expect((await http('GET', '/_pantheon/faults')).json).toEqual([
      { kind: 'server_error', times: 1 },
      { kind: 'unavailable', calls: [2] },
    ]);
    await expect(askOpenAI(messages)).rejects.toMatchObject({ status: 500 });
    await expect(askOpenAI(messages)).rejects.toMatchObject({ status: 503 });
    expect((await http('DELETE', '/_pantheon/faults')).status).toBe(200);
    expect(provider.faults()).toEqual([]);
    await expect(askOpenAI(messages)).resolves.toBeDefined();
  });

  it('GET/DELETE calls expose and reset the log', async () => {
    await askOpenAI(messages, pantheonHeaders('specialist', 'ResearchAgent', 'task-3'));
    const listed = await http('GET', '/_pantheon/calls');
    expect(listed.status).toBe(200);
    expect(listed.json).toMatchObject([{ agent: 'ResearchAgent', task: 'task-3', status: 200 }]);
    expect((await http('DELETE', '/_pantheon/calls')).status).toBe(200);
    expect((await http('GET', '/_pantheon/calls')).json).toEqual([]);
  });

  it('PUT latency delays answers', async () => {
    expect((await http('PUT', '/_pantheon/latency', { latencyMs: 200 })).json).toMatchObject({
      latencyMs: 200,
      jitterMs: 0,
    });
    const started = Date.now();
    await askOpenAI(messages);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it.each([
    ['PUT', '/_pantheon/faults', [{ kind: 'meteor' }], 'faults[0].kind'],
    ['PUT', '/_pantheon/faults', { kind: 'hang' }, 'faults: Invalid input: expected array'],
    ['POST', '/_pantheon/faults', { kind: 'rate_limit', probability: 2 }, 'fault.probability'],
    ['POST', '/_pantheon/faults', { kind: 'slow', time: 3 }, 'fault.time'],
    ['POST', '/_pantheon/faults', { kind: 'slow', calls: [0] }, 'fault.calls[0]'],
    ['POST', '/_pantheon/faults', { kind: 'reset', match: { pattern: '(' } }, 'fault.match.pattern'],
    ['POST', '/_pantheon/faults', { kind: 'reset', match: { provider: 'gemini' } }, 'fault.match.provider'],
    ['POST', '/_pantheon/faults', '{not json', 'not valid JSON'],
    ['POST', '/_pantheon/faults', '', 'JSON body is required'],
    ['PUT', '/_pantheon/latency', { latencyMs: -1 }, 'latencyMs'],
    ['PUT', '/_pantheon/latency', { latencyMs: 10, jitterMs: 'lots' }, 'jitterMs'],
  ])('%s %s rejects %j naming the field', async (method, route, body, field) => {
    const response = await http(method, route, body);
    expect(response.status).toBe(400);
    expect(response.json.error.message).toContain(field);
    expect(provider.faults()).toEqual([]);
  });

  it('404s unknown admin routes', async () => {
    expect((await http('PATCH', '/_pantheon/faults')).status).toBe(404);
  });
});

describe('fault rules in code and from the environment', () => {
  it('FaultRuleSchema accepts a full rule and rejects misspelt keys', () => {
    const rule = {
      kind: 'rate_limit',
      match: { provider: 'openai', purpose: 'specialist', agent: 'DatabaseAgent', task: 't', pattern: 'x+' },
      calls: [1, 3],
      times: 2,
      probability: 0.25,
      seed: 3,
      retryAfterSeconds: 0.5,
    };
    expect(FaultRuleSchema.parse(rule)).toEqual(rule);
    expect(FaultRuleSchema.safeParse({ kind: 'rate_limit', retryAfter: 1 }).success).toBe(false);
  });

  it('setFaults and addFault throw naming the field', () => {
    expect(() => provider.setFaults([{ kind: 'hang', times: -1 }])).toThrow(/faults\[0\]\.times/);
    expect(() => provider.addFault({ kind: 'nope' } as unknown as FaultRule)).toThrow(/fault\.kind/);
    expect(() => provider.setLatency(-5)).toThrow(/latencyMs/);
  });

  it('loadFaultsFromEnv parses PANTHEON_OFFLINE_FAULTS and names the field on error', () => {
    expect(loadFaultsFromEnv({})).toEqual([]);
    expect(loadFaultsFromEnv({ PANTHEON_OFFLINE_FAULTS: '  ' })).toEqual([]);
    expect(
      loadFaultsFromEnv({ PANTHEON_OFFLINE_FAULTS: '[{"kind":"slow","delayMs":10,"match":{"agent":"A"}}]' }),
    ).toEqual([{ kind: 'slow', delayMs: 10, match: { agent: 'A' } }]);
    expect(() => loadFaultsFromEnv({ PANTHEON_OFFLINE_FAULTS: '[{"kind":"slow"' })).toThrow(
      /PANTHEON_OFFLINE_FAULTS is not valid JSON/,
    );
    expect(() => loadFaultsFromEnv({ PANTHEON_OFFLINE_FAULTS: '[{"kind":"slow","delayMs":"soon"}]' })).toThrow(
      /PANTHEON_OFFLINE_FAULTS\[0\]\.delayMs/,
    );
  });
});

describe('lifecycle', () => {
  it('close() ends hanging requests instead of waiting for them', async () => {
    const own = await startOfflineProvider({ faults: [{ kind: 'hang' }] });
    const pending = fetch(`${own.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
    });
    const settled = pending.then(
      () => 'answered',
      () => 'dropped',
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await own.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await settled).toBe('dropped');
  });

  it('serve.ts starts from the environment and stops on SIGTERM', async () => {
    const root = path.resolve(__dirname, '../..');
    const child = spawn(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), 'src/llm/offline/serve.ts'], {
      cwd: root,
      env: {
        ...process.env,
        PANTHEON_OFFLINE_PORT: '0',
        PANTHEON_OFFLINE_FAULTS: '[{"kind":"unavailable","times":1}]',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /listening on (http:\/\/\S+)/.exec(out);
          if (match) resolve(match[1]);
        });
        child.once('exit', (code) => reject(new Error(`serve.ts exited early with ${code}: ${out}`)));
      });
      const post = () =>
        fetch(`${url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
        });
      expect((await post()).status).toBe(503);
      expect((await post()).status).toBe(200);
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 30000);

  it('serve.ts on a port already taken exits 1 naming PANTHEON_OFFLINE_PORT (Node says only "listen EADDRINUSE")', async () => {
    const root = path.resolve(__dirname, '../..');
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    try {
      const child = spawn(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), 'src/llm/offline/serve.ts'], {
        cwd: root,
        env: { ...process.env, PANTHEON_OFFLINE_HOST: '127.0.0.1', PANTHEON_OFFLINE_PORT: String((busy.address() as AddressInfo).port) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let err = '';
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      expect(code).toBe(1);
      expect(err).toMatch(/^error: config_invalid: environment variable PANTHEON_OFFLINE_PORT: cannot listen on 127\.0\.0\.1:\d+ \(the port is taken/);
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  }, 30000);

  it('serve.ts refuses a bad PANTHEON_OFFLINE_FAULTS, naming it', async () => {
    const root = path.resolve(__dirname, '../..');
    const child = spawn(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), 'src/llm/offline/serve.ts'], {
      cwd: root,
      env: { ...process.env, PANTHEON_OFFLINE_PORT: '0', PANTHEON_OFFLINE_FAULTS: '[{"kind":"flood"}]' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).toBe(1);
    expect(err).toContain('PANTHEON_OFFLINE_FAULTS[0].kind');
  }, 30000);
});
