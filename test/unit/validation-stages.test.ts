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
});

describe('final verdict', () => {
  const undecided = firstStage(task({ objective: 'Backfill the missing tax amounts in the payments DB' }), [billing]);

  it('uses the second stage\'s rejection, naming the constraint and its setter', () => {
    const answer = validatorAnswer([{ role: 'user', content: validatorMessage(undecided.constraints.length ? task({ objective: 'Backfill the missing tax amounts in the payments DB' }) : task({ objective: 'x'.repeat(10) }), undecided.constraints, undecided.questions) }]);
    const v = finalVerdict(undecided, { answer });
    expect(v).toMatchObject({ ok: false, stage: 'model' });
    expect(v.reasons.join()).toContain('c-1 (set by task task-a)');
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
