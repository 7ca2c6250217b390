import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createStoreMemory } from '../../src/activities/store-memory';
import type { ActivityDeps } from '../../src/activities/deps';
import type { StoreOutcomeInput } from '../../src/activities/types';
import { PantheonError } from '../../src/errors';
import { openMemoryStore } from '../../src/memory/open-store';
import type { MemoryStore } from '../../src/memory/types';
import { TaskInputSchema } from '../../src/tasks/task-input';

/**
 * storeMemory closes a task's bill with its record (one activity fewer per task), and the record
 * carries the bill: the larger of the task's books and what the ledger charged it. The record
 * never depends on the ledger: a ledger that does not answer leaves the record written from the
 * books and no bill, and the workflow then asks closeTaskBill. Real SQLite store; the ledger's
 * side is the bills interface, answering or failing as the gate does.
 */

let dir: string;
let memory: MemoryStore;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-bill-'));
  memory = await openMemoryStore({ kind: 'sqlite', file: path.join(dir, 'memory.db') });
});

afterAll(async () => {
  await memory.close?.();
  fs.rmSync(dir, { recursive: true, force: true });
});

const input = (taskId: string, closeBill?: boolean, tokens?: number): StoreOutcomeInput => ({
  taskId,
  specialist: 'DatabaseAgent',
  task: TaskInputSchema.parse({ objective: 'Add an index on orders.created_at in Postgres' }),
  approach: 'CREATE INDEX CONCURRENTLY',
  result: 'CREATE INDEX CONCURRENTLY orders_created_at_idx ON orders (created_at);',
  success: true,
  costUsd: 0.001,
  lessons: [],
  ...(closeBill !== undefined && { closeBill }),
  ...(tokens !== undefined && { tokens }),
});

function ledger(answer: (taskId: string) => Promise<Awaited<ReturnType<ActivityDeps['bills']['closeTask']>>>) {
  const asked: string[] = [];
  const runs: Array<string | undefined> = [];
  const bills: ActivityDeps['bills'] = {
    closeTask: (taskId, _books, run) => {
      asked.push(taskId);
      runs.push(run);
      return answer(taskId);
    },
  };
  return { bills, asked, runs };
}

describe('storeMemory and the bill', () => {
  it('closes the bill when asked, writes the record with it, and brings it back', async () => {
    // The ledger charged more than the books hold (a call that died with a killed worker).
    const { bills, asked } = ledger(async () => ({ usd: 0.0012, tokens: 900, known: true, chargedOutstanding: 1 }));
    const result = await new MockActivityEnvironment().run(createStoreMemory({ memory, bills }), input('t-bill', true, 700));
    expect(result).toMatchObject({ id: 't-bill:outcome', stored: true, bill: { usd: 0.0012, tokens: 900, known: true } });
    expect(asked).toEqual(['t-bill']);
    expect(await memory.get('t-bill:outcome')).toMatchObject({ costUsd: 0.0012, tokens: 900 });
  });

  it('keeps the books in the record when they are larger than the bill (a bill the ledger no longer knew)', async () => {
    const { bills } = ledger(async () => ({ usd: 0, tokens: 0, known: false, chargedOutstanding: 0 }));
    await new MockActivityEnvironment().run(createStoreMemory({ memory, bills }), input('t-unknown', true, 700));
    expect(await memory.get('t-unknown:outcome')).toMatchObject({ costUsd: 0.001, tokens: 700 });
  });

  it("names its workflow's run when that workflow is the task's, so a bill remembered from another run of the id is not taken", async () => {
    const { bills, runs } = ledger(async () => ({ usd: 0.0012, tokens: 900, known: true, chargedOutstanding: 0 }));
    await new MockActivityEnvironment({ workflowExecution: { workflowId: 't-run', runId: 'run-7' } }).run(createStoreMemory({ memory, bills }), input('t-run', true));
    // Another workflow closing a task's bill has no run of the task to name.
    await new MockActivityEnvironment({ workflowExecution: { workflowId: 'someone-else', runId: 'run-8' } }).run(createStoreMemory({ memory, bills }), input('t-other', true));
    expect(runs).toEqual(['run-7', undefined]);
  });

  it('does not touch the bill unless asked (older workflows, the backfill)', async () => {
    const { bills, asked } = ledger(async () => ({ usd: 1, tokens: 1, known: true, chargedOutstanding: 0 }));
    const result = await new MockActivityEnvironment().run(createStoreMemory({ memory, bills }), input('t-plain'));
    expect(result).toEqual({ id: 't-plain:outcome', stored: true });
    expect(asked).toEqual([]);
  });

  it('keeps the record when the ledger does not answer: no bill, no failure, the workflow asks again', async () => {
    const { bills, asked } = ledger(async () => {
      throw PantheonError.of('provider_unavailable', 'budget ledger unreachable');
    });
    const result = await new MockActivityEnvironment().run(createStoreMemory({ memory, bills }), input('t-down', true));
    expect(result).toEqual({ id: 't-down:outcome', stored: true });
    expect(asked).toEqual(['t-down']);
    expect(await memory.get('t-down:outcome')).toMatchObject({ costUsd: 0.001 });
  });
});

describe("the record's kind", () => {
  it("is the task's kind as God's routing decided it when the task carries one, else read off the specialist", async () => {
    const { bills } = ledger(async () => ({ usd: 0.001, tokens: 700, known: true, chargedOutstanding: 0 }));
    const store = createStoreMemory({ memory, bills });
    // A database task the Generalist (the fallback: kind "general" off its name) failed counts as a database failure.
    await new MockActivityEnvironment().run(store, { ...input('t-kind-routed'), specialist: 'Generalist', success: false, kind: 'database' });
    expect(await memory.get('t-kind-routed:failure')).toMatchObject({ specialist: 'Generalist', kind: 'database' });
    await new MockActivityEnvironment().run(store, input('t-kind-plain'));
    expect(await memory.get('t-kind-plain:outcome')).toMatchObject({ specialist: 'DatabaseAgent', kind: 'database' });
  });
});
