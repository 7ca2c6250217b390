import { addGoal, forgetFingerprints, generationFits, goalsDue, knownFingerprint, markGenerated, MAX_GOALS, rememberFingerprint, removeGoal, taskFingerprint } from '../../src/god/goals';
import { GoalInputSchema, type GoalInput } from '../../src/god/messages';
import type { GodState, GoalState } from '../../src/god/types';
import { freshState, HOUR, T0, refusal } from '../support/god-fixtures';

const OBJECTIVE = 'Keep the operational runbooks current';


describe('goals', () => {
  it('adds a goal with defaults filled and bookkeeping at zero', () => {
    const s = addGoal(freshState(), { id: 'docs', objective: OBJECTIVE }, T0);
    expect(s.goals).toEqual([
      { id: 'docs', objective: OBJECTIVE, value: 5, cadenceMinutes: 60, budgetShare: 0.25, lane: 'main', tasksPerRun: 2, addedAtMs: T0, lastGeneratedAtMs: 0, generated: 0, spentTodayUsd: 0 },
    ]);
  });

  it.each([
    ['a short objective', { id: 'docs', objective: 'short' }, 'objective'],
    ['a value out of range', { id: 'docs', objective: OBJECTIVE, value: 11 }, 'value'],
    ['a bad id', { id: 'has space', objective: OBJECTIVE }, 'id'],
    ['an unknown field', { id: 'docs', objective: OBJECTIVE, owner: 'me' }, '(goal)'],
    ['a budget share of 0', { id: 'docs', objective: OBJECTIVE, budgetShare: 0 }, 'budgetShare'],
  ])('refuses %s with invalid_input naming the field, state unchanged', (_name, input, field) => {
    const s = freshState();
    const err = refusal(() => addGoal(s, input as GoalInput, T0));
    expect(err.type).toBe('invalid_input');
    expect(err.details.field).toBe(field);
    expect(err.message).toContain(`"${field}"`);
    expect(s.goals).toEqual([]);
  });

  it('refuses a duplicate id, naming id', () => {
    const s = addGoal(freshState(), { id: 'docs', objective: OBJECTIVE }, T0);
    const err = refusal(() => addGoal(s, { id: 'docs', objective: `${OBJECTIVE} again` }, T0));
    expect(err.details.field).toBe('id');
    expect(err.message).toMatch(/a goal "docs" already exists/);
  });

  it(`refuses goal number ${MAX_GOALS + 1}`, () => {
    let s: GodState = freshState();
    for (let i = 0; i < MAX_GOALS; i++) s = addGoal(s, { id: `g${i}`, objective: OBJECTIVE }, T0);
    expect(refusal(() => addGoal(s, { id: 'one-more', objective: OBJECTIVE }, T0)).details.field).toBe('goals');
  });

  it('removes a goal, and refuses an unknown one naming goalId', () => {
    const s = addGoal(addGoal(freshState(), { id: 'a', objective: OBJECTIVE }, T0), { id: 'b', objective: OBJECTIVE }, T0);
    expect(removeGoal(s, 'a').goals.map((g) => g.id)).toEqual(['b']);
    const err = refusal(() => removeGoal(s, 'zzz'));
    expect(err.type).toBe('invalid_input');
    expect(err.details.field).toBe('goalId');
    expect(err.message).toMatch(/no goal "zzz" \(goals: a, b\)/);
  });

  describe('goalsDue', () => {
    const g = (id: string, lastGeneratedAtMs: number, cadenceMinutes: number, spentTodayUsd = 0): GoalState => ({
      id, objective: OBJECTIVE, value: 5, cadenceMinutes, budgetShare: 0.5, lane: 'main', tasksPerRun: 2, addedAtMs: T0, lastGeneratedAtMs, generated: 0, spentTodayUsd,
    });

    it.each([
      ['never generated', g('a', 0, 60), true],
      ['exactly one cadence ago', g('a', T0, 60), true],
      ['a minute short of its cadence', g('a', T0 + 60_000, 60), false],
    ])('%s', (_name, goal, due) => {
      expect(goalsDue([goal], T0 + HOUR).length).toBe(due ? 1 : 0);
    });

    it('skips a goal that spent its share of the day when the budget is given', () => {
      const goals = [g('spent', 0, 60, 0.5), g('fresh', 0, 60, 0.1)];
      expect(goalsDue(goals, T0, 1).map((x) => x.id)).toEqual(['fresh']);
      expect(goalsDue(goals, T0).map((x) => x.id)).toEqual(['spent', 'fresh']);
    });

    it('restarts the cadence from markGenerated', () => {
      let s = addGoal(freshState(), { id: 'a', objective: OBJECTIVE, cadenceMinutes: 30 }, T0);
      s = markGenerated(s, 'a', 2, T0 + HOUR);
      expect(s.goals[0]).toMatchObject({ lastGeneratedAtMs: T0 + HOUR, generated: 2 });
      expect(goalsDue(s.goals, T0 + HOUR + 29 * 60_000)).toEqual([]);
      expect(goalsDue(s.goals, T0 + HOUR + 30 * 60_000)).toHaveLength(1);
    });
  });
});

