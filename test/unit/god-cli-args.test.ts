import path from 'node:path';
import { goalFromFlags, goalIdFrom, pauseFrom, removeGoalFrom, reviewFrom, shareFrom } from '../../src/client/god-args';
import { loadGoalsFile, parseGoalOrGoals, parseGoalsFile } from '../../src/client/goals-file';
import { repoRoot } from '../../src/config/paths';
import { PantheonError } from '../../src/errors';

/** The error `fn` throws: an invalid_input PantheonError whose message is returned. */
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PantheonError);
    expect((err as PantheonError).type).toBe('invalid_input');
    return (err as PantheonError).message;
  }
  throw new Error('expected a refusal');
}

const OBJECTIVE = 'Keep the API reference in step with the code';

describe('goals file', () => {
  it('reads the shipped example with every default filled in', () => {
    const goals = loadGoalsFile(path.join(repoRoot(), 'goals.example.yaml'));
    expect(goals.length).toBeGreaterThanOrEqual(2);
    for (const g of goals) expect(g).toEqual(expect.objectContaining({ id: expect.any(String), value: expect.any(Number), cadenceMinutes: expect.any(Number), budgetShare: expect.any(Number), lane: expect.stringMatching(/^(main|experimental)$/), tasksPerRun: expect.any(Number) }));
    expect(goals.some((g) => g.lane === 'experimental')).toBe(true);
  });

  it('reads JSON as well as YAML and applies the defaults', () => {
    expect(parseGoalsFile(JSON.stringify({ goals: [{ id: 'docs', objective: OBJECTIVE }] }), 'g.json')).toEqual([
      { id: 'docs', objective: OBJECTIVE, value: 5, cadenceMinutes: 60, budgetShare: 0.25, lane: 'main', tasksPerRun: 2 },
    ]);
  });

  it.each([
    ['a short objective', 'goals:\n  - id: a\n    objective: short\n', /^goals file g\.yaml: goals\.0\.objective: must be at least 10 characters$/],
    ['a value above 10', `goals:\n  - id: a\n    objective: ${OBJECTIVE}\n    value: 11\n`, /^goals file g\.yaml: goals\.0\.value: .*10/],
    ['an unknown field', `goals:\n  - id: a\n    objective: ${OBJECTIVE}\n    colour: red\n`, /^goals file g\.yaml: goals\.0\.colour: unknown field/],
    ['a bad lane', `goals:\n  - id: a\n    objective: ${OBJECTIVE}\n    lane: side\n`, /^goals file g\.yaml: goals\.0\.lane: /],
    ['a duplicate id', `goals:\n  - id: a\n    objective: ${OBJECTIVE}\n  - id: a\n    objective: ${OBJECTIVE} twice\n`, /^goals file g\.yaml: goals\.1\.id: duplicate id "a"$/],
    ['no goals key', 'nope: 1\n', /^goals file g\.yaml: goals: /],
    ['an empty file', '# nothing\n', /^goals file g\.yaml: goals: the file is empty/],
    ['broken YAML', 'goals: [\n', /^goals file g\.yaml: not valid YAML or JSON/],
  ])('refuses %s, naming the file and the field', (_name, text, message) => {
    expect(refusal(() => parseGoalsFile(text, 'g.yaml'))).toMatch(message);
  });

  it('names every bad field of a goals file at once, not only the first', () => {
    const text = 'goals:\n  - id: a\n    objective: tiny\n    value: 11\n    colour: blue\n';
    expect(refusal(() => parseGoalsFile(text, 'g.yaml'))).toMatch(/^goals file g\.yaml: goals\.0\.objective: .+; goals\.0\.value: .+; goals\.0\.colour: unknown field/);
  });

  it('names an unknown key with the keys known where it stands, and the one it likely means: the top level takes goals alone, not a goal\'s fields', () => {
    const goal = `  - id: a\n    objective: ${OBJECTIVE}\n`;
    expect(refusal(() => parseGoalsFile(`goals:\n${goal}colour: red\n`, 'g.yaml'))).toBe('goals file g.yaml: colour: unknown field (known: goals)');
    expect(refusal(() => parseGoalsFile(`gaols:\n${goal}`, 'g.yaml'))).toMatch(/; gaols: unknown field \(known: goals; did you mean goals\?\)$/);
    expect(refusal(() => parseGoalOrGoals(`goals:\n${goal}gols: 1\n`, 'g.yaml'))).toBe('goals file g.yaml: gols: unknown field (known: goals; did you mean goals?)');
    // A goal's own, in the list or alone, and a constraint's within it.
    const goalFields = 'id, objective, value, cadenceMinutes, budgetShare, lane, tasksPerRun, constraints';
    expect(refusal(() => parseGoalsFile(`goals:\n${goal}    valu: 3\n`, 'g.yaml'))).toBe(`goals file g.yaml: goals.0.valu: unknown field (known: ${goalFields}; did you mean value?)`);
    expect(refusal(() => parseGoalOrGoals(`id: a\nobjective: ${OBJECTIVE}\nvalu: 3\n`, 'one.yaml'))).toBe(`goals file one.yaml: valu: unknown field (known: ${goalFields}; did you mean value?)`);
    expect(refusal(() => parseGoalsFile(`goals:\n${goal}    constraints:\n      - text: no deploys on a friday\n        scop: billing\n`, 'g.yaml'))).toBe(
      'goals file g.yaml: goals.0.constraints.0.scop: unknown field (known: text, scope, expiresAt, forHours; did you mean scope?)',
    );
  });

  it('names a file it cannot read', () => {
    expect(refusal(() => loadGoalsFile('/nonexistent/goals.yaml'))).toMatch(/^goals file \/nonexistent\/goals\.yaml: cannot read it \(ENOENT\)$/);
  });

  it('tells a limits file given for goals (limits.yaml, or any file of its keys alone) that it is one, instead of listing its keys as unknown goal fields', () => {
    const told = 'this looks like a limits file (its keys are limits.yaml\'s), not goals: a goals file is "goals:" and a list of goals, each with an id and an objective (see goals.example.yaml)';
    const shipped = path.join(repoRoot(), 'limits.yaml');
    expect(refusal(() => loadGoalsFile(shipped))).toBe(`goals file ${shipped}: ${told}`);
    expect(refusal(() => parseGoalOrGoals('per_task_usd: 1\ncircuit_breaker:\n  enabled: false\n', 'l.yaml'))).toBe(`goals file l.yaml: ${told}`);
    // A key of neither kind beside them: the goal fields' own errors, as before.
    expect(refusal(() => parseGoalsFile('per_task_usd: 1\ncolour: red\n', 'g.yaml'))).toMatch(/^goals file g\.yaml: goals: .*per_task_usd: unknown field/);
  });

  it('takes one goal or a goals file for add-goal --file', () => {
    expect(parseGoalOrGoals(`id: one\nobjective: ${OBJECTIVE}\n`, 'one.yaml').map((g) => g.id)).toEqual(['one']);
    expect(parseGoalOrGoals(`goals:\n  - id: a\n    objective: ${OBJECTIVE}\n  - id: b\n    objective: ${OBJECTIVE}!\n`, 'two.yaml').map((g) => g.id)).toEqual(['a', 'b']);
    expect(refusal(() => parseGoalOrGoals('id: one\nobjective: tiny\n', 'one.yaml'))).toBe('goals file one.yaml: objective: must be at least 10 characters');
  });
});

