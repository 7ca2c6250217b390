import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import Database from 'better-sqlite3';
import OpenAI from 'openai';
import { PantheonError } from '../../src/errors';
import { apiRoot } from '../../src/llm/base-url';
import { classifyProviderError } from '../../src/llm/provider-errors';
import { scopeMemoryToMode } from '../../src/memory/mode-scoped';
import { openMemoryStore } from '../../src/memory/open-store';
import type { MemoryRecord } from '../../src/memory/types';
import { createRoster, parseSpecialistFile, remapRoster } from '../../src/specialists/roster';
import { repoRoot } from '../../src/config/paths';

describe('apiRoot: base URLs with or without /v1', () => {
  it.each([
    ['http://127.0.0.1:4010', 'http://127.0.0.1:4010'],
    ['http://127.0.0.1:4010/', 'http://127.0.0.1:4010'],
    ['http://127.0.0.1:4010/v1', 'http://127.0.0.1:4010'],
    ['http://127.0.0.1:4010/v1/', 'http://127.0.0.1:4010'],
    ['https://gw.example.com/openai/v1', 'https://gw.example.com/openai'],
    ['https://gw.example.com/v1beta', 'https://gw.example.com/v1beta'],
  ])('%s → %s', (given, root) => expect(apiRoot(given)).toBe(root));
});

describe('a 404 is an unknown model only when it names the model', () => {
  it('classifies a gateway 404 that names no model as config_invalid, pointing at OPENAI_BASE_URL', () => {
    const raw = OpenAI.APIError.generate(404, { error: { message: 'Unknown request URL: POST /v1/v1/chat/completions', type: 'invalid_request_error', code: 'unknown_url' } }, undefined, new Headers());
    const err = classifyProviderError('openai', 'gpt-4.1-mini', raw);
    expect(err.type).toBe('config_invalid');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('the base URL path looks wrong');
    expect(err.details).toMatchObject({ variable: 'OPENAI_BASE_URL', status: 404, billed: 'no' });
  });

  it('classifies an Anthropic 404 with a bare body as config_invalid, pointing at ANTHROPIC_BASE_URL', () => {
    const raw = Anthropic.APIError.generate(404, { type: 'error', error: { type: 'not_found_error', message: 'Not Found' } }, undefined, new Headers());
    const err = classifyProviderError('anthropic', 'claude-haiku-4-5', raw);
    expect(err.type).toBe('config_invalid');
    expect(err.details).toMatchObject({ variable: 'ANTHROPIC_BASE_URL' });
  });

  it('still classifies model_not_found as unknown_model', () => {
    const raw = OpenAI.APIError.generate(404, { error: { message: 'no such thing', type: 'invalid_request_error', code: 'model_not_found' } }, undefined, new Headers());
    expect(classifyProviderError('openai', 'gpt-9', raw).type).toBe('unknown_model');
  });
});

