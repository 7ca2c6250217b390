import { describeProviderWait, FIRST_PROVIDER_WAIT_MS, isOutageType, MAX_PROVIDER_WAIT_MS, nextProviderWaitMs } from '../../src/tasks/provider-wait';
import { NON_RETRYABLE_TYPES } from '../../src/errors';

describe('waiting out a provider outage', () => {
  it('waits 15 s, then twice as long each time, never over 2 minutes at once', () => {
    const waits: number[] = [];
    let waited = 0;
    for (let n = 0; n < 8; n++) {
      const ms = nextProviderWaitMs(n, waited, 3600_000)!;
      waits.push(ms);
      waited += ms;
    }
    expect(waits).toEqual([15_000, 30_000, 60_000, 120_000, 120_000, 120_000, 120_000, 120_000]);
    expect(FIRST_PROVIDER_WAIT_MS).toBe(15_000);
    expect(MAX_PROVIDER_WAIT_MS).toBe(120_000);
  });

  it('spends exactly the patience in all: the last wait is cut to what is left, then no more', () => {
    const patience = 300_000;
    let waited = 0;
    let n = 0;
    for (let ms = nextProviderWaitMs(n, waited, patience); ms !== undefined; ms = nextProviderWaitMs(n, waited, patience)) {
      waited += ms;
      n++;
    }
    expect(waited).toBe(patience);
    // 15 + 30 + 60 + 120 = 225 s, then the 75 s left.
    expect(n).toBe(5);
    expect(nextProviderWaitMs(4, 225_000, patience)).toBe(75_000);
  });

  it('does not wait with no patience, or less than a second of it left', () => {
    expect(nextProviderWaitMs(0, 0, 0)).toBeUndefined();
    expect(nextProviderWaitMs(3, 299_500, 300_000)).toBeUndefined();
    expect(nextProviderWaitMs(3, 299_000, 300_000)).toBe(1000);
  });

  it('takes only retryable provider failures for an outage, not the output or the specialist', () => {
    for (const type of ['provider_unavailable', 'rate_limited', 'provider_timeout', 'connection_reset']) expect(isOutageType(type)).toBe(true);
    for (const type of ['malformed_response', 'invalid_output', 'iteration_limit', 'unknown_specialist', 'TimeoutFailure', undefined]) expect(isOutageType(type)).toBe(false);
    // A failure no retry cures is never waited out.
    for (const type of NON_RETRYABLE_TYPES) expect(isOutageType(type)).toBe(false);
  });

  it('says who failed, with what, and when the task tries again', () => {
    const line = describeProviderWait('DatabaseAgent', { type: 'provider_unavailable', message: 'openai gpt-4.1-mini: 503 Service Unavailable' }, 30_000, 2);
    expect(line).toBe("waiting for the provider: DatabaseAgent's run failed through its retries with provider_unavailable (openai gpt-4.1-mini: 503 Service Unavailable); trying again in 30 s (wait 2)");
  });
});
