import { msToTs } from '@temporalio/common/lib/time';
import { barePlan, planWaitMs } from '../../bench/bare/plan';
import { timelineOf, type HistoryEvent } from '../../bench/timeline';
import { breakdownSection, targetsSection, type TaskTrace } from '../../bench/engine';

/** Event attributes as plain objects (ids as numbers, where the proto types say Long). */
type Add = (ms: number, attrs: Record<string, unknown>) => number;

/** A history built by hand: event ids in order, times in ms since 0. */
function history(build: (add: Add) => void): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  build((ms, attrs) => {
    const eventId = events.length + 1;
    events.push({ eventId, eventTime: msToTs(ms), ...attrs } as unknown as HistoryEvent);
    return eventId;
  });
  return events;
}

const activity = (add: Add, type: string, scheduled: number, started: number, closed: number) => {
  const scheduledEventId = add(scheduled, { activityTaskScheduledEventAttributes: { activityType: { name: type } } });
  add(started, { activityTaskStartedEventAttributes: { scheduledEventId, attempt: 1 } });
  add(closed, { activityTaskCompletedEventAttributes: { scheduledEventId } });
};

describe('bench timeline from a history', () => {
  const events = history((add) => {
    add(1_000, { workflowExecutionStartedEventAttributes: {} });
    add(1_000, { workflowTaskScheduledEventAttributes: {} });
    add(1_030, { upsertWorkflowSearchAttributesEventAttributes: {} });
    activity(add, 'validateTask', 1_040, 1_045, 1_060);
    add(1_060, { workflowTaskScheduledEventAttributes: {} });
    activity(add, 'runSpecialist', 1_100, 1_110, 4_200);
    add(4_200, { workflowTaskScheduledEventAttributes: {} });
    add(4_250, { workflowExecutionCompletedEventAttributes: {} });
  });
  const timeline = timelineOf(events);

  it('splits each activity into its queueing (scheduled → started) and its run (started → completed)', () => {
    expect(timeline.activities).toEqual([
      { type: 'validateTask', queuedMs: 5, runMs: 15, attempt: 1 },
      { type: 'runSpecialist', queuedMs: 10, runMs: 3_090, attempt: 1 },
    ]);
  });

  it('counts as outside activities the execution time not inside any scheduled → closed span', () => {
    // 3,250 ms of execution; activity spans 20 + 3,100.
    expect(timeline.executionMs).toBe(3_250);
    expect(timeline.outsideActivitiesMs).toBe(130);
    expect(timeline.overlapping).toBe(false);
  });

  it('counts events, workflow tasks and search attribute upserts', () => {
    expect(timeline).toMatchObject({ events: events.length, workflowTasks: 3, searchAttributeUpserts: 1 });
  });

  it('splits workflow tasks into waiting for a poll (scheduled → started) and the worker\'s turn (started → completed)', () => {
    const events = history((add) => {
      add(0, { workflowExecutionStartedEventAttributes: {} });
      const first = add(0, { workflowTaskScheduledEventAttributes: {} });
      const firstStarted = add(4, { workflowTaskStartedEventAttributes: { scheduledEventId: first } });
      add(30, { workflowTaskCompletedEventAttributes: { scheduledEventId: first, startedEventId: firstStarted } });
      activity(add, 'validateTask', 30, 31, 50);
      const second = add(50, { workflowTaskScheduledEventAttributes: {} });
      const secondStarted = add(60, { workflowTaskStartedEventAttributes: { scheduledEventId: second } });
      add(65, { workflowTaskCompletedEventAttributes: { scheduledEventId: second, startedEventId: secondStarted } });
      add(65, { workflowExecutionCompletedEventAttributes: {} });
    });
    expect(timelineOf(events)).toMatchObject({ workflowTaskQueuedMs: 4 + 10, workflowTaskRunMs: 26 + 5, workflowTaskRunMsEach: [26, 5], outsideActivitiesMs: 45 });
  });

  it('flags activities that overlapped', () => {
    const parallel = history((add) => {
      add(0, { workflowExecutionStartedEventAttributes: {} });
      const a = add(10, { activityTaskScheduledEventAttributes: { activityType: { name: 'a' } } });
      const b = add(10, { activityTaskScheduledEventAttributes: { activityType: { name: 'b' } } });
      add(20, { activityTaskCompletedEventAttributes: { scheduledEventId: a } });
      add(30, { activityTaskCompletedEventAttributes: { scheduledEventId: b } });
      add(40, { workflowExecutionCompletedEventAttributes: {} });
    });
    expect(timelineOf(parallel).overlapping).toBe(true);
  });

  it('refuses a history of a workflow that has not completed', () => {
    expect(() => timelineOf(events.slice(0, -1))).toThrow(/completed/);
  });
});

