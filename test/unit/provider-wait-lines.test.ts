import { providerWaitLines } from '../../src/client/format';

const since = Date.parse('2026-12-07T10:00:00Z');
const reason = "waiting for the provider: DatabaseAgent's run failed through its retries with provider_unavailable (openai gpt-4.1-mini: 503); trying again in 30 s (wait 2)";

describe('pantheon status: a task waiting out a provider outage', () => {
  it('says how many waits, how long in all, when it tries again and why', () => {
    const providerWait = { waits: 2, waitedMs: 45_000, reason, sinceMs: since, retryAtMs: since + 45_000 };
    expect(providerWaitLines({ status: 'waiting_provider', providerWait }, since + 33_000)).toEqual([
      'provider    waiting for the provider (2 waits, 45 s in all); tries again in 12 s',
      `            ${reason}`,
    ]);
  });

  it('says a task that ran again waited out an outage, and prints nothing for one that never waited', () => {
    const providerWait = { waits: 1, waitedMs: 15_000, reason, sinceMs: since, retryAtMs: since + 15_000 };
    expect(providerWaitLines({ status: 'completed', providerWait }, since + 60_000)).toEqual(['provider    waited out an outage: 1 wait, 15 s in all']);
    expect(providerWaitLines({ status: 'running' }, since)).toEqual([]);
  });
});
