import { submittedTaskIdProblem } from '../../src/god/messages';

/** The task ids God's submitTask validator refuses as sent (src/god/messages.ts). */

describe('submittedTaskIdProblem', () => {
  it("refuses God's own id (its default too) and the budget ledger's, naming what they are", () => {
    expect(submittedTaskIdProblem('god-test-1', 'god-test-1')).toBe(`"god-test-1" is God's own workflow id; give another id`);
    expect(submittedTaskIdProblem('pantheon-god', 'god-test-1')).toBe(`"pantheon-god" is God's own workflow id; give another id`);
    expect(submittedTaskIdProblem('pantheon-budget-ledger', 'pantheon-god')).toBe(`"pantheon-budget-ledger" is the budget ledger's workflow id; give another id`);
  });

  it('refuses a padded id, which the schema would trim into another id than the one sent', () => {
    expect(submittedTaskIdProblem(' padded ', 'pantheon-god')).toBe('must not start or end with spaces');
  });

  it('takes an ordinary task id', () => {
    expect(submittedTaskIdProblem('orders-index-1', 'pantheon-god')).toBeUndefined();
    expect(submittedTaskIdProblem('pantheon-god-task', 'pantheon-god')).toBeUndefined();
  });
});
