import { PantheonError } from '../../src/errors';
import { compactState, DEFAULT_EXPERIMENTAL_SHARE, initialGodState, migrateGodState, stateBytes, STATE_BOUNDS, utf8Bytes } from '../../src/god/state';
import { GOD_STATE_VERSION, type GodState, type KindStats } from '../../src/god/types';
import { DAY, freshState, godConfig, queued, spawned, T0 } from '../support/god-fixtures';

function thrown(fn: () => unknown): PantheonError {
  try {
    fn();
  } catch (err) {
    if (err instanceof PantheonError) return err;
    throw err;
  }
  throw new Error('expected a PantheonError');
}

/** A state as the first God runs carried it: no version, fingerprints, share or CAN counter. */
function versionZero(): Record<string, unknown> {
  const { version: _v, fingerprints: _f, experimentalShare: _e, ...rest } = freshState({ queue: [{ ...queued('t1'), fingerprint: 'abcd1234' }] });
  const { continuedAsNew: _c, ...counters } = rest.counters;
  return JSON.parse(JSON.stringify({ ...rest, counters }));
}

describe('God state', () => {
  it('starts empty on the given day with the given experimental share', () => {
    const s = initialGodState({ nowMs: T0, dayKey: '2024-05-01', dayStartMs: T0, experimentalShare: 0.2 });
    expect(s).toMatchObject({ version: GOD_STATE_VERSION, queue: [], goals: [], inFlight: [], fingerprints: [], experimentalShare: 0.2, rosterVersion: 0 });
    expect(s.day).toEqual({ key: '2024-05-01', startMs: T0, admitted: 0, dropped: 0, finishedUsd: { main: 0, experimental: 0 } });
    expect(migrateGodState(JSON.parse(JSON.stringify(s)))).toEqual(s);
  });

  it('accepts a fresh state that does not know its day yet', () => {
    const s = initialGodState({ nowMs: T0, dayKey: '', dayStartMs: 0, experimentalShare: 0.15 });
    expect(migrateGodState(s).day.key).toBe('');
  });

  it('migrates a version-0 state (no version field) to version 1, filling defaults', () => {
    const migrated = migrateGodState(versionZero());
    expect(migrated.version).toBe(GOD_STATE_VERSION);
    expect(migrated.experimentalShare).toBe(DEFAULT_EXPERIMENTAL_SHARE);
    expect(migrated.counters.continuedAsNew).toBe(0);
    // The queue's own fingerprints seed the list, so a task queued before the upgrade is not generated twice.
    expect(migrated.fingerprints).toEqual(['abcd1234']);
    expect(migrated.queue[0].taskId).toBe('t1');
  });

  it('keeps fields this schema does not know yet through a round trip (additive fields survive continue-as-new)', () => {
    const s = { ...freshState(), futureField: { a: 1 } };
    expect((migrateGodState(JSON.parse(JSON.stringify(s))) as unknown as { futureField: unknown }).futureField).toEqual({ a: 1 });
  });

  it('carries a review for the cost alone as such through continue-as-new (it is what lets the task leave review by itself)', () => {
    const review = { reasons: ['expensive: expected ~$0.040 is over 10% of the $0.030 left today'], sinceMs: T0, deadlineMs: T0 + DAY, costOnly: true as const };
    const s = freshState({ queue: [{ ...queued('t1'), status: 'awaiting_review', review }] });
    expect(migrateGodState(JSON.parse(JSON.stringify(s))).queue[0].review).toEqual(review);
    const bad = JSON.parse(JSON.stringify(s));
    bad.queue[0].review.costOnly = 'yes';
    expect(thrown(() => migrateGodState(bad)).details.field).toBe('queue.0.review.costOnly');
  });

  it.each([
    ['a newer version', (s: Record<string, unknown>) => ({ ...s, version: GOD_STATE_VERSION + 1 }), 'version', /newer than this code understands/],
    ['a non-integer version', (s: Record<string, unknown>) => ({ ...s, version: '1' }), 'version', /non-negative integer/],
    ['a negative counter', (s: Record<string, unknown>) => ({ ...s, counters: { ...(s.counters as object), started: -1 } }), 'counters.started', /./],
    ['a queued task with a bad lane', (s: Record<string, unknown>) => ({ ...s, queue: [{ ...queued('t1'), lane: 'sideways' }] }), 'queue.0.lane', /./],
    ['a queued task whose task fails the task schema', (s: Record<string, unknown>) => ({ ...s, queue: [{ ...queued('t1'), task: { objective: 'short' } }] }), 'queue.0.task.objective', /at least 10/],
    ['a share above the cap', (s: Record<string, unknown>) => ({ ...s, experimentalShare: 0.9 }), 'experimentalShare', /./],
  ])('refuses %s with config_invalid naming the field', (_name, mutate, field, message) => {
    const raw = mutate(JSON.parse(JSON.stringify(freshState())) as Record<string, unknown>);
    const err = thrown(() => migrateGodState(raw));
    expect(err.type).toBe('config_invalid');
    expect(err.details.field).toBe(field);
    expect(err.message).toContain(`"${field}"`);
    expect(err.message).toMatch(message);
  });

  it('refuses something that is not an object at all', () => {
    expect(thrown(() => migrateGodState(null)).type).toBe('config_invalid');
    expect(thrown(() => migrateGodState([])).details.field).toBe('(state)');
  });

  it('counts UTF-8 bytes, not UTF-16 code units', () => {
    expect(utf8Bytes('abc')).toBe(3);
    expect(utf8Bytes('é')).toBe(2);
    expect(utf8Bytes('€')).toBe(3);
    expect(utf8Bytes('😀')).toBe(4);
    expect(utf8Bytes('a😀é€')).toBe(Buffer.byteLength('a😀é€', 'utf8'));
    const s = freshState({ queue: [queued('ü-task')] });
    expect(stateBytes(s)).toBe(Buffer.byteLength(JSON.stringify(s), 'utf8'));
  });
});

