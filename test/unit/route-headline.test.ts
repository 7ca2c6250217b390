import { routeHeadline, specialistLine } from '../../src/client/format';
import { renderDiff } from '../../src/client/routing-view';

describe("status's route headline", () => {
  it('credits the routing policy with a pick it made among the rules\' candidates', () => {
    expect(routeHeadline({ method: 'rules', confidence: 0.95, policyVersion: 3 })).toBe('rules, confidence 0.95, picked by routing policy v3');
    expect(routeHeadline({ method: 'rules', confidence: 0.95, policyVersion: 3, policyMode: 'explore' })).toBe('rules, confidence 0.95, explored by routing policy v3');
  });

  it('says only the method without a policy (or with v0, the roster\'s rules as they are)', () => {
    expect(routeHeadline({ method: 'requested', confidence: 1 })).toBe('requested, confidence 1.00');
    expect(routeHeadline({ method: 'rules', confidence: 0.8, policyVersion: 0 })).toBe('rules, confidence 0.80');
  });
});

describe("status's specialist line", () => {
  it('names the specialist now on the task and, after a reassignment, the ones before it, the route being the first pick\'s', () => {
    const route = { method: 'requested', confidence: 1, reason: 'requested by the submitter' };
    expect(specialistLine({ specialist: 'CodeReviewAgent', route, specialistsTried: ['DatabaseAgent', 'CodeReviewAgent'] })).toBe(
      'CodeReviewAgent, reassigned from DatabaseAgent; first routed (requested, confidence 1.00)',
    );
    expect(specialistLine({ specialist: 'DatabaseAgent', route, specialistsTried: ['DatabaseAgent'] })).toBe('DatabaseAgent (requested, confidence 1.00)');
  });
});

describe('routing diff', () => {
  it('shows derived settings rounded', () => {
    expect(renderDiff({ from: 1, to: 2, rules: [], settings: [{ name: 'explorationShare', from: 0.1, to: 0.1 * 0.8 }] })).toBe('v1 → v2\n  explorationShare: 0.1 → 0.08');
  });
});
