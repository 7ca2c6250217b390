import { ServiceError, WorkflowUpdateFailedError } from '@temporalio/client';
import { status } from '@grpc/grpc-js';
import { PantheonError } from '../../src/errors';
import { unanswered, untilLanded, type LandingClock } from '../../src/budget/until-landed';

/** A gRPC error as @grpc/grpc-js raises it (the client wraps it in a ServiceError as its cause). */
const grpcError = (code: number, details: string) => Object.assign(new Error(`${code} ${status[code]}: ${details}`), { code, details, metadata: {} });

const fakeClock = (): LandingClock & { slept: number[] } => {
  let t = 0;
  const slept: number[] = [];
  return { slept, now: () => t, sleep: async (ms) => void (slept.push(ms), (t += ms)) };
};

describe('sending a ledger request again while the server does not answer', () => {
  it('takes a refused connection, a deadline and an overloaded server for no answer, as the client wraps them', () => {
    expect(unanswered(new ServiceError('Workflow Update failed', { cause: grpcError(status.UNAVAILABLE, 'No connection established. Last error: connect ECONNREFUSED') }))).toBe(true);
    expect(unanswered(new ServiceError('Workflow Update failed', { cause: grpcError(status.DEADLINE_EXCEEDED, 'Deadline exceeded') }))).toBe(true);
    expect(unanswered(new ServiceError('Workflow Update failed', { cause: grpcError(status.RESOURCE_EXHAUSTED, 'namespace rate limit exceeded') }))).toBe(true);
    expect(unanswered(PantheonError.of('ledger_unavailable', 'no worker answered'))).toBe(true);
  });

  it('does not send again what was answered with a refusal', () => {
    expect(unanswered(new ServiceError('Workflow Update failed', { cause: grpcError(status.INVALID_ARGUMENT, 'bad request') }))).toBe(false);
    expect(unanswered(new WorkflowUpdateFailedError('the validator refused it', undefined))).toBe(false);
    expect(unanswered(PantheonError.of('invalid_input', 'budget request invalid at usd'))).toBe(false);
    expect(unanswered(new Error('boom'))).toBe(false);
  });

  it('sends again after 1, 2, 4 … 15 s until it lands', async () => {
    const clock = fakeClock();
    let tries = 0;
    const down = new ServiceError('Workflow Update failed', { cause: grpcError(status.UNAVAILABLE, 'No connection established') });
    const retried: number[] = [];
    const answer = await untilLanded(async () => (++tries < 7 ? Promise.reject(down) : 'applied'), 120_000, (_e, attempt) => retried.push(attempt), clock);
    expect(answer).toBe('applied');
    expect(clock.slept).toEqual([1000, 2000, 4000, 8000, 15_000, 15_000]);
    expect(retried).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('gives up with the last failure once its patience would pass, and at once on any other failure', async () => {
    const clock = fakeClock();
    const down = new ServiceError('Workflow Update failed', { cause: grpcError(status.UNAVAILABLE, 'No connection established') });
    await expect(untilLanded(() => Promise.reject(down), 10_000, undefined, clock)).rejects.toBe(down);
    // 1 + 2 + 4 s slept; the next wait (8 s) would pass 10 s.
    expect(clock.slept).toEqual([1000, 2000, 4000]);
    const refused = PantheonError.of('invalid_input', 'budget request invalid at usd');
    const other = fakeClock();
    await expect(untilLanded(() => Promise.reject(refused), 10_000, undefined, other)).rejects.toBe(refused);
    expect(other.slept).toEqual([]);
  });
});
