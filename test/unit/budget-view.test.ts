import { defaultLimits } from '../../src/budget/limits';
import type { Alert, AuditEntry, BreakerState } from '../../src/budget/ledger-types';
import type { BudgetSnapshot, ScopeView } from '../../src/budget/snapshot';
import { bar, breakerLines, formatLimit, formatSpend, percentOf, renderBudget, scopeLabel, scopeLine, span } from '../../src/client/budget-view';

const T0 = Date.parse('2025-03-04T10:15:00.000Z');
const MIN = 60_000;

const view = (scope: string, limitUsd: number, settledUsd: number, reservedUsd: number, extra: Partial<ScopeView> = {}): ScopeView => ({
  scope,
  limitUsd,
  settledUsd,
  reservedUsd,
  settledTokens: 0,
  reservedTokens: 0,
  ...extra,
});

describe('bar', () => {
  it('draws settled as #, reserved as + and the rest as . on 20 cells', () => {
    expect(bar(0, 0, 20)).toBe('[....................]');
    expect(bar(1.23, 0.4, 20)).toBe('[#+..................]');
    expect(bar(5, 3, 20)).toBe('[#####+++............]');
    expect(bar(10, 10, 20)).toBe('[##########++++++++++]');
  });

  it('fills, and no more, a scope at or past its limit', () => {
    expect(bar(20, 0, 20)).toBe('[####################]');
    expect(bar(30, 5, 20)).toBe('[####################]');
    expect(bar(15, 10, 20)).toBe('[###############+++++]');
  });

  it('fills a zero limit with whatever is spent, and leaves it empty otherwise', () => {
    expect(bar(0, 0, 0)).toBe('[....................]');
    expect(bar(0, 0.1, 0)).toBe('[++++++++++++++++++++]');
    expect(bar(0.1, 0.1, 0)).toBe('[####################]');
  });

  it('takes a width', () => {
    expect(bar(1, 1, 4, 4)).toBe('[#+..]');
  });
});

describe('numbers', () => {
  it('formats spend to four decimals, six below a cent, and limits in cents when they are whole cents', () => {
    expect(formatSpend(0)).toBe('$0.0000');
    expect(formatSpend(1.23)).toBe('$1.2300');
    expect(formatSpend(0.000375)).toBe('$0.000375');
    expect(formatLimit(20)).toBe('$20.00');
    expect(formatLimit(0.5)).toBe('$0.50');
    expect(formatLimit(0.005)).toBe('$0.005000');
  });

  it('never shows a spend there was as none, however small', () => {
    expect(formatSpend(0.0000004)).toBe('<$0.000001');
    expect(formatSpend(0.0000006)).toBe('$0.000001');
  });

  it('gives settled plus reserved as a share of the limit', () => {
    expect(percentOf(1.63, 20)).toBe('8%');
    expect(percentOf(0, 20)).toBe('0%');
    expect(percentOf(0.01, 20)).toBe('<1%');
    expect(percentOf(30, 20)).toBe('150%');
    expect(percentOf(0, 0)).toBe('-');
    expect(percentOf(0.2, 0)).toBe('over');
  });

  it('spells a span coarsely', () => {
    expect(span(45_000)).toBe('45s');
    expect(span(12 * MIN + 59_000)).toBe('12m');
    expect(span(185 * MIN)).toBe('3h 5m');
    expect(span(52 * 60 * MIN)).toBe('2d 4h');
    expect(span(-5)).toBe('0s');
  });
});

describe('scope lines', () => {
  it('labels scopes as words', () => {
    expect(scopeLabel('system:hour')).toBe('system hour');
    expect(scopeLabel('agent:DatabaseAgent:day')).toBe('agent DatabaseAgent day');
    expect(scopeLabel('task:task-7f3a')).toBe('task task-7f3a');
  });

  it('shows settled and reserved separately against the limit', () => {
    expect(scopeLine(view('system:day', 20, 1.23, 0.4), 11)).toBe('system day   [#+..................]  $1.2300 settled + $0.4000 reserved of $20.00 (8%)');
  });

  it('adds the token budget of a task', () => {
    expect(scopeLine(view('task:t-1', 0.5, 0.1, 0.2, { settledTokens: 1200, reservedTokens: 700, limitTokens: 8000 }))).toBe(
      'task t-1  [####++++++++........]  $0.1000 settled + $0.2000 reserved of $0.50 (60%); tokens 1200 + 700 of 8000',
    );
  });
});

