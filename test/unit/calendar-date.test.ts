import { realCalendarDate } from '../../src/tasks/calendar-date';
import { ConstraintSpecSchema } from '../../src/constraints/schema';

describe('dates that exist', () => {
  it('accepts real days, leap days in leap years, with or without a time', () => {
    for (const ok of ['2026-12-05', '2028-02-29', '2026-02-28T23:59:59Z', '2026-04-30 10:00', '2026-01-31T00:00:00.000+02:00']) expect(realCalendarDate(ok)).toBe(true);
  });

  it('refuses a day past its month (which Date.parse rolls over silently), month 13 or 0, and text that is no date', () => {
    for (const bad of ['2027-02-30', '2026-02-29', '2026-04-31', '2026-13-01', '2026-00-10', '2026-12-00', 'tomorrow', '']) expect(realCalendarDate(bad)).toBe(false);
    expect(Date.parse('2027-02-30')).not.toBeNaN(); // why the check exists
  });

  it("keeps a constraint's expiry from moving: an impossible date is refused naming the field", () => {
    const parsed = ConstraintSpecSchema.safeParse({ text: 'no schema changes', expiresAt: '2027-02-30' });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues[0]).toMatchObject({ path: ['expiresAt'], message: 'must be an ISO date (2026-12-05) or date-time, of a day that exists' });
    expect(ConstraintSpecSchema.safeParse({ text: 'no schema changes', expiresAt: '2027-02-28' }).success).toBe(true);
  });
});
