import { MAX_INPUT_BYTES, MAX_INPUTS, TaskInputSchema, describeIssues, utf8Bytes, UnboundedTaskInputSchema } from '../../src/tasks/task-input';
import { runAgeMinutes } from '../../src/tasks/staleness';

const OBJECTIVE = 'Add a unique index on users.email in Postgres';
const issuesOf = (input: unknown) => {
  const parsed = TaskInputSchema.safeParse(input);
  return parsed.success ? [] : describeIssues(parsed.error);
};

describe('the sweeper measures a run', () => {
  const startTime = new Date('2026-11-30T10:00:00Z');
  const at = (iso: string) => Date.parse(iso);

  it('from the run start or requeue (PantheonActiveSince), not the task start', () => {
    const activeSince = new Date('2026-11-30T10:50:00Z');
    expect(runAgeMinutes({ startTime, activeSince, status: 'running' }, at('2026-11-30T11:00:00Z'))).toBe(10);
  });

  it('not at all while the task waits for budget, or while its abandoned run stops after a requeue', () => {
    expect(runAgeMinutes({ startTime, status: 'waiting_budget' }, at('2026-11-30T18:00:00Z'))).toBeUndefined();
    expect(runAgeMinutes({ startTime, status: 'requeuing' }, at('2026-11-30T18:00:00Z'))).toBeUndefined();
  });

  it('from the task start for a task that predates PantheonActiveSince', () => {
    expect(runAgeMinutes({ startTime, status: 'running' }, at('2026-11-30T10:30:00Z'))).toBe(30);
  });
});

describe('task input bounds', () => {
  const many = (n: number, value = 'v') => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, value]));

  it(`accepts ${MAX_INPUTS} inputs and rejects one more, naming the field`, () => {
    expect(issuesOf({ objective: OBJECTIVE, inputs: many(MAX_INPUTS) })).toEqual([]);
    expect(issuesOf({ objective: OBJECTIVE, inputs: many(MAX_INPUTS + 1) })).toEqual([`inputs: at most ${MAX_INPUTS} inputs (got ${MAX_INPUTS + 1})`]);
  });

  it('rejects inputs past the total size, counted in UTF-8 bytes of names and values', () => {
    const inputs = { a: 'é'.repeat(20_000), b: 'x'.repeat(20_000), c: 'y'.repeat(5_000), d: 'z'.repeat(1_000) };
    const bytes = 1 + 40_000 + 1 + 20_000 + 1 + 5_000 + 1 + 1_000;
    expect(bytes).toBeGreaterThan(MAX_INPUT_BYTES);
    expect(issuesOf({ objective: OBJECTIVE, inputs })).toEqual([`inputs: at most ${MAX_INPUT_BYTES} bytes of names and values together (got ${bytes})`]);
    expect(utf8Bytes('aé€😀')).toBe(1 + 2 + 3 + 4);
  });

  it('keeps the unbounded schema for replaying tasks from before the bounds, and nothing else looser', () => {
    expect(UnboundedTaskInputSchema.safeParse({ objective: OBJECTIVE, inputs: many(MAX_INPUTS + 1) }).success).toBe(true);
    expect(UnboundedTaskInputSchema.safeParse({ objective: OBJECTIVE, colour: 'red' }).success).toBe(false);
  });

  it('defaults the history guard well below the server limits, and bounds what a task may ask for', () => {
    expect(TaskInputSchema.parse({ objective: OBJECTIVE }).historyGuard).toEqual({ maxEvents: 10_000, maxBytes: 10 * 1024 * 1024 });
    expect(issuesOf({ objective: OBJECTIVE, historyGuard: { maxEvents: 50_000 } })).toEqual([expect.stringMatching(/^historyGuard.maxEvents: /)]);
  });
});
