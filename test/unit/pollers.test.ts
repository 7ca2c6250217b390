import { livePollers, POLLER_SILENT_MS } from '../../src/client/pollers';

/** A Timestamp as the client decodes it: seconds a Long (an object whose value is the number). */
const at = (ms: number) => ({ seconds: { low: Math.floor(ms / 1000), high: 0, valueOf: () => Math.floor(ms / 1000) }, nanos: (ms % 1000) * 1e6 });

describe('workers polling a task queue', () => {
  const now = Date.parse('2026-12-07T14:00:00Z');

  it('counts the pollers heard from within the last 90 s, not a worker that stopped minutes ago', () => {
    expect(POLLER_SILENT_MS).toBe(90_000);
    const pollers = [{ lastAccessTime: at(now - 5_000) }, { lastAccessTime: at(now - 89_000) }, { lastAccessTime: at(now - 120_000) }];
    expect(livePollers(pollers, now)).toBe(2);
    // The queue's only worker stopped two minutes ago: nobody polls it.
    expect(livePollers([{ lastAccessTime: at(now - 120_000) }], now)).toBe(0);
  });

  it('counts a poller whose time the server did not give (rather than refuse a queue that may be served)', () => {
    expect(livePollers([{}, { lastAccessTime: null }], now)).toBe(2);
    expect(livePollers([], now)).toBe(0);
  });
});
