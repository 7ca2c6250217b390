import { exitCodeFor, TEMPORARY_FAILURE_EXIT_CODE } from '../../src/client/exit';
import { unreachable } from '../../src/client/connection';
import { localTemporalConnection } from '../../src/config/temporal-connection';
import { PantheonError } from '../../src/errors';

/** A script tells "try again later" (a service down) from "this will fail the same way again". */
describe('exit codes', () => {
  it('is 75 (EX_TEMPFAIL) when Temporal, the ledger, God or the memory store does not answer', () => {
    expect(TEMPORARY_FAILURE_EXIT_CODE).toBe(75);
    const down = unreachable(localTemporalConnection('127.0.0.1:1', 'default', 'given'), new Error('Failed to connect before the deadline'));
    expect(down.type).toBe('temporal_unavailable');
    expect(exitCodeFor(down)).toBe(75);
    for (const type of ['ledger_unavailable', 'god_unavailable', 'store_unavailable'] as const) expect(exitCodeFor(PantheonError.of(type, 'down'))).toBe(75);
  });

  it('is 1 for bad input, refusals, budget stops and anything that is not a Pantheon error', () => {
    for (const type of ['invalid_input', 'config_invalid', 'temporal_not_started', 'store_corrupt', 'budget_exceeded', 'task_rejected', 'limits_changed', 'worker_stopped'] as const) {
      expect({ type, code: exitCodeFor(PantheonError.of(type, 'no')) }).toEqual({ type, code: 1 });
    }
    expect(exitCodeFor(new Error('12 UNIMPLEMENTED: Received HTTP status code 404'))).toBe(1);
    expect(exitCodeFor('a string')).toBe(1);
  });
});
