import { addConstraint, addRefusal, pruneConstraints, removeConstraint, taskConstraintId } from '../../src/constraints/registry';
import { AddConstraintSchema, expiryMs, MAX_CONSTRAINTS, type StandingConstraint } from '../../src/constraints/schema';
import { migrateGodState } from '../../src/god/state';
import { GOD_STATE_VERSION } from '../../src/god/types';
import { validatorAnswer } from '../../src/llm/offline/validator-answer';
import { TaskInputSchema, type TaskInput } from '../../src/tasks/task-input';
import { finalVerdict, firstStage } from '../../src/tasks/validation-stages';
import { validatorMessage } from '../../src/tasks/validator-protocol';
import { freshState } from '../support/god-fixtures';

const task = (input: TaskInput) => TaskInputSchema.parse(input);
const T0 = Date.parse('2026-12-01T00:00:00Z');
const billing: StandingConstraint = { id: 'c-1', text: 'no writes to the billing database', scope: 'billing database', setBy: { kind: 'task', id: 'task-a' }, addedAtMs: T0 };

describe('first stage: the rules with an undecided answer', () => {
  it('rejects a sure contradiction of a standing constraint, naming it and the task that set it', () => {
    const v = firstStage(task({ objective: 'Delete the duplicate rows from the billing database invoices table' }), [billing]);
    expect(v.decision).toBe('reject');
    expect(v.reasons.join()).toContain('c-1 (set by task task-a)');
  });

  it('leaves a constraint said in other words undecided, and accepts what has nothing to do with it', () => {
    expect(firstStage(task({ objective: 'Backfill the missing tax amounts in the payments DB' }), [billing]).decision).toBe('undecided');
    expect(firstStage(task({ objective: 'Summarise the Postgres 17 documentation about logical replication' }), [billing]).decision).toBe('accept');
  });

  it('sends a vague phrase with concrete anchors to the second stage instead of rejecting it', () => {
    const v = firstStage(task({ objective: 'Make it faster: the nightly job run_reports.py takes 40 minutes and should finish in 10' }));
    expect(v.decision).toBe('undecided');
    expect(firstStage(task({ objective: 'Make it faster please, thanks' })).decision).toBe('reject');
  });

  it('asks about a constraint in a form the rules know when the objective acts and no rule fires (the silence is not an acceptance)', () => {
    const index = firstStage(task({ objective: 'Add an index to speed up the orders query', constraints: ['read-only access to production'] }));
    expect(index).toMatchObject({ decision: 'undecided', questions: [expect.stringContaining('constraints.0')] });
    const install = firstStage(task({ objective: 'Install lodash to simplify the array helpers in utils.js', constraints: ['do not add any packages'] }));
    expect(install.decision).toBe('undecided');
    // A sure break still rejects without a question, and a report that neither acts nor shares a word is accepted.
    expect(firstStage(task({ objective: 'Delete the expired rows from the sessions table', constraints: ['read-only'] })).decision).toBe('reject');
    expect(firstStage(task({ objective: 'Summarise the Q3 churn numbers for the board', constraints: ['no downtime'] })).decision).toBe('accept');
  });

  it('asks about a soft goal with nothing to measure it by, and about material pointed at a few words away', () => {
    expect(firstStage(task({ objective: 'Make the product more user friendly' })).questions).toEqual([expect.stringMatching(/^specificity: .*user friendly/)]);
    expect(firstStage(task({ objective: 'Turn the notes from the call I forwarded into action items' })).questions).toEqual([expect.stringMatching(/^dependencies: .*I forwarded/)]);
  });
});