const audit = (at: number, action: AuditEntry['action'], who: string, why: string, details: Record<string, unknown> = {}): AuditEntry => ({ at, action, who, why, details });

describe('breakerLines', () => {
  it('tells an operator of a lost ledger what brings it back, and that close will not', () => {
    const breaker: BreakerState = { open: true, reason: 'ledger_lost', scope: 'ledger', measure: { unit: 'operator', limit: 0, spent: 0 }, sinceMs: T0 };
    const audit: AuditEntry[] = [{ at: T0, who: 'ledger', why: 'budget ledger state lost: could not read run r1 (FAILED)', action: 'recover', details: {} }];
    const lines = breakerLines(breaker, audit, T0 + MIN);
    expect(lines[0]).toBe('breaker  OPEN: every reservation is denied');
    expect(lines[1]).toMatch(/ledger_lost: budget ledger state lost: could not read run r1/);
    expect(lines[2]).toMatch(/pantheon budget restore .* or pantheon budget reset/);
    expect(lines.join('\n')).not.toMatch(/budget close/);
  });

  it('says closed, and who last closed it', () => {
    expect(breakerLines({ open: false }, [], T0)).toEqual(['breaker  closed']);
    const log = [audit(T0 - 20 * MIN, 'openBreaker', 'ops', 'incident 42'), audit(T0 - 5 * MIN, 'closeBreaker', 'ops', 'all clear', { wasOpen: true, reason: 'operator', scope: 'operator' })];
    expect(breakerLines({ open: false }, log, T0)).toEqual(['breaker  closed; last closed 2025-03-04T10:10:00.000Z (5m ago) by ops: "all clear"']);
    // A trip after that close, then a reset: the reset closed it, not the close before the trip.
    const reset = [...log, audit(T0 - 3 * MIN, 'reset', 'tester', 'clean books')];
    expect(breakerLines({ open: false }, reset, T0)).toEqual(['breaker  closed; closed by a reset 2025-03-04T10:12:00.000Z (3m ago) by tester: "clean books"']);
    const restored = [...reset, audit(T0 - MIN, 'restore', 'tester', 'books of run r1')];
    expect(breakerLines({ open: false }, restored, T0)).toEqual(['breaker  closed; closed as restored 2025-03-04T10:14:00.000Z (1m ago) by tester: "books of run r1"']);
  });

  it('says a breaker the limits disable is disabled, and what is then not checked; open by an operator, it says both', () => {
    const disabled = 'disabled (circuit_breaker.enabled: false): nothing trips it, and the runaway bound (max_calls_per_task_per_minute) and max_spawn_depth are not checked; the spend limits still hold';
    expect(breakerLines({ open: false }, [], T0, false)).toEqual([`breaker  ${disabled}`]);
    const opened: BreakerState = { open: true, reason: 'operator', scope: 'operator', measure: { unit: 'operator', limit: 0, spent: 0 }, sinceMs: T0 };
    expect(breakerLines(opened, [audit(T0, 'openBreaker', 'bob', 'drill')], T0, false).slice(0, 2)).toEqual(['breaker  OPEN: every reservation is denied', `  checks   ${disabled}`]);
  });

  it('says an operator opened it, who, why, since when, and that only an operator closes it', () => {
    const breaker: BreakerState = { open: true, reason: 'operator', scope: 'operator', measure: { unit: 'operator', limit: 0, spent: 0 }, sinceMs: T0 - 3 * MIN };
    const log = [audit(T0 - 60 * MIN, 'openBreaker', 'alice', 'old'), audit(T0 - 3 * MIN, 'openBreaker', 'bob', 'provider incident')];
    expect(breakerLines(breaker, log, T0)).toEqual([
      'breaker  OPEN: every reservation is denied',
      '  why      operator: "provider incident"',
      '  who      bob',
      '  since    2025-03-04T10:12:00.000Z (3m ago)',
      '  retryAt  none: only an operator closes it (pantheon budget close --who NAME --why TEXT)',
    ]);
  });

  it('says what tripped an automatic trip and when it closes by itself', () => {
    const breaker: BreakerState = {
      open: true,
      reason: 'system_limit',
      scope: 'system:hour',
      measure: { unit: 'usd', limit: 5, spent: 5.01 },
      limitUsd: 5,
      spentUsd: 5.01,
      sinceMs: T0 - 45_000,
      untilMs: Date.parse('2025-03-04T11:00:00.000Z'),
    };
    expect(breakerLines(breaker, [], T0)).toEqual([
      'breaker  OPEN: every reservation is denied',
      '  why      system_limit on system:hour: $5.0100 of $5.00',
      '  who      the ledger (automatic trip)',
      '  since    2025-03-04T10:14:15.000Z (45s ago)',
      '  retryAt  2025-03-04T11:00:00.000Z (in 45m), when the tripped window ends',
    ]);
    const runaway: BreakerState = { ...breaker, reason: 'runaway_calls', scope: 'task:t-9', measure: { unit: 'calls_per_minute', limit: 30, spent: 31 } };
    expect(breakerLines(runaway, [], T0)[1]).toBe('  why      runaway_calls on task:t-9: 31 calls per minute (limit 30)');
  });
});

