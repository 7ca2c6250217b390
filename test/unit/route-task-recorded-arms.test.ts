import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createRouteTask } from '../../src/activities/route-task';
import type { ActivityDeps } from '../../src/activities/deps';
import type { RouteDecision } from '../../src/activities/types';
import { repoRoot } from '../../src/config/paths';
import { HashingEmbedder } from '../../src/memory/hashing-embedder';
import { SqliteMemoryStore } from '../../src/memory/sqlite-store';
import type { ArmStats } from '../../src/routing/policy/arm-stats';
import { seedBook } from '../../src/routing/policy/book';
import { rulesOf } from '../../src/routing/route-with-policy';
import { loadRoster } from '../../src/specialists/roster';
import { TaskInputSchema } from '../../src/tasks/task-input';
import type { RoutingPolicyView } from '../../src/workflows/god-api';

/**
 * A task started directly takes the policy's best guess among the specialists its rules are sure
 * of and those with a record of the task's kind in the policy (as God's arms do): the best value
 * per dollar on their means, so never one whose record fails the kind.
 */
const roster = loadRoster(path.join(repoRoot(), 'agents'));
// The keyword rules are sure of this one (DatabaseAgent): no classifier call, no LLM needed.
const task = TaskInputSchema.parse({ objective: 'Add a NOT NULL status column to the big invoices table in Postgres' });

const record = (successes: number, failures: number, costMeanUsd: number): ArmStats => ({ n: successes + failures, successes, failures, costMeanUsd, costM2: 0, durationMeanMs: 1000 });

function viewWith(arms: Record<string, ArmStats>): RoutingPolicyView {
  const book = seedBook({ rules: rulesOf(roster.specialists), nowMs: Date.parse('2026-12-01T00:00:00Z'), seed: 1 });
  return { active: { ...book.active, arms: { database: arms } }, sinceRewrite: 0, lastVersion: 1, tickSeconds: 60 };
}

const quiet = (): void => undefined;
const silent = { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: quiet };

async function routeDirect(view: RoutingPolicyView, taskId: string, input = task): Promise<RouteDecision> {
  const memory = await SqliteMemoryStore.open({ file: ':memory:', embedder: new HashingEmbedder() });
  try {
    const deps = { roster, memory, routingPolicy: { owner: 'god-recorded-arms-test', active: async () => view } } as unknown as ActivityDeps;
    return await new MockActivityEnvironment({ workflowExecution: { workflowId: taskId, runId: 'run-1' } }, { logger: silent }).run(createRouteTask(deps), { taskId, task: input, spent: { usd: 0, tokens: 0 } });
  } finally {
    await memory.close();
  }
}

describe('routeTask for a directly started task', () => {
  it('weighs a specialist with a record of the kind beside the rules\' pick, and takes the better value per dollar', async () => {
    const dbRecord = record(9, 1, 0.01);
    // The rules alone: the DatabaseAgent.
    expect((await routeDirect(viewWith({ DatabaseAgent: dbRecord }), 'direct-rules')).specialist).toBe('DatabaseAgent');
    // The Generalist did 9 of 10 database tasks well at a tenth of the cost: it is the best guess now.
    const recorded = await routeDirect(viewWith({ DatabaseAgent: dbRecord, Generalist: record(9, 1, 0.001) }), 'direct-recorded');
    expect(recorded.specialist).toBe('Generalist');
    expect(recorded.reason).toMatch(/best guess among DatabaseAgent, Generalist/);
    // A cheap record that fails the kind stands beside it, and loses on its mean.
    const failing = await routeDirect(viewWith({ DatabaseAgent: dbRecord, Generalist: record(0, 10, 0.001) }), 'direct-failing');
    expect(failing.specialist).toBe('DatabaseAgent');
    expect(failing.reason).toMatch(/best guess among DatabaseAgent, Generalist/);
  });
});

describe('routeTask: the reassignment order', () => {
  // The DatabaseAgent started failing database tasks: its change detector restarted its record.
  const failing: ArmStats = { ...record(0, 4, 0.01), failStreak: 4, changed: true };
  const godRouted = (kind?: string) =>
    TaskInputSchema.parse({ objective: task.objective, specialist: 'Generalist', routing: { policyVersion: 1, mode: 'exploit', by: 'active', ...(kind && { kind }) } });

  it('puts a specialist the policy holds quarantined for the task\'s kind last, after every other', async () => {
    const held = await routeDirect(viewWith({ DatabaseAgent: failing }), 'god-routed-held', godRouted('database'));
    expect(held.specialist).toBe('Generalist');
    expect(held.candidates[0]).toBe('Generalist');
    expect(held.candidates.at(-1)).toBe('DatabaseAgent');
    // Without the kind (a task from before God named it), or with a healthy record: the rules' order.
    for (const [view, input] of [
      [viewWith({ DatabaseAgent: failing }), godRouted()],
      [viewWith({ DatabaseAgent: record(9, 1, 0.01) }), godRouted('database')],
    ] as const) {
      expect((await routeDirect(view, 'god-routed-plain', input)).candidates.slice(0, 2)).toEqual(['Generalist', 'DatabaseAgent']);
    }
  });

  it("marks a pick God's policy explored (not its best guess), for status to say so", async () => {
    const explored = TaskInputSchema.parse({ objective: task.objective, specialist: 'Generalist', routing: { policyVersion: 1, mode: 'explore', probability: 0.4, by: 'active', kind: 'database' } });
    expect((await routeDirect(viewWith({}), 'god-explored', explored)).policyMode).toBe('explore');
    expect((await routeDirect(viewWith({}), 'god-exploited', godRouted('database'))).policyMode).toBeUndefined();
  });

  it('after the ones the rules rank, the fallback before specialists whose rules match nothing in the task', async () => {
    const requested = TaskInputSchema.parse({ objective: task.objective, specialist: 'DatabaseAgent' });
    const { candidates } = await routeDirect(viewWith({}), 'requested-db', requested);
    expect(candidates.slice(0, 2)).toEqual(['DatabaseAgent', 'Generalist']);
    expect(new Set(candidates)).toEqual(new Set(roster.specialists.map((s) => s.name)));
    // The rest: one whose rules matched something in the task ("report": ResearchAgent) before one whose matched nothing.
    const weak = TaskInputSchema.parse({ objective: 'Add a covering index for the monthly revenue report query on the sales table in Postgres', specialist: 'DatabaseAgent' });
    expect((await routeDirect(viewWith({}), 'requested-db-weak', weak)).candidates).toEqual(['DatabaseAgent', 'Generalist', 'ResearchAgent', 'CodeReviewAgent']);
  });
});
