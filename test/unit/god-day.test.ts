import { dayOf, rollDay } from '../../src/god/day';
import type { GoalState } from '../../src/god/types';
import { freshState, HOUR, queued, T0 } from '../support/god-fixtures';

const at = (iso: string) => Date.parse(iso);

describe('dayOf', () => {
  it.each([
    ['UTC midday', '2024-05-01T12:00:00Z', 'UTC', '2024-05-01', '2024-05-01T00:00:00Z', '2024-05-02T00:00:00Z'],
    ['UTC exactly at midnight', '2024-05-02T00:00:00Z', 'UTC', '2024-05-02', '2024-05-02T00:00:00Z', '2024-05-03T00:00:00Z'],
    ['New York late evening (still the 1st there)', '2024-01-02T03:00:00Z', 'America/New_York', '2024-01-01', '2024-01-01T05:00:00Z', '2024-01-02T05:00:00Z'],
    ['Kolkata (a half-hour offset)', '2024-05-01T20:00:00Z', 'Asia/Kolkata', '2024-05-02', '2024-05-01T18:30:00Z', '2024-05-02T18:30:00Z'],
    ['New York spring-forward day (23 h)', '2024-03-10T12:00:00Z', 'America/New_York', '2024-03-10', '2024-03-10T05:00:00Z', '2024-03-11T04:00:00Z'],
    ['New York fall-back day (25 h)', '2024-11-03T12:00:00Z', 'America/New_York', '2024-11-03', '2024-11-03T04:00:00Z', '2024-11-04T05:00:00Z'],
  ])('%s', (_name, now, zone, key, start, end) => {
    expect(dayOf(at(now), zone)).toEqual({ key, startMs: at(start), endMs: at(end) });
  });
});

describe('rollDay', () => {
  const goal: GoalState = { id: 'g', objective: 'Keep the runbooks current', value: 5, cadenceMinutes: 60, budgetShare: 0.25, lane: 'main', tasksPerRun: 2, addedAtMs: T0, lastGeneratedAtMs: T0, generated: 3, spentTodayUsd: 0.4 };
  const next = dayOf(T0 + 25 * HOUR, 'UTC');

  it('leaves the state alone on the same day', () => {
    const s = freshState({ goals: [goal], queue: [queued('g1', { source: 'generated' })] });
    const r = rollDay(s, dayOf(T0 + 5 * HOUR, 'UTC'));
    expect(r.state).toBe(s);
    expect(r.dropped).toEqual([]);
  });

  it('on a new day resets the day and goals’ spend, drops yesterday’s queued generated tasks and keeps the rest', () => {
    const s = freshState({
      goals: [goal],
      day: { key: '2024-05-01', startMs: T0, admitted: 7, dropped: 1, finishedUsd: { main: 0.5, experimental: 0.1 } },
      queue: [
        { ...queued('gen-old', { source: 'generated', submittedAtMs: T0 + HOUR }), waitReason: 'waiting for runway: needs ~$0.010' },
        queued('sub-old', { source: 'submitted', submittedAtMs: T0 + HOUR }),
        queued('gen-review', { source: 'generated', status: 'awaiting_review', submittedAtMs: T0 + HOUR }),
        queued('gen-assessing', { source: 'generated', status: 'assessing', decided: false, submittedAtMs: T0 + HOUR }),
        queued('gen-new', { source: 'generated', submittedAtMs: next.startMs + 1 }),
      ],
    });
    const r = rollDay(s, next);
    expect(r.dropped.map((q) => q.taskId)).toEqual(['gen-old']);
    expect(r.dropped[0].waitReason).toBe('waiting for runway: needs ~$0.010');
    expect(r.state.queue.map((q) => q.taskId)).toEqual(['sub-old', 'gen-review', 'gen-assessing', 'gen-new']);
    expect(r.state.day).toEqual({ key: '2024-05-02', startMs: next.startMs, admitted: 0, dropped: 1, finishedUsd: { main: 0, experimental: 0 } });
    expect(r.state.goals[0]).toEqual({ ...goal, spentTodayUsd: 0 });
    // A goal's starts today return to zero too: its first task of the new day may pass a hold.
    const started = rollDay({ ...s, goals: [{ ...goal, startedToday: 4 }] }, next);
    expect(started.state.goals[0]).toEqual({ ...goal, spentTodayUsd: 0, startedToday: 0 });
    // Pure: the input is untouched.
    expect(s.queue).toHaveLength(5);
    expect(s.goals[0].spentTodayUsd).toBe(0.4);
  });

  it('rolls a fresh state that did not know its day yet', () => {
    const s = freshState({ day: { key: '', startMs: 0, admitted: 0, dropped: 0, finishedUsd: { main: 0, experimental: 0 } } });
    expect(rollDay(s, next).state.day.key).toBe('2024-05-02');
  });
});
