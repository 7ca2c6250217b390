import type { AuditEntry, BreakerState, Override } from '../budget/ledger-types';
import type { BudgetSnapshot, ScopeView } from '../budget/snapshot';
import { formatSpend } from '../budget/spend-text';
import { windowKeys } from '../budget/windows';
import { LANES } from '../tasks/task-input';

/** Spend as the rest of the CLI prints it (src/budget/spend-text.ts). */
export { formatSpend };

/**
 * `pantheon budget` as text: spend against every limit as bars, the breaker, the logs. Pure
 * (a snapshot in, lines out; "now" is the snapshot's asOfMs), so the exact text is unit-tested.
 *
 *   system day   [##+++...............]  $1.2300 settled + $0.4000 reserved of $20.00 (8%)
 */

export const BAR_WIDTH = 20;

export interface BudgetViewOptions {
  ledgerId: string;
  /** The Temporal address and namespace the ledger was read from. */
  address: string;
  namespace: string;
  /** The reader's clock, for "3m ago" and for spotting windows that ended; default the snapshot's asOfMs. */
  nowMs?: number;
  /** Task scopes shown (those holding reservations, most reserved first); default 5. */
  tasks?: number;
  /** Alerts and audit entries shown (the newest); default 5 each. */
  log?: number;
}

/** A limit in whole cents as $20.00; an odd one (an override of $0.005) with full precision. */
export function formatLimit(usd: number): string {
  const cents = usd * 100;
  return Math.abs(cents - Math.round(cents)) < 1e-9 ? `$${usd.toFixed(2)}` : formatSpend(usd);
}

/** `#` settled, `+` reserved, `.` free; a spent-out scope is full (the percentage tells by how much). */
export function bar(settled: number, reserved: number, limit: number, width = BAR_WIDTH): string {
  let settledCells: number;
  let usedCells: number;
  if (limit > 0) {
    settledCells = Math.min(width, Math.max(0, Math.round((settled / limit) * width)));
    usedCells = Math.min(width, Math.max(settledCells, Math.round(((settled + reserved) / limit) * width)));
  } else {
    // A zero limit: any spend at all fills it.
    settledCells = settled > 0 ? width : 0;
    usedCells = settled + reserved > 0 ? width : 0;
  }
  return `[${'#'.repeat(settledCells)}${'+'.repeat(usedCells - settledCells)}${'.'.repeat(width - usedCells)}]`;
}

/** Settled plus reserved as a share of the limit: `8%`, `<1%` for a trace, `-` for a zero limit. */
export function percentOf(used: number, limit: number): string {
  if (limit <= 0) return used > 0 ? 'over' : '-';
  const pct = (used / limit) * 100;
  if (pct > 0 && pct < 1) return '<1%';
  return `${Math.round(pct)}%`;
}

/** `system:hour` → `system hour`, `agent:DatabaseAgent:day` → `agent DatabaseAgent day`, `task:t-1` → `task t-1`. */
export function scopeLabel(scope: string): string {
  if (scope.startsWith('agent:')) {
    const rest = scope.slice('agent:'.length);
    const cut = rest.lastIndexOf(':');
    return cut > 0 ? `agent ${rest.slice(0, cut)} ${rest.slice(cut + 1)}` : `agent ${rest}`;
  }
  if (scope.startsWith('task:')) return `task ${scope.slice('task:'.length)}`;
  return scope.replace(':', ' ');
}