function alert(seq: number, scope: string): Alert {
  return { seq, kind: 'agent_budget_exhausted', scope, unit: 'usd', limit: 0.5, spent: 0.5, at: T0 - (10 - seq) * MIN, window: '2025-03-04T10+00:00', message: `${scope} is spent` };
}

function snapshot(): BudgetSnapshot {
  return {
    asOfMs: T0,
    windows: { hour: '2025-03-04T10+00:00', day: '2025-03-04' },
    limits: { ...defaultLimits(), systemDailyUsd: 20, systemHourlyUsd: 5, perAgentHourlyUsd: 0.5, perAgentDailyUsd: 2, perTaskUsd: 0.5, perTaskTokens: 8000, timezone: 'UTC' },
    breaker: { open: false },
    scopes: [
      view('system:hour', 5, 1.23, 0.4),
      view('system:day', 20, 1.23, 0.4),
      view('agent:DatabaseAgent:hour', 0.5, 0.26, 0.1),
      view('agent:DatabaseAgent:day', 2, 0.26, 0.1),
      view('task:t-idle', 0.5, 0.3, 0, { settledTokens: 3000, limitTokens: 8000 }),
      view('task:t-small', 0.5, 0, 0.1, { reservedTokens: 900, limitTokens: 8000 }),
      view('task:t-big', 0.5, 0.05, 0.3, { settledTokens: 400, reservedTokens: 2500, limitTokens: 8000 }),
    ],
    outstanding: { count: 2, usd: 0.4, tokens: 3400 },
    tasksTracked: 3,
    overrides: [{ scope: 'system:day', limitUsd: 20, untilMs: T0 + 30 * MIN, who: 'ops', why: 'launch day', atMs: T0 - MIN }],
    alerts: [1, 2, 3, 4, 5, 6].map((i) => alert(i, `agent:A${i}:hour`)),
    audit: [
      audit(T0 - 9 * MIN, 'openBreaker', 'ops', 'incident 42'),
      audit(T0 - 5 * MIN, 'closeBreaker', 'ops', 'all clear', { wasOpen: true, reason: 'operator', scope: 'operator' }),
      audit(T0 - MIN, 'setOverride', 'ops', 'launch day', { scope: 'system:day', limitUsd: 20, untilMs: T0 + 30 * MIN }),
    ],
  };
}

