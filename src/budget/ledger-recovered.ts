import type { Limits } from './limits';
import { charge } from './ledger-advance';
import { handBackCharge, takeFrom } from './ledger-handback';
import { appendAudit } from './ledger-log';
import { checkOverrun } from './ledger-overrun';
import type { Alert, LedgerOptions, LedgerState, RecoveredCharge, Reservation, Spend } from './ledger-types';
import { countUnanswered } from './unanswered-text';

/**
 * Charges a recovery made on behalf of callers that may be alive. A successor that resumes an
 * ended run (or a restore) charges every outstanding reservation at its worst case, failing
 * closed: its caller may have died with the call billed. A live caller is still heard from: a
 * task's call settles (or releases) its reservation, a worker returns its lease once every call
 * granted under it is booked. That answer says what was spent, as it would have to the run that
 * ended, so the charge comes down to it: a settle corrects the task's charge to the actual (an
 * actual above the worst case is charged on top, as a settle above its reservation is), a release
 * hands it all back, a lease's return hands back the room it still held
 * (correctRecoveredLease). Never more than was charged, once (the mark goes with the first answer).
 * A caller that died never answers, and its charge stands.
 */

/** Remembers that a recovery charged `r` while `held` (the live books' reservation of the same
 * id) was outstanding: at most the smaller of the two is handed back. */
export function markRecovered(state: LedgerState, r: Reservation, held: Reservation, charged: Spend, nowMs: number, options: LedgerOptions): void {
  const lease = r.untilMs !== undefined;
  // A lease is returned by its end (or soon after: refundExpiredLease keeps a late one as long); a
  // call settles within the reservation TTL, past which the run that ended would have charged it.
  const untilMs = lease ? Math.max(r.untilMs!, nowMs) + options.finishedRetentionMs : Math.max(r.atMs + options.reservationTtlMs, nowMs + options.finishedRetentionMs);
  (state.recovered ??= {})[r.id] = {
    taskId: r.taskId,
    agent: r.agent,
    usd: Math.min(charged.usd, held.usd),
    tokens: Math.min(charged.tokens, held.tokens),
    ...(r.lane === 'experimental' ? { lane: 'experimental' as const } : {}),
    hour: state.hour.key,
    day: state.day.key,
    ...(lease ? { lease: true as const } : {}),
    untilMs,
  };
}

/**
 * The marks a restored state may keep: those the live books still hold too (their answer has not
 * come), at the smaller amount. A mark only the restored state has was answered since it was
 * exported (or forgotten); one only the live books have was charged to windows the restore drops.
 */
export function marksKeptByRestore(restored: LedgerState['recovered'], live: LedgerState['recovered']): LedgerState['recovered'] {
  const kept: Record<string, RecoveredCharge> = {};
  for (const [id, mark] of Object.entries(restored ?? {})) {
    const other = live?.[id];
    if (other) kept[id] = { ...mark, usd: Math.min(mark.usd, other.usd), tokens: Math.min(mark.tokens, other.tokens), untilMs: Math.min(mark.untilMs, other.untilMs) };
  }
  return Object.keys(kept).length > 0 ? kept : undefined;
}

/** The mark goes with the first answer (the map with its last mark: the state stays as it was). */
export function forgetRecovered(state: LedgerState, id: string): void {
  if (!state.recovered) return;
  delete state.recovered[id];
  if (Object.keys(state.recovered).length === 0) delete state.recovered;
}

/**
 * A live caller's settle (`actual`) or release (undefined: nothing was billed) of a task's call a
 * recovery charged at its worst case: the charge is corrected to the actual. False when there is
 * nothing to correct (no mark, a lease's, or a task whose bill closed meanwhile: it reported the
 * charge as its cost, which then stands). Alerts of an actual above the worst case go to `alerts`.
 */
export function correctRecovered(
  state: LedgerState,
  id: string,
  actual: (Spend & { unanswered?: true }) | undefined,
  nowMs: number,
  limits: Limits,
  options: LedgerOptions,
  alerts: Alert[],
): boolean {
  const mark = options.correctsRecoveredCharges ? state.recovered?.[id] : undefined;
  if (!mark || mark.lease) return false;
  forgetRecovered(state, id);
  const task = state.tasks[mark.taskId];
  if (!task || task.billClosedAtMs !== undefined) return false;
  const spent = actual ?? { usd: 0, tokens: 0 };
  const back = { usd: Math.max(0, mark.usd - spent.usd), tokens: Math.max(0, mark.tokens - spent.tokens) };
  handBackCharge(state, mark, back, false);
  takeFrom(task, back);
  const more = { usd: Math.max(0, spent.usd - mark.usd), tokens: Math.max(0, spent.tokens - mark.tokens) };
  if (more.usd > 0 || more.tokens > 0) {
    charge(state, mark.taskId, mark.agent, more, nowMs, mark.lane ?? 'main');
    alerts.push(...checkOverrun(state, { id, taskId: mark.taskId, agent: mark.agent, usd: mark.usd, tokens: mark.tokens, atMs: nowMs }, spent, nowMs, limits, options));
  }
  if (actual?.unanswered) task.unanswered = countUnanswered(task.unanswered, actual);
  return true;
}

/**
 * The return of a lease a recovery (a successor resuming an ended run, or a restore) charged in
 * full while its holder was alive. As a lease returned after its end (ledger-lease.ts
 * refundExpiredLease), its holder sends it only once every booking under it was answered, so what
 * the recovery charged was room no call used: it is handed back (at most what the mark holds) and
 * audited. Returns what was handed back; undefined when no recovery charged the lease.
 */
export function correctRecoveredLease(state: LedgerState, id: string, nowMs: number, options: LedgerOptions): Spend | undefined {
  const lease = options.correctsRecoveredCharges && state.recovered?.[id]?.lease ? state.recovered[id] : undefined;
  if (!lease) return undefined;
  handBackCharge(state, lease, lease, true);
  forgetRecovered(state, id);
  state.finished[id] = { status: 'released', atMs: nowMs };
  appendAudit(
    state,
    {
      at: nowMs,
      who: 'ledger',
      why: `lease ${id} of ${lease.agent} came back after the ledger's recovery charged it in full, every call under it booked: the $${lease.usd.toFixed(6)} the recovery charged is handed back`,
      action: 'refundLease',
      details: { lease: id, agent: lease.agent, usd: lease.usd, tokens: lease.tokens, expiredHour: lease.hour, expiredDay: lease.day, recovered: true },
    },
    options,
  );
  return { usd: lease.usd, tokens: lease.tokens };
}
