/**
 * Hour and day windows in the configured time zone, computed with Intl only (no Date-local
 * methods: those follow the host's zone, which differs between workers). Pure and deterministic
 * for a given ICU version, so the ledger workflow uses it too.
 */

export interface WindowKeys {
  /** Local hour with its UTC offset, e.g. `2024-11-03T01-04:00`; the offset keeps the repeated
   * hour of a DST fall-back day two distinct windows. */
  hour: string;
  /** Local calendar day, e.g. `2024-11-03` (23 or 25 hours long on DST days). */
  day: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

// Building a formatter costs far more than using one; the ledger asks on every update.
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      timeZoneName: 'longOffset',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

const QUARTER = 15 * 60_000;
/** Quarters remembered per zone: two days' worth, so finding a day's start or end (which steps
 * hour by hour through it) is answered from memory after the first time. */
const REMEMBERED_QUARTERS = 2 * 96;
const rememberedKeys = new Map<string, Map<number, WindowKeys>>();

/**
 * The hour and day keys of `nowMs`. Every zone's offset is a multiple of 15 minutes, so keys only
 * change on UTC quarter hours: each quarter's answer is remembered (the ledger asks on every
 * update and God on every tick, often stepping through a whole day; formatting is the costliest
 * step). A pure memo, bounded, deterministic on replay.
 */
export function windowKeys(nowMs: number, timeZone: string): WindowKeys {
  const quarter = Math.floor(nowMs / QUARTER);
  let zone = rememberedKeys.get(timeZone);
  if (!zone) rememberedKeys.set(timeZone, (zone = new Map()));
  const known = zone.get(quarter);
  if (known) return known;
  const keys = computeKeys(nowMs, timeZone);
  // Past the bound, start afresh: a clock moves forward, so old quarters are rarely asked again.
  if (zone.size >= REMEMBERED_QUARTERS) zone.clear();
  zone.set(quarter, keys);
  return keys;
}

function computeKeys(nowMs: number, timeZone: string): WindowKeys {
  const parts: Record<string, string> = {};
  for (const p of formatterFor(timeZone).formatToParts(nowMs)) parts[p.type] = p.value;
  const day = `${parts.year}-${parts.month}-${parts.day}`;
  // longOffset says "GMT" for UTC itself and "GMT-04:00" elsewhere.
  const offset = parts.timeZoneName === 'GMT' ? '+00:00' : parts.timeZoneName.replace('GMT', '');
  return { hour: `${day}T${parts.hour}${offset}`, day };
}

const QUARTER_HOUR = 15 * 60_000;
const HOUR = 60 * 60_000;

/**
 * The first instant after `nowMs` that belongs to a different window of `kind`. Every zone's
 * offset is a multiple of 15 minutes, so boundaries fall on UTC quarter hours: step to the next
 * one that changes the key (days step by hours first).
 */
export function windowEndMs(nowMs: number, timeZone: string, kind: 'hour' | 'day'): number {
  const key = (t: number) => windowKeys(t, timeZone)[kind];
  const current = key(nowMs);
  let t = Math.floor(nowMs / QUARTER_HOUR) * QUARTER_HOUR;
  if (kind === 'day') while (key(t + HOUR) === current) t += HOUR;
  do t += QUARTER_HOUR;
  while (key(t) === current);
  return t;
}

/** The first instant of the window of `kind` that holds `nowMs` (boundaries fall on UTC quarter hours). */
export function windowStartMs(nowMs: number, timeZone: string, kind: 'hour' | 'day'): number {
  const key = (t: number) => windowKeys(t, timeZone)[kind];
  const current = key(nowMs);
  let t = Math.floor(nowMs / QUARTER_HOUR) * QUARTER_HOUR;
  if (kind === 'day') while (key(t - HOUR) === current) t -= HOUR;
  while (key(t - QUARTER_HOUR) === current) t -= QUARTER_HOUR;
  return t;
}