describe('bare plan from a pipeline task', () => {
  const ran = ['validateTask', 'routeTask', 'runSpecialist', 'storeMemory'];

  it('gives each activity one wait per LLM call it made, and the others none', () => {
    const plan = barePlan(ran, ['specialist', 'specialist', 'specialist'], 1000);
    expect(plan).toEqual([
      { activity: 'validateTask', waitsMs: [] },
      { activity: 'routeTask', waitsMs: [] },
      { activity: 'runSpecialist', waitsMs: [1000, 1000, 1000] },
      { activity: 'storeMemory', waitsMs: [] },
    ]);
    expect(planWaitMs(plan)).toBe(3000);
  });

  it('puts a classifier call on routeTask', () => {
    const plan = barePlan(ran, ['router', 'specialist'], 50);
    expect(plan.map((s) => s.waitsMs.length)).toEqual([0, 1, 1, 0]);
  });

  it('refuses calls of an activity that ran more than once (their split is unknown)', () => {
    const compressed = ['validateTask', 'routeTask', 'runSpecialist', 'compressContext', 'runSpecialist', 'storeMemory'];
    expect(() => barePlan(compressed, ['specialist', 'compressor', 'specialist'], 1000)).toThrow(/runSpecialist, which ran 2 time/);
  });

  it('refuses calls of an activity that never ran', () => {
    expect(() => barePlan(ran, ['compressor'], 1000)).toThrow(/compressContext, which ran 0 time/);
  });
});

describe('bench targets', () => {
  const atTarget = {
    setting: { latencyMs: 1000, tasks: 100, concurrency: 20 },
    pipelineThroughput: 4.2,
    plainLoopThroughput: 4.5,
    bareThroughput: 4.3,
    pipelineOverheadMs: 260,
    bareOverheadMs: 210,
    ledgerShare: 0.05,
    ledgerShareTarget: 0.1,
  };

  it('marks a run whose figures reach every target as met', () => {
    const section = targetsSection(atTarget);
    expect(section.data).toMatchObject({ efficiency: 0.933, overheadRatio: 1.24, met: true });
    expect(section.rows.map((r) => r.at(-1))).toEqual(['met', 'met', 'met']);
  });

  it('never marks a --no-ledger run as meeting the targets, however good its figures', () => {
    const section = targetsSection({ ...atTarget, ledgerShare: 0, judged: false });
    expect(section.data).toMatchObject({ judged: false, met: false });
    expect(section.rows.map((r) => r.at(-1))).toEqual(['not judged', 'not judged', 'not judged']);
    expect(section.notes?.join('\n')).toMatch(/--no-ledger/);
  });
});

describe('bench breakdown: the first wave against the rest', () => {
  const timeline = timelineOf(
    history((add) => {
      add(0, { workflowExecutionStartedEventAttributes: {} });
      add(0, { workflowTaskScheduledEventAttributes: {} });
      activity(add, 'runSpecialist', 10, 12, 1_100);
      add(1_100, { workflowTaskScheduledEventAttributes: {} });
      add(1_120, { workflowExecutionCompletedEventAttributes: {} });
    }),
  );
  /** A task in start order whose overhead (wall − provider time) is `overheadMs`. */
  const trace = (overheadMs: number): TaskTrace => ({ wallMs: 1_000 + overheadMs, providerMs: 1_000, providerMsByActivity: [1_000], timeline });

  it('splits the overhead into the tasks started together (the first `concurrency`) and the rest, each side with its ratio', () => {
    const pipeline = [600, 400, 300, 200, 250].map(trace);
    const bare = [300, 200, 200, 100, 150].map(trace);
    const data = breakdownSection(pipeline, bare, 0, 2).data as { overheadByStart: unknown };
    expect(data.overheadByStart).toMatchObject({
      startedTogether: 2,
      first: { tasks: 2, pipelineMs: 500, bareMs: 250, ratio: 2 },
      rest: { tasks: 3, pipelineMs: 250, bareMs: 150, ratio: 1.67 },
    });
  });

  it("shows where each wave's overhead went from that wave's own histories", () => {
    // The first wave's activity ran 300 ms beyond its provider time, the rest's 100.
    const timelineWith = (insideMs: number) =>
      timelineOf(
        history((add) => {
          add(0, { workflowExecutionStartedEventAttributes: {} });
          add(0, { workflowTaskScheduledEventAttributes: {} });
          activity(add, 'runSpecialist', 10, 12, 12 + 1_000 + insideMs);
          add(1_100 + insideMs, { workflowTaskScheduledEventAttributes: {} });
          add(1_120 + insideMs, { workflowExecutionCompletedEventAttributes: {} });
        }),
      );
    const at = (insideMs: number): TaskTrace => ({ wallMs: 1_200 + insideMs, providerMs: 1_000, providerMsByActivity: [1_000], timeline: timelineWith(insideMs) });
    const pipeline = [at(300), at(300), at(100), at(100)];
    const data = breakdownSection(pipeline, pipeline, 0, 2).data as { overheadByStart: { first: { pipeline: { insideActivities: number } }; rest: { bare: { insideActivities: number } } } };
    expect(data.overheadByStart.first.pipeline.insideActivities).toBe(300);
    expect(data.overheadByStart.rest.bare.insideActivities).toBe(100);
  });

  it('has no rest when every task started together', () => {
    const data = breakdownSection([trace(300)], [trace(200)], 0, 20).data as { overheadByStart: { startedTogether: number; rest: { tasks: number } } };
    expect(data.overheadByStart.startedTogether).toBe(1);
    expect(data.overheadByStart.rest.tasks).toBe(0);
  });
});
