import { temporal } from '@temporalio/proto';
import type { CompressContextResult, RunSpecialistInput } from '../../src/activities/types';
import { specialistMessages, specialistSystemPrompt } from '../../src/activities/prompts';
import { startTask } from '../../src/client/submit-task';
import { pinnedFacts, presentFacts, promptText } from '../../src/compression/pinned';
import { TaskInputSchema } from '../../src/tasks/task-input';
import type { TaskOutcome } from '../../src/workflows/task-state';
import { startHarness, type Harness } from '../support/harness';
import { maybeRecordHistory } from '../support/history';

/**
 * Compression keeps what matters, end to end on the real dev server with the offline provider:
 * the compressor (offline) writes only goal, progress, state and questions, and drops the details;
 * the pinned facts reach every prompt after each compression because Pantheon carries them.
 */

let h: Harness;

beforeAll(async () => {
  h = await startHarness('compression');
});

afterAll(async () => {
  await h?.stop();
});

type Event = temporal.api.history.v1.IHistoryEvent;
const EventType = temporal.api.enums.v1.EventType;

function decode<T>(payloads: temporal.api.common.v1.IPayloads | null | undefined): T {
  const data = payloads?.payloads?.[0]?.data;
  if (!data) throw new Error('no payload');
  return JSON.parse(Buffer.from(data).toString('utf8')) as T;
}

/** The inputs each time an activity of this type was scheduled, and what each completed run returned. */
function activityIo<I, R>(events: Event[], type: string): { inputs: I[]; results: R[] } {
  const scheduled = events.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED && e.activityTaskScheduledEventAttributes?.activityType?.name === type);
  const ids = new Set(scheduled.map((e) => String(e.eventId)));
  const completed = events.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED && ids.has(String(e.activityTaskCompletedEventAttributes?.scheduledEventId)));
  return {
    inputs: scheduled.map((e) => decode<I>(e.activityTaskScheduledEventAttributes?.input)),
    results: completed.map((e) => decode<R>(e.activityTaskCompletedEventAttributes?.result)),
  };
}

const TABLES = ['users', 'orders', 'order_items', 'products', 'invoices', 'payments', 'refunds', 'shipments', 'addresses', 'coupons', 'reviews', 'audit_log', 'carts', 'wishlists', 'sessions', 'returns', 'taxes', 'currencies', 'regions', 'loyalty_points', 'gift_cards'];
// 24 work items, three of them decisions (two before the first compression, one between the two):
// 24 steps plus the result is 25 iterations, compressed at 10 and at 20.
const ITEMS = [
  ...TABLES.slice(0, 1),
  'Decide: tenant ids are UUID v7 stored as uuid columns',
  ...TABLES.slice(1, 5),
  'Decide: every tenant-scoped index leads with tenant_id',
  ...TABLES.slice(5, 12),
  'Decide on backfilling tenant_id in batches of 5000 rows',
  ...TABLES.slice(12),
];
const DECISIONS = [
  'Tenant ids are UUID v7 stored as uuid columns (declared final at step 2)',
  'Every tenant-scoped index leads with tenant_id (declared final at step 7)',
  'Backfilling tenant_id in batches of 5000 rows (declared final at step 15)',
];

describe('context compression on a real Temporal server', () => {
  it('A 25-iteration task compressed twice keeps every pinned fact verbatim in its prompt', async () => {
    await h.memory.put({
      id: 'tenant-migration-failure:outcome',
      taskId: 'tenant-migration-failure',
      specialist: 'DatabaseAgent',
      objective: 'Migrate these Postgres tables to the tenant-aware schema',
      approach: 'one ALTER TABLE per table inside a single transaction',
      result: 'held an exclusive lock on orders for 25 minutes',
      success: false,
      costUsd: 0.01,
      lessons: ['migrate one table per transaction and keep each lock short'],
      createdAt: new Date('2026-11-23T09:00:00Z').toISOString(),
    });
    expect(ITEMS).toHaveLength(24);
    const task = TaskInputSchema.parse({
      objective: `Migrate these Postgres tables to the tenant-aware schema:\n${ITEMS.map((t) => `- ${t}`).join('\n')}`,
      constraints: ['no table may be locked for longer than 2 seconds', 'keep the old columns until the cut-over on 2026-12-14', 'run every statement through the migrations repo'],
      inputs: { database: 'postgres://orders-primary.internal:5432/shop', tenant_count: '412', schema_doc: 'docs/tenancy-v2.md' },
    });
    const handle = await startTask(h.client, h.taskQueue, task, `compress-pinned-${Date.now()}`);
    const outcome: TaskOutcome = await handle.result();

    expect(outcome.status).toBe('completed');
    expect(outcome.iteration).toBe(25);
    expect(outcome.compressions.map((c) => c.atIteration)).toEqual([10, 20]);
    for (const c of outcome.compressions) {
      expect(c.promptTokensAfter).toBeLessThan(c.promptTokensBefore);
      expect(c.pinnedKept).toBe(c.pinnedFacts);
    }

    const events = (await handle.fetchHistory()).events ?? [];
    const runs = activityIo<RunSpecialistInput, unknown>(events, 'runSpecialist');
    const compressions = activityIo<unknown, CompressContextResult>(events, 'compressContext');
    expect(runs.inputs).toHaveLength(3);
    expect(compressions.results).toHaveLength(2);
    const [, afterFirst, afterSecond] = runs.inputs;
    // The memory warning came through the route, as data in every run's input.
    expect(afterSecond.warnings.join('\n')).toMatch(/held an exclusive lock on orders/);

    const system = specialistSystemPrompt(h.roster.get(afterSecond.specialist)!.system_prompt);
    const promptOf = (run: RunSpecialistInput) => promptText(system, specialistMessages(run.task, run.warnings, run.summary, run.history));
    const declaredBy = [DECISIONS.slice(0, 2), DECISIONS];
    [afterFirst, afterSecond].forEach((run, i) => {
      const facts = pinnedFacts(task, run.warnings, declaredBy[i]);
      expect(facts.length).toBe(3 + 3 + declaredBy[i].length + run.warnings.length);
      expect(presentFacts(promptOf(run), facts)).toEqual(facts);
      expect(compressions.results[i]).toMatchObject({ pinnedFacts: facts.length, pinnedKept: facts.length });
    });

    // The compressor itself wrote none of the decisions: Pantheon carried them.
    for (const { summary } of compressions.results) {
      const written = [summary.goal, summary.progress, summary.currentState, ...summary.openQuestions].join('\n');
      for (const decision of DECISIONS) expect(written).not.toContain(decision);
    }
    expect(compressions.results[1].summary.decisions).toEqual(DECISIONS);
    await maybeRecordHistory(handle.workflowId, 'compressed-twice-pinned-facts');
  });
});
