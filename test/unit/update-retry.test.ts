import { ServiceError } from '@temporalio/client';
import { updateNotAccepted, updateRetryingUnaccepted } from '../../src/client/update-retry';

/** The error the client SDK raises when the server refused an update because a workflow task failed. */
function refused(message = '9 FAILED_PRECONDITION: Unable to perform workflow execution update due to unexpected workflow task failure.') {
  return new ServiceError('Workflow Update failed', { cause: Object.assign(new Error(message), { code: 9 }) });
}

describe('updates refused before the workflow accepted them', () => {
  it('are recognised by the server\'s refusal, and nothing else is', () => {
    expect(updateNotAccepted(refused())).toBe(true);
    expect(updateNotAccepted(refused('9 FAILED_PRECONDITION: something else'))).toBe(false);
    expect(updateNotAccepted(new ServiceError('Workflow Update failed', { cause: Object.assign(new Error('14 UNAVAILABLE'), { code: 14 }) }))).toBe(false);
    expect(updateNotAccepted(new Error('unexpected workflow task failure'))).toBe(false);
  });

  it('are asked again until accepted; other failures and the last refusal are thrown', async () => {
    let calls = 0;
    await expect(updateRetryingUnaccepted(async () => (++calls < 3 ? Promise.reject(refused()) : 'applied'), 5, 1)).resolves.toBe('applied');
    expect(calls).toBe(3);
    calls = 0;
    await expect(updateRetryingUnaccepted(async () => (++calls, Promise.reject(refused())), 3, 1)).rejects.toThrow('Workflow Update failed');
    expect(calls).toBe(3);
    calls = 0;
    await expect(updateRetryingUnaccepted(async () => (++calls, Promise.reject(new Error('God refused submitTask: queue is full'))), 3, 1)).rejects.toThrow('queue is full');
    expect(calls).toBe(1);
  });
});