describe('the offline second stage reads what a constraint protects', () => {
  const judge = (objective: string, constraints: string[], standing: StandingConstraint[] = []) => {
    const t = task({ objective, constraints });
    const first = firstStage(t, standing);
    expect(first.decision).toBe('undecided');
    return validatorAnswer([{ role: 'user', content: validatorMessage(t, first.constraints, first.questions) }]).verdict;
  };

  it('rejects a constraint broken in words the rules do not know', () => {
    expect(judge('Add an index to speed up the orders query', ['read-only access to production'])).toBe('reject');
    expect(judge('Pull in the moment.js library to format the dates', ['no third-party libraries'])).toBe('reject');
    expect(judge('Stop the Kafka brokers one by one for the upgrade', ['the event stream may not be interrupted'])).toBe('reject');
    expect(judge('Unsubscribe every user from the weekly digest and delete the mailing list', ['keep the mailing list'])).toBe('reject');
    const checkout: StandingConstraint = { id: 'c-2', text: 'checkout must stay up during the sale', scope: 'checkout', setBy: { kind: 'operator', id: 'ops' }, addedAtMs: T0 };
    expect(judge('Bounce the checkout API pods to clear the memory leak', [], [checkout])).toBe('reject');
  });

  it('accepts a prohibition that protects something the objective does not touch, and downtime that is only a topic', () => {
    expect(judge('Purge user sessions older than 30 days from Redis', ['never delete audit logs'])).toBe('accept');
    expect(judge('Rename getUsr to getUser across the codebase', ['do not change public API signatures'])).toBe('accept');
    // The rules do not ask about this one; asked anyway, the offline validator does not mistake the topic for the act.
    const reading = task({ objective: 'Prepare a reading list on zero-downtime Postgres migrations with five articles', constraints: ['no downtime for checkout'] });
    expect(firstStage(reading).decision).toBe('accept');
    expect(validatorAnswer([{ role: 'user', content: validatorMessage(reading, [], ['constraints.0 ("no downtime for checkout"): does the objective break it?']) }]).verdict).toBe('accept');
    expect(validatorAnswer([{ role: 'user', content: validatorMessage(task({ ...reading, objective: 'Schedule two hours of downtime for the checkout database' }), [], ['constraints.0 ("no downtime for checkout"): does the objective break it?']) }]).verdict).toBe('reject');
    expect(judge('Replace the hand-written JSON parser with the standard library\'s json module', ['standard library only'])).toBe('accept');
  });
});

describe('the offline second stage on specificity', () => {
  const judge = (objective: string) => {
    const t = task({ objective });
    const first = firstStage(t);
    expect(first.decision).toBe('undecided');
    return validatorAnswer([{ role: 'user', content: validatorMessage(t, first.constraints, first.questions) }]).verdict;
  };

  it('takes the parts of a program a review names for concrete (a user\'s task, rejected as vague until 2026-12-06)', () => {
    expect(judge('Review the refactoring of the payment retry loop for idempotency problems')).toBe('accept');
    expect(judge('Look into the problems with the webhook handler timeouts')).toBe('accept');
  });

  it('still rejects a soft goal that names nothing', () => {
    expect(judge('Look into the problems we keep having')).toBe('reject');
  });
});

describe('final verdict', () => {
  const undecided = firstStage(task({ objective: 'Backfill the missing tax amounts in the payments DB' }), [billing]);

  it('uses the second stage\'s rejection, naming the constraint and its setter', () => {
    const answer = validatorAnswer([{ role: 'user', content: validatorMessage(undecided.constraints.length ? task({ objective: 'Backfill the missing tax amounts in the payments DB' }) : task({ objective: 'x'.repeat(10) }), undecided.constraints, undecided.questions) }]);
    const v = finalVerdict(undecided, { answer });
    expect(v).toMatchObject({ ok: false, stage: 'model' });
    expect(v.reasons.join()).toContain('(c-1 set by task task-a)');
  });

  it('names the constraint once: a reason that names it already gets only who set it', () => {
    const said = finalVerdict(undecided, { answer: { verdict: 'reject', reasons: [{ category: 'contradiction', text: 'standing constraint c-1 ("no writes to billing") rules out writes', constraintId: 'c-1' }] } });
    expect(said.reasons).toEqual(['contradiction (second stage): standing constraint c-1 ("no writes to billing") rules out writes (c-1 set by task task-a)']);
    const unsaid = finalVerdict(undecided, { answer: { verdict: 'reject', reasons: [{ category: 'contradiction', text: 'writes to the billing data', constraintId: 'c-1' }] } });
    expect(unsaid.reasons).toEqual(['contradiction (second stage): writes to the billing data; standing constraint c-1 (set by task task-a)']);
  });

  it('falls back to the rules when the second stage failed: undecided is accepted with a note, a sure rejection stays', () => {
    expect(finalVerdict(undecided, { failed: 'budget_exceeded: no room' })).toMatchObject({ ok: true, stage: 'rules_fallback', notes: [expect.stringContaining('budget_exceeded')] });
    const sure = firstStage(task({ objective: 'Fix it as soon as you can please' }));
    expect(finalVerdict(sure, { failed: 'provider_unavailable' })).toMatchObject({ ok: false, stage: 'rules' });
  });

  it('drops a model reason that names a constraint the task was not checked against', () => {
    const v = finalVerdict(undecided, { answer: { verdict: 'reject', reasons: [{ category: 'contradiction', text: 'invented', constraintId: 'c-999' }] } });
    expect(v.ok).toBe(true);
  });
});