/** One scope as a bar line, its label padded to `labelWidth`. */
export function scopeLine(view: ScopeView, labelWidth = 0): string {
  const used = view.settledUsd + view.reservedUsd;
  const money = `${formatSpend(view.settledUsd)} settled + ${formatSpend(view.reservedUsd)} reserved of ${formatLimit(view.limitUsd)} (${percentOf(used, view.limitUsd)})`;
  const tokens = view.limitTokens === undefined ? '' : `; tokens ${view.settledTokens} + ${view.reservedTokens} of ${view.limitTokens}`;
  return `${scopeLabel(view.scope).padEnd(labelWidth)}  ${bar(view.settledUsd, view.reservedUsd, view.limitUsd)}  ${money}${tokens}`;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** A coarse distance between two instants: `45s`, `12m`, `3h 5m`, `2d 4h`. */
export function span(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

const at = (ms: number, nowMs: number) => (ms <= nowMs ? `${iso(ms)} (${span(nowMs - ms)} ago)` : `${iso(ms)} (in ${span(ms - nowMs)})`);

function latest(audit: AuditEntry[], actions: AuditEntry['action'][]): AuditEntry | undefined {
  for (let i = audit.length - 1; i >= 0; i--) if (actions.includes(audit[i].action)) return audit[i];
  return undefined;
}

/** Why an automatic trip happened, in the breaker's own numbers. */
function tripReason(b: BreakerState): string {
  const head = `${b.reason ?? 'unknown'} on ${b.scope ?? '?'}`;
  const m = b.measure;
  if (!m) return head;
  if (m.unit === 'usd') return `${head}: ${formatSpend(b.spentUsd ?? m.spent)} of ${formatLimit(b.limitUsd ?? m.limit)}`;
  return `${head}: ${m.spent} ${m.unit.replace(/_/g, ' ')} (limit ${m.limit})`;
}

/** What `circuit_breaker.enabled: false` turns off (an operator's open and the spend limits stay). */
const DISABLED = 'disabled (circuit_breaker.enabled: false): nothing trips it, and the runaway bound (max_calls_per_task_per_minute) and max_spawn_depth are not checked; the spend limits still hold';

/**
 * The breaker as a few lines: open or closed, and for an open one why, who, since and when it
 * closes by itself. Who and why of an operator's action come from the audit log. `enabled` is the
 * limits' `circuit_breaker.enabled`: a disabled breaker reads "closed" only in the sense that
 * nothing will open it, so it is said instead.
 */
export function breakerLines(breaker: BreakerState, audit: AuditEntry[], nowMs: number, enabled = true): string[] {
  if (!breaker.open && !enabled) return [`breaker  ${DISABLED}`];
  if (!breaker.open) {
    // A reset starts closed books, and a restore brings the source's breaker: the latest of these
    // is what the breaker's state comes from (a close from before them is not).
    const last = latest(audit, ['closeBreaker', 'autoClose', 'reset', 'restore']);
    if (!last) return ['breaker  closed'];
    const how = { autoClose: 'closed by itself', reset: 'closed by a reset', restore: 'closed as restored' }[last.action as string] ?? 'last closed';
    return [`breaker  closed; ${how} ${at(last.at, nowMs)} by ${last.who}: "${last.why}"`];
  }
  const lines = ['breaker  OPEN: every reservation is denied', ...(enabled ? [] : [`  checks   ${DISABLED}`])];
  if (breaker.reason === 'ledger_lost') {
    const lost = latest(audit, ['recover']);
    lines.push(`  why      ledger_lost: ${lost?.why ?? 'the last ledger state could not be read'}`);
    lines.push('  retryAt  none: pantheon budget restore --file STATE.json | --from-run RUN_ID, or pantheon budget reset (--who NAME --why TEXT)');
    return lines;
  }
  if (breaker.reason === 'operator') {
    // The breaker's own record first: the audit is bounded, and one restored from before 2026-12-07 lost its entries.
    const opened = breaker.openedBy ?? latest(audit, ['openBreaker']);
    lines.push(`  why      operator: "${opened?.why ?? '?'}"`, `  who      ${opened?.who ?? '?'}`);
  } else {
    lines.push(`  why      ${tripReason(breaker)}`, '  who      the ledger (automatic trip)');
  }
  if (breaker.sinceMs !== undefined) lines.push(`  since    ${at(breaker.sinceMs, nowMs)}`);
  lines.push(
    breaker.untilMs === undefined
      ? '  retryAt  none: only an operator closes it (pantheon budget close --who NAME --why TEXT)'
      : `  retryAt  ${at(breaker.untilMs, nowMs)}, when the tripped window ends`,
  );
  return lines;
}

function auditDetails(entry: AuditEntry): string {
  const d = entry.details;
  if (entry.action === 'setOverride') return `  ${d.scope} → ${formatLimit(Number(d.limitUsd))} until ${iso(Number(d.untilMs))}`;
  if (entry.action === 'setExperimentalShare') return `  experimental share ${percent(Number(d.from))} → ${percent(Number(d.to))}`;
  if (entry.action === 'closeBreaker' || entry.action === 'autoClose') {
    if (d.wasOpen === false) return '  (was already closed)';
    if (d.reason === 'operator') return '  (an operator had opened it)';
    return d.reason ? `  (had tripped: ${d.reason} on ${d.scope})` : '';
  }
  return '';
}

function overrideLine(o: Override, nowMs: number): string {
  return `  ${o.scope}  ${formatLimit(o.limitUsd)} until ${at(o.untilMs, nowMs)} by ${o.who}: "${o.why}"`;
}

/** The newest `n` entries of a log, oldest first, under a header that says how many there are. */
function tail<T>(title: string, entries: T[], n: number, line: (e: T) => string): string[] {
  if (entries.length === 0) return [`${title}: none`];
  const shown = entries.slice(-n);
  return [`${title} (${shown.length === entries.length ? 'all' : `newest ${shown.length}`} of ${entries.length})`, ...shown.map(line)];
}

/**
 * A query answers with the ledger's state as of its last update (a workflow's clock only moves
 * when it works), so after a quiet spell its hour or day may be over; the next update rolls it.
 */
function staleNote(snapshot: BudgetSnapshot, nowMs: number): string[] {
  const current = windowKeys(nowMs, snapshot.limits.timezone);
  const ended = [
    ...(current.hour !== snapshot.windows.hour ? [`hour ${snapshot.windows.hour}`] : []),
    ...(current.day !== snapshot.windows.day ? [`day ${snapshot.windows.day}`] : []),
  ];
  if (ended.length === 0) return [];
  return [`note: the ledger has been idle since then; the ${ended.join(' and ')} window(s) shown have ended, their settled spend no longer counts`];
}

/** A share as a percentage: `15%`, `12.5%`. */
const percent = (share: number) => `${Math.round(share * 1000) / 10}%`;

/**
 * The day's two lanes apart, as bars of their own: each its share of system:day, never lent to
 * the other. Absent from a ledger older than the lanes.
 */
export function laneLines(snapshot: BudgetSnapshot): string[] {
  const lanes = snapshot.lanes;
  if (!lanes) return [];
  const rows = LANES.map((lane) => ({ lane, ...lanes[lane] }));
  const labels = rows.map((r) => `${r.lane} ${percent(r.share)}`);
  const width = Math.max(...labels.map((l) => l.length));
  return [
    'lanes of the day (shares of system:day; neither lane borrows from the other)',
    ...rows.map((r, i) => {
      const money = `${formatSpend(r.spentUsd)} settled + ${formatSpend(r.reservedUsd)} reserved of ${formatLimit(r.limitUsd)} (${percentOf(r.spentUsd + r.reservedUsd, r.limitUsd)})`;
      return `  ${labels[i].padEnd(width)}  ${bar(r.spentUsd, r.reservedUsd, r.limitUsd)}  ${money}  ${r.scope}`;
    }),
  ];
}

/** The admission queue, when tasks wait for room in the system windows (oldest first). */
function waitingLines(snapshot: BudgetSnapshot, now: number): string[] {
  const w = snapshot.waiting;
  if (!w || w.count === 0) return [];
  return [
    `waiting for room in the system windows: ${w.count} task(s), in the order they are admitted (the oldest task first, however long each has waited)`,
    ...w.next.map((x, i) => `  ${i + 1}. ${x.taskId} needs ${formatSpend(x.usd)}${x.lane === 'experimental' ? ' (experimental lane)' : ''}, waiting since ${at(x.sinceMs, now)}`),
    ...(w.count > w.next.length ? [`  … and ${w.count - w.next.length} more`] : []),
  ];
}

/** The whole `pantheon budget` text, ending without a newline. */
export function renderBudget(snapshot: BudgetSnapshot, options: BudgetViewOptions): string {
  const now = options.nowMs ?? snapshot.asOfMs;
  const maxTasks = options.tasks ?? 5;
  const maxLog = options.log ?? 5;
  const isTask = (v: ScopeView) => v.scope.startsWith('task:');
  const holding = snapshot.scopes
    .filter((v) => isTask(v) && (v.reservedUsd > 0 || v.reservedTokens > 0))
    .sort((a, b) => b.reservedUsd - a.reservedUsd || a.scope.localeCompare(b.scope));
  const rows = [...snapshot.scopes.filter((v) => !isTask(v)), ...holding.slice(0, maxTasks)];
  const width = Math.max(...rows.map((v) => scopeLabel(v.scope).length));
  const o = snapshot.outstanding;

  const lines = [
    `budget ledger ${options.ledgerId} at ${options.address} (namespace ${options.namespace})`,
    `state as of the ledger's last update, ${at(snapshot.asOfMs, now)}; windows: hour ${snapshot.windows.hour}, day ${snapshot.windows.day} (${snapshot.limits.timezone})`,
    ...staleNote(snapshot, now),
    '',
    ...breakerLines(snapshot.breaker, snapshot.audit, now, snapshot.limits.circuitBreaker.enabled),
    '',
    'spend ([#] settled, [+] reserved, [.] free)',
    ...rows.map((v) => `  ${scopeLine(v, width)}`),
  ];
  if (holding.length > maxTasks) lines.push(`  … and ${holding.length - maxTasks} more task(s) holding reservations`);
  lines.push(
    `reservations outstanding: ${o.count}, holding ${formatSpend(o.usd)} (${o.tokens} tokens); tasks tracked: ${snapshot.tasksTracked}`,
    ...leaseLines(snapshot),
    ...lateChargeLines(snapshot),
    ...waitingLines(snapshot, now),
    ...(snapshot.lanes ? ['', ...laneLines(snapshot)] : []),
    '',
    ...(snapshot.overrides.length ? ['overrides', ...snapshot.overrides.map((ov) => overrideLine(ov, now))] : ['overrides: none']),
    ...tail('alerts', snapshot.alerts, maxLog, (a) => `  ${iso(a.at)}  ${a.kind}  ${a.scope}  ${a.message}`),
    ...tail('audit', snapshot.audit, maxLog, (e) => `  ${iso(e.at)}  ${e.action}  by ${e.who}: "${e.why}"${auditDetails(e)}`),
  );
  return lines.join('\n');
}

/** Spend that reached tasks after their bills closed: in the windows, missing from tasks' reported costs. */
function lateChargeLines(snapshot: BudgetSnapshot): string[] {
  const late = snapshot.chargedAfterCloseToday;
  if (!late || (late.usd === 0 && late.tokens === 0)) return [];
  return [`charged today after tasks' bills closed (late calls; in no task's reported cost, see the charged_after_close alerts): ${formatSpend(late.usd)} (${late.tokens} tokens)`];
}

/** Leases workers hold (in the scopes' reserved amounts above), and what dead holders' leases were charged today. */
function leaseLines(snapshot: BudgetSnapshot): string[] {
  const l = snapshot.leases;
  if (!l || (l.count === 0 && l.expiredToday.usd === 0)) return [];
  const expired = l.expiredToday.usd > 0 ? `; charged today for leases not returned (their workers stopped): ${formatSpend(l.expiredToday.usd)}` : '';
  return [`leases held by workers: ${l.count}, holding ${formatSpend(l.usd)}${expired}`];
}
