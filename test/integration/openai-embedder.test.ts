import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { MockActivityEnvironment } from '@temporalio/testing';
import { PantheonError } from '../../src/errors';
import { embeddingCostOf } from '../../src/llm/pricing';
import { countTokens } from '../../src/llm/tokens';
import { typed } from '../../src/activities';
import { gateEmbeddingBudget } from '../../src/memory/embedding-budget';
import { withEmbeddingMemo } from '../../src/memory/embedding-memo';
import { HashingEmbedder } from '../../src/memory/hashing-embedder';
import { OpenAIEmbedder } from '../../src/memory/openai-embedder';
import { recallForPrompt } from '../../src/memory/recall-for-prompt';
import { recallText } from '../../src/memory/record';
import { SqliteMemoryStore } from '../../src/memory/sqlite-store';
import { similarOutcomes } from '../../src/routing/similar-outcomes';
import { cosine } from '../../src/memory/vector';
import { runCli } from '../support/cli';
import { startHarness, testAddress, type Harness } from '../support/harness';
import { limitsWith } from '../support/limits';
import { contractRecord } from '../support/memory-contract';

/**
 * OpenAI embeddings through the real openai SDK, answered by the offline provider over HTTP, and
 * paid through a real budget ledger: reserve (worst case) → call → settle (the usage reported).
 */
let h: Harness;
let openai: OpenAI;
const dir = mkdtempSync(join(tmpdir(), 'pantheon-embed-'));

