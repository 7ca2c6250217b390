import { startTask } from '../../src/client/submit-task';
import { ATTEMPT_PREFIX, LESSON_PREFIX, PROMPT_MEMORY_CHARS, PROMPT_MEMORY_LINES } from '../../src/memory/recall-for-prompt';
import { memoryConsolidation } from '../../src/workflows/memory-consolidation';
import { WARNING_PREFIX } from '../../src/memory/lessons';
import { closedResult } from '../../src/tasks/closed-outcome';
import { TaskInputSchema, type TaskInput } from '../../src/tasks/task-input';
import type { TaskOutcome } from '../../src/workflows/task-state';
import { startHarness, type Harness } from '../support/harness';
import { maybeRecordHistory, scheduledActivities } from '../support/history';

/**
 * Lesson 4 of the design: a failed approach on Monday becomes a warning for another agent on
 * Thursday. Real dev server, real SQLite memory, the offline provider through the real SDKs; what
 * reached each prompt is read from the provider's call log (the memory lines it carried).
 * Recall does not weigh a record's age, so the days between are not simulated as time; what does
 * happen between them, the daily consolidation, runs three times (Tuesday to Thursday) on the
 * worker, and only what memory holds after it connects the two tasks.
 */

let h: Harness;

beforeAll(async () => {
  h = await startHarness('monday-thursday');
});

afterAll(async () => {
  await h?.stop();
});

afterEach(() => h.provider.clearFaults());

const FAST_RETRY = { initialIntervalMs: 100, maximumIntervalMs: 200, maximumAttempts: 2 };
let seq = 0;
const taskId = (name: string) => `mt-${name}-${Date.now()}-${++seq}`;

async function run(id: string, input: TaskInput): Promise<TaskOutcome> {
  return closedResult(await startTask(h.client, h.taskQueue, TaskInputSchema.parse(input), id));
}

const specialistCalls = (id: string) => h.provider.calls().filter((c) => c.task === id && c.purpose === 'specialist' && c.status === 200);

function withinLimits(lines: string[]): void {
  expect(lines.length).toBeLessThanOrEqual(PROMPT_MEMORY_LINES);
  expect(lines.join('').length).toBeLessThanOrEqual(PROMPT_MEMORY_CHARS);
}

describe('Monday to Thursday: a failure becomes another specialist’s warning', () => {
  it('warns another specialist on a differently worded similar task, and leaves an unrelated task alone', async () => {
    // Monday: DatabaseAgent keeps answering with invalid output until its retries are spent; no reassignment.
    const monday = taskId('monday');
    h.provider.addFault({ kind: 'invalid_output', match: { task: monday } });
    const failed = await run(monday, {
      objective: 'Add a NOT NULL status column to the 200M-row invoices table in Postgres without locking it',
      maxReassignments: 0,
      retry: { runSpecialist: FAST_RETRY },
    });
    expect(failed.status).toBe('dead_lettered');
    expect(failed.specialist).toBe('DatabaseAgent');
    expect(await h.memory.count({ taskId: monday })).toBe(1);
    expect(await scheduledActivities(h.client, monday)).toEqual(['validateTask', 'routeTask', 'runSpecialist', 'recordLesson', 'storeMemory', 'raiseAlert']);
    await maybeRecordHistory(monday, 'dead-lettered-after-recall-task');

    // Tuesday, Wednesday, Thursday: the daily consolidation passes; Monday's lesson stays active.
    for (const day of ['tue', 'wed', 'thu']) {
      await h.client.workflow.execute(memoryConsolidation, { taskQueue: h.taskQueue, workflowId: `${monday}-consolidation-${day}`, args: [{ taskQueue: h.taskQueue }] });
    }
    const lessons = await h.memory.listLessons({ specialist: 'DatabaseAgent', status: 'active' });
    expect(lessons).toEqual([expect.objectContaining({ failureType: 'invalid_output', evidence: 1 })]);

    // Thursday: the same work in other words, given to ResearchAgent.
    const thursday = taskId('thursday');
    const done = await run(thursday, { objective: 'Put a mandatory status field on the big Postgres invoices table and keep it online', specialist: 'ResearchAgent' });
    expect(done.status).toBe('completed');
    expect(done.specialist).toBe('ResearchAgent');
    const calls = specialistCalls(thursday);
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) {
      expect(call.agent).toBe('ResearchAgent');
      const warning = (call.memory ?? []).find((l) => l.startsWith(WARNING_PREFIX));
      expect(warning).toMatch(/DatabaseAgent failed at a similar task \("Add a NOT NULL status column to the 200M-row invoices table/);
      expect(warning).toMatch(/invalid_output/);
      // And the lesson consolidated from it, quoted, before the past failure.
      const lesson = (call.memory ?? []).findIndex((l) => l.startsWith(LESSON_PREFIX));
      expect(call.memory![lesson]).toMatch(/Learned from 1 failed task of DatabaseAgent: "Avoid what ended in invalid_output/);
      expect(lesson).toBeLessThan(call.memory!.indexOf(warning!));
      withinLimits(call.memory!);
    }
    expect(await scheduledActivities(h.client, thursday)).toEqual(['validateTask', 'routeTask', 'runSpecialist', 'storeMemory']);
    await maybeRecordHistory(thursday, 'recalled-before-run-task');

    // An unrelated task: nothing from memory reaches its prompt.
    const unrelated = taskId('unrelated');
    const other = await run(unrelated, { objective: 'Write a launch blog post announcing the new team workspaces feature', specialist: 'ResearchAgent' });
    expect(other.status).toBe('completed');
    const otherCalls = specialistCalls(unrelated);
    expect(otherCalls.length).toBeGreaterThan(0);
    expect(otherCalls.every((c) => c.memory === undefined)).toBe(true);
  });

  it('gives the next specialist the failed one’s account at a reassignment, labelled and quoted', async () => {
    const id = taskId('reassigned');
    h.provider.addFault({ kind: 'invalid_output', match: { task: id, agent: 'DatabaseAgent' } });
    const outcome = await run(id, { objective: 'Add a unique index on users.email in the Postgres database', retry: { runSpecialist: FAST_RETRY } });
    expect(outcome.status).toBe('completed');
    expect(outcome.specialistsTried[0]).toBe('DatabaseAgent');
    const next = outcome.specialistsTried[1];
    expect(next).toBeDefined();
    const calls = specialistCalls(id).filter((c) => c.agent === next);
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) {
      expect(call.memory?.[0]).toMatch(new RegExp(`^\\${ATTEMPT_PREFIX} DatabaseAgent failed in runSpecialist with invalid_output: ".*"\\. Take a different approach\\.$`));
      withinLimits(call.memory!);
    }
    expect(await scheduledActivities(h.client, id)).toEqual(['validateTask', 'routeTask', 'runSpecialist', 'recordLesson', 'recallForRun', 'runSpecialist', 'storeMemory']);
    await maybeRecordHistory(id, 'recalled-at-reassignment-task');
  });
});