describe('add-goal flags', () => {
  it('maps each flag to its field and derives a stable id from the objective', () => {
    const goal = goalFromFlags({ objective: OBJECTIVE, value: '8', cadence: '30', share: '0.2', lane: 'experimental', 'tasks-per-run': '3' });
    expect(goal).toEqual({ id: goalIdFrom(OBJECTIVE), objective: OBJECTIVE, value: 8, cadenceMinutes: 30, budgetShare: 0.2, lane: 'experimental', tasksPerRun: 3 });
    expect(goal.id).toMatch(/^keep-the-api-reference-in-step-with-the-[0-9a-f]{4}$/);
    expect(goalIdFrom(OBJECTIVE)).toBe(goal.id);
    expect(goalIdFrom('Something else entirely here')).not.toBe(goal.id);
  });

  it.each([
    ['missing --objective', {}, /^--objective: required/],
    ['short --objective', { objective: 'short' }, /^--objective: must be at least 10 characters$/],
    ['non-numeric --value', { objective: OBJECTIVE, value: 'high' }, /^--value: expected a number, got "high"$/],
    ['zero --value', { objective: OBJECTIVE, value: '0' }, /^--value: /],
    ['bad --cadence', { objective: OBJECTIVE, cadence: '1.5' }, /^--cadence: /],
    ['bad --share', { objective: OBJECTIVE, share: '2' }, /^--share: /],
    ['bad --lane', { objective: OBJECTIVE, lane: 'side' }, /^--lane: /],
    ['bad --tasks-per-run', { objective: OBJECTIVE, 'tasks-per-run': '9' }, /^--tasks-per-run: /],
    ['bad --id', { objective: OBJECTIVE, id: 'has space' }, /^--id: must be letters/],
  ])('refuses a %s, naming the flag', (_name, flags, message) => {
    expect(refusal(() => goalFromFlags(flags))).toMatch(message);
  });
});

