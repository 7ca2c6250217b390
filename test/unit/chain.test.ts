import {
  ChainInputSchema,
  chainEnd,
  initialSteps,
  MAX_CHAIN_STEPS,
  PREVIOUS_STEP_INPUT,
  resolveChain,
  stepObjective,
  stepTask,
  type ChainStep,
} from '../../src/tasks/chain';
import { lineageOf } from '../../src/tasks/lineage';
import { describeIssues, MAX_OBJECTIVE_CHARS, TaskInputSchema } from '../../src/tasks/task-input';
import { REPORT_SUMMARY_CHARS } from '../../src/tasks/report';
import { validateTaskRules } from '../../src/tasks/validation';

const OBJECTIVE = 'Find how other teams index JSONB columns in Postgres, then add such an index to orders.meta';

function issues(input: unknown): string[] {
  const parsed = ChainInputSchema.safeParse(input);
  if (parsed.success) throw new Error(`expected ${JSON.stringify(input)} to be refused`);
  return describeIssues(parsed.error);
}

function chainOf(input: object) {
  return resolveChain(ChainInputSchema.parse({ task: { objective: OBJECTIVE }, plan: ['ResearchAgent', 'DatabaseAgent'], ...input }));
}

describe('ChainInputSchema', () => {
  it('refuses a plan of five steps, naming plan', () => {
    const plan = ['ResearchAgent', 'DatabaseAgent', 'CodeReviewAgent', 'GeneralAgent', 'ResearchAgent'];
    expect(plan).toHaveLength(MAX_CHAIN_STEPS + 1);
    expect(issues({ task: { objective: OBJECTIVE }, plan })).toEqual([expect.stringMatching(/^plan: must name at most 4 specialists/)]);
  });

  it('refuses a plan of one step, naming plan', () => {
    expect(issues({ task: { objective: OBJECTIVE }, plan: ['DatabaseAgent'] })).toEqual([expect.stringMatching(/^plan: must name at least 2/)]);
  });

  it('refuses a bad task field with its path under task', () => {
    expect(issues({ task: { objective: 'short' }, plan: ['ResearchAgent', 'DatabaseAgent'] })).toEqual([expect.stringMatching(/^task\.objective:/)]);
  });

  it('refuses unknown top-level fields', () => {
    expect(issues({ task: { objective: OBJECTIVE }, plan: ['ResearchAgent', 'DatabaseAgent'], steps: 3 })).toEqual(['steps: unknown field']);
  });

  it('takes lane, goal and reportTo from the task unless the chain sets its own', () => {
    const fromTask = resolveChain(ChainInputSchema.parse({ task: { objective: OBJECTIVE, lane: 'experimental', goalId: 'g1', reportTo: 'god' }, plan: ['ResearchAgent', 'DatabaseAgent'] }));
    expect(fromTask).toMatchObject({ lane: 'experimental', goalId: 'g1', reportTo: 'god' });
    const own = resolveChain(ChainInputSchema.parse({ task: { objective: OBJECTIVE, lane: 'experimental', goalId: 'g1' }, plan: ['ResearchAgent', 'DatabaseAgent'], lane: 'main', goalId: 'g2', reportTo: 'other' }));
    expect(own).toMatchObject({ lane: 'main', goalId: 'g2', reportTo: 'other' });
    expect(chainOf({})).toEqual(expect.not.objectContaining({ reportTo: expect.anything(), goalId: expect.anything() }));
  });
});