describe('compactState', () => {
  const config = godConfig();
  const stat = (runs: number): KindStats => ({ runs, successes: runs, meanCostUsd: 0.01, meanDurationMs: 1000, fallbacks: 0 });

  it('keeps the newest 50 decisions and 300 fingerprints', () => {
    const s = freshState({
      recent: Array.from({ length: 80 }, (_, i) => ({ atMs: T0 + i, kind: 'admitted' as const, detail: `d${i}` })),
      fingerprints: Array.from({ length: 350 }, (_, i) => `fp${i}`),
    });
    const c = compactState(s, config);
    expect(c.recent).toHaveLength(STATE_BOUNDS.recent);
    expect(c.recent[0].detail).toBe('d30');
    expect(c.recent.at(-1)!.detail).toBe('d79');
    expect(c.fingerprints).toHaveLength(300);
    expect(c.fingerprints[0]).toBe('fp50');
  });

  it('trims long decision details', () => {
    const c = compactState(freshState({ recent: [{ atMs: T0, kind: 'finished', detail: 'x'.repeat(5000) }] }), config);
    expect(c.recent[0].detail.length).toBe(STATE_BOUNDS.recentDetailChars);
  });

  it('keeps the 100 most-run statistics and drops the least run', () => {
    const stats: Record<string, KindStats> = {};
    for (let i = 0; i < 120; i++) stats[`kind${i}|Agent`] = stat(i);
    const c = compactState(freshState({ stats }), config);
    expect(Object.keys(c.stats)).toHaveLength(100);
    expect(c.stats['kind0|Agent']).toBeUndefined();
    expect(c.stats['kind19|Agent']).toBeUndefined();
    expect(c.stats['kind20|Agent']).toEqual(stat(20));
    expect(c.stats['kind119|Agent']).toEqual(stat(119));
  });

  it('drops a retired specialist’s prompt 7 days after retirement and keeps at most 10 retired', () => {
    const now = T0 + 30 * DAY;
    const retired = Array.from({ length: 12 }, (_, i) => spawned(`Old${i}Agent`, { status: 'retired', retiredAtMs: now - (12 - i) * DAY }));
    const live = spawned('LiveAgent', { status: 'live', createdAtMs: T0 });
    const s = freshState({ specialists: [...retired, live], rosterVersion: 4 });
    const c = compactState(s, config, now);
    const kept = c.specialists.filter((x) => x.status === 'retired');
    expect(kept.map((x) => x.name)).toEqual(['Old2Agent', 'Old3Agent', 'Old4Agent', 'Old5Agent', 'Old6Agent', 'Old7Agent', 'Old8Agent', 'Old9Agent', 'Old10Agent', 'Old11Agent']);
    // Retired 12..7 days ago lose the prompt; 6 days ago and newer keep it.
    expect(kept.filter((x) => x.definition.system_prompt === '').map((x) => x.name)).toEqual(['Old2Agent', 'Old3Agent', 'Old4Agent', 'Old5Agent']);
    // A live specialist keeps everything, however old.
    expect(c.specialists.find((x) => x.name === 'LiveAgent')).toEqual(live);
    expect(c.rosterVersion).toBe(5);
    expect(migrateGodState(JSON.parse(JSON.stringify(c))).specialists).toHaveLength(11);
  });

  it('returns equal content and the same roster version when nothing is over its bound', () => {
    const s = freshState({ specialists: [spawned('LiveAgent', { status: 'live' })], rosterVersion: 3 });
    const c = compactState(s, config, T0 + 100 * DAY);
    expect(c).toEqual(s);
  });

  it('holds a state at every bound (20 long goals, full decisions, stats, specialists) under 110 KB, leaving the rest of 400 KB to the queue (250 KB) and the tasks in flight', () => {
    const long = 'x'.repeat(STATE_BOUNDS.recentDetailChars);
    const s: GodState = freshState({
      goals: Array.from({ length: 20 }, (_, i) => ({
        id: `goal-${i}`, objective: 'o'.repeat(1000), value: 5, cadenceMinutes: 60, budgetShare: 0.25, lane: 'main' as const, tasksPerRun: 5,
        addedAtMs: T0, lastGeneratedAtMs: T0, generated: 1000, spentTodayUsd: 1.234567,
        outcomes: Array.from({ length: 8 }, () => ({ objective: 'o'.repeat(200), status: 'completed', reason: 'r'.repeat(200) })),
      })),
      recent: Array.from({ length: 500 }, (_, i) => ({ atMs: T0 + i, taskId: `task-${i}-0123456789abcdef`, kind: 'admitted' as const, detail: long })),
      fingerprints: Array.from({ length: 1000 }, (_, i) => i.toString(16).padStart(8, '0')),
      stats: Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`kind-with-a-long-name-${i}|SpecialistAgentName`, stat(i)])),
      specialists: [
        ...Array.from({ length: 3 }, (_, i) => spawned(`Live${i}Agent`, { status: 'live', definition: { ...spawned('x').definition, name: `Live${i}Agent`, system_prompt: 'p'.repeat(4000) } })),
        ...Array.from({ length: 30 }, (_, i) => spawned(`Old${i}Agent`, { status: 'retired', retiredAtMs: T0 - 30 * DAY, definition: { ...spawned('x').definition, system_prompt: 'p'.repeat(4000) } })),
      ],
    });
    const c = compactState(s, config, T0);
    const bytes = stateBytes(c);
    expect(bytes).toBeLessThan(110 * 1024);
    expect(c.goals[0].outcomes).toHaveLength(5);
    expect(c.goals[0].outcomes![0].reason.length).toBe(STATE_BOUNDS.outcomeReasonChars);
  });
});
