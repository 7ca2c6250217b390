import { routeHeadline } from '../../src/client/format';

describe("status's route headline", () => {
  it('credits the routing policy with a pick it made among the rules\' candidates', () => {
    expect(routeHeadline({ method: 'rules', confidence: 0.95, policyVersion: 3 })).toBe('rules, confidence 0.95, picked by routing policy v3');
  });

  it('says only the method without a policy (or with v0, the roster\'s rules as they are)', () => {
    expect(routeHeadline({ method: 'requested', confidence: 1 })).toBe('requested, confidence 1.00');
    expect(routeHeadline({ method: 'rules', confidence: 0.8, policyVersion: 0 })).toBe('rules, confidence 0.80');
  });
});
