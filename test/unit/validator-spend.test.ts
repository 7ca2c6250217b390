import { DEFAULT_SYSTEM_MODELS } from '../../src/activities/deps';
import { createBudgetedLlmClient } from '../../src/budget/budgeted-client';
import { askValidator } from '../../src/activities/second-stage';
import { loadConfig } from '../../src/config/env';
import { startOfflineProvider, type OfflineProvider } from '../../src/llm/offline';
import { createConfiguredLlmClient } from '../../src/llm/providers';
import { TaskInputSchema } from '../../src/tasks/task-input';
import { firstStage } from '../../src/tasks/validation-stages';
import { billed } from '../support/billed';
import { memoryGate } from '../support/memory-gate';

/**
 * The second stage's call is the task's spend whatever became of its answer: an answer that is
 * not JSON leaves the rules' verdict standing but its cost and tokens on the task's books, as the
 * provider counted them (its own log, through the real openai SDK).
 */

let provider: OfflineProvider;
const llm = () => createConfiguredLlmClient(loadConfig({ PANTHEON_LLM_MODE: 'offline', PANTHEON_OFFLINE_URL: provider.url }));
const task = TaskInputSchema.parse({ objective: 'Backfill the missing tax amounts in the payments DB' });

beforeAll(async () => {
  provider = await startOfflineProvider({ port: 0 });
});

afterAll(async () => {
  await provider?.close();
});

describe("the validator's spend", () => {
  it('an answered call reports the tokens and cost the provider billed', async () => {
    const outcome = await askValidator({ llm: llm(), models: DEFAULT_SYSTEM_MODELS }, { taskId: 'v-ok', task, first: firstStage(task, []) });
    const calls = provider.calls().filter((c) => c.task === 'v-ok');
    expect(calls).toHaveLength(1);
    expect('answer' in outcome).toBe(true);
    expect(outcome.tokens).toBe(calls[0].inputTokens + calls[0].outputTokens);
    expect(outcome.costUsd).toBeCloseTo(billed(calls), 12);
  });

  it('a call that failed after it may have been billed keeps the worst case the ledger charged for it', async () => {
    provider.addFault({ kind: 'reset', match: { purpose: 'validator' } });
    try {
      const { gate, state } = memoryGate();
      let n = 0;
      const budgeted = createBudgetedLlmClient(llm(), gate, () => `v-reset-${++n}`);
      const outcome = await askValidator({ llm: budgeted, models: DEFAULT_SYSTEM_MODELS }, { taskId: 'v-reset', task, first: firstStage(task, []) });
      expect('failed' in outcome && outcome.failed).toMatch(/^connection_reset/);
      // The ledger's charge, counted on its own side: the stage reports the same.
      expect(state.tasks['v-reset'].usd).toBeGreaterThan(0);
      expect(outcome.costUsd).toBe(state.tasks['v-reset'].usd);
      expect(outcome.tokens).toBe(state.tasks['v-reset'].tokens);
    } finally {
      provider.clearFaults();
    }
  });

  it('an answer that is not JSON fails the stage but keeps what the call cost', async () => {
    provider.addFault({ kind: 'malformed_json', match: { purpose: 'validator' } });
    try {
      const outcome = await askValidator({ llm: llm(), models: DEFAULT_SYSTEM_MODELS }, { taskId: 'v-bad', task, first: firstStage(task, []) });
      const calls = provider.calls().filter((c) => c.task === 'v-bad');
      expect(calls).toHaveLength(1);
      expect('failed' in outcome && outcome.failed).toMatch(/^malformed_response/);
      expect(calls[0].outputTokens).toBeGreaterThan(0);
      expect(outcome.tokens).toBe(calls[0].inputTokens + calls[0].outputTokens);
      expect(outcome.costUsd).toBeCloseTo(billed(calls), 12);
    } finally {
      provider.clearFaults();
    }
  });
});