describe('generation within the lane headroom', () => {
  it('needs room beyond the goal\'s last generation cost, and any room at all before its first', () => {
    expect(generationFits({}, 0)).toBe(false);
    expect(generationFits({}, 0.0001)).toBe(true);
    expect(generationFits({ lastGenerationCostUsd: 0.002 }, 0.002)).toBe(false);
    expect(generationFits({ lastGenerationCostUsd: 0.002 }, 0.0021)).toBe(true);
  });
});

describe('task fingerprints', () => {
  it.each([
    ['case', 'Audit the Billing Tables', 'audit the billing tables'],
    ['punctuation', 'Audit the billing tables.', 'audit the billing tables!'],
    ['whitespace', '  Audit   the\tbilling\ntables ', 'audit the billing tables'],
    ['dashes and quotes', '"Audit" the billing-tables', 'audit the billing tables'],
  ])('ignore %s', (_name, a, b) => {
    expect(taskFingerprint(a)).toBe(taskFingerprint(b));
  });

  it('differ when the words differ, and are 8 hex digits', () => {
    expect(taskFingerprint('audit the billing tables')).not.toBe(taskFingerprint('audit the billing views'));
    expect(taskFingerprint('x')).toMatch(/^[0-9a-f]{8}$/);
  });

  it('are FNV-1a 32-bit of the normalised text (stable across releases)', () => {
    // Reference values of FNV-1a 32: "" → 811c9dc5, "a" → e40c292c, "foobar" → bf9cf968.
    expect(taskFingerprint('')).toBe('811c9dc5');
    expect(taskFingerprint('A')).toBe('e40c292c');
    expect(taskFingerprint('Foobar!')).toBe('bf9cf968');
  });

  it('are remembered newest last, once each, at most 300', () => {
    let s: GodState = freshState();
    s = rememberFingerprint(s, 'aaaa0000');
    expect(rememberFingerprint(s, 'aaaa0000')).toBe(s);
    expect(knownFingerprint(s, 'aaaa0000')).toBe(true);
    for (let i = 0; i < 320; i++) s = rememberFingerprint(s, i.toString(16).padStart(8, '0'));
    expect(s.fingerprints).toHaveLength(300);
    expect(knownFingerprint(s, 'aaaa0000')).toBe(false);
    expect(s.fingerprints.at(-1)).toBe((319).toString(16).padStart(8, '0'));
  });

  it('are forgotten for tasks that never ran (dropped at the day\'s end), the rest kept in order', () => {
    let s: GodState = freshState();
    for (const f of ['aaaa0000', 'bbbb0000', 'cccc0000']) s = rememberFingerprint(s, f);
    const after = forgetFingerprints(s, ['bbbb0000', 'dddd0000']);
    expect(after.fingerprints).toEqual(['aaaa0000', 'cccc0000']);
    expect(knownFingerprint(after, 'bbbb0000')).toBe(false);
    expect(s.fingerprints).toHaveLength(3); // pure
    expect(forgetFingerprints(s, ['dddd0000'])).toBe(s);
  });
});

describe('goal input', () => {
  it('judges an objective after control characters and escape codes are stripped', () => {
    const junk = GoalInputSchema.safeParse({ id: 'noise', objective: '\u001b[31m\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u001b[0m' });
    expect(junk.success).toBe(false);
    expect(junk.error?.issues[0].path).toEqual(['objective']);
    const coloured = GoalInputSchema.parse({ id: 'tidy', objective: '\u001b[1mKeep the orders indexes healthy\u001b[0m' });
    expect(coloured.objective).toBe('Keep the orders indexes healthy');
  });
});
