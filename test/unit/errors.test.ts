import { ApplicationFailure, CancelledFailure, type Logger } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ERROR_TYPES, NON_RETRYABLE_TYPES, PantheonError, isErrorType, isPantheonError, type ErrorType } from '../../src/errors';
import { asActivity, toApplicationFailure } from '../../src/errors/temporal';

const EXPECTED_NON_RETRYABLE: ErrorType[] = [
  'quota_exhausted',
  'auth_failed',
  'provider_rejected',
  'cancelled',
  'unknown_model',
  'unknown_price',
  'missing_usage',
  'budget_exceeded',
  'agent_budget_exhausted',
  'breaker_open',
  'system_budget_full',
  'lane_budget_full',
  'task_rejected',
  'invalid_input',
  'unknown_specialist',
  'config_invalid',
  'iteration_limit',
  'store_corrupt',
  'temporal_not_started',
];

const EXPECTED_RETRYABLE: ErrorType[] = [
  'rate_limited',
  'provider_unavailable',
  'provider_timeout',
  'connection_reset',
  'malformed_response',
  'invalid_output',
  'store_unavailable',
  'temporal_unavailable',
  'ledger_unavailable',
  'god_unavailable',
  'god_queue_full',
  'worker_unavailable',
  'worker_stopped',
  'worker_draining',
  'limits_changed',
];

describe('the error taxonomy', () => {
  it('lists exactly the non-retryable types in NON_RETRYABLE_TYPES, in declaration order', () => {
    expect(NON_RETRYABLE_TYPES).toEqual(EXPECTED_NON_RETRYABLE);
  });

  it('leaves every transient failure retryable', () => {
    for (const type of EXPECTED_RETRYABLE) {
      expect({ type, retryable: ERROR_TYPES[type].retryable }).toEqual({ type, retryable: true });
      expect(NON_RETRYABLE_TYPES).not.toContain(type);
    }
  });

  it('covers every known type in exactly one of the two lists', () => {
    expect(Object.keys(ERROR_TYPES).sort()).toEqual([...EXPECTED_NON_RETRYABLE, ...EXPECTED_RETRYABLE].sort());
  });

  it('places each type in its category', () => {
    expect(ERROR_TYPES.rate_limited.category).toBe('third_party');
    expect(ERROR_TYPES.quota_exhausted.category).toBe('third_party');
    expect(ERROR_TYPES.auth_failed.category).toBe('system');
    expect(ERROR_TYPES.unknown_price.category).toBe('system');
    expect(ERROR_TYPES.budget_exceeded.category).toBe('user');
    expect(ERROR_TYPES.task_rejected.category).toBe('user');
    expect(ERROR_TYPES.store_unavailable.category).toBe('system');
    expect(ERROR_TYPES.store_corrupt.category).toBe('system');
    expect(ERROR_TYPES.temporal_unavailable.category).toBe('system');
    expect(ERROR_TYPES.temporal_not_started.category).toBe('system');
    expect(ERROR_TYPES.cancelled.category).toBe('system');
  });

  it('recognises error type names and nothing else', () => {
    expect(isErrorType('rate_limited')).toBe(true);
    expect(isErrorType('config_invalid')).toBe(true);
    expect(isErrorType('unexpected')).toBe(false);
    expect(isErrorType('toString')).toBe(false);
    expect(isErrorType('__proto__')).toBe(false);
    expect(isErrorType(42)).toBe(false);
    expect(isErrorType(undefined)).toBe(false);
  });
});

describe('PantheonError', () => {
  it('takes its category and retryability from the taxonomy', () => {
    const err = PantheonError.of('rate_limited', 'provider answered 429', { retryAfterMs: 2000, details: { provider: 'openai' } });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('PantheonError');
    expect(err.type).toBe('rate_limited');
    expect(err.category).toBe('third_party');
    expect(err.retryable).toBe(true);
    expect(err.retryAfterMs).toBe(2000);
    expect(err.details).toEqual({ provider: 'openai' });
    expect(err.message).toBe('provider answered 429');
  });

  it('defaults details to an empty object and keeps a cause when given', () => {
    const cause = new Error('root');
    expect(new PantheonError('config_invalid', 'bad').details).toEqual({});
    expect(new PantheonError('config_invalid', 'bad').cause).toBeUndefined();
    expect(new PantheonError('config_invalid', 'bad', { cause }).cause).toBe(cause);
  });

  it('serialises to type, message, retryable and details only', () => {
    const err = PantheonError.of('budget_exceeded', 'spent $2.00 of $1.50', { details: { spentUsd: 2 }, cause: new Error('x'), retryAfterMs: 5 });
    expect(JSON.parse(JSON.stringify(err))).toEqual({
      type: 'budget_exceeded',
      message: 'spent $2.00 of $1.50',
      retryable: false,
      details: { spentUsd: 2 },
    });
  });

  it('is told apart from other errors', () => {
    expect(isPantheonError(PantheonError.of('invalid_input', 'x'))).toBe(true);
    expect(isPantheonError(new Error('x'))).toBe(false);
    expect(isPantheonError({ type: 'invalid_input', message: 'x' })).toBe(false);
  });
});