beforeAll(async () => {
  // A task may spend at most 2,000 tokens: a big enough text is refused before any call.
  h = await startHarness('openai-embedder', { limits: limitsWith({ perTaskTokens: 2_000 }) });
  openai = new OpenAI({ apiKey: 'offline', baseURL: `${h.provider.url}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await h?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const TEXTS = ['Add a unique index on users.email in Postgres', 'Create an index on the users email column in the Postgres database', 'Write a haiku about autumn leaves'];

describe('OpenAIEmbedder', () => {
  it('embeds through the openai SDK, similar texts close, and charges the owner what the API reported', async () => {
    const embedder = new OpenAIEmbedder({ client: openai, budget: gateEmbeddingBudget(h.gate, { taskId: 'reembed-run-1' }) });
    expect(embedder.name).toBe('openai-text-embedding-3-small-1536');
    const [a, b, c] = await embedder.embed(TEXTS);
    expect([a.length, b.length, c.length]).toEqual([1536, 1536, 1536]);
    expect(cosine(a, b)).toBeGreaterThan(cosine(a, c) + 0.2);
    const tokens = TEXTS.reduce((sum, t) => sum + countTokens(t), 0);
    const bill = await h.gate.closeTask('reembed-run-1');
    expect(bill).toMatchObject({ known: true, tokens, chargedOutstanding: 0 });
    expect(bill.usd).toBeCloseTo(embeddingCostOf('text-embedding-3-small', tokens), 12);
  });

  it('inside an activity, charges the task that made the call (its workflow id)', async () => {
    const embedder = new OpenAIEmbedder({ client: openai, budget: gateEmbeddingBudget(h.gate), dimensions: 256 });
    const env = new MockActivityEnvironment({ workflowExecution: { workflowId: 'task-embeds-1', runId: 'run-1' } });
    const [v] = (await env.run(() => embedder.embed([TEXTS[0]]))) as Float32Array[];
    expect(v.length).toBe(256);
    expect(await h.gate.closeTask('task-embeds-1')).toMatchObject({ known: true, tokens: countTokens(TEXTS[0]) });
    // Outside an activity with no owner named, no call is made at all.
    const err = await embedder.embed(['unattributed']).catch((e: unknown) => e);
    expect((err as PantheonError).type).toBe('config_invalid');
  });

  it("is refused by the ledger before the call when its task is past max_spawn_depth (the activity's task lineage rides on it)", async () => {
    const embedder = new OpenAIEmbedder({ client: openai, budget: gateEmbeddingBudget(h.gate), dimensions: 256 });
    const embedOne = typed(async (_input: { task: object }) => embedder.embed([TEXTS[0]]));
    const env = new MockActivityEnvironment({ workflowExecution: { workflowId: 'task-too-deep', runId: 'run-1' } });
    const err = await env.run(embedOne, { task: { objective: TEXTS[0], lineage: { rootTaskId: 'root', parentTaskId: 'parent', spawnDepth: 4 } } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'budget_exceeded' });
    expect(String((err as Error).message)).toMatch(/depth 4, past max_spawn_depth 3/);
    // Within the limit the same embedding is made; the bill holds that one call only.
    const [v] = (await env.run(embedOne, { task: { objective: TEXTS[0], lineage: { rootTaskId: 'root', parentTaskId: 'parent', spawnDepth: 3 } } })) as Float32Array[];
    expect(v.length).toBe(256);
    expect(await h.gate.closeTask('task-too-deep')).toMatchObject({ known: true, tokens: countTokens(TEXTS[0]) });
  });

  it('is refused by the ledger before the call when its worst case passes the task limit', async () => {
    const embedder = new OpenAIEmbedder({ client: openai, budget: gateEmbeddingBudget(h.gate, { taskId: 'reembed-too-big' }) });
    const err = await embedder.embed(['index '.repeat(2_000)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PantheonError);
    expect((err as PantheonError).type).toBe('budget_exceeded');
    expect(await h.gate.closeTask('reembed-too-big')).toMatchObject({ tokens: 0, usd: 0 });
  });

  it('builds a store that recalls by meaning and refuses any other vector space', async () => {
    const file = join(dir, 'openai.sqlite');
    const budget = gateEmbeddingBudget(h.gate, { taskId: 'store-embeds' });
    const store = await SqliteMemoryStore.open({ file, embedder: new OpenAIEmbedder({ client: openai, budget }) });
    await store.put(contractRecord('db:outcome', { objective: TEXTS[0] }));
    await store.put(contractRecord('poem:outcome', { objective: TEXTS[2] }));
    expect((await store.recall({ text: TEXTS[1], limit: 1 })).map((hit) => hit.record.id)).toEqual(['db:outcome']);
    await store.close();
    const hashing = await SqliteMemoryStore.open({ file, embedder: new HashingEmbedder() }).catch((e: unknown) => e);
    expect((hashing as PantheonError).type).toBe('config_invalid');
    const shorter = await SqliteMemoryStore.open({ file, embedder: new OpenAIEmbedder({ client: openai, budget, dimensions: 512 }) }).catch((e: unknown) => e);
    expect((shorter as PantheonError).message).toMatch(/built with embedder openai-text-embedding-3-small-1536/);
  });

  it('routes a task on one paid embedding of its objective, not one per recall (the worker\'s memo)', async () => {
    const file = join(dir, 'route-recalls.sqlite');
    const setup = await SqliteMemoryStore.open({ file, embedder: new OpenAIEmbedder({ client: openai, budget: gateEmbeddingBudget(h.gate, { taskId: 'route-setup' }) }) });
    for (const [i, objective] of TEXTS.entries()) await setup.put(contractRecord(`r${i}:outcome`, { objective, specialist: 'DatabaseAgent', success: i !== 1 }));
    await setup.close();
    const task = { objective: TEXTS[1] };
    // What routeTask asks memory (src/activities/route-task.ts): similar past tasks, then the
    // prompt's lines (the specialist's failures, everyone's records, lessons), all by the objective.
    const recallAsRouting = async (owner: string, memo: boolean) => {
      const embedder = new OpenAIEmbedder({ client: openai, budget: gateEmbeddingBudget(h.gate, { taskId: owner }) });
      const store = await SqliteMemoryStore.open({ file, embedder: memo ? withEmbeddingMemo(embedder) : embedder });
      try {
        const neighbours = await similarOutcomes(store, task, { excludeTaskId: owner });
        const { lines } = await recallForPrompt(store, task, { specialist: 'DatabaseAgent', attempts: [], countLessonHits: true });
        return { neighbours, lines, bill: await h.gate.closeTask(owner) };
      } finally {
        await store.close();
      }
    };
    const once = countTokens(recallText(task));
    const plain = await recallAsRouting('route-plain', false);
    const memoised = await recallAsRouting('route-memo', true);
    // The ledger's bill is the count: four paid calls for the same text without the memo, one with it.
    expect(plain.bill).toMatchObject({ known: true, tokens: 4 * once });
    expect(memoised.bill).toMatchObject({ known: true, tokens: once });
    // And the same answers.
    expect(memoised.neighbours).toEqual(plain.neighbours);
    expect(memoised.lines).toEqual(plain.lines);
    expect(memoised.neighbours.length).toBeGreaterThan(0);
  });

  it('pantheon memory reembed moves a hashing store to OpenAI embeddings (paid through the ledger) and back', async () => {
    const file = join(dir, 'reembed.sqlite');
    const hashing = await SqliteMemoryStore.open({ file, embedder: new HashingEmbedder() });
    for (const [i, objective] of TEXTS.entries()) await hashing.put(contractRecord(`t${i}:outcome`, { objective }));
    await hashing.close();
    const env = {
      PANTHEON_MEMORY_FILE: file,
      PANTHEON_EMBEDDER: 'openai',
      PANTHEON_LLM_MODE: 'offline',
      PANTHEON_OFFLINE_URL: h.provider.url,
      TEMPORAL_ADDRESS: testAddress(),
      PANTHEON_LEDGER_ID: h.gate.ledgerId,
      PANTHEON_BUDGET_TASK_QUEUE: `${h.taskQueue}-budget`,
    };
    const moved = await runCli(['memory', 'reembed'], env);
    expect(moved.code).toBe(0);
    expect(moved.stdout).toBe(`${file}: 3 records and 0 lessons re-embedded, hashing-fnv1a-uni-bi-v1/384 → openai-text-embedding-3-small-1536/1536\n`);
    expect(await h.gate.closeTask('memory-reembed')).toMatchObject({ known: true, tokens: TEXTS.reduce((sum, t) => sum + countTokens(t), 0) });

    // pantheon history opens the store with the embedder it was built with: stats embeds nothing
    // (no Temporal server needed), similar pays for its objective's embedding through the ledger.
    const stats = await runCli(['history', 'stats', '--since', '2000-01-01'], { PANTHEON_MEMORY_FILE: file, PANTHEON_EMBEDDER: 'openai', PANTHEON_LLM_MODE: 'offline', PANTHEON_OFFLINE_URL: h.provider.url, TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect({ code: stats.code, stderr: stats.stderr }).toEqual({ code: 0, stderr: '' });
    expect(stats.stdout).toMatch(/^3 tasks since /);
    const similar = await runCli(['history', 'similar', TEXTS[1], '--limit', '1'], env);
    expect({ code: similar.code, stderr: similar.stderr }).toEqual({ code: 0, stderr: '' });
    expect(similar.stdout).toMatch(/ t1\n/);
    expect(await h.gate.closeTask('memory-history')).toMatchObject({ known: true, tokens: countTokens(TEXTS[1]) });

    const budget = gateEmbeddingBudget(h.gate, { taskId: 'after-reembed' });
    const store = await SqliteMemoryStore.open({ file, embedder: new OpenAIEmbedder({ client: openai, budget }) });
    expect((await store.recall({ text: TEXTS[1], limit: 1 })).map((hit) => hit.record.id)).toEqual(['t1:outcome']);
    await store.close();
    expect(((await SqliteMemoryStore.open({ file, embedder: new HashingEmbedder() }).catch((e: unknown) => e)) as PantheonError).type).toBe('config_invalid');

    // Back to the default embedder: no key, no ledger, no Temporal server needed.
    const back = await runCli(['memory', 'reembed'], { PANTHEON_MEMORY_FILE: file });
    expect(back.stdout).toBe(`${file}: 3 records and 0 lessons re-embedded, openai-text-embedding-3-small-1536/1536 → hashing-fnv1a-uni-bi-v1/384\n`);
    expect((await runCli(['memory', 'reembed'], { PANTHEON_MEMORY_FILE: file })).stdout).toBe(`${file}: already in hashing-fnv1a-uni-bi-v1/384 (3 records)\n`);
    const again = await SqliteMemoryStore.open({ file, embedder: new HashingEmbedder() });
    expect((await again.recall({ text: TEXTS[1], limit: 1 })).map((hit) => hit.record.id)).toEqual(['t1:outcome']);
    await again.close();
  });
});