describe('roster fallback_model', () => {
  const base = (fallback: string) => `name: Helper
description: Helps with whatever the task needs, in short verifiable steps.
provider: anthropic
model: claude-haiku-4-5
${fallback}
expected_duration_minutes: 10
system_prompt: |
  You are Helper. Work one step at a time and say what each step produced, briefly and clearly.
`;
  const problem = (text: string) => {
    try {
      parseSpecialistFile('/agents/Helper.yaml', text);
    } catch (err) {
      return (err as PantheonError).message;
    }
    return 'accepted';
  };

  it('accepts a priced model of the named provider', () => {
    expect(parseSpecialistFile('/agents/Helper.yaml', base('fallback_model: { provider: openai, model: gpt-4.1-mini }')).fallback_model).toEqual({ provider: 'openai', model: 'gpt-4.1-mini' });
  });

  it('refuses a model without a pinned price', () => {
    expect(problem(base('fallback_model: { provider: openai, model: gpt-9-ultra }'))).toContain('field "fallback_model" model "gpt-9-ultra" has no pinned price');
  });

  it('refuses a provider that does not serve the model', () => {
    expect(problem(base('fallback_model: { provider: anthropic, model: gpt-4.1-mini }'))).toContain('field "fallback_model" names provider anthropic but gpt-4.1-mini is a openai model');
  });

  it('refuses unknown fields inside it', () => {
    expect(problem(base('fallback_model: { provider: openai, model: gpt-4.1-mini, temperature: 2 }'))).toContain('fallback_model');
  });

  it('every seed specialist declares one, so any single key starts the shipped roster', () => {
    for (const name of ['ResearchAgent', 'CodeReviewAgent', 'Generalist', 'DatabaseAgent']) {
      const file = join(repoRoot(), 'agents', `${name}.yaml`);
      const s = parseSpecialistFile(file, readFileSync(file, 'utf8'));
      expect(s.fallback_model?.provider).not.toBe(s.provider);
    }
  });

  it('remapRoster moves only the remapped specialists', () => {
    const helper = parseSpecialistFile('/agents/Helper.yaml', base('fallback: true\nfallback_model: { provider: openai, model: gpt-4.1-mini }'));
    const roster = remapRoster(createRoster([helper]), [{ kind: 'specialist', name: 'Helper', to: { provider: 'openai', model: 'gpt-4.1-mini' } }]);
    expect(roster.get('Helper')).toMatchObject({ provider: 'openai', model: 'gpt-4.1-mini' });
    expect(remapRoster(createRoster([helper]), []).get('Helper')).toMatchObject({ provider: 'anthropic', model: 'claude-haiku-4-5' });
  });
});

describe('offline records in shared memory (real SQLite)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pantheon-modes-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const record = (id: string, objective: string): MemoryRecord => ({
    id, taskId: id, specialist: 'DatabaseAgent', objective, approach: 'a', result: 'r', success: true, costUsd: 0.01, lessons: [], createdAt: new Date().toISOString(),
  });

  it('marks what an offline worker writes and never recalls it into a live worker', async () => {
    const file = join(dir, 'memory.sqlite');
    const offline = scopeMemoryToMode(await openMemoryStore({ kind: 'sqlite', file }), true);
    const live = scopeMemoryToMode(await openMemoryStore({ kind: 'sqlite', file }), false);
    await offline.put(record('t-off', 'add an index to the orders table'));
    await live.put(record('t-live', 'add an index to the orders table quickly'));
    expect((await offline.get('t-off'))?.offline).toBe(true);
    expect((await live.get('t-live'))?.offline).toBe(false);
    const query = { text: 'add an index to the orders table', limit: 10 };
    expect((await live.recall(query)).map((h) => h.record.id)).toEqual(['t-live']);
    expect((await offline.recall(query)).map((h) => h.record.id).sort()).toEqual(['t-live', 't-off']);
    await offline.close();
    await live.close();
  });

  it('opens a file from before the mark, keeps its records, and treats them as provenance unknown', async () => {
    const file = join(dir, 'old.sqlite');
    const first = await openMemoryStore({ kind: 'sqlite', file });
    await first.put(record('t-old', 'tune the slow customers query'));
    await first.close();
    // Make it an old file: the table as it was, without the offline column.
    const db = new Database(file);
    db.exec(`CREATE TABLE old AS SELECT id, task_id, specialist, objective, approach, result, success, cost_usd, lessons, created_at, vector FROM memories;
             DROP TABLE memories; ALTER TABLE old RENAME TO memories;`);
    db.close();

    const live = scopeMemoryToMode(await openMemoryStore({ kind: 'sqlite', file }), false);
    const old = await live.get('t-old');
    expect(old?.objective).toBe('tune the slow customers query');
    expect(old?.offline).toBeUndefined();
    expect(await live.recall({ text: 'tune the slow customers query' })).toEqual([]);
    await live.put(record('t-new', 'tune the slow customers query again'));
    expect((await live.recall({ text: 'tune the slow customers query' })).map((h) => h.record.id)).toEqual(['t-new']);
    await live.close();
    const offline = scopeMemoryToMode(await openMemoryStore({ kind: 'sqlite', file }), true);
    expect((await offline.recall({ text: 'tune the slow customers query' })).map((h) => h.record.id).sort()).toEqual(['t-new', 't-old']);
    await offline.close();
  });
});