describe('renderBudget', () => {
  const where = { ledgerId: 'pantheon-budget-ledger', address: 'localhost:7233', namespace: 'default' };

  it('renders every limit, the tasks holding reservations (most reserved first), the breaker and the logs', () => {
    expect(renderBudget(snapshot(), { ...where, nowMs: T0 + 30_000, tasks: 1 }).split('\n')).toEqual([
      'budget ledger pantheon-budget-ledger at localhost:7233 (namespace default)',
      "state as of the ledger's last update, 2025-03-04T10:15:00.000Z (30s ago); windows: hour 2025-03-04T10+00:00, day 2025-03-04 (UTC)",
      '',
      'breaker  closed; last closed 2025-03-04T10:10:00.000Z (5m ago) by ops: "all clear"',
      '',
      'spend ([#] settled, [+] reserved, [.] free)',
      '  system hour               [#####++.............]  $1.2300 settled + $0.4000 reserved of $5.00 (33%)',
      '  system day                [#+..................]  $1.2300 settled + $0.4000 reserved of $20.00 (8%)',
      '  agent DatabaseAgent hour  [##########++++......]  $0.2600 settled + $0.1000 reserved of $0.50 (72%)',
      '  agent DatabaseAgent day   [###+................]  $0.2600 settled + $0.1000 reserved of $2.00 (18%)',
      '  task t-big                [##++++++++++++......]  $0.0500 settled + $0.3000 reserved of $0.50 (70%); tokens 400 + 2500 of 8000',
      '  … and 1 more task(s) holding reservations',
      'reservations outstanding: 2, holding $0.4000 (3400 tokens); tasks tracked: 3',
      '',
      'overrides',
      '  system:day  $20.00 until 2025-03-04T10:45:00.000Z (in 29m) by ops: "launch day"',
      'alerts (newest 5 of 6)',
      '  2025-03-04T10:07:00.000Z  agent_budget_exhausted  agent:A2:hour  agent:A2:hour is spent',
      '  2025-03-04T10:08:00.000Z  agent_budget_exhausted  agent:A3:hour  agent:A3:hour is spent',
      '  2025-03-04T10:09:00.000Z  agent_budget_exhausted  agent:A4:hour  agent:A4:hour is spent',
      '  2025-03-04T10:10:00.000Z  agent_budget_exhausted  agent:A5:hour  agent:A5:hour is spent',
      '  2025-03-04T10:11:00.000Z  agent_budget_exhausted  agent:A6:hour  agent:A6:hour is spent',
      'audit (all of 3)',
      '  2025-03-04T10:06:00.000Z  openBreaker  by ops: "incident 42"',
      '  2025-03-04T10:10:00.000Z  closeBreaker  by ops: "all clear"  (an operator had opened it)',
      '  2025-03-04T10:14:00.000Z  setOverride  by ops: "launch day"  system:day → $20.00 until 2025-03-04T10:45:00.000Z',
    ]);
  });

  it('lists every task holding a reservation within the limit, none that holds nothing, and says when logs are empty', () => {
    const s = { ...snapshot(), alerts: [], audit: [], overrides: [] };
    const lines = renderBudget(s, where).split('\n');
    expect(lines.filter((l) => l.startsWith('  task '))).toEqual([
      '  task t-big                [##++++++++++++......]  $0.0500 settled + $0.3000 reserved of $0.50 (70%); tokens 400 + 2500 of 8000',
      '  task t-small              [++++................]  $0.0000 settled + $0.1000 reserved of $0.50 (20%); tokens 0 + 900 of 8000',
    ]);
    expect(lines.join('\n')).not.toContain('t-idle');
    expect(lines.slice(-3)).toEqual(['overrides: none', 'alerts: none', 'audit: none']);
    expect(lines[1]).toContain('(0s ago)');
  });

  it('warns when the windows shown have ended (the ledger has been idle since)', () => {
    const lines = renderBudget(snapshot(), { ...where, nowMs: Date.parse('2025-03-04T11:02:00.000Z') }).split('\n');
    expect(lines[2]).toBe('note: the ledger has been idle since then; the hour 2025-03-04T10+00:00 window(s) shown have ended, their settled spend no longer counts');
    const nextDay = renderBudget(snapshot(), { ...where, nowMs: Date.parse('2025-03-05T00:30:00.000Z') }).split('\n');
    expect(nextDay[2]).toBe(
      'note: the ledger has been idle since then; the hour 2025-03-04T10+00:00 and day 2025-03-04 window(s) shown have ended, their settled spend no longer counts',
    );
  });
});
