import { windowEndMs, windowKeys } from '../../src/budget/windows';

const at = (iso: string) => Date.parse(iso);
const NY = 'America/New_York';

describe('window keys', () => {
  it('splits UTC hours and days exactly on the boundary', () => {
    expect(windowKeys(at('2024-01-01T23:59:59.999Z'), 'UTC')).toEqual({ hour: '2024-01-01T23+00:00', day: '2024-01-01' });
    expect(windowKeys(at('2024-01-02T00:00:00.000Z'), 'UTC')).toEqual({ hour: '2024-01-02T00+00:00', day: '2024-01-02' });
    expect(windowKeys(at('2024-01-02T00:59:59.999Z'), 'UTC').hour).toBe('2024-01-02T00+00:00');
    expect(windowKeys(at('2024-01-02T01:00:00.000Z'), 'UTC').hour).toBe('2024-01-02T01+00:00');
  });

  it('puts a UTC instant into the local day of the zone', () => {
    // 03:00 UTC on the 2nd is still 22:00 on the 1st in New York (EST, UTC-5).
    expect(windowKeys(at('2024-01-02T03:00:00Z'), NY)).toEqual({ hour: '2024-01-01T22-05:00', day: '2024-01-01' });
    expect(windowKeys(at('2024-01-02T04:59:59.999Z'), NY).day).toBe('2024-01-01');
    expect(windowKeys(at('2024-01-02T05:00:00Z'), NY).day).toBe('2024-01-02');
  });

  it('skips the missing hour on the spring-forward day (2024-03-10 in New York)', () => {
    expect(windowKeys(at('2024-03-10T06:59:59.999Z'), NY).hour).toBe('2024-03-10T01-05:00');
    expect(windowKeys(at('2024-03-10T07:00:00Z'), NY).hour).toBe('2024-03-10T03-04:00');
    expect(windowEndMs(at('2024-03-10T06:30:00Z'), NY, 'hour')).toBe(at('2024-03-10T07:00:00Z'));
    // That day has 23 hours: midnight EST to midnight EDT.
    const dayEnd = windowEndMs(at('2024-03-10T12:00:00Z'), NY, 'day');
    expect(dayEnd).toBe(at('2024-03-11T04:00:00Z'));
    expect(dayEnd - at('2024-03-10T05:00:00Z')).toBe(23 * 3_600_000);
  });

  it('keeps the repeated hour of the fall-back day (2024-11-03 in New York) as two windows', () => {
    const first = windowKeys(at('2024-11-03T05:30:00Z'), NY); // 01:30 EDT
    const second = windowKeys(at('2024-11-03T06:30:00Z'), NY); // 01:30 EST, an hour later
    expect(first.hour).toBe('2024-11-03T01-04:00');
    expect(second.hour).toBe('2024-11-03T01-05:00');
    expect(first.day).toBe(second.day);
    expect(windowEndMs(at('2024-11-03T05:30:00Z'), NY, 'hour')).toBe(at('2024-11-03T06:00:00Z'));
    const dayEnd = windowEndMs(at('2024-11-03T12:00:00Z'), NY, 'day');
    expect(dayEnd - at('2024-11-03T04:00:00Z')).toBe(25 * 3_600_000);
  });

  it('finds hour ends in zones with half-hour offsets and at the exact boundary', () => {
    // India is UTC+05:30: its hours start at half past the UTC hour.
    expect(windowKeys(at('2024-01-01T00:10:00Z'), 'Asia/Kolkata').hour).toBe('2024-01-01T05+05:30');
    expect(windowEndMs(at('2024-01-01T00:10:00Z'), 'Asia/Kolkata', 'hour')).toBe(at('2024-01-01T00:30:00Z'));
    expect(windowEndMs(at('2024-01-01T10:00:00Z'), 'UTC', 'hour')).toBe(at('2024-01-01T11:00:00Z'));
    expect(windowEndMs(at('2024-01-01T10:59:59.999Z'), 'UTC', 'day')).toBe(at('2024-01-02T00:00:00Z'));
  });
});