describe('stepTask', () => {
  const root = lineageOf('chain-1', undefined);

  it('gives step 1 the original objective, its specialist, a child lineage and the chain as reportTo', () => {
    const task = stepTask(chainOf({ lane: 'experimental', goalId: 'g7', reportTo: 'pantheon-god' }), 'chain-1', root, 0);
    expect(task.objective).toContain(OBJECTIVE);
    expect(task.objective).toMatch(/^Step 1 of 2 in the chain ResearchAgent -> DatabaseAgent: you are ResearchAgent/);
    expect(task.specialist).toBe('ResearchAgent');
    expect(task.lineage).toEqual({ rootTaskId: 'chain-1', parentTaskId: 'chain-1', spawnDepth: 1 });
    expect(task).toMatchObject({ lane: 'experimental', goalId: 'g7', reportTo: 'chain-1' });
    expect(task.inputs).toEqual({});
    // The step is a valid task that passes pre-flight validation like its original.
    expect(TaskInputSchema.safeParse(task).success).toBe(true);
    expect(validateTaskRules(task)).toEqual({ ok: true, reasons: [] });
  });

  it('keeps the root of a chain that is itself a subtask', () => {
    const lineage = lineageOf('chain-2', { rootTaskId: 'root-0', parentTaskId: 'task-9', spawnDepth: 1 });
    expect(stepTask(chainOf({}), 'chain-2', lineage, 1, 'x').lineage).toEqual({ rootTaskId: 'root-0', parentTaskId: 'chain-2', spawnDepth: 2 });
  });

  it('hands step 2 the start of step 1 result under a header, as an input, and keeps other inputs', () => {
    const result = `FINDINGS ${'gin index on jsonb_path_ops '.repeat(200)}TAIL-MARKER`;
    const chain = resolveChain(ChainInputSchema.parse({ task: { objective: OBJECTIVE, inputs: { ticket: 'OPS-1' } }, plan: ['ResearchAgent', 'DatabaseAgent'] }));
    const task = stepTask(chain, 'chain-1', root, 1, result);
    const handed = task.inputs[PREVIOUS_STEP_INPUT];
    expect(handed).toMatch(/^Result of step 1\/2 \(ResearchAgent\)/);
    expect(handed).toContain('FINDINGS gin index');
    expect(handed).not.toContain('TAIL-MARKER');
    expect(handed.length).toBeLessThan(REPORT_SUMMARY_CHARS + 100);
    expect(task.inputs.ticket).toBe('OPS-1');
    expect(task.objective).toMatch(/^Step 2 of 2 .*you are DatabaseAgent.*under INPUTS as previous_step/);
    expect(task.specialist).toBe('DatabaseAgent');
    expect(task.context).toBe('');
  });

  it('cuts an objective at the task limit rather than making an invalid step', () => {
    const long = `${'migrate the orders table '.repeat(170)}`.slice(0, MAX_OBJECTIVE_CHARS);
    const objective = stepObjective(long, ['ResearchAgent', 'DatabaseAgent', 'CodeReviewAgent'], 2);
    expect(objective.length).toBeLessThanOrEqual(MAX_OBJECTIVE_CHARS);
    expect(objective.endsWith('…')).toBe(true);
  });
});

describe('chainEnd', () => {
  const plan = ['ResearchAgent', 'DatabaseAgent', 'CodeReviewAgent'];
  const steps = (...statuses: ChainStep['status'][]): ChainStep[] =>
    initialSteps('c', plan).map((s, i) => ({ ...s, status: statuses[i] ?? 'pending', reason: `reason ${i + 1}` }));

  it('has not ended while a step after completed ones is pending or running', () => {
    expect(chainEnd(plan, steps('completed', 'pending', 'pending'))).toBeUndefined();
    expect(chainEnd(plan, steps('completed', 'running', 'pending'))).toBeUndefined();
  });

  it('completes when every step completed: first a line for the whole chain (what reports show), then each step', () => {
    expect(chainEnd(plan, steps('completed', 'completed', 'completed'))).toEqual({
      status: 'completed',
      reasons: [
        'chain completed: 3 of 3 steps (ResearchAgent → DatabaseAgent → CodeReviewAgent); last: reason 3',
        'step 1/3 (ResearchAgent) completed: reason 1',
        'step 2/3 (DatabaseAgent) completed: reason 2',
        'step 3/3 (CodeReviewAgent) completed: reason 3',
      ],
    });
  });

  it('takes the first failed step status and names it', () => {
    expect(chainEnd(plan, steps('completed', 'dead_lettered', 'pending'))).toEqual({
      status: 'dead_lettered',
      reasons: ['step 2/3 (DatabaseAgent) ended dead_lettered: reason 2'],
    });
    expect(chainEnd(plan, steps('budget_exceeded'))?.status).toBe('budget_exceeded');
    expect(chainEnd(plan, steps('rejected'))?.reasons[0]).toMatch(/^step 1\/3 \(ResearchAgent\) ended rejected/);
  });

  it('names the status once when the step\'s reason already starts with it (a budget stop)', () => {
    const stopped = steps('budget_exceeded').map((s, i) => (i === 0 ? { ...s, reason: 'budget_exceeded: task:c:step-1 was spawned at depth 2' } : s));
    expect(chainEnd(plan, stopped)?.reasons).toEqual(['step 1/3 (ResearchAgent) ended budget_exceeded: task:c:step-1 was spawned at depth 2']);
  });
});