describe('other God arguments', () => {
  it('share: a number from 0 to 0.5 and a reason', () => {
    expect(shareFrom(['0.2'], 'more exploration this week', undefined)).toEqual({ share: 0.2, reason: 'more exploration this week', by: 'operator' });
    expect(shareFrom(['0'], 'exploration off', 'ana')).toEqual({ share: 0, reason: 'exploration off', by: 'ana' });
    expect(refusal(() => shareFrom(['0.6'], 'too much', undefined))).toMatch(/^share: .*0\.5/);
    expect(refusal(() => shareFrom(['lots'], 'why', undefined))).toBe('share: expected a number, got "lots"');
    expect(refusal(() => shareFrom([], 'why', undefined))).toMatch(/^share: expected one share/);
    expect(refusal(() => shareFrom(['0.2'], undefined, undefined))).toMatch(/^--reason: required/);
    expect(refusal(() => shareFrom(['0.2'], '   ', undefined))).toMatch(/^--reason: /);
  });

  it('review: one task id, an optional reason and reviewer', () => {
    expect(reviewFrom('approve', ['task-1'], undefined, undefined)).toEqual({ taskId: 'task-1', decision: 'approve', by: 'operator' });
    expect(reviewFrom('reject', ['task-1'], 'drops a production table', 'ana')).toEqual({ taskId: 'task-1', decision: 'reject', reason: 'drops a production table', by: 'ana' });
    expect(refusal(() => reviewFrom('approve', [], undefined, undefined))).toBe('task-id: expected one task id, got 0');
    expect(refusal(() => reviewFrom('approve', ['a b'], undefined, undefined))).toMatch(/^task-id: must be letters/);
    expect(refusal(() => reviewFrom('reject', ['task-1'], 'x'.repeat(501), undefined))).toMatch(/^--reason: /);
  });

  it('pause and remove-goal', () => {
    expect(pauseFrom(undefined)).toEqual({});
    expect(pauseFrom('deploy freeze')).toEqual({ reason: 'deploy freeze' });
    expect(pauseFrom(' deploy freeze ', ' ana ')).toEqual({ reason: 'deploy freeze', by: 'ana' });
    expect(pauseFrom(undefined, 'ana')).toEqual({ by: 'ana' });
    expect(removeGoalFrom(['docs'])).toEqual({ goalId: 'docs' });
    expect(refusal(() => removeGoalFrom([]))).toBe('goal-id: expected one goal id, got 0');
    expect(refusal(() => removeGoalFrom(['no/slash']))).toMatch(/^goal-id: must be letters/);
  });

  // zod's own words ("Too small: expected string to have >=1 characters") name no rule a person
  // typing a flag would recognise.
  it.each([
    ['pause --reason', () => pauseFrom('   '), '--reason: must not be blank'],
    ['pause --by', () => pauseFrom(undefined, '  '), '--by: must not be blank'],
    ['pause --reason too long', () => pauseFrom('x'.repeat(301)), '--reason: must be at most 300 characters'],
    ['review --reason', () => reviewFrom('approve', ['task-1'], ' ', undefined), '--reason: must not be blank'],
    ['review --by', () => reviewFrom('reject', ['task-1'], undefined, ''), '--by: must not be blank'],
    ['review task-id', () => reviewFrom('approve', ['  '], undefined, undefined), 'task-id: must not be blank'],
    ['share --reason', () => shareFrom(['0.2'], '   ', undefined), '--reason: must not be blank'],
    ['remove-goal goal-id', () => removeGoalFrom([' ']), 'goal-id: must not be blank'],
  ])('refuses a blank or overlong %s naming the flag in words, not zod\'s', (_name, fn, message) => {
    expect(refusal(fn)).toBe(message);
  });
});
