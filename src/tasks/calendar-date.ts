/**
 * Whether text that starts with a date (YYYY-MM-DD…) names a day that exists: `Date.parse` rolls
 * 2027-02-30 over to March 2nd without a word, and an expiry or a `--since` would silently move.
 * Pure (no clock): workflows' validators use it too.
 *
 * @example realCalendarDate('2027-02-28T10:00Z') // true
 * @example realCalendarDate('2027-02-30')        // false
 */
export function realCalendarDate(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(text);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const day = new Date(Date.UTC(y, mo - 1, d));
  return day.getUTCFullYear() === y && day.getUTCMonth() === mo - 1 && day.getUTCDate() === d;
}
