import { redriveInput } from '../../src/client/redrive';
import { TaskInputSchema } from '../../src/tasks/task-input';

/** What a dead letter's redrive runs (src/client/redrive.ts): the same task, God's failed pick routed afresh. */
const objective = 'Add a unique index on users.email in the Postgres database';

it("drops the specialist God's routing picked, with how it picked, so the redrive is routed as things stand now", () => {
  const godRouted = TaskInputSchema.parse({
    objective,
    specialist: 'Generalist',
    reportTo: 'pantheon-god',
    routing: { policyVersion: 1, mode: 'explore', probability: 0.4, by: 'active', kind: 'database' },
    pick: { method: 'rules', confidence: 0.95, reason: 'rules: DatabaseAgent; policy probed Generalist' },
  });
  const redriven = redriveInput(godRouted) as Record<string, unknown>;
  expect(redriven.specialist).toBeUndefined();
  expect(redriven.routing).toBeUndefined();
  expect(redriven.pick).toBeUndefined();
  // Everything else stays, and it is still a valid task.
  expect(redriven).toMatchObject({ objective, reportTo: 'pantheon-god' });
  expect(TaskInputSchema.safeParse(redriven).success).toBe(true);
});

it('keeps a specialist the submitter named, and any input it cannot read as a task', () => {
  const requested = TaskInputSchema.parse({ objective, specialist: 'DatabaseAgent' });
  expect(redriveInput(requested)).toBe(requested);
  expect(redriveInput('not a task')).toBe('not a task');
});
