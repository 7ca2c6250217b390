import { lineageUnder, startTask } from '../../src/client/submit-task';
import { closedResult } from '../../src/tasks/closed-outcome';
import { TaskInputSchema } from '../../src/tasks/task-input';
import type { TaskOutcome } from '../../src/workflows/task-state';
import { runCli, stderrBeyondProgress } from '../support/cli';
import { startHarness, testAddress, type Harness } from '../support/harness';
import { limitsWith } from '../support/limits';

/**
 * Lineage end to end: a chain of tasks each started as the subtask of the one before. Every LLM
 * call carries root, parent and depth (as the provider's own log shows), and the ledger refuses
 * a task deeper than max_spawn_depth before it makes any call.
 */

const MAX_DEPTH = 2;
let h: Harness;

beforeAll(async () => {
  h = await startHarness('lineage', { limits: limitsWith({ circuitBreaker: { maxSpawnDepth: MAX_DEPTH } }) });
});

afterAll(async () => {
  await h?.stop();
});

const objective = (depth: number) => `Add a created_at column with an index to the orders table, step ${depth} of the migration.`;

describe('task lineage', () => {
  it('carries root, parent and spawn depth on every call and stops a chain one level deeper than max_spawn_depth', async () => {
    const root = `lineage-root-${Date.now()}`;
    const rootOutcome = (await (await startTask(h.client, h.taskQueue, TaskInputSchema.parse({ objective: objective(0), specialist: 'DatabaseAgent' }), root)).result()) as TaskOutcome;
    expect(rootOutcome.status).toBe('completed');
    expect(rootOutcome.lineage).toEqual({ rootTaskId: root, spawnDepth: 0 });

    // Depth 1 through the CLI, as a user would; deeper ones through the same library call.
    const child = `${root}-d1`;
    const env = { TEMPORAL_ADDRESS: testAddress(), PANTHEON_TASK_QUEUE: h.taskQueue };
    const cli = await runCli(['submit', objective(1), '--specialist', 'DatabaseAgent', '--parent', root, '--id', child, '--wait'], env);
    expect(stderrBeyondProgress(cli.stderr)).toBe('');
    expect(cli.code).toBe(0);
    const chain = [root, child];
    for (let depth = 2; depth <= MAX_DEPTH + 1; depth++) {
      const parent = chain.at(-1)!;
      const task = TaskInputSchema.parse({ objective: objective(depth), specialist: 'DatabaseAgent', lineage: await lineageUnder(h.client, parent) });
      const id = `${root}-d${depth}`;
      await closedResult(await startTask(h.client, h.taskQueue, task, id));
      chain.push(id);
    }

    const outcomes = await Promise.all(chain.map(async (id) => (await closedResult(h.client.workflow.getHandle(id))) as TaskOutcome));
    outcomes.forEach((o, depth) => {
      expect(o.lineage).toEqual({ rootTaskId: root, spawnDepth: depth, ...(depth > 0 ? { parentTaskId: chain[depth - 1] } : {}) });
    });
    expect(outcomes.slice(0, MAX_DEPTH + 1).map((o) => o.status)).toEqual(Array(MAX_DEPTH + 1).fill('completed'));
    const deepest = outcomes[MAX_DEPTH + 1];
    expect(deepest.status).toBe('budget_exceeded');
    expect(deepest.reasons.join(' ')).toMatch(/spawn.depth/i);

    const calls = h.provider.calls();
    // The task past the limit never reached the provider.
    expect(calls.filter((c) => c.task === chain[MAX_DEPTH + 1])).toEqual([]);
    for (let depth = 0; depth <= MAX_DEPTH; depth++) {
      const own = calls.filter((c) => c.task === chain[depth]);
      expect(own.length).toBeGreaterThan(0);
      for (const call of own) {
        expect(call.lineage).toEqual({ rootTaskId: root, spawnDepth: depth, parentTaskId: depth > 0 ? chain[depth - 1] : null });
      }
    }
  });

  it("refuses a lineage given with --json that is not its parent's (a copied depth, another root), starting nothing", async () => {
    const env = { TEMPORAL_ADDRESS: testAddress(), PANTHEON_TASK_QUEUE: h.taskQueue };
    const parent = `lineage-json-parent-${Date.now()}`;
    await (await startTask(h.client, h.taskQueue, TaskInputSchema.parse({ objective: objective(1), specialist: 'DatabaseAgent' }), parent)).result();
    const submit = async (lineage: object, id: string) =>
      runCli(['submit', '--json', '-', '--id', id, '--direct'], env, JSON.stringify({ objective: objective(2), specialist: 'DatabaseAgent', lineage }));
    const forged = await submit({ rootTaskId: parent, parentTaskId: parent, spawnDepth: 5 }, `${parent}-forged`);
    expect(forged.code).not.toBe(0);
    expect(forged.stderr).toMatch(/lineage: a subtask of "lineage-json-parent-\d+" has root "lineage-json-parent-\d+" and spawn depth 1, not root .* and depth 5/);
    await expect(h.client.workflow.getHandle(`${parent}-forged`).describe()).rejects.toThrow();
    const rerooted = await submit({ rootTaskId: 'elsewhere', parentTaskId: parent, spawnDepth: 1 }, `${parent}-rerooted`);
    expect(rerooted.code).not.toBe(0);
    expect(rerooted.stderr).toMatch(/lineage: a subtask of/);
    // A parent that is no task (God, a chain, here the ledger) cannot vouch for a lineage: only it starts its own tasks.
    const impostor = await submit({ rootTaskId: h.gate.ledgerId, parentTaskId: h.gate.ledgerId, spawnDepth: 1 }, `${parent}-impostor`);
    expect(impostor.code).not.toBe(0);
    expect(impostor.stderr).toMatch(/lineage\.parentTaskId: ".*" is not a task \(a God, chain or ledger workflow, say: those start their own tasks\)/);
    await expect(h.client.workflow.getHandle(`${parent}-impostor`).describe()).rejects.toThrow();
    // The lineage its parent gives is taken.
    const honest = await submit({ rootTaskId: parent, parentTaskId: parent, spawnDepth: 1 }, `${parent}-honest`);
    expect(honest.stderr).toBe('');
    expect(honest.stdout).toMatch(/started/);
    expect(((await closedResult(h.client.workflow.getHandle(`${parent}-honest`))) as TaskOutcome).lineage).toMatchObject({ rootTaskId: parent, spawnDepth: 1 });
  });

  it('refuses --parent naming no task, starting nothing', async () => {
    const env = { TEMPORAL_ADDRESS: testAddress(), PANTHEON_TASK_QUEUE: h.taskQueue };
    const result = await runCli(['submit', objective(1), '--parent', 'no-such-task-anywhere'], env);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/--parent: no task "no-such-task-anywhere"/);
    expect(result.stdout).not.toMatch(/started/);
  });
});
