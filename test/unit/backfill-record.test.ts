import { pendingRecord } from '../../src/activities/backfill-memory';
import type { StoreMemoryInput } from '../../src/activities/types';

const input = {
  taskId: 't-1',
  specialist: 'DatabaseAgent',
  task: { objective: 'Add an index on orders.c1 in Postgres' },
  approach: 'tried DatabaseAgent',
  result: 'failed',
  success: false,
  costUsd: 0.012,
  tokens: 900,
  lessons: [],
} as unknown as StoreMemoryInput;

describe('the backfill writes a kept record with the cost its task reported', () => {
  it("takes the outcome's cost and tokens when the bill closed after the record was kept is larger", () => {
    const record = pendingRecord({ memoryPending: { input, error: 'store down', failedAtMs: 1 }, costUsd: 0.031, tokens: 2400 });
    expect(record).toEqual({ ...input, costUsd: 0.031, tokens: 2400 });
  });

  it("keeps the record's own figures when they are the larger, and refuses an outcome without a record", () => {
    expect(pendingRecord({ memoryPending: { input, error: 'x', failedAtMs: 1 }, costUsd: 0.01, tokens: 100 })).toEqual(input);
    expect(() => pendingRecord({ costUsd: 0.01, tokens: 100 })).toThrow('no pending record');
  });
});