describe('the constraint registry', () => {
  const input = (extra: object = {}) => AddConstraintSchema.parse({ spec: { text: 'no downtime', scope: 'checkout', forHours: 1 }, ...extra });

  it('adds idempotently by id, removes, and prunes the expired', () => {
    const first = addConstraint([], input({ id: 'x' }), 'c-1', T0);
    const again = addConstraint(first.list, input({ id: 'x' }), 'c-2', T0 + 1);
    expect(again).toMatchObject({ added: false, list: [expect.objectContaining({ id: 'x', expiresAtMs: T0 + 3_600_000 })] });
    expect(pruneConstraints(again.list, T0 + 3_600_001)).toEqual([]);
    expect(removeConstraint(again.list, 'x')).toMatchObject({ list: [], removed: { id: 'x' } });
  });

  it('refuses an expiry already past and more than the bound of active constraints', () => {
    expect(addRefusal([], AddConstraintSchema.parse({ spec: { text: 'no downtime', expiresAt: '2020-01-01' } }), T0)).toMatch(/already past/);
    let list: StandingConstraint[] = [];
    for (let i = 0; i < MAX_CONSTRAINTS; i++) list = addConstraint(list, input(), `c-${i}`, T0).list;
    expect(addRefusal(list, input(), T0)).toMatch(new RegExp(`at most ${MAX_CONSTRAINTS}`));
  });

  it('holds the constraints at their bound, each at its longest, in under 20 KB of God\'s state', () => {
    let list: StandingConstraint[] = [];
    const long = AddConstraintSchema.parse({ spec: { text: 't'.repeat(300), scope: 's'.repeat(120), expiresAt: '2099-12-31T23:59:59.999Z' }, setBy: { kind: 'task', id: 'i'.repeat(200) } });
    for (let i = 0; i < MAX_CONSTRAINTS; i++) list = addConstraint(list, { ...long, id: taskConstraintId('x'.repeat(100), i) }, `c-${i}`, T0).list;
    expect(list).toHaveLength(MAX_CONSTRAINTS);
    expect(Buffer.byteLength(JSON.stringify(list), 'utf8')).toBeLessThan(20 * 1024);
  });

  it('reads a date alone as the end of that day, UTC, and makes stable ids for a task\'s constraints', () => {
    expect(new Date(expiryMs({ expiresAt: '2026-12-05' }, T0)!).toISOString()).toBe('2026-12-05T23:59:59.999Z');
    expect(taskConstraintId('task-1', 0)).toBe('task-1:c0');
  });
});

describe('God state migration', () => {
  it('brings a version-1 state (no constraints) to the current version with none held', () => {
    const { constraints: _c, ...v1 } = { ...freshState(), version: 1 } as Record<string, unknown>;
    const migrated = migrateGodState(v1);
    expect(migrated.version).toBe(GOD_STATE_VERSION);
    expect(migrated.constraints).toEqual([]);
  });
});