describe('toApplicationFailure', () => {
  it('maps a retryable PantheonError with retry-after onto a retryable failure with nextRetryDelay', () => {
    const failure = toApplicationFailure(
      PantheonError.of('rate_limited', 'openai gpt-4.1: 429 Rate limit reached', { retryAfterMs: 2000, details: { provider: 'openai', status: 429 } }),
    );
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure.type).toBe('rate_limited');
    expect(failure.nonRetryable).toBe(false);
    expect(failure.message).toBe('openai gpt-4.1: 429 Rate limit reached');
    expect(failure.details).toEqual([{ provider: 'openai', status: 429 }]);
    expect(failure.nextRetryDelay).toBe(2000);
  });

  it('maps a non-retryable PantheonError onto a non-retryable failure without a retry delay', () => {
    const failure = toApplicationFailure(PantheonError.of('unknown_price', 'no pinned price for model "x"', { details: { model: 'x' } }));
    expect(failure.type).toBe('unknown_price');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.details).toEqual([{ model: 'x' }]);
    expect(failure.nextRetryDelay).toBeUndefined();
  });

  it('keeps a zero retry-after as a zero delay', () => {
    expect(toApplicationFailure(PantheonError.of('rate_limited', 'now', { retryAfterMs: 0 })).nextRetryDelay).toBe(0);
  });

  it('sets nonRetryable exactly for the NON_RETRYABLE_TYPES', () => {
    for (const type of Object.keys(ERROR_TYPES) as ErrorType[]) {
      const failure = toApplicationFailure(PantheonError.of(type, type));
      expect({ type: failure.type, nonRetryable: failure.nonRetryable }).toEqual({ type, nonRetryable: NON_RETRYABLE_TYPES.includes(type) });
    }
  });

  it('adds the given context to the details', () => {
    const failure = toApplicationFailure(PantheonError.of('provider_timeout', 'timed out', { details: { model: 'gpt-4.1' } }), { attempt: 3 });
    expect(failure.details).toEqual([{ model: 'gpt-4.1', attempt: 3 }]);
  });

  it('turns an unknown Error into a retryable "unexpected" failure with its message', () => {
    const failure = toApplicationFailure(new TypeError("Cannot read properties of undefined (reading 'x')"), { attempt: 2 });
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure.type).toBe('unexpected');
    expect(failure.nonRetryable).toBe(false);
    expect(failure.message).toBe("Cannot read properties of undefined (reading 'x')");
    expect(failure.details).toEqual([{ attempt: 2 }]);
    expect(failure.nextRetryDelay).toBeUndefined();
  });

  it('turns a thrown non-Error into a retryable "unexpected" failure with its string form', () => {
    const failure = toApplicationFailure('plain string');
    expect(failure.type).toBe('unexpected');
    expect(failure.nonRetryable).toBe(false);
    expect(failure.message).toBe('plain string');
    expect(toApplicationFailure(42).message).toBe('42');
  });

  it('names an unknown failure that carries no text by its class and code, never an empty message', () => {
    expect(toApplicationFailure(new Error('')).message).toBe('Error with no message');
    expect(toApplicationFailure(Object.assign(new TypeError(), { code: 14 })).message).toBe('TypeError with no message (code 14)');
    expect(toApplicationFailure('').message).toBe('a thrown value with no text');
  });

  it('passes an ApplicationFailure through as is', () => {
    const original = ApplicationFailure.nonRetryable('already typed', 'task_rejected');
    expect(toApplicationFailure(original)).toBe(original);
  });
});

describe('asActivity', () => {
  const quiet = (): void => undefined;
  const silent: Logger = { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: quiet };
  const environment = (info: { attempt?: number } = {}) => new MockActivityEnvironment(info, { logger: silent });

  it('returns what the body returns', async () => {
    const env = environment();
    await expect(env.run(() => asActivity(async () => 'done'))).resolves.toBe('done');
  });

  it('throws a typed ApplicationFailure carrying the attempt', async () => {
    const env = environment({ attempt: 3 });
    const failure = await env
      .run(() =>
        asActivity(async () => {
          throw PantheonError.of('rate_limited', '429', { retryAfterMs: 1000, details: { provider: 'anthropic' } });
        }),
      )
      .catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect((failure as ApplicationFailure).type).toBe('rate_limited');
    expect((failure as ApplicationFailure).nonRetryable).toBe(false);
    expect((failure as ApplicationFailure).nextRetryDelay).toBe(1000);
    expect((failure as ApplicationFailure).details).toEqual([{ provider: 'anthropic', attempt: 3 }]);
  });

  it('turns what a cancelled activity throws into a CancelledFailure (reported cancelled, not failed) carrying what it had spent', async () => {
    const env = environment();
    const original = PantheonError.of('cancelled', 'openai gpt-4o-mini: Request was aborted.', { details: { runCostUsd: 0.25, runTokens: 900 } });
    const thrown = await env
      .run(() =>
        asActivity(async () => {
          env.cancel();
          throw original;
        }),
      )
      .catch((err: unknown) => err);
    expect(thrown).toBeInstanceOf(CancelledFailure);
    expect((thrown as CancelledFailure).details).toEqual([expect.objectContaining({ runCostUsd: 0.25, runTokens: 900 })]);
    expect((thrown as CancelledFailure).cause).toBe(original);
  });
});
