import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createRouteTask } from '../../src/activities/route-task';
import type { ActivityDeps } from '../../src/activities/deps';
import type { RouteDecision } from '../../src/activities/types';
import { repoRoot } from '../../src/config/paths';
import { HashingEmbedder } from '../../src/memory/hashing-embedder';
import { WARNING_PREFIX } from '../../src/memory/lessons';
import { SqliteMemoryStore } from '../../src/memory/sqlite-store';
import type { MemoryStore } from '../../src/memory/types';
import { loadRoster } from '../../src/specialists/roster';
import { TaskInputSchema } from '../../src/tasks/task-input';

/**
 * routeTask recalls memory for the specialist it picks, so the workflow can start that
 * specialist's first run without a recallForRun of its own; when memory does not answer, it
 * still routes, and says it recalled nothing (the workflow then asks recallForRun).
 */
const roster = loadRoster(path.join(repoRoot(), 'agents'));
// The keyword rules are sure of this one: no classifier call, so no LLM or models are needed.
const task = TaskInputSchema.parse({ objective: 'Add a NOT NULL status column to the big invoices table in Postgres' });

function routeTaskWith(memory: MemoryStore): Promise<RouteDecision> {
  const deps = { roster, memory } as unknown as ActivityDeps;
  const routeTask = createRouteTask(deps);
  return new MockActivityEnvironment({ workflowExecution: { workflowId: 'route-recall-1', runId: 'run-1' } }).run(routeTask, {
    taskId: 'route-recall-1',
    task,
    spent: { usd: 0, tokens: 0 },
  });
}

describe('routeTask recalls for its pick', () => {
  it('returns the chosen specialist\'s memory lines, its own similar failure among them', async () => {
    const memory = await SqliteMemoryStore.open({ file: ':memory:', embedder: new HashingEmbedder() });
    await memory.put({
      id: 'past:outcome',
      taskId: 'past',
      specialist: 'DatabaseAgent',
      objective: 'Add a NOT NULL status column to the 200M-row invoices table',
      approach: 'one ALTER TABLE',
      result: 'lock timeout on invoices',
      success: false,
      costUsd: 0,
      lessons: [],
      createdAt: '2026-11-23T09:00:00.000Z',
    });
    const decision = await routeTaskWith(memory);
    expect(decision.specialist).toBe('DatabaseAgent');
    expect(decision.recalledFor).toBe('DatabaseAgent');
    expect(decision.warnings.find((l) => l.startsWith(WARNING_PREFIX))).toMatch(/DatabaseAgent failed at a similar task/);
    expect(decision.lessonIds).toEqual([]);
  });

  it('still routes when memory does not answer, and names no specialist it recalled for', async () => {
    const memory = await SqliteMemoryStore.open({ file: ':memory:', embedder: new HashingEmbedder() });
    const down = new Proxy(memory, {
      get: (target, key) => (key === 'recall' || key === 'recallLessons' ? () => Promise.reject(new Error('SQLITE_BUSY: database is locked')) : Reflect.get(target, key, target)),
    });
    const decision = await routeTaskWith(down);
    expect(decision.specialist).toBe('DatabaseAgent');
    expect(decision.recalledFor).toBeUndefined();
    expect(decision.warnings).toEqual([]);
  });
});
