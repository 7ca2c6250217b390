import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { consolidationScheduleId, ensureConsolidationSchedule } from '../../src/client/consolidation-schedule';
import { sweeperScheduleId } from '../../src/client/sweeper-schedule';
import { lessonLine } from '../../src/memory/lesson-text';
import type { LessonInput } from '../../src/memory/lesson-types';
import type { ConsolidationReport } from '../../src/memory/lesson-book';
import type { MemoryRecord } from '../../src/memory/types';
import { startHarness, type Harness } from '../support/harness';
import { removeLedger } from '../support/leftovers';
import { maybeRecordHistory } from '../support/history';
import { killWorkerProcess, spawnWorkerProcess } from '../support/worker-process';

let h: Harness;
const schedules: string[] = [];
const ledgers: string[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  h = await startHarness('consolidation');
});

afterAll(async () => {
  for (const child of children) await killWorkerProcess(child);
  for (const id of schedules) await h.client.schedule.getHandle(id).delete().catch(() => undefined);
  for (const id of ledgers) await removeLedger(h.client, id);
  await h?.stop();
});

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const CAPTCHA = lessonLine({ activity: 'runSpecialist', type: 'provider_error', message: 'Blocked by a CAPTCHA after 20 requests to the shop' });
const REWORDED = lessonLine({ activity: 'runSpecialist', type: 'provider_error', message: 'The shop blocked us with a CAPTCHA after 20 requests' });

function failure(taskId: string, overrides: Partial<LessonInput> = {}): LessonInput {
  return { taskId, specialist: 'ResearchAgent', failureType: 'provider_error', text: CAPTCHA, objective: 'Scrape product prices from the Acme online shop', seenAt: '2026-11-30T10:00:00.000Z', ...overrides };
}

function success(taskId: string, overrides: Partial<MemoryRecord> = {}): MemoryRecord {
  return {
    id: `${taskId}:outcome`, taskId, specialist: 'DatabaseAgent', objective: 'Add a unique index on users.email in Postgres', approach: 'a concurrent index build',
    result: 'done', success: true, costUsd: 0.01, lessons: [], createdAt: '2026-12-01T09:00:00.000Z', ...overrides,
  };
}

describe('the memory consolidation workflow', () => {
  it('merges near-duplicate lessons and retires a lesson contradicted by a later success, on the worker', async () => {
    // Near duplicates written with attachment off (as an older worker, or a race, leaves them).
    const kept = await h.memory.recordLesson(failure('c-1'), { nearDuplicate: 1.01 });
    await h.memory.recordLesson(failure('c-1b'), { nearDuplicate: 1.01 }); // the stronger of the two survives
    const merged = await h.memory.recordLesson(failure('c-2', { text: REWORDED }), { nearDuplicate: 1.01 });
    // DatabaseAgent timed out on an index build; later it succeeded at the same kind of task.
    const contradicted = await h.memory.recordLesson(failure('c-3', { specialist: 'DatabaseAgent', failureType: 'timeout', text: 'Avoid what ended in timeout during runSpecialist: index build took too long.', objective: 'Add a unique index on users.email in the Postgres database' }));
    await h.memory.put(success('c-4'));

    const workflowId = `consolidation-${process.pid}-${Date.now()}`;
    const report = (await h.client.workflow.execute('memoryConsolidation', { taskQueue: h.taskQueue, workflowId, args: [{}] })) as ConsolidationReport;
    expect(report.merged).toEqual([{ into: kept.lessonId, merged: [merged.lessonId] }]);
    expect(report.contradicted).toEqual([expect.objectContaining({ lessonId: contradicted.lessonId, byTaskId: 'c-4' })]);
    expect(await h.memory.getLesson(merged.lessonId)).toEqual(expect.objectContaining({ status: 'retired', retiredReason: 'merged', mergedInto: kept.lessonId }));
    expect(await h.memory.getLesson(kept.lessonId)).toEqual(expect.objectContaining({ status: 'active', evidence: 3 }));
    expect(await h.memory.getLesson(contradicted.lessonId)).toEqual(expect.objectContaining({ status: 'retired', retiredReason: 'contradicted' }));
    await maybeRecordHistory(workflowId, 'memory-consolidation');

    // A second run finds nothing left to do.
    const again = (await h.client.workflow.execute('memoryConsolidation', { taskQueue: h.taskQueue, workflowId: `${workflowId}-again`, args: [{}] })) as ConsolidationReport;
    expect(again).toEqual({ merged: [], contradicted: [], activeAfter: 1, backfill: { found: 0, written: 0, alreadyStored: 0, failed: [] } });
  });

  it('keeps the default queue on the plain Schedule id and gives every other queue its own', () => {
    expect(consolidationScheduleId('pantheon-tasks')).toBe('pantheon-memory-consolidation');
    expect(consolidationScheduleId('research')).toBe('pantheon-memory-consolidation-research');
  });

  it('is scheduled daily by a worker\'s start, and updated rather than duplicated by the next start', async () => {
    const taskQueue = `consolidation-worker-${process.pid}-${Date.now()}`;
    const scheduleId = consolidationScheduleId(taskQueue);
    schedules.push(scheduleId, sweeperScheduleId(taskQueue));
    ledgers.push(`ledger-${taskQueue}`);
    const child = spawnWorkerProcess({
      PANTHEON_TASK_QUEUE: taskQueue,
      PANTHEON_LEDGER_ID: `ledger-${taskQueue}`,
      PANTHEON_BUDGET_TASK_QUEUE: `${taskQueue}-budget`,
      PANTHEON_OFFLINE_URL: h.provider.url,
      PANTHEON_MEMORY_FILE: path.join(process.env.PANTHEON_TEST_DIR ?? '/tmp', `${taskQueue}.sqlite`),
    });
    children.push(child);
    const handle = h.client.schedule.getHandle(scheduleId);
    const described = await until('the consolidation schedule', () => handle.describe());
    expect(described.spec.intervals).toEqual([expect.objectContaining({ every: 24 * 60 * 60 * 1000 })]);
    expect(described.action).toEqual(expect.objectContaining({ type: 'startWorkflow', workflowType: 'memoryConsolidation', taskQueue }));

    // The worker serves it: a triggered run completes.
    await handle.trigger();
    const runId = await until('a triggered run', async () => (await handle.describe()).info.recentActions[0]?.action.workflow.workflowId);
    expect(await h.client.workflow.getHandle(runId).result()).toEqual({ merged: [], contradicted: [], activeAfter: 0, backfill: { found: 0, written: 0, alreadyStored: 0, failed: [] } });

    // Another start (PANTHEON_CONSOLIDATE_EVERY=12h) brings the one Schedule in line.
    expect(await ensureConsolidationSchedule(h.client, { taskQueue, every: '12h' })).toBe('updated');
    expect((await handle.describe()).spec.intervals).toEqual([expect.objectContaining({ every: 12 * 60 * 60 * 1000 })]);
  }, 120_000);
});
