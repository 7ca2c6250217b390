import { CLASSIFIER_ATTEMPTS, classifyOrFallBack } from '../../src/activities/route-task';
import { PantheonError } from '../../src/errors';

const pick = { specialist: 'ResearchAgent', confidence: 0.8, reason: 'classifier: research', known: true, costUsd: 0.001, tokens: 90 };
const failing = (type: Parameters<typeof PantheonError.of>[0]) => () => Promise.reject(PantheonError.of(type, `${type} from the provider`));

describe('routing when the classifier fails', () => {
  it("takes the classifier's pick when it answers", async () => {
    await expect(classifyOrFallBack(() => Promise.resolve(pick), 1, 'Generalist', false)).resolves.toBe(pick);
  });

  it('fails the attempt on a retryable provider failure until the last classifier attempt, then routes to the guess', async () => {
    for (let attempt = 1; attempt < CLASSIFIER_ATTEMPTS; attempt += 1) {
      await expect(classifyOrFallBack(failing('rate_limited'), attempt, 'DatabaseAgent', true)).rejects.toMatchObject({ type: 'rate_limited' });
    }
    await expect(classifyOrFallBack(failing('rate_limited'), CLASSIFIER_ATTEMPTS, 'DatabaseAgent', true)).resolves.toMatchObject({
      specialist: 'DatabaseAgent',
      known: false,
      costUsd: 0,
      reason: expect.stringMatching(/^the classifier's provider failed \(rate_limited on attempt 3: rate_limited from the provider\); the rules' best guess$/),
    });
  });

  it("falls back on a task's own last attempt when its policy allows fewer", async () => {
    await expect(classifyOrFallBack(failing('provider_unavailable'), 2, 'Generalist', false, 2)).resolves.toMatchObject({ specialist: 'Generalist' });
  });

  it('routes at once on a permanent provider refusal, and never swallows a budget denial or a bug', async () => {
    await expect(classifyOrFallBack(failing('quota_exhausted'), 1, 'Generalist', false)).resolves.toMatchObject({ specialist: 'Generalist', reason: expect.stringMatching(/the fallback specialist$/) });
    for (const type of ['breaker_open', 'system_budget_full', 'budget_exceeded', 'config_invalid'] as const) {
      await expect(classifyOrFallBack(failing(type), CLASSIFIER_ATTEMPTS, 'Generalist', false)).rejects.toMatchObject({ type });
    }
    await expect(classifyOrFallBack(() => Promise.reject(new TypeError('x is undefined')), CLASSIFIER_ATTEMPTS, 'Generalist', false)).rejects.toThrow(TypeError);
  });
});
